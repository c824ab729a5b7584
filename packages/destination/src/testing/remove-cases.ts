// Conformance cases for objects that are not there: DEST_NOT_FOUND from load and stat (also for
// "directory" names and names below an object) and idempotent remove.

import { describe, expect } from "vitest";
import { expectBytes, expectDestinationError, randomBytes } from "./helpers.js";
import type { SuiteContext } from "./suite-context.js";

/** Missing objects and remove. */
export function declareRemoveCases(context: SuiteContext): void {
  const { check, settledNames } = context;
  describe("missing objects", () => {
    check("load and stat of a missing object throw DEST_NOT_FOUND", async (destination) => {
      await destination.save("present/x", Uint8Array.of(1, 2, 3));
      await expectDestinationError(destination.load("missing"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.load("missing", { offset: 1, length: 1 }), "DEST_NOT_FOUND");
      await expectDestinationError(destination.stat("missing"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.load("no/such/dir/x"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.stat("no/such/dir/x"), "DEST_NOT_FOUND");
      // A name that is only a prefix of other objects (a directory on a file system) is not an object.
      await expectDestinationError(destination.load("present"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.stat("present"), "DEST_NOT_FOUND");
      // ... and below an object there is nothing.
      await expectDestinationError(destination.load("present/x/y"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.stat("present/x/y"), "DEST_NOT_FOUND");
    });

    check("remove is idempotent and makes the object disappear everywhere", async (destination) => {
      await destination.remove("never-existed");
      await destination.remove("no/such/dir/x");
      await destination.save("gone/x", randomBytes(10));
      await destination.save("gone/keep", randomBytes(11));
      await destination.remove("gone/x");
      await destination.remove("gone/x");
      await expectDestinationError(destination.load("gone/x"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.stat("gone/x"), "DEST_NOT_FOUND");
      expect(await settledNames(destination, "gone/", ["gone/keep"])).toEqual(["gone/keep"]);
      // Removing a name that is only a prefix removes nothing.
      await destination.remove("gone");
      expectBytes(await destination.load("gone/keep"), randomBytes(11), "sibling after removes");
    });
  });
}
