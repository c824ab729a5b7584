// Conformance cases for partial reads and metadata: ranged loads at every edge (also when the
// destination has no rangedReads and slices), malformed ranges, and stat's name, size and time.

import { describe, expect } from "vitest";
import { expectBytes, expectDestinationError, expectTypeError, randomBytes } from "./helpers.js";
import type { SuiteContext } from "./suite-context.js";

/** Ranged reads and stat. */
export function declareRangeCases(context: SuiteContext): void {
  const { check, large } = context;
  describe("ranged reads", () => {
    check(
      "returns the requested bytes at the edges (the destination slices when !rangedReads)",
      async (destination) => {
        const data = randomBytes(1000, 5);
        await destination.save("range", data);
        const read = (offset?: number, length?: number) =>
          destination.load("range", {
            ...(offset === undefined ? {} : { offset }),
            ...(length === undefined ? {} : { length }),
          });
        expectBytes(await read(0), data, "offset 0");
        expectBytes(await read(0, 10), data.subarray(0, 10), "first 10");
        expectBytes(await read(undefined, 10), data.subarray(0, 10), "length without offset");
        expectBytes(await read(500, 100), data.subarray(500, 600), "middle");
        expectBytes(await read(999, 1), data.subarray(999), "last byte");
        expectBytes(await read(999), data.subarray(999), "last byte, no length");
        expectBytes(await read(900, 100), data.subarray(900), "exactly to the end");
        expectBytes(await read(990, 100), data.subarray(990), "length past the end returns the rest");
        expectBytes(await read(0, 5000), data, "length past the end from 0");
        expectBytes(await read(0, 0), new Uint8Array(0), "length 0 at 0");
        expectBytes(await read(500, 0), new Uint8Array(0), "length 0 in the middle");
        await expectDestinationError(read(1000), "DEST_RANGE_NOT_SATISFIABLE");
        await expectDestinationError(read(1000, 1), "DEST_RANGE_NOT_SATISFIABLE");
        await expectDestinationError(read(5000, 10), "DEST_RANGE_NOT_SATISFIABLE");
      },
    );

    check(
      "reads ranges of a large object and treats an empty object as offset 0 only",
      async (destination) => {
        const data = randomBytes(large, 9);
        await destination.save("big", data);
        const mid = Math.floor(large / 3);
        expectBytes(
          await destination.load("big", { offset: mid, length: 1024 * 1024 }),
          data.subarray(mid, mid + 1024 * 1024),
          "1 MiB from the middle",
        );
        expectBytes(await destination.load("big", { offset: large - 7 }), data.subarray(large - 7), "tail");
        await destination.save("empty", new Uint8Array(0));
        expectBytes(await destination.load("empty", { offset: 0 }), new Uint8Array(0), "empty at offset 0");
        await expectDestinationError(destination.load("empty", { offset: 1 }), "DEST_RANGE_NOT_SATISFIABLE");
      },
    );

    check("rejects malformed ranges with TypeError", async (destination) => {
      await destination.save("range", randomBytes(100));
      for (const bad of [{ offset: -1 }, { length: -1 }, { offset: 1.5 }, { length: Number.NaN }]) {
        await expectTypeError(() => destination.load("range", bad), `load ${JSON.stringify(bad)}`);
      }
    });
  });

  describe("stat", () => {
    check("reports name, size and a sane modification time", async (destination) => {
      const before = Date.now();
      const sizes: Array<[string, number]> = [
        ["s/empty", 0],
        ["s/one", 1],
        ["s/some", 12_345],
        ["s/large", large],
      ];
      for (const [objectName, size] of sizes) await destination.save(objectName, randomBytes(size));
      for (const [objectName, size] of sizes) {
        const info = await destination.stat(objectName);
        expect(info.name).toBe(objectName);
        expect(info.size).toBe(size);
        if (info.modifiedAt !== undefined) {
          expect(info.modifiedAt).toBeInstanceOf(Date);
          // Servers keep their own clock; a day either way still catches unit mistakes.
          expect(Math.abs(info.modifiedAt.getTime() - before)).toBeLessThan(86_400_000);
        }
      }
    });
  });
}
