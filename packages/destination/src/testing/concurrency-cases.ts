// Conformance cases for concurrent callers: parallel saves of distinct names and of one name,
// and loads racing repeated large saves (atomic visibility).

import { describe, expect } from "vitest";
import { DestinationError } from "../errors.js";
import { expectBytes, randomBytes, sameBytes } from "./helpers.js";
import type { SuiteContext } from "./suite-context.js";

/** Concurrent saves and loads. */
export function declareConcurrencyCases(context: SuiteContext): void {
  const { check, settledNames, large } = context;
  describe("concurrency", () => {
    check("parallel saves of distinct names all land whole", async (destination) => {
      const count = 32;
      const values = Array.from({ length: count }, (_, i) => randomBytes(5000 + i * 313, 200 + i));
      await Promise.all(values.map((value, i) => destination.save(`par/${i}`, value)));
      const loaded = await Promise.all(values.map((_, i) => destination.load(`par/${i}`)));
      for (const [i, bytes] of loaded.entries()) expectBytes(bytes, values[i] as Uint8Array, `par/${i}`);
      const names = values.map((_, i) => `par/${i}`);
      expect(await settledNames(destination, "par/", names)).toEqual([...names].sort());
    });

    check(
      "parallel saves of one name leave exactly one of the written values, whole",
      async (destination) => {
        const values = Array.from({ length: 16 }, (_, i) => randomBytes(20_000 + i * 1000, 300 + i));
        await Promise.all(values.map((value) => destination.save("same", value)));
        const final = await destination.load("same");
        const match = values.findIndex((value) => sameBytes(value, final));
        expect(match, "the final object must equal one written value").toBeGreaterThanOrEqual(0);
        expect((await destination.stat("same")).size).toBe(final.length);
        expect(await settledNames(destination, "", ["same"])).toEqual(["same"]);
      },
    );

    check(
      "concurrent loads during repeated large saves see only complete values",
      async (destination) => {
        const size = Math.max(1024 * 1024, Math.floor(large / 2));
        // Distinct lengths catch truncation, distinct contents catch mixing.
        const versions = Array.from({ length: 4 }, (_, i) => randomBytes(size + i * 4096, 400 + i));
        await destination.save("atomic", versions[0] as Uint8Array);
        let writing = true;
        let loads = 0;
        let missing = 0;
        const writer = (async () => {
          try {
            for (let round = 1; round <= 8; round++) {
              await destination.save("atomic", versions[round % versions.length] as Uint8Array);
            }
          } finally {
            writing = false;
          }
        })();
        const reader = async () => {
          while (writing) {
            let bytes: Uint8Array;
            try {
              bytes = await destination.load("atomic");
            } catch (error) {
              // Without atomicReplace the old object may vanish just before the new one appears.
              if (
                !destination.capabilities.atomicReplace &&
                error instanceof DestinationError &&
                error.code === "DEST_NOT_FOUND"
              ) {
                missing++;
                continue;
              }
              throw error;
            }
            loads++;
            const whole = versions.some((version) => sameBytes(version, bytes));
            expect(whole, `a load returned ${bytes.length} bytes that match no written version`).toBe(true);
          }
        };
        await Promise.all([writer, reader(), reader()]);
        expect(loads + missing).toBeGreaterThan(0);
        expectBytes(await destination.load("atomic"), versions[8 % versions.length] as Uint8Array, "final");
      },
      120_000,
    );
  });
}
