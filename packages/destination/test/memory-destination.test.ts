// The memory destination beyond the conformance suite: fault injection, the byte quota, the
// counters other packages' tests assert on.
import {
  createMemoryDestination,
  DestinationError,
  MemoryDestination,
  resolveLoadRange,
  validateLoadOptions,
} from "@ewsvault/destination";
import {
  collect,
  expectBytes,
  expectDestinationError,
  expectTypeError,
  listNames,
  mapWithConcurrency,
  randomBytes,
  sameBytes,
} from "@ewsvault/destination/testing";
import { describe, expect, it } from "vitest";

describe("memory destination fault injection", () => {
  it("fails the nth save with the given code, once, and stores nothing for it", async () => {
    const destination = createMemoryDestination({
      faults: { rules: [{ operation: "save", code: "DEST_TRANSIENT", nth: 3 }] },
    });
    await destination.save("a", randomBytes(1));
    await destination.save("b", randomBytes(1));
    const error = await expectDestinationError(destination.save("c", randomBytes(1)), "DEST_TRANSIENT");
    expect(error.transient).toBe(true);
    await expectDestinationError(destination.load("c"), "DEST_NOT_FOUND");
    await destination.save("c", randomBytes(1));
    expect(await listNames(destination)).toEqual(["a", "b", "c"]);
    expect(destination.stats.injectedFailures).toBe(1);
    expect(destination.stats.calls.save).toBe(4);
  });

  it("rules can target a prefix, any operation, and a run of calls; clearFaults removes them", async () => {
    const destination = createMemoryDestination();
    await destination.save("data/x", randomBytes(5));
    destination.injectFault({ operation: "*", code: "DEST_IO", prefix: "data/", nth: 2, times: 2 });
    await destination.load("data/x"); // 1st matching call passes
    await expectDestinationError(destination.stat("data/x"), "DEST_IO");
    await expectDestinationError(destination.remove("data/x"), "DEST_IO");
    await destination.save("other", randomBytes(1)); // not under the prefix
    expect((await destination.stat("data/x")).size).toBe(5); // 4th matching call passes
    destination.injectFault({ operation: "list", code: "DEST_PERMISSION", times: Number.POSITIVE_INFINITY });
    await expectDestinationError(() => collect(destination.list()), "DEST_PERMISSION");
    await expectDestinationError(() => collect(destination.list("data/")), "DEST_PERMISSION");
    destination.clearFaults();
    expect(await listNames(destination)).toEqual(["data/x", "other"]);
  });

  it("rejects malformed rules with TypeError", async () => {
    const destination = createMemoryDestination();
    await expectTypeError(() => destination.injectFault({ operation: "save", code: "NOPE" as never }));
    await expectTypeError(() => destination.injectFault({ operation: "save", code: "DEST_IO", nth: 0 }));
    await expectTypeError(() => destination.injectFault({ operation: "save", code: "DEST_IO", times: 0 }));
    await expectTypeError(() => createMemoryDestination({ capabilities: { maxConnections: 0 } }));
  });

  it("a byte quota makes saves fail with DEST_FULL, counting replacements by their net growth", async () => {
    const destination = createMemoryDestination({ faults: { quotaBytes: 1000 } });
    await destination.save("a", randomBytes(600, 1));
    await expectDestinationError(destination.save("b", randomBytes(500)), "DEST_FULL");
    await expectDestinationError(destination.load("b"), "DEST_NOT_FOUND");
    // Replacing a with 900 bytes grows usage by 300 only: it fits.
    await destination.save("a", randomBytes(900, 2));
    expect(destination.usedBytes).toBe(900);
    await destination.remove("a");
    expect(destination.usedBytes).toBe(0);
    destination.quotaBytes = 10;
    await expectDestinationError(destination.save("c", randomBytes(11)), "DEST_FULL");
    destination.quotaBytes = undefined;
    await destination.save("c", randomBytes(5000));
    expect(destination.usedBytes).toBe(5000);
  });

  it("latency makes concurrency observable through peakInFlight", async () => {
    const destination = createMemoryDestination({ faults: { latencyMs: 5 } });
    await mapWithConcurrency(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      (i) => destination.save(`p/${i}`, randomBytes(10, i)),
    );
    expect(destination.stats.peakInFlight).toBe(4);
    expect(destination.stats.inFlight).toBe(0);
    destination.latencyMs = 0;
    await Promise.all(Array.from({ length: 7 }, (_, i) => destination.load(`p/${i}`)));
    expect(destination.stats.peakInFlight).toBe(7);
  });

  it("listLagMs delays what list() sees, while load and stat see the latest state", async () => {
    const destination = createMemoryDestination({ faults: { listLagMs: 100 } });
    expect(destination.listLagMs).toBe(100);
    await destination.save("a", randomBytes(3));
    expect(await listNames(destination)).toEqual([]);
    expect((await destination.stat("a")).size).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await listNames(destination)).toEqual(["a"]);
    await destination.remove("a");
    expect(await listNames(destination)).toEqual(["a"]);
    await expectDestinationError(destination.load("a"), "DEST_NOT_FOUND");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await listNames(destination)).toEqual([]);
    await expectTypeError(() => createMemoryDestination({ faults: { listLagMs: -1 } }));
  });

  it("snapshot() returns copies and works after close()", async () => {
    const destination = createMemoryDestination({ description: "memory:test" });
    expect(destination).toBeInstanceOf(MemoryDestination);
    expect(destination.description).toBe("memory:test");
    await destination.save("x", Uint8Array.of(1, 2, 3));
    await destination.close();
    const snapshot = destination.snapshot();
    expect([...snapshot.keys()]).toEqual(["x"]);
    snapshot.get("x")?.fill(9);
    expectBytes(destination.snapshot().get("x"), Uint8Array.of(1, 2, 3));
  });

  it("close() during an operation with latency fails it with DEST_CLOSED and stores nothing", async () => {
    const destination = createMemoryDestination({ faults: { latencyMs: 20 } });
    const pending = destination.save("late", randomBytes(10));
    await destination.close();
    await expectDestinationError(pending, "DEST_CLOSED");
    expect(destination.snapshot().size).toBe(0);
  });

  it("an aborted signal rejects with its reason and stores nothing", async () => {
    const destination = createMemoryDestination({ faults: { latencyMs: 10 } });
    const controller = new AbortController();
    const pending = destination.save("x", randomBytes(10), { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
    await expectDestinationError(destination.load("x"), "DEST_NOT_FOUND");
  });
});

describe("range helpers", () => {
  it("resolveLoadRange follows the contract", () => {
    expect(resolveLoadRange(10, undefined)).toEqual({ start: 0, end: 10 });
    expect(resolveLoadRange(10, { offset: 3 })).toEqual({ start: 3, end: 10 });
    expect(resolveLoadRange(10, { offset: 3, length: 100 })).toEqual({ start: 3, end: 10 });
    expect(resolveLoadRange(10, { length: 0 })).toEqual({ start: 0, end: 0 });
    expect(resolveLoadRange(0, { offset: 0 })).toEqual({ start: 0, end: 0 });
    for (const [size, offset] of [
      [10, 10],
      [10, 11],
      [0, 1],
    ] as const) {
      let error: unknown;
      try {
        resolveLoadRange(size, { offset });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DestinationError);
      expect((error as DestinationError).code).toBe("DEST_RANGE_NOT_SATISFIABLE");
    }
    expect(() => validateLoadOptions({ offset: -1 })).toThrow(TypeError);
    expect(() => validateLoadOptions({ length: 2 ** 60 })).toThrow(TypeError);
    expect(() => validateLoadOptions(null as never)).toThrow(TypeError);
  });
});

describe("testing helpers", () => {
  it("randomBytes is deterministic per (n, seed) and differs across seeds", () => {
    expect(sameBytes(randomBytes(1001, 5), randomBytes(1001, 5))).toBe(true);
    expect(sameBytes(randomBytes(1001, 5), randomBytes(1001, 6))).toBe(false);
    expect(sameBytes(randomBytes(10, 5), randomBytes(1001, 5).subarray(0, 10))).toBe(true);
    expect(randomBytes(0).length).toBe(0);
    // Not degenerate: every byte value shows up in 64 KiB.
    expect(new Set(randomBytes(65_536, 1)).size).toBe(256);
    expect(() => randomBytes(-1)).toThrow(TypeError);
  });

  it("mapWithConcurrency keeps order and bounds concurrency", async () => {
    let active = 0;
    let peak = 0;
    const out = await mapWithConcurrency([5, 4, 3, 2, 1], 2, async (value) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, value));
      active--;
      return value * 10;
    });
    expect(out).toEqual([50, 40, 30, 20, 10]);
    expect(peak).toBe(2);
  });
});
