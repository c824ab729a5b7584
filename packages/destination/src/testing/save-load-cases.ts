// Conformance cases for writing and reading whole objects: declared capabilities, round trips,
// copies in and out, buffer views, abort, valid name shapes, overwrite and exclusive (create-only)
// saves including racing ones.

import { Buffer } from "node:buffer";
import { describe, expect } from "vitest";
import { DestinationError } from "../errors.js";
import { expectBytes, expectDestinationError, listNames, randomBytes } from "./helpers.js";
import type { SuiteContext } from "./suite-context.js";

/** Capabilities, save/load round trips and exclusive saves. */
export function declareSaveLoadCases(context: SuiteContext): void {
  const { check, settledNames, large } = context;
  check("declares well-formed capabilities and a description", async (destination) => {
    const { capabilities } = destination;
    expect(Number.isSafeInteger(capabilities.maxConnections)).toBe(true);
    expect(capabilities.maxConnections).toBeGreaterThanOrEqual(1);
    expect(typeof capabilities.atomicReplace).toBe("boolean");
    expect(typeof capabilities.rangedReads).toBe("boolean");
    expect(typeof capabilities.listAfterWriteConsistent).toBe("boolean");
    expect(typeof destination.description).toBe("string");
    expect(destination.description.length).toBeGreaterThan(0);
    expect(await listNames(destination)).toEqual([]);
  });

  describe("save and load", () => {
    check("round-trips an empty object, one byte, random bytes and a large object", async (destination) => {
      const cases: Array<[string, Uint8Array]> = [
        ["empty", new Uint8Array(0)],
        ["one", Uint8Array.of(0x2a)],
        ["zero-byte", Uint8Array.of(0)],
        ["random", randomBytes(65_537, 7)],
        ["large", randomBytes(large, 11)],
      ];
      for (const [objectName, data] of cases) await destination.save(objectName, data);
      for (const [objectName, data] of cases)
        expectBytes(await destination.load(objectName), data, objectName);
      expect(await settledNames(destination, "", ["empty", "one", "zero-byte", "random", "large"])).toEqual([
        "empty",
        "large",
        "one",
        "random",
        "zero-byte",
      ]);
    });

    check(
      "stores a copy: changing the caller's buffers afterwards changes nothing stored",
      async (destination) => {
        const original = randomBytes(4096, 3);
        const data = original.slice();
        await destination.save("copy", data);
        data.fill(0);
        const first = await destination.load("copy");
        expectBytes(first, original, "after the saved buffer changed");
        first.fill(1);
        expectBytes(await destination.load("copy"), original, "after a loaded buffer changed");
      },
    );

    check(
      "saves exactly the bytes of a view into a larger buffer (byteOffset honoured)",
      async (destination) => {
        const backing = randomBytes(10_000, 21);
        const view = backing.subarray(1234, 5678);
        await destination.save("view", view);
        expectBytes(await destination.load("view"), backing.slice(1234, 5678), "subarray");
        // Small Node Buffers share one pool, so they start at a non-zero byteOffset too.
        const pooled = Buffer.from("pooled buffer contents");
        await destination.save("pooled", pooled);
        expectBytes(
          await destination.load("pooled"),
          new TextEncoder().encode("pooled buffer contents"),
          "pooled",
        );
        expect((await destination.stat("view")).size).toBe(view.length);
      },
    );

    check("an aborted signal rejects with its reason and saves nothing", async (destination) => {
      await destination.save("abort/existing", randomBytes(100, 1));
      const controller = new AbortController();
      const reason = new Error("aborted by the conformance suite");
      controller.abort(reason);
      const saveError = await destination
        .save("abort/new", randomBytes(1000, 2), { signal: controller.signal })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(saveError, "save with an aborted signal must reject with signal.reason").toBe(reason);
      const loadError = await destination.load("abort/existing", { signal: controller.signal }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(loadError, "load with an aborted signal must reject with signal.reason").toBe(reason);
      await expectDestinationError(destination.load("abort/new"), "DEST_NOT_FOUND");
      expect(await settledNames(destination, "abort/", ["abort/existing"])).toEqual(["abort/existing"]);
    });

    check("accepts every valid name shape: dots, symbols, deep nesting, long names", async (destination) => {
      const names = [
        ".hidden",
        "...",
        ".tmp-looks-like-a-temp-file",
        "-",
        "a.b/c@d+e=f-g_h",
        "UPPER/lower/0123456789",
        Array.from({ length: 24 }, (_, i) => `d${i}`).join("/"),
        Array.from({ length: 5 }, (_, i) => String(i).repeat(200)).join("/"),
      ];
      for (const [i, objectName] of names.entries())
        await destination.save(objectName, randomBytes(10 + i, i));
      for (const [i, objectName] of names.entries()) {
        expectBytes(await destination.load(objectName), randomBytes(10 + i, i), objectName);
      }
      expect(await settledNames(destination, "", names)).toEqual([...names].sort());
    });

    check(
      "overwrite replaces the object (atomically when capabilities.atomicReplace)",
      async (destination) => {
        const first = randomBytes(10_000, 1);
        const second = randomBytes(3_000, 2);
        const third = randomBytes(20_000, 3);
        await destination.save("over/write", first);
        await destination.save("over/write", second);
        expectBytes(await destination.load("over/write"), second, "after the first overwrite");
        expect((await destination.stat("over/write")).size).toBe(second.length);
        await destination.save("over/write", third);
        expectBytes(await destination.load("over/write"), third, "after the second overwrite");
        expect(await settledNames(destination, "over/", ["over/write"])).toEqual(["over/write"]);
        // What atomicReplace promises beyond this is checked by the atomic visibility case.
      },
    );
  });

  describe("exclusive save", () => {
    check("creates a new name and refuses an existing one with DEST_ALREADY_EXISTS", async (destination) => {
      const first = randomBytes(100, 1);
      await destination.save("locks/a", first, { exclusive: true });
      await expectDestinationError(
        destination.save("locks/a", randomBytes(50, 2), { exclusive: true }),
        "DEST_ALREADY_EXISTS",
      );
      expectBytes(await destination.load("locks/a"), first, "the refused save must change nothing");
      const plain = randomBytes(70, 3);
      await destination.save("locks/a", plain);
      expectBytes(await destination.load("locks/a"), plain, "a plain save still overwrites");
      await destination.remove("locks/a");
      const again = randomBytes(30, 4);
      await destination.save("locks/a", again, { exclusive: true });
      expectBytes(await destination.load("locks/a"), again, "exclusive save after remove");
    });

    check(
      "racing exclusive saves of one name: exactly one wins, the rest get DEST_ALREADY_EXISTS",
      async (destination) => {
        const values = Array.from({ length: 8 }, (_, i) => randomBytes(1000 + i, 100 + i));
        const outcomes = await Promise.allSettled(
          values.map((value) => destination.save("locks/race", value, { exclusive: true })),
        );
        const winners = outcomes.flatMap((outcome, i) => (outcome.status === "fulfilled" ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === "rejected") {
            expect(outcome.reason).toBeInstanceOf(DestinationError);
            expect((outcome.reason as DestinationError).code).toBe("DEST_ALREADY_EXISTS");
          }
        }
        expectBytes(
          await destination.load("locks/race"),
          values[winners[0] as number] as Uint8Array,
          "winner",
        );
      },
    );
  });
}
