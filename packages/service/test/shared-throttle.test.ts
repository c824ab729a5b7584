// The gate shared through Redis against a real redis-server: never more than N requests in
// flight across three processes, a killed holder's slots come back after their lease, a Redis
// restart that lost its data does not deadlock (slots re-created), throttling one worker sees
// slows the others, and an unreachable Redis is SERVICE_REDIS_UNREACHABLE at start.
import { isEwsVaultError } from "@ewsvault/core";
import { freePort, type RedisTestServer, startRedisServer } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isServiceError,
  openSharedGate,
  type SharedConcurrencyGate,
  type SharedGateOptions,
} from "../src/index.js";
import { startServiceProcess } from "./support/processes.js";

let redis: RedisTestServer;
let account = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** Options of a gate for an account no other test uses. */
function gateOptions(extra: Partial<SharedGateOptions> = {}): SharedGateOptions {
  return {
    redis: { url: redis.url, prefix: "gate-test" },
    endpoint: "https://mail.example.com/EWS/Exchange.asmx",
    account: `svc${++account}@example.com`,
    max: 3,
    initial: 3,
    ...extra,
  };
}

/** Acquire that gives up after ms (EWS_ABORTED): how a test sees that the gate is full. */
function acquireWithin(gate: SharedConcurrencyGate, ms: number) {
  return gate.acquire(AbortSignal.timeout(ms));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("shared gate through Redis", () => {
  it("lets no more than max requests run across three processes", { timeout: 120_000 }, async () => {
    const options = gateOptions({ max: 4, initial: 4 });
    const processes = [1, 2, 3].map(() =>
      startServiceProcess("./gate-process.ts", {
        EWSVAULT_TEST_GATE: JSON.stringify({ gate: options, requests: 40, parallel: 4, holdMs: 15 }),
      }),
    );
    try {
      const done = await Promise.all(processes.map((p) => p.waitFor((e) => e.type === "done", 90_000)));
      const spans = done.flatMap((e) => e.spans as Array<[number, number]>);
      expect(spans).toHaveLength(120);
      // Highest number of spans open at once, from their starts and ends in time order.
      const edges = spans.flatMap(([start, end]) => [
        [start, 1],
        [end, -1],
      ]);
      edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
      let open = 0;
      let peak = 0;
      for (const [, delta] of edges) {
        open += delta as number;
        peak = Math.max(peak, open);
      }
      expect(peak).toBeLessThanOrEqual(4);
      // Each process wanted 4 at once: 12 together; the gate really was what held them back.
      expect(peak).toBeGreaterThanOrEqual(3);
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  });

  it("gives a killed holder's slots back once their lease runs out", { timeout: 60_000 }, async () => {
    const options = gateOptions({ max: 2, leaseMs: 1_500 });
    const holder = startServiceProcess("./gate-process.ts", {
      EWSVAULT_TEST_GATE: JSON.stringify({ gate: options, hold: 2 }),
    });
    const gate = await openSharedGate(options);
    try {
      await holder.waitFor((e) => e.type === "held", 30_000);
      // Alive, the holder renews its leases: nothing is free well past one lease.
      const whileAlive = await rejection(acquireWithin(gate, 2_500));
      expect(isEwsVaultError(whileAlive) && whileAlive.code).toBe("EWS_ABORTED");
      holder.child.kill("SIGKILL");
      const killedAt = Date.now();
      const ticket = await acquireWithin(gate, 10_000);
      const waited = Date.now() - killedAt;
      expect(waited).toBeLessThan(1_500 + 1_000);
      gate.release("success", ticket);
    } finally {
      await holder.stop();
      await gate.close();
    }
  });

  it("does not deadlock when Redis restarts without its data: slots are re-created", {
    timeout: 60_000,
  }, async () => {
    const options = gateOptions({ max: 3, leaseMs: 900 });
    const a = await openSharedGate(options);
    const b = await openSharedGate(options);
    try {
      const held = [await a.acquire(), await a.acquire()];
      await redis.restart(300);
      // Redis lost every key; a new request is admitted without waiting for anything lost.
      const first = await acquireWithin(b, 5_000);
      // a's renewal re-creates the two slots its requests still take: the account is full again.
      await new Promise((r) => setTimeout(r, 700));
      const full = await rejection(acquireWithin(b, 600));
      expect(isEwsVaultError(full) && full.code).toBe("EWS_ABORTED");
      for (const ticket of held) a.release("success", ticket);
      const second = await acquireWithin(b, 5_000);
      b.release("success", first);
      b.release("success", second);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("shares what throttling taught: a ceiling, a pause and a pace", { timeout: 30_000 }, async () => {
    const options = gateOptions({ max: 8, initial: 8 });
    const a = await openSharedGate(options);
    const b = await openSharedGate(options);
    try {
      // a has 3 in flight and the server refuses a fourth as too many at once.
      const tickets = [await a.acquire(), await a.acquire(), await a.acquire()];
      const refused = await a.acquire();
      a.release("throttled", refused, { kind: "concurrency" });
      // b, another worker, now gets no slot while a's three run.
      const full = await rejection(acquireWithin(b, 400));
      expect(isEwsVaultError(full) && full.code).toBe("EWS_ABORTED");
      for (const ticket of tickets) a.release("success", ticket);
      const ticket = await acquireWithin(b, 2_000);
      expect(b.snapshot().ceiling).toBe(3);
      // A budget refusal on b pauses a for BackOffMilliseconds, then paces it.
      const before = Date.now();
      b.release("throttled", ticket, { kind: "budget", backOffMs: 400 });
      await new Promise((r) => setTimeout(r, 20));
      const after = await acquireWithin(a, 3_000);
      expect(Date.now() - before).toBeGreaterThanOrEqual(350);
      a.release("success", after);
      expect(a.snapshot().pacer.rate).toBeGreaterThan(0);
      expect(a.snapshot().pacer.rate).toBeLessThanOrEqual(1000 / 400);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("fails at start with SERVICE_REDIS_UNREACHABLE when Redis does not answer", async () => {
    const port = await freePort();
    const error = await rejection(
      openSharedGate({ ...gateOptions(), redis: { url: `redis://127.0.0.1:${port}`, prefix: "x" } }),
    );
    expect(isServiceError(error, "SERVICE_REDIS_UNREACHABLE")).toBe(true);
  });
});
