// Conformance cases for how a destination refuses and fails: TypeError for invalid names and
// prefixes, DEST_CLOSED after close(), DEST_TRANSIENT and recovery while the target is
// interrupted, and the final check that every error seen was classified.

import { describe, expect } from "vitest";
import { DestinationError } from "../errors.js";
import {
  collect,
  expectBytes,
  expectDestinationError,
  expectTypeError,
  listNames,
  randomBytes,
} from "./helpers.js";
import { INVALID_NAMES, INVALID_PREFIXES, type SuiteContext } from "./suite-context.js";
import type { ConformanceFaults } from "./types.js";

/** Invalid names, close, transient failures and the classification check. */
export function declareContractErrorCases(context: SuiteContext): void {
  const { check, getTarget, violations, declaresFaults } = context;
  describe("object names", () => {
    check(
      "every method throws TypeError for invalid names and prefixes, and nothing is created",
      async (destination) => {
        const data = Uint8Array.of(1);
        for (const bad of INVALID_NAMES) {
          const label = JSON.stringify(bad.length > 40 ? `${bad.slice(0, 40)}...` : bad);
          await expectTypeError(() => destination.save(bad, data), `save ${label}`);
          await expectTypeError(
            () => destination.save(bad, data, { exclusive: true }),
            `exclusive save ${label}`,
          );
          await expectTypeError(() => destination.load(bad), `load ${label}`);
          await expectTypeError(
            () => destination.load(bad, { offset: 0, length: 1 }),
            `ranged load ${label}`,
          );
          await expectTypeError(() => destination.stat(bad), `stat ${label}`);
          await expectTypeError(() => destination.remove(bad), `remove ${label}`);
        }
        for (const bad of INVALID_PREFIXES) {
          await expectTypeError(() => collect(destination.list(bad)), `list ${JSON.stringify(bad)}`);
        }
        expect(await listNames(destination)).toEqual([]);
      },
    );
  });

  describe("close", () => {
    check("after close() every method throws DEST_CLOSED", async (destination) => {
      await destination.save("c/x", randomBytes(10));
      await destination.close();
      await expectDestinationError(() => destination.save("c/y", randomBytes(10)), "DEST_CLOSED");
      await expectDestinationError(() => destination.load("c/x"), "DEST_CLOSED");
      await expectDestinationError(() => destination.load("c/x", { offset: 1 }), "DEST_CLOSED");
      await expectDestinationError(() => destination.stat("c/x"), "DEST_CLOSED");
      await expectDestinationError(() => destination.remove("c/x"), "DEST_CLOSED");
      await expectDestinationError(() => collect(destination.list("c/")), "DEST_CLOSED");
      await expectDestinationError(() => collect(destination.list()), "DEST_CLOSED");
      // A second close() may resolve or report DEST_CLOSED, nothing else.
      try {
        await destination.close();
      } catch (error) {
        expect(error).toBeInstanceOf(DestinationError);
        expect((error as DestinationError).code).toBe("DEST_CLOSED");
      }
    });
  });

  if (declaresFaults) {
    describe("transient failures", () => {
      check(
        "an unreachable destination fails with DEST_TRANSIENT and recovers without a partial object",
        async (destination) => {
          const kept = randomBytes(2048, 1);
          await destination.save("t/kept", kept);
          const faults = getTarget().faults;
          expect(faults, "options.faults promised fault hooks, the target has none").toBeDefined();
          const restore = await (faults as ConformanceFaults).interrupt();
          try {
            await expectDestinationError(
              () => destination.save("t/new", randomBytes(4096, 2)),
              "DEST_TRANSIENT",
            );
            await expectDestinationError(() => destination.load("t/kept"), "DEST_TRANSIENT");
            await expectDestinationError(() => destination.stat("t/kept"), "DEST_TRANSIENT");
            await expectDestinationError(() => collect(destination.list("t/")), "DEST_TRANSIENT");
          } finally {
            await restore();
          }
          expectBytes(await destination.load("t/kept"), kept, "object saved before the interruption");
          await expectDestinationError(() => destination.load("t/new"), "DEST_NOT_FOUND");
          const after = randomBytes(1000, 3);
          await destination.save("t/after", after);
          expectBytes(await destination.load("t/after"), after, "object saved after recovery");
        },
        120_000,
      );
    });
  }

  check(
    "every error thrown in this suite was a DestinationError with a known code or a TypeError",
    async (destination) => {
      // Provoke each kind once more so this case means something when run alone.
      await destination.save("e/x", randomBytes(3));
      await expectDestinationError(destination.load("e/missing"), "DEST_NOT_FOUND");
      await expectDestinationError(destination.load("e/x", { offset: 10 }), "DEST_RANGE_NOT_SATISFIABLE");
      await expectDestinationError(
        destination.save("e/x", randomBytes(3), { exclusive: true }),
        "DEST_ALREADY_EXISTS",
      );
      await expectTypeError(() => destination.stat("../e"));
      await destination.close();
      await expectDestinationError(() => destination.stat("e/x"), "DEST_CLOSED");
      expect(violations).toEqual([]);
    },
  );
}
