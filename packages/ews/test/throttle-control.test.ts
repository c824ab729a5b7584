// The gate's concurrency ceiling and the request pacer, on a fake clock: what Exchange's two
// throttling answers (ErrorExceededConnectionCount, ErrorServerBusy + BackOffMilliseconds) must
// and must not do to the client, and a simulated account with both limits end to end.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AdaptiveConcurrencyGate, type GateTicket, RequestPacer } from "../src/index.js";

/** A per-account request budget as Exchange (and the mock) keeps it: burst, then `rate` per second. */
class SimulatedBudget {
  private tokens: number;
  private at = 0;
  constructor(
    private readonly burst: number,
    private readonly rate: number,
  ) {
    this.tokens = burst;
  }
  /** 0 when the request may run, else the BackOffMilliseconds Exchange would send. */
  take(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
  }
}

describe("RequestPacer", () => {
  it("learns the recharge rate from refusals and then stays under it (few refusals, near the bound)", () => {
    for (const [burst, rate] of [
      [40, 20],
      [10, 5],
      [200, 80],
    ] as const) {
      const budget = new SimulatedBudget(burst, rate);
      const pacer = new RequestPacer();
      let now = 0;
      let seq = 0;
      let served = 0;
      let refused = 0;
      let resumeAt = 0;
      // Unbounded demand: a request goes whenever the pause and the pacer allow, 2 ms apart at most.
      while (now < 30_000) {
        const wait = Math.max(resumeAt - now, pacer.delay(now), 2);
        now += wait;
        pacer.take(now);
        seq++;
        const hint = budget.take(now);
        if (hint === 0) {
          served++;
          continue;
        }
        refused++;
        pacer.refused(seq);
        resumeAt = now + 1 + hint;
        pacer.budgetRefusal(seq, now, hint, resumeAt, now + 1);
      }
      const bound = burst + rate * 30;
      expect(refused, `${burst}/${rate}`).toBeLessThanOrEqual(6);
      expect(served / bound, `${burst}/${rate}`).toBeGreaterThan(0.9);
      const estimate = pacer.snapshot().estimatedRate ?? 0;
      expect(Math.abs(estimate - rate) / rate, `${burst}/${rate}`).toBeLessThan(0.1);
    }
  });

  it("after one refusal paces at the hint's bound from the end of the pause, not before", () => {
    const pacer = new RequestPacer();
    expect(pacer.delay(0)).toBe(0);
    pacer.take(0);
    pacer.refused(1);
    pacer.budgetRefusal(1, 0, 100, 100, 0);
    expect(pacer.snapshot()).toMatchObject({ rate: 10, estimatedRate: undefined, refusals: 1 });
    expect(pacer.delay(40)).toBe(60);
    expect(pacer.delay(100)).toBe(0);
    pacer.take(100);
    expect(pacer.delay(100)).toBe(100);
  });

  it("does not count throttled requests between two refusals as budget spent", () => {
    const pacer = new RequestPacer();
    pacer.refused(1);
    pacer.budgetRefusal(1, 0, 50, 50, 0);
    // Seqs 2..11 went out, 2..6 were refused for concurrency: five accepted in 500 ms.
    for (const seq of [2, 3, 4, 5, 6]) pacer.refused(seq);
    pacer.refused(12);
    pacer.budgetRefusal(12, 500, 50, 550, 500);
    expect(pacer.snapshot().estimatedRate).toBeCloseTo(10, 5);
  });

  it("probes upwards only while requests wait for it, and forgets the budget after a quiet spell", () => {
    const pacer = new RequestPacer({ probeIntervalMs: 1000, probeStep: 0.1, forgetAfterMs: 60_000 });
    pacer.refused(1);
    // Answers 100 ms after sending: the server decided within that window.
    pacer.budgetRefusal(1, 0, 100, 200, 100);
    pacer.refused(12);
    // 10 accepted over 1000 ms of recharge: 10 requests/s, paced at 9.5.
    pacer.budgetRefusal(12, 1000, 100, 1200, 1100);
    expect(pacer.snapshot().rate).toBeCloseTo(9.5, 5);
    // Idle for a while: no request waited for the pacer, so no probe.
    expect(pacer.delay(20_000)).toBe(0);
    expect(pacer.snapshot().rate).toBeCloseTo(9.5, 5);
    pacer.take(20_000);
    pacer.take(20_000);
    expect(pacer.delay(20_000)).toBeGreaterThan(0);
    // Rough estimate (round trips 10 % of the span): probes every interval / 2.
    expect(pacer.snapshot().uncertainty).toBeCloseTo(0.1, 5);
    expect(pacer.delay(20_300)).toBe(0);
    expect(pacer.snapshot().rate).toBeCloseTo(9.5 * 1.1, 5);
    expect(pacer.delay(61_100)).toBe(0);
    expect(pacer.snapshot()).toMatchObject({ rate: undefined, estimatedRate: undefined, refusals: 0 });
  });

  it("with a precise estimate probes only every probeIntervalMs, by probeStep", () => {
    const pacer = new RequestPacer({ probeIntervalMs: 1000, probeStep: 0.1 });
    pacer.refused(1);
    pacer.budgetRefusal(1, 0, 100, 102, 2);
    pacer.refused(12);
    pacer.budgetRefusal(12, 1000, 100, 1102, 1002);
    expect(pacer.snapshot().estimatedRate).toBeCloseTo(10, 5);
    pacer.take(1102);
    expect(pacer.delay(1200)).toBeGreaterThan(0);
    expect(pacer.delay(1500)).toBe(0);
    expect(pacer.snapshot().rate).toBeCloseTo(9.5, 5);
    pacer.take(1500);
    pacer.take(1500);
    expect(pacer.delay(1600)).toBeGreaterThan(0);
    expect(pacer.delay(2100)).toBe(0);
    expect(pacer.snapshot().rate).toBeCloseTo(9.5 * 1.1, 5);
  });

  it("learns one request at a time until a second refusal, ten successes or two seconds", () => {
    const byTime = new RequestPacer();
    byTime.refused(1);
    byTime.budgetRefusal(1, 0, 100, 100, 0);
    expect(byTime.learning(1999)).toBe(true);
    expect(byTime.learning(2000)).toBe(false);
    const bySuccesses = new RequestPacer();
    bySuccesses.refused(1);
    bySuccesses.budgetRefusal(1, 0, 10, 10, 0);
    expect(bySuccesses.snapshot().rate).toBe(100);
    for (let i = 0; i < 9; i++) bySuccesses.succeeded(100 * (i + 1));
    expect(bySuccesses.learning(900)).toBe(true);
    // Ten successes in one second, one at a time: at most twice that (20/s), not the bound (100/s).
    bySuccesses.succeeded(1000);
    expect(bySuccesses.learning(1000)).toBe(false);
    expect(bySuccesses.snapshot().rate).toBeCloseTo(20, 5);
    // The estimate caps at the tightest hint bound: a 10 ms slope of 1 request would say 100/s.
    const capped = new RequestPacer();
    capped.refused(1);
    capped.budgetRefusal(1, 0, 40, 40, 0);
    capped.refused(3);
    capped.budgetRefusal(3, 10, 40, 50, 10);
    expect(capped.snapshot().estimatedRate).toBe(25);
  });

  it("rejects nonsense options with TypeError", () => {
    expect(() => new RequestPacer({ headroom: 0 })).toThrow(TypeError);
    expect(() => new RequestPacer({ burst: 0.5 })).toThrow(TypeError);
    expect(() => new RequestPacer({ windowMs: 0 })).toThrow(TypeError);
  });
});

describe("AdaptiveConcurrencyGate: ceiling and pacing", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function admit(gate: AdaptiveConcurrencyGate, n: number): Promise<GateTicket[]> {
    return Promise.all(Array.from({ length: n }, () => gate.acquire()));
  }

  it("starts at min(max, 4) and ramps one slot at a time: every 25 ms at most, one above what succeeded", async () => {
    expect(new AdaptiveConcurrencyGate({ max: 2 }).limit).toBe(2);
    const gate = new AdaptiveConcurrencyGate({ max: 16 });
    expect(gate.limit).toBe(4);
    // Four successes at 4 in flight, all in the same instant: one slot (none could have seen the
    // refusal of a fifth yet).
    for (const ticket of await admit(gate, 4)) gate.release("success", ticket);
    expect(gate.limit).toBe(5);
    vi.advanceTimersByTime(25);
    for (const ticket of await admit(gate, 5)) gate.release("success", ticket);
    expect(gate.limit).toBe(6);
    // Successes at lower concurrency validate nothing new: no growth past 5 + 1, however long.
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(25);
      gate.release("success", await gate.acquire());
    }
    expect(gate.limit).toBe(6);
    // After any throttled answer: congestion avoidance, about one slot per window of successes.
    gate.release("throttled", await gate.acquire(), { kind: "budget", backOffMs: 1 });
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(25);
      gate.release("success", await gate.acquire());
    }
    expect(gate.limit).toBeGreaterThan(6.9);
    expect(gate.limit).toBeLessThan(7.1);
  });

  it("a concurrency refusal sets a ceiling that successes do not probe above until it decays", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 16, initial: 16, ceilingDecayMs: 60_000 });
    const tickets = await admit(gate, 7);
    // The 7th request in flight was refused: the server allows the 6 others.
    gate.release("throttled", tickets[6], { kind: "concurrency" });
    expect(gate.limit).toBe(6);
    expect(gate.snapshot()).toMatchObject({ ceiling: 6, cuts: 1, throttledBy: { concurrency: 1 } });
    for (const ticket of tickets.slice(0, 6)) gate.release("success", ticket);
    for (let i = 0; i < 1000; i++) gate.release("success", await gate.acquire());
    expect(gate.limit).toBe(6);
    vi.advanceTimersByTime(60_000);
    for (let i = 0; i < 50; i++) gate.release("success", await gate.acquire());
    expect(gate.snapshot().ceiling).toBe(7);
    expect(gate.limit).toBe(7);
  });

  it("budget refusals never shrink concurrency (the pacer handles them)", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8 });
    for (let i = 0; i < 50; i++) {
      const ticket = gate.acquire();
      await vi.advanceTimersByTimeAsync(200);
      gate.release("throttled", await ticket, { kind: "budget", backOffMs: 50 });
    }
    expect(gate.limit).toBe(8);
    expect(gate.snapshot()).toMatchObject({ ceiling: 8, cuts: 0, throttledBy: { budget: 50 } });
  });

  it("after a budget refusal nobody goes before BackOffMilliseconds, then requests are spaced by the pacer", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8 });
    const first = await gate.acquire();
    gate.sent(first);
    gate.release("throttled", first, { kind: "budget", backOffMs: 100 });
    const started = Date.now();
    const admitted: number[] = [];
    const waiters = Array.from({ length: 3 }, () =>
      gate.acquire().then((ticket) => {
        admitted.push(Date.now() - started);
        gate.release("success", ticket);
      }),
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(admitted).toEqual([]);
    expect(gate.snapshot().holdOffMs).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(waiters);
    // One refusal bounds the rate at one request per hint: 100, 200, 300 ms.
    expect(admitted).toEqual([100, 200, 300]);
  });

  it("with one budget refusal to go by it sends one request at a time; with an estimate, as the limit allows", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8, pacer: { burst: 8 } });
    const first = await gate.acquire();
    gate.release("throttled", first, { kind: "budget", backOffMs: 10 });
    await vi.advanceTimersByTimeAsync(500);
    const held = await gate.acquire();
    const second = gate.acquire();
    await vi.advanceTimersByTimeAsync(500);
    expect(gate.snapshot()).toMatchObject({ inFlight: 1, waiting: 1 });
    gate.release("success", held);
    const third = await second;
    await vi.advanceTimersByTimeAsync(500);
    // A second refusal with one accepted request in between: a slope, so an estimate.
    gate.release("throttled", third, { kind: "budget", backOffMs: 10 });
    expect(gate.snapshot().pacer.estimatedRate).toBeGreaterThan(0);
    // The pace is slow (about one request per 2.5 s); once its bucket (burst 8) has filled, four
    // go at once.
    await vi.advanceTimersByTimeAsync(30_000);
    const many = admit(gate, 4);
    await vi.advanceTimersByTimeAsync(0);
    await many;
    expect(gate.snapshot().inFlight).toBe(4);
    for (const ticket of await many) gate.release("success", ticket);
  });

  it("unexplained throttling (HTTP 503) still halves the limit", async () => {
    const gate = new AdaptiveConcurrencyGate({ max: 8, initial: 8 });
    const ticket = await gate.acquire();
    gate.release("throttled", ticket, { kind: "unknown" });
    expect(gate.limit).toBe(4);
    expect(gate.snapshot().throttledBy).toEqual({ concurrency: 0, budget: 0, unknown: 1 });
  });

  it("an Exchange account with EWSMaxConcurrency 6 and a 40 + 20/s budget: < 2% refused, >= 0.9 of the bound", async () => {
    // Ten runs with different network timing (each way 1..11 ms, responses 30..50 ms, engine
    // work between requests 0..30 ms); 16 workers send requests until 258 were served.
    const SERVED = 258;
    let refusedTotal = 0;
    let attemptsTotal = 0;
    let worstRatio = Number.POSITIVE_INFINITY;
    for (let run = 1; run <= 10; run++) {
      let seed = run * 7919;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        return seed / 2_147_483_648;
      };
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const gate = new AdaptiveConcurrencyGate({ max: 16 });
      const budget = new SimulatedBudget(40, 20);
      let inFlight = 0;
      let served = 0;
      let refused = 0;
      const started = Date.now();
      let finished = started;
      const worker = async () => {
        while (served < SERVED) {
          const ticket = await gate.acquire();
          gate.sent(ticket);
          await sleep(1 + random() * 10);
          if (inFlight >= 6) {
            refused++;
            await sleep(1 + random() * 10);
            gate.release("throttled", ticket, { kind: "concurrency" });
            continue;
          }
          const hint = budget.take(Date.now());
          if (hint > 0) {
            refused++;
            await sleep(1 + random() * 10);
            gate.release("throttled", ticket, { kind: "budget", backOffMs: hint });
            continue;
          }
          inFlight++;
          await sleep(30 + random() * 20);
          inFlight--;
          served++;
          finished = Date.now();
          await sleep(1 + random() * 10);
          gate.release("success", ticket);
          await sleep(random() * 30);
        }
      };
      const all = Promise.all(Array.from({ length: 16 }, worker));
      await vi.advanceTimersByTimeAsync(40_000);
      await all;
      const boundSeconds = Math.max((served - 40) / 20, (served * 30) / 6 / 1000);
      worstRatio = Math.min(worstRatio, boundSeconds / ((finished - started) / 1000));
      refusedTotal += refused;
      attemptsTotal += served + refused;
      expect(gate.snapshot().ceiling).toBeLessThanOrEqual(6);
    }
    expect(refusedTotal / attemptsTotal).toBeLessThan(0.02);
    expect(worstRatio).toBeGreaterThan(0.9);
  });
});
