// A run's one AbortSignal is shared by every request it makes. Waiters (gate slots, byte budget,
// retry delays) subscribe through one listener per signal, so Node never sees more than a
// handful of abort listeners on it, however many requests wait: the MaxListenersExceededWarning
// the demo printed came from one listener per waiting request.
import { getEventListeners } from "node:events";
import { onAbort } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { AdaptiveConcurrencyGate } from "../src/concurrency-gate.js";
import { ByteBudget } from "../src/index.js";
import { sleep } from "../src/retry.js";

describe("abort subscriptions", () => {
  it("many waiters on one signal add one listener, and all are told when it aborts", async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const gate = new AdaptiveConcurrencyGate({ initial: 1, max: 1 });
      const held = await gate.acquire(signal);
      const gateWaiters = Array.from({ length: 40 }, () => gate.acquire(signal));
      const budget = new ByteBudget(10);
      await budget.acquire(10, signal);
      const budgetWaiters = Array.from({ length: 40 }, () => budget.acquire(5, signal));
      const sleepers = Array.from({ length: 40 }, () => sleep(60_000, signal));
      expect(getEventListeners(signal, "abort").length).toBeLessThanOrEqual(3);
      controller.abort();
      const outcomes = await Promise.allSettled([...gateWaiters, ...budgetWaiters, ...sleepers]);
      expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
      for (const outcome of outcomes) {
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: "EWS_ABORTED" });
      }
      gate.release("success", held);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("an unsubscribed waiter is not called, and a settled wait leaves no subscriber behind", async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const stop = onAbort(controller.signal, () => calls.push("a"));
    onAbort(controller.signal, () => calls.push("b"));
    stop();
    for (let i = 0; i < 50; i++) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, "abort").length).toBe(1);
    controller.abort();
    expect(calls).toEqual(["b"]);
  });
});
