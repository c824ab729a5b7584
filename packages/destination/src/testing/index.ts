// @ewsvault/destination/testing — the conformance suite every Destination implementation runs,
// plus the small helpers it is built from. One suite for all keeps "what a destination must do"
// in one place: an implementation opts out of a case only through a declared capability.

import { Buffer } from "node:buffer";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Destination, LoadOptions, ObjectInfo, SaveOptions } from "../destination.js";
import { DestinationError, type DestinationErrorCode, DestinationErrorCodes } from "../errors.js";

/** Hooks a target may offer so the suite can check behaviour under failure. */
export interface ConformanceFaults {
  /**
   * Makes the destinations from create() unreachable (for example stops the server) and
   * resolves to a function that makes them reachable again. While interrupted, operations
   * MUST fail with DEST_TRANSIENT; once restored, the same destination object MUST work again.
   */
  interrupt(): Promise<() => Promise<void>>;
}

export interface ConformanceTarget {
  /** A fresh, empty destination for one test (distinct prefix/dir/container per call). */
  create(): Promise<Destination>;
  /** Optional: wipe resources after the suite. */
  cleanup?(): Promise<void>;
  /** Optional fault hooks for the transient-error cases; without them those cases are not declared. */
  faults?: ConformanceFaults;
}

export interface ConformanceOptions {
  /** Per-test timeout; default 60 000 ms. */
  timeoutMs?: number;
  /** Objects saved for the big listing case; default 2 000. */
  manyObjects?: number;
  /** Size of the large objects (round trip, atomic visibility); default 5 MiB. */
  largeObjectBytes?: number;
  /**
   * Declares the transient-failure cases for a lazy target (a function), whose `faults` cannot
   * be seen while the suite is declared; the case then fails if the target has no `faults`.
   * Object targets are detected from their `faults` property.
   */
  faults?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Helpers, exported for other suites.

/** `n` deterministic pseudo-random bytes; the same (n, seed) always gives the same bytes. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError("randomBytes: n must be a non-negative integer");
  const out = new Uint8Array(n);
  // mulberry32: tiny, fast and good enough to make accidental equality impossible in practice.
  let state = (seed ^ 0x9e3779b9) >>> 0;
  let i = 0;
  while (i < n) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    for (let k = 0; k < 4 && i < n; k++, i++) out[i] = (t >>> (k * 8)) & 0xff;
  }
  return out;
}

/** Every item of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The sorted names list(prefix) yields (duplicates kept, so callers can check "each once"). */
export async function listNames(destination: Destination, prefix?: string): Promise<string[]> {
  const infos = await collect(destination.list(prefix));
  return infos.map((info) => info.name).sort();
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** True when both hold the same bytes (fast, and no giant diff on failure). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** Asserts `actual` is a Uint8Array with exactly the bytes of `expected`. */
export function expectBytes(actual: unknown, expected: Uint8Array, what = "bytes"): void {
  expect(actual, `${what} must be a Uint8Array`).toBeInstanceOf(Uint8Array);
  const bytes = actual as Uint8Array;
  expect(bytes.length, `${what}: length`).toBe(expected.length);
  expect(sameBytes(bytes, expected), `${what}: content differs`).toBe(true);
}

/** Awaits `action` and asserts it fails with a DestinationError carrying `code`; returns the error. */
export async function expectDestinationError(
  action: Promise<unknown> | (() => unknown),
  code: DestinationErrorCode,
): Promise<DestinationError> {
  let error: unknown;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected DestinationError ${code}, nothing was thrown`).toBeDefined();
  expect(error, `expected DestinationError ${code}, got ${String(error)}`).toBeInstanceOf(DestinationError);
  expect((error as DestinationError).code).toBe(code);
  return error as DestinationError;
}

/** Awaits `action` (which may also throw synchronously) and asserts it fails with a TypeError. */
export async function expectTypeError(action: () => unknown, what = "call"): Promise<void> {
  let error: unknown;
  try {
    await action();
  } catch (caught) {
    error = caught;
  }
  expect(error, `${what}: expected a TypeError, got ${String(error)}`).toBeInstanceOf(TypeError);
}

/** Why `error` breaks the rule "only DestinationError with a known code, or TypeError", or undefined. */
export function classificationViolation(error: unknown): string | undefined {
  if (error instanceof TypeError) return undefined;
  if (error instanceof DestinationError) {
    return DestinationErrorCodes.includes(error.code) ? undefined : `unknown code ${String(error.code)}`;
  }
  return `not a DestinationError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

// ---------------------------------------------------------------------------------------------
// The suite.

const INVALID_NAMES = [
  "../x",
  "/abs",
  "a//b",
  "a/./b",
  "a\\b",
  "",
  "a\u0000b",
  "a\nb",
  "a\u007fb",
  "a/",
  "x/..",
  ".",
  "..",
  "a b",
  "é",
  "x".repeat(1025),
];
const INVALID_PREFIXES = ["../x", "/abs", "a//b", "a/./b", "a\\b", "a\u0000b", "a\tb", "..", "a//"];

/** Wraps a destination so every error it throws is checked against the classification rule. */
function classified(destination: Destination, violations: string[]): Destination {
  const record = (method: string, error: unknown): never => {
    const violation = classificationViolation(error);
    if (violation !== undefined) violations.push(`${method}: ${violation}`);
    throw error;
  };
  const guard = async <T>(method: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      // The contract lets an aborted operation reject with the signal's own reason.
      if (signal?.aborted === true && error === signal.reason) throw error;
      return record(method, error);
    }
  };
  return {
    get description() {
      return destination.description;
    },
    get capabilities() {
      return destination.capabilities;
    },
    save: (name: string, data: Uint8Array, options?: SaveOptions) =>
      guard("save", () => destination.save(name, data, options), options?.signal),
    load: (name: string, options?: LoadOptions) =>
      guard("load", () => destination.load(name, options), options?.signal),
    stat: (name: string) => guard("stat", () => destination.stat(name)),
    remove: (name: string) => guard("remove", () => destination.remove(name)),
    close: () => guard("close", () => destination.close()),
    list: (prefix?: string): AsyncIterable<ObjectInfo> => ({
      async *[Symbol.asyncIterator]() {
        try {
          yield* destination.list(prefix);
        } catch (error) {
          record("list", error);
        }
      },
    }),
  };
}

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
  const timeout = options.timeoutMs ?? 60_000;
  const manyObjects = options.manyObjects ?? 2000;
  const large = options.largeObjectBytes ?? 5 * 1024 * 1024;
  // Whether the fault cases exist must be known while declaring; a lazy target says so in options.
  const declaresFaults =
    options.faults === true || (typeof target !== "function" && target.faults !== undefined);

  describe(`destination conformance: ${name}`, () => {
    let resolved: ConformanceTarget | undefined;
    const violations: string[] = [];
    let opened: Destination[] = [];

    const getTarget = (): ConformanceTarget => {
      resolved ??= typeof target === "function" ? target() : target;
      return resolved;
    };

    const fresh = async (): Promise<Destination> => {
      const destination = await getTarget().create();
      opened.push(destination);
      return classified(destination, violations);
    };

    // Eventually consistent listings are polled until they settle; consistent ones are read once.
    const settledNames = async (destination: Destination, prefix: string, expected: readonly string[]) => {
      const want = [...expected].sort();
      let names = await listNames(destination, prefix);
      if (destination.capabilities.listAfterWriteConsistent) return names;
      const deadline = Date.now() + timeout / 2;
      // Short waits first (most lags are brief), backing off so a slow server is not hammered.
      for (let wait = 25; JSON.stringify(names) !== JSON.stringify(want) && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 1000);
        names = await listNames(destination, prefix);
      }
      return names;
    };

    afterEach(async () => {
      const toClose = opened;
      opened = [];
      for (const destination of toClose) {
        try {
          await destination.close();
        } catch (error) {
          if (!(error instanceof DestinationError && error.code === "DEST_CLOSED")) throw error;
        }
      }
    });

    afterAll(async () => {
      await resolved?.cleanup?.();
    });

    it(
      "declares well-formed capabilities and a description",
      async () => {
        const destination = await fresh();
        const { capabilities } = destination;
        expect(Number.isSafeInteger(capabilities.maxConnections)).toBe(true);
        expect(capabilities.maxConnections).toBeGreaterThanOrEqual(1);
        expect(typeof capabilities.atomicReplace).toBe("boolean");
        expect(typeof capabilities.rangedReads).toBe("boolean");
        expect(typeof capabilities.listAfterWriteConsistent).toBe("boolean");
        expect(typeof destination.description).toBe("string");
        expect(destination.description.length).toBeGreaterThan(0);
        expect(await listNames(destination)).toEqual([]);
      },
      timeout,
    );

    describe("save and load", () => {
      it(
        "round-trips an empty object, one byte, random bytes and a large object",
        async () => {
          const destination = await fresh();
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
          expect(
            await settledNames(destination, "", ["empty", "one", "zero-byte", "random", "large"]),
          ).toEqual(["empty", "large", "one", "random", "zero-byte"]);
        },
        timeout,
      );

      it(
        "stores a copy: changing the caller's buffers afterwards changes nothing stored",
        async () => {
          const destination = await fresh();
          const original = randomBytes(4096, 3);
          const data = original.slice();
          await destination.save("copy", data);
          data.fill(0);
          const first = await destination.load("copy");
          expectBytes(first, original, "after the saved buffer changed");
          first.fill(1);
          expectBytes(await destination.load("copy"), original, "after a loaded buffer changed");
        },
        timeout,
      );

      it(
        "saves exactly the bytes of a view into a larger buffer (byteOffset honoured)",
        async () => {
          const destination = await fresh();
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
        timeout,
      );

      it(
        "an aborted signal rejects with its reason and saves nothing",
        async () => {
          const destination = await fresh();
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
        },
        timeout,
      );

      it(
        "accepts every valid name shape: dots, symbols, deep nesting, long names",
        async () => {
          const destination = await fresh();
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
        },
        timeout,
      );

      it(
        "overwrite replaces the object (atomically when capabilities.atomicReplace)",
        async () => {
          const destination = await fresh();
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
        timeout,
      );
    });

    describe("exclusive save", () => {
      it(
        "creates a new name and refuses an existing one with DEST_ALREADY_EXISTS",
        async () => {
          const destination = await fresh();
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
        },
        timeout,
      );

      it(
        "racing exclusive saves of one name: exactly one wins, the rest get DEST_ALREADY_EXISTS",
        async () => {
          const destination = await fresh();
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
        timeout,
      );
    });

    describe("missing objects", () => {
      it(
        "load and stat of a missing object throw DEST_NOT_FOUND",
        async () => {
          const destination = await fresh();
          await destination.save("present/x", Uint8Array.of(1, 2, 3));
          await expectDestinationError(destination.load("missing"), "DEST_NOT_FOUND");
          await expectDestinationError(
            destination.load("missing", { offset: 1, length: 1 }),
            "DEST_NOT_FOUND",
          );
          await expectDestinationError(destination.stat("missing"), "DEST_NOT_FOUND");
          await expectDestinationError(destination.load("no/such/dir/x"), "DEST_NOT_FOUND");
          await expectDestinationError(destination.stat("no/such/dir/x"), "DEST_NOT_FOUND");
          // A name that is only a prefix of other objects (a directory on a file system) is not an object.
          await expectDestinationError(destination.load("present"), "DEST_NOT_FOUND");
          await expectDestinationError(destination.stat("present"), "DEST_NOT_FOUND");
          // ... and below an object there is nothing.
          await expectDestinationError(destination.load("present/x/y"), "DEST_NOT_FOUND");
          await expectDestinationError(destination.stat("present/x/y"), "DEST_NOT_FOUND");
        },
        timeout,
      );

      it(
        "remove is idempotent and makes the object disappear everywhere",
        async () => {
          const destination = await fresh();
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
        },
        timeout,
      );
    });

    describe("ranged reads", () => {
      it(
        "returns the requested bytes at the edges (the destination slices when !rangedReads)",
        async () => {
          const destination = await fresh();
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
        timeout,
      );

      it(
        "reads ranges of a large object and treats an empty object as offset 0 only",
        async () => {
          const destination = await fresh();
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
          await expectDestinationError(
            destination.load("empty", { offset: 1 }),
            "DEST_RANGE_NOT_SATISFIABLE",
          );
        },
        timeout,
      );

      it(
        "rejects malformed ranges with TypeError",
        async () => {
          const destination = await fresh();
          await destination.save("range", randomBytes(100));
          for (const bad of [{ offset: -1 }, { length: -1 }, { offset: 1.5 }, { length: Number.NaN }]) {
            await expectTypeError(() => destination.load("range", bad), `load ${JSON.stringify(bad)}`);
          }
        },
        timeout,
      );
    });

    describe("stat", () => {
      it(
        "reports name, size and a sane modification time",
        async () => {
          const destination = await fresh();
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
        },
        timeout,
      );
    });

    describe("list", () => {
      it(
        "an empty destination lists nothing, with or without prefix",
        async () => {
          const destination = await fresh();
          expect(await listNames(destination)).toEqual([]);
          expect(await listNames(destination, "")).toEqual([]);
          expect(await listNames(destination, "x/")).toEqual([]);
          expect(await listNames(destination, "x")).toEqual([]);
        },
        timeout,
      );

      it(
        "uses exact string-prefix semantics over nested names, each object once, with sizes",
        async () => {
          const destination = await fresh();
          const all = ["p/a", "p/ab", "p/b/c", "p/b/d/e", "pa/x", "p-x", "q/a", "p/a.b"];
          for (const [i, objectName] of all.entries()) await destination.save(objectName, randomBytes(i + 1));
          const cases: Array<[string | undefined, string[]]> = [
            [undefined, all],
            ["", all],
            ["p", ["p/a", "p/ab", "p/b/c", "p/b/d/e", "pa/x", "p-x", "p/a.b"]],
            ["p/", ["p/a", "p/ab", "p/b/c", "p/b/d/e", "p/a.b"]],
            ["p/a", ["p/a", "p/ab", "p/a.b"]],
            ["p/b", ["p/b/c", "p/b/d/e"]],
            ["p/b/", ["p/b/c", "p/b/d/e"]],
            ["p/b/d", ["p/b/d/e"]],
            ["p/b/d/e", ["p/b/d/e"]],
            ["p/c/", []],
            ["p/b/c/", []],
            ["zzz", []],
          ];
          for (const [prefix, expected] of cases) {
            expect(
              await settledNames(destination, prefix ?? "", expected),
              `prefix ${String(prefix)}`,
            ).toEqual([...expected].sort());
          }
          const infos = await collect(destination.list("p/b"));
          for (const info of infos) expect(info.size).toBe(all.indexOf(info.name) + 1);
        },
        timeout,
      );

      it(
        `lists ${manyObjects} objects saved with maxConnections concurrency, each once`,
        async () => {
          const destination = await fresh();
          const names = Array.from(
            { length: manyObjects },
            (_, i) => `many/${i % 7}/${i % 3}/obj-${String(i).padStart(6, "0")}`,
          );
          const content = (i: number) => new TextEncoder().encode(String(i));
          await mapWithConcurrency(names, destination.capabilities.maxConnections, (objectName, i) =>
            destination.save(objectName, content(i)),
          );
          const listed = await settledNames(destination, "many/", names);
          expect(listed.length).toBe(manyObjects);
          expect(new Set(listed).size).toBe(manyObjects);
          expect(listed).toEqual([...names].sort());
          const underFour = names.filter((n) => n.startsWith("many/4/"));
          expect(await settledNames(destination, "many/4/", underFour)).toEqual([...underFour].sort());
          const deep = names.filter((n) => n.startsWith("many/5/2/"));
          expect(await settledNames(destination, "many/5/2/", deep)).toEqual([...deep].sort());
          const infos = await collect(destination.list("many/5/2/"));
          for (const info of infos) {
            const index = Number(info.name.slice(info.name.lastIndexOf("-") + 1));
            expect(info.size).toBe(content(index).length);
          }
        },
        Math.max(timeout, 120_000),
      );

      it(
        "while other objects are saved and removed, untouched objects are listed exactly once",
        async () => {
          const destination = await fresh();
          const stable = Array.from({ length: 100 }, (_, i) => `mix/s-${String(i).padStart(3, "0")}`);
          await mapWithConcurrency(stable, destination.capabilities.maxConnections, (objectName, i) =>
            destination.save(objectName, randomBytes(16, i)),
          );
          expect(await settledNames(destination, "mix/", stable)).toEqual(stable);
          let churning = true;
          const churn = (async () => {
            // Same directory (or key range) as the stable objects, so the listing walks through the churn.
            for (let i = 0; churning || i < 10; i++) {
              await destination.save(`mix/c-${String(i % 20).padStart(3, "0")}`, randomBytes(16, 1000 + i));
              if (i % 3 === 0) await destination.remove(`mix/c-${String((i + 7) % 20).padStart(3, "0")}`);
            }
          })();
          let listed: string[];
          try {
            listed = (await collect(destination.list("mix/"))).map((info) => info.name);
          } finally {
            churning = false;
            await churn;
          }
          const counts = new Map<string, number>();
          for (const objectName of listed) counts.set(objectName, (counts.get(objectName) ?? 0) + 1);
          for (const objectName of stable) expect(counts.get(objectName), objectName).toBe(1);
          for (const [objectName, count] of counts) {
            expect(objectName).toMatch(/^mix\/[sc]-\d{3}$/);
            expect(count, `${objectName} listed ${count} times`).toBe(1);
          }
        },
        timeout,
      );

      it(
        "reflects removes and overwrites (one entry, new size)",
        async () => {
          const destination = await fresh();
          await destination.save("r/a", randomBytes(5));
          await destination.save("r/b", randomBytes(6));
          await destination.save("r/b", randomBytes(60));
          await destination.remove("r/a");
          expect(await settledNames(destination, "r/", ["r/b"])).toEqual(["r/b"]);
          const infos = await collect(destination.list("r/"));
          expect(infos.map((info) => [info.name, info.size])).toEqual([["r/b", 60]]);
        },
        timeout,
      );
    });

    describe("concurrency", () => {
      it(
        "parallel saves of distinct names all land whole",
        async () => {
          const destination = await fresh();
          const count = 32;
          const values = Array.from({ length: count }, (_, i) => randomBytes(5000 + i * 313, 200 + i));
          await Promise.all(values.map((value, i) => destination.save(`par/${i}`, value)));
          const loaded = await Promise.all(values.map((_, i) => destination.load(`par/${i}`)));
          for (const [i, bytes] of loaded.entries()) expectBytes(bytes, values[i] as Uint8Array, `par/${i}`);
          const names = values.map((_, i) => `par/${i}`);
          expect(await settledNames(destination, "par/", names)).toEqual([...names].sort());
        },
        timeout,
      );

      it(
        "parallel saves of one name leave exactly one of the written values, whole",
        async () => {
          const destination = await fresh();
          const values = Array.from({ length: 16 }, (_, i) => randomBytes(20_000 + i * 1000, 300 + i));
          await Promise.all(values.map((value) => destination.save("same", value)));
          const final = await destination.load("same");
          const match = values.findIndex((value) => sameBytes(value, final));
          expect(match, "the final object must equal one written value").toBeGreaterThanOrEqual(0);
          expect((await destination.stat("same")).size).toBe(final.length);
          expect(await settledNames(destination, "", ["same"])).toEqual(["same"]);
        },
        timeout,
      );

      it(
        "concurrent loads during repeated large saves see only complete values",
        async () => {
          const destination = await fresh();
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
        Math.max(timeout, 120_000),
      );
    });

    describe("object names", () => {
      it(
        "every method throws TypeError for invalid names and prefixes, and nothing is created",
        async () => {
          const destination = await fresh();
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
        timeout,
      );
    });

    describe("close", () => {
      it(
        "after close() every method throws DEST_CLOSED",
        async () => {
          const destination = await fresh();
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
        },
        timeout,
      );
    });

    if (declaresFaults) {
      describe("transient failures", () => {
        it(
          "an unreachable destination fails with DEST_TRANSIENT and recovers without a partial object",
          async () => {
            const destination = await fresh();
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
          Math.max(timeout, 120_000),
        );
      });
    }

    it(
      "every error thrown in this suite was a DestinationError with a known code or a TypeError",
      async () => {
        // Provoke each kind once more so this case means something when run alone.
        const destination = await fresh();
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
      timeout,
    );
  });
}
