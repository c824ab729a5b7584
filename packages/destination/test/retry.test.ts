// Retrying DEST_TRANSIENT: withRetry() around flaky memory destinations, and the same policy
// inside BaseDestination. Delays are made tiny and deterministic (random: () => 0 halves each
// ceiling) so attempt counts, not clocks, carry the assertions.
import {
  BaseDestination,
  createMemoryDestination,
  type Destination,
  type DestinationCapabilities,
  DestinationError,
  defaultRetryPolicy,
  type LoadOptions,
  type ObjectInfo,
  type RetryOption,
  resolveRetryPolicy,
  retryDelayMs,
  type SaveOptions,
  withRetry,
} from "@ewsvault/destination";
import {
  collect,
  expectBytes,
  expectDestinationError,
  listNames,
  randomBytes,
} from "@ewsvault/destination/testing";
import { describe, expect, it } from "vitest";

const fast = { initialDelayMs: 2, maxDelayMs: 10, random: () => 0 } as const;

describe("withRetry around a flaky memory destination", () => {
  it("retries transient failures of every operation until they succeed, counting attempts", async () => {
    const memory = createMemoryDestination();
    const destination = withRetry(memory, { ...fast, maxAttempts: 4 });
    memory.injectFault({ operation: "save", code: "DEST_TRANSIENT", times: 3 });
    await destination.save("a", randomBytes(10, 1));
    expect(memory.stats.calls.save).toBe(4);
    for (const operation of ["load", "stat", "remove"] as const) {
      memory.injectFault({ operation, code: "DEST_TRANSIENT", times: 2 });
    }
    expectBytes(await destination.load("a"), randomBytes(10, 1));
    expect((await destination.stat("a")).size).toBe(10);
    await destination.remove("a");
    expect(memory.stats.calls).toMatchObject({ load: 3, stat: 3, remove: 3 });
    memory.injectFault({ operation: "list", code: "DEST_TRANSIENT", times: 1 });
    await memory.save("b", randomBytes(1));
    expect(await listNames(destination)).toEqual(["b"]);
    expect(memory.stats.calls.list).toBe(2);
    expect(memory.stats.injectedFailures).toBe(3 + 2 * 3 + 1);
  });

  it("gives up after maxAttempts with the last DEST_TRANSIENT", async () => {
    const memory = createMemoryDestination();
    const destination = withRetry(memory, { ...fast, maxAttempts: 3 });
    memory.injectFault({ operation: "save", code: "DEST_TRANSIENT", times: Number.POSITIVE_INFINITY });
    const error = await expectDestinationError(destination.save("x", randomBytes(5)), "DEST_TRANSIENT");
    expect(error.transient).toBe(true);
    expect(memory.stats.calls.save).toBe(3);
    expect(memory.snapshot().size).toBe(0);
  });

  it("never retries other codes", async () => {
    const memory = createMemoryDestination();
    const destination = withRetry(memory, { ...fast, maxAttempts: 5 });
    await memory.save("x", randomBytes(5));
    for (const code of ["DEST_PERMISSION", "DEST_FULL", "DEST_IO", "DEST_CONFIG"] as const) {
      memory.clearFaults();
      memory.injectFault({ operation: "*", code, times: Number.POSITIVE_INFINITY });
      const before = memory.stats.calls;
      await expectDestinationError(destination.save("y", randomBytes(5)), code);
      await expectDestinationError(destination.load("x"), code);
      await expectDestinationError(destination.stat("x"), code);
      await expectDestinationError(destination.remove("x"), code);
      await expectDestinationError(() => collect(destination.list()), code);
      const after = memory.stats.calls;
      for (const operation of ["save", "load", "stat", "remove", "list"] as const) {
        expect(after[operation] - before[operation], `${code} ${operation}`).toBe(1);
      }
    }
    memory.clearFaults();
    await expectDestinationError(destination.load("missing"), "DEST_NOT_FOUND");
    await expectDestinationError(
      destination.save("x", randomBytes(1), { exclusive: true }),
      "DEST_ALREADY_EXISTS",
    );
    await expect(destination.load("../x")).rejects.toBeInstanceOf(TypeError);
    // One load per code above, one for "missing"; the invalid name never reached the destination.
    expect(memory.stats.calls.load).toBe(4 + 1);
  });

  it("an abort while waiting to retry rejects with the reason and starts no further attempt", async () => {
    const memory = createMemoryDestination();
    const destination = withRetry(memory, { maxAttempts: 10, initialDelayMs: 60_000, maxDelayMs: 60_000 });
    memory.injectFault({ operation: "save", code: "DEST_TRANSIENT", times: Number.POSITIVE_INFINITY });
    const controller = new AbortController();
    const reason = new Error("stop retrying");
    const saving = destination.save("x", randomBytes(5), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    controller.abort(reason);
    await expect(saving).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(memory.stats.calls.save).toBe(1);
    // An already aborted signal: one attempt at most, rejected with the reason.
    await expect(destination.load("x", { signal: controller.signal })).rejects.toBe(reason);
    expect(memory.stats.calls.load).toBeLessThanOrEqual(1);
  });

  it("an exclusive save whose answer was lost succeeds on retry; a real competitor still wins", async () => {
    const memory = createMemoryDestination();
    let loseAnswers = 1;
    // The write lands, then the caller hears DEST_TRANSIENT (a reset after the server stored it).
    const lossy: Destination = {
      ...memory,
      description: memory.description,
      capabilities: memory.capabilities,
      save: async (name: string, data: Uint8Array, options?: SaveOptions) => {
        await memory.save(name, data, options);
        if (loseAnswers-- > 0) throw new DestinationError("DEST_TRANSIENT", "answer lost");
      },
      load: (name: string, options?: LoadOptions) => memory.load(name, options),
      stat: (name: string) => memory.stat(name),
      list: (prefix?: string) => memory.list(prefix),
      remove: (name: string) => memory.remove(name),
      close: () => memory.close(),
    };
    const destination = withRetry(lossy, { ...fast, maxAttempts: 3 });
    const lock = randomBytes(32, 7);
    await destination.save("locks/mine", lock, { exclusive: true });
    expect(memory.stats.calls.save).toBe(2);
    expectBytes(await memory.load("locks/mine"), lock);
    // Someone else's lock is not mistaken for ours.
    await memory.save("locks/theirs", randomBytes(32, 8));
    loseAnswers = 0;
    await expectDestinationError(
      destination.save("locks/theirs", randomBytes(32, 9), { exclusive: true }),
      "DEST_ALREADY_EXISTS",
    );
  });

  it("a listing that fails part-way is restarted and still yields each object once", async () => {
    const memory = createMemoryDestination();
    for (let i = 0; i < 5; i++) await memory.save(`l/${i}`, randomBytes(1, i));
    let failAfter = 3;
    const flakyList: Destination = {
      ...withRetry(memory, false),
      list: (prefix?: string) =>
        (async function* () {
          for await (const info of memory.list(prefix)) {
            if (failAfter-- === 0)
              throw new DestinationError("DEST_TRANSIENT", "connection reset mid-listing");
            yield info;
          }
        })(),
    };
    const destination = withRetry(flakyList, { ...fast, maxAttempts: 2 });
    const names = (await collect(destination.list("l/"))).map((info: ObjectInfo) => info.name);
    expect(names.sort()).toEqual(["l/0", "l/1", "l/2", "l/3", "l/4"]);
    expect(memory.stats.calls.list).toBe(2);
  });
});

describe("retry policy", () => {
  it("defaults, false, and malformed values", () => {
    expect(resolveRetryPolicy(undefined)).toEqual(defaultRetryPolicy);
    expect(resolveRetryPolicy(false).maxAttempts).toBe(1);
    expect(resolveRetryPolicy({ maxAttempts: 2 })).toMatchObject({ maxAttempts: 2, initialDelayMs: 250 });
    for (const bad of [
      { maxAttempts: 0 },
      { maxAttempts: 1.5 },
      { initialDelayMs: -1 },
      { maxDelayMs: Number.NaN },
    ]) {
      expect(() => resolveRetryPolicy(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
    expect(() => resolveRetryPolicy("often" as unknown as RetryOption)).toThrow(TypeError);
  });

  it("back-off doubles up to the cap, with jitter between half the ceiling and the ceiling", () => {
    const low = { ...defaultRetryPolicy, random: () => 0 };
    const high = { ...defaultRetryPolicy, random: () => 0.999_999 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(low, n))).toEqual([
      125, 250, 500, 1000, 2000, 4000, 4000,
    ]);
    expect(retryDelayMs(high, 1)).toBeCloseTo(250, 3);
    expect(retryDelayMs(high, 10)).toBeCloseTo(8000, 2);
    const samples = Array.from({ length: 200 }, () => retryDelayMs(defaultRetryPolicy, 2));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...samples)).toBeLessThanOrEqual(500);
    expect(new Set(samples).size).toBeGreaterThan(100);
  });
});

/** The smallest BaseDestination: a Map whose storage calls fail transiently on demand. */
class FlakyStore extends BaseDestination {
  readonly description = "flaky-store";
  readonly capabilities: DestinationCapabilities = {
    maxConnections: 1,
    atomicReplace: true,
    rangedReads: false,
    listAfterWriteConsistent: true,
  };
  readonly objects = new Map<string, Uint8Array>();
  failures = 0;
  attempts = 0;

  constructor(retry: RetryOption) {
    super(retry);
  }

  #flaky(): void {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    }
  }

  protected async saveObject(name: string, data: Uint8Array): Promise<void> {
    this.#flaky();
    this.objects.set(name, data.slice());
  }
  protected async loadObject(name: string): Promise<Uint8Array> {
    this.#flaky();
    const data = this.objects.get(name);
    if (data === undefined) throw new DestinationError("DEST_NOT_FOUND", name);
    return data.slice();
  }
  protected async statObject(name: string): Promise<ObjectInfo> {
    return { name, size: (await this.loadObject(name)).length };
  }
  protected async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    this.#flaky();
    for (const [name, data] of this.objects) if (name.startsWith(prefix)) yield { name, size: data.length };
  }
  protected async removeObject(name: string): Promise<void> {
    this.#flaky();
    this.objects.delete(name);
  }
  protected async closeStorage(): Promise<void> {}
  protected mapError(error: unknown): unknown {
    if (error instanceof DestinationError) return error;
    return new DestinationError("DEST_TRANSIENT", "storage call failed", { cause: error });
  }
}

describe("BaseDestination", () => {
  it("maps storage failures through mapError and retries the transient ones under its policy", async () => {
    const store = new FlakyStore({ ...fast, maxAttempts: 3 });
    store.failures = 2;
    await store.save("a", randomBytes(4, 1));
    expect(store.attempts).toBe(3);
    store.failures = 3;
    const error = await expectDestinationError(store.load("a"), "DEST_TRANSIENT");
    expect((error.cause as { code?: string }).code).toBe("ECONNRESET");
    expect(store.attempts).toBe(6);
    await expectDestinationError(store.load("missing"), "DEST_NOT_FOUND");
    expect(store.attempts).toBe(7);
    expect(store.retryPolicy.maxAttempts).toBe(3);
  });

  it("validates before any storage call, refuses calls after close, rejects aborted calls with the reason", async () => {
    const store = new FlakyStore(false);
    await expect(store.save("a//b", randomBytes(1))).rejects.toBeInstanceOf(TypeError);
    await expect(store.save("a", "text" as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
    await expect(store.load("a", { offset: -1 })).rejects.toBeInstanceOf(TypeError);
    await expect(collect(store.list("/abs"))).rejects.toBeInstanceOf(TypeError);
    expect(store.attempts).toBe(0);
    const controller = new AbortController();
    controller.abort(new Error("aborted before the call"));
    await expect(store.save("a", randomBytes(1), { signal: controller.signal })).rejects.toBe(
      controller.signal.reason,
    );
    expect(store.attempts).toBe(0);
    store.failures = 1;
    await expectDestinationError(store.save("a", randomBytes(1)), "DEST_TRANSIENT");
    expect(store.attempts).toBe(1);
    await store.close();
    await store.close();
    await expectDestinationError(store.stat("a"), "DEST_CLOSED");
    await expectDestinationError(() => collect(store.list()), "DEST_CLOSED");
    expect(store.attempts).toBe(1);
  });
});
