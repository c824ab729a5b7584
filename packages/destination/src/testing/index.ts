// @ewsvault/destination/testing — the conformance suite every Destination implementation runs,
// plus the small helpers it is built from. One suite for all keeps "what a destination must do"
// in one place: an implementation opts out of a case only through a declared capability. The
// cases live one concern per file; this module only puts them together in their fixed order.

import { describe } from "vitest";
import { declareConcurrencyCases } from "./concurrency-cases.js";
import { declareContractErrorCases } from "./contract-error-cases.js";
import { declareListingCases } from "./listing-cases.js";
import { declareRangeCases } from "./range-cases.js";
import { declareRemoveCases } from "./remove-cases.js";
import { declareSaveLoadCases } from "./save-load-cases.js";
import { createSuiteContext } from "./suite-context.js";
import type { ConformanceOptions, ConformanceTarget } from "./types.js";

export {
  classificationViolation,
  collect,
  destinationRejection,
  expectBytes,
  expectDestinationError,
  expectTypeError,
  listNames,
  mapWithConcurrency,
  randomBytes,
  sameBytes,
} from "./helpers.js";
export type { ConformanceFaults, ConformanceOptions, ConformanceTarget } from "./types.js";

/**
 * Declares the destination conformance suite (vitest describe/it) for `target`. `target` may be
 * a function, called once when the suite starts, so it can depend on a server started in an
 * enclosing beforeAll.
 */
export function describeDestinationConformance(
  name: string,
  target: ConformanceTarget | (() => ConformanceTarget),
  options: ConformanceOptions = {},
): void {
  describe(`destination conformance: ${name}`, () => {
    const context = createSuiteContext(target, options);
    declareSaveLoadCases(context);
    declareRemoveCases(context);
    declareRangeCases(context);
    declareListingCases(context);
    declareConcurrencyCases(context);
    declareContractErrorCases(context);
  });
}
