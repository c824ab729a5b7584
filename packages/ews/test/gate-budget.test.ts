// Unit tests of the flow-control parts: the adaptive concurrency gate's AIMD, the byte budget,
// export batch planning and the retry delays.
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import {
  AdaptiveConcurrencyGate,
  ByteBudget,
  estimatedExportBytes,
  MAX_ITEMS_PER_BATCH,
  planExportBatches,
  resolveRetryOptions,
  retryDelay,
} from "../src/index.js";

describe("AdaptiveConcurrencyGate (AIMD on throttling that names no cause)", () => {
  it("halves on throttling (once per cooldown), grows about one slot per window of successes, never above max", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8, cooldownMs: 0 });
    expect(gate.limit).toBe(8);
    await gate.acquire();
    gate.release("throttled");
    expect(gate.limit).toBe(4);
    await gate.acquire();
    gate.release("throttled");
    expect(gate.limit).toBe(2);
    for (let i = 0; i < 3; i++) {
      await gate.acquire();
      gate.release("success");
    }
    expect(gate.limit).toBeGreaterThan(3);
    expect(gate.limit).toBeLessThan(4);
    for (let i = 0; i < 500; i++) {
      await gate.acquire();
      gate.release("success");
    }
    expect(gate.limit).toBe(8);
    for (let i = 0; i < 10; i++) {
      await gate.acquire();
      gate.release("throttled");
    }
    expect(gate.limit).toBe(1);
    expect(gate.snapshot()).toMatchObject({ throttleEvents: 12, cuts: 12, inFlight: 0, max: 8 });
  });

  it("one burst of throttled answers is one cut within the cooldown", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8, cooldownMs: 10_000 });
    for (let i = 0; i < 4; i++) await gate.acquire();
    for (let i = 0; i < 4; i++) gate.release("throttled");
    expect(gate.limit).toBe(4);
    expect(gate.snapshot().cuts).toBe(1);
  });

  it("with tickets, throttled answers to requests admitted before the last cut do not cut again", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8, cooldownMs: 0 });
    const tickets = await Promise.all(Array.from({ length: 8 }, () => gate.acquire()));
    for (const ticket of tickets) gate.release("throttled", ticket);
    expect(gate.limit).toBe(4);
    const later = await gate.acquire();
    gate.release("throttled", later);
    expect(gate.limit).toBe(2);
    expect(gate.snapshot()).toMatchObject({ cuts: 2, throttleEvents: 9 });
  });

  it("admits at most floor(limit) holders and queues the rest in order; aborting a waiter rejects it", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 2 });
    await gate.acquire();
    await gate.acquire();
    const order: number[] = [];
    const third = gate.acquire().then(() => order.push(3));
    const controller = new AbortController();
    const aborted = gate.acquire(controller.signal);
    const fifth = gate.acquire().then(() => order.push(5));
    expect(gate.snapshot().waiting).toBe(3);
    controller.abort();
    await expect(aborted).rejects.toSatisfy((e: unknown) => isEwsVaultError(e, "EWS_ABORTED"));
    gate.release("success");
    await third;
    gate.release("success");
    await fifth;
    expect(order).toEqual([3, 5]);
    expect(gate.inFlight).toBe(2);
  });
});

describe("ByteBudget", () => {
  it("blocks reservations beyond capacity until bytes are released, FIFO, and tracks the peak", async () => {
    const budget = new ByteBudget(100);
    const a = await budget.acquire(60);
    let bGranted = false;
    const b = budget.acquire(50).then((n) => {
      bGranted = true;
      return n;
    });
    let cGranted = false;
    const c = budget.acquire(10).then(() => {
      cGranted = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    // c would fit, but b is first in line: no starvation of large reservations.
    expect([bGranted, cGranted]).toEqual([false, false]);
    budget.release(a);
    expect(await b).toBe(50);
    await c;
    expect(budget.inUse).toBe(60);
    expect(budget.snapshot().peak).toBe(60);
  });

  it("clamps a reservation larger than the capacity so a huge item can pass alone", async () => {
    const budget = new ByteBudget(100);
    expect(await budget.acquire(1_000)).toBe(100);
    expect(budget.forceAcquire(20)).toBe(20);
    expect(budget.inUse).toBe(120);
    budget.release(120);
    expect(budget.inUse).toBe(0);
  });
});

describe("export batch planning", () => {
  it("keeps every batch's estimated response under the cap and sends unknown or oversized items alone", () => {
    const cap = 64 * 1024;
    const items = [
      ...Array.from({ length: 40 }, (_, i) => ({ itemId: `s${i}`, size: 3000 + i * 100 })),
      { itemId: "unknown" },
      { itemId: "huge", size: 1_000_000 },
      ...Array.from({ length: 300 }, (_, i) => ({ itemId: `tiny${i}`, size: 10 })),
    ];
    const batches = planExportBatches(items, cap);
    expect(
      batches
        .flat()
        .map((b) => b.itemId)
        .sort(),
    ).toEqual(items.map((i) => i.itemId).sort());
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(MAX_ITEMS_PER_BATCH);
      if (batch.length > 1) {
        const estimate = batch.reduce((sum, item) => sum + estimatedExportBytes(item.size ?? 0), 0);
        expect(estimate).toBeLessThanOrEqual(cap);
      }
    }
    expect(batches.find((b) => b.some((i) => i.itemId === "unknown"))).toHaveLength(1);
    expect(batches.find((b) => b.some((i) => i.itemId === "huge"))).toHaveLength(1);
    // base64 growth is accounted for: 48 KiB of item data cannot share a 64 KiB response.
    expect(estimatedExportBytes(48 * 1024)).toBeGreaterThan(64 * 1024);
  });
});

describe("retry delays", () => {
  it("full jitter under a capped exponential; a server hint is a floor", () => {
    const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(retryDelay(options, 1, undefined, () => 0.999)).toBeLessThanOrEqual(100);
    expect(retryDelay(options, 3, undefined, () => 0.999)).toBeLessThanOrEqual(400);
    expect(retryDelay(options, 30, undefined, () => 0.999)).toBeLessThanOrEqual(1000);
    expect(retryDelay(options, 3, undefined, () => 0)).toBe(0);
    expect(retryDelay(options, 1, 5000, () => 0)).toBe(5000);
    expect(retryDelay(options, 1, 5000, () => 1)).toBe(7500);
    expect(retryDelay(resolveRetryOptions({ maxServerDelayMs: 2000 }), 1, 10_000_000, () => 0)).toBe(2000);
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(TypeError);
  });
});
