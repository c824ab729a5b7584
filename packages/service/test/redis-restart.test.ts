// Redis restarted in the middle of a run (with its append-only file, as production Redis
// runs): the workers reconnect, every mailbox of the run completes, the run finishes once, and
// no mailbox is ever run by two workers at the same time.
import type { MockEwsServer } from "@ewsvault/mock-ews";
import type { RedisTestServer } from "@ewsvault/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startCluster } from "./support/cluster.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

// Leases long enough that a one-second outage does not end them: the point is reconnecting.
const LEASE = { lockDurationMs: 6_000, stalledIntervalMs: 3_000, lockStaleAfterMs: 9_000 };

let world: ServiceWorld;
let redis: RedisTestServer;
let server: MockEwsServer;
let work: ServiceWorld["work"];

beforeAll(async () => {
  world = await startServiceWorld({
    redis: { persistence: true },
    mock: { seed: 18, mailboxes: 4, itemsPerMailbox: 20, latencyMs: 40 },
    tempPrefix: "ewsvault-redis-restart-",
  });
  ({ redis, server, work } = world);
});
afterAll(async () => {
  await world?.stop();
});

it("workers reconnect after Redis restarts mid-run: no job lost, no mailbox run twice at once", {
  timeout: 180_000,
}, async () => {
  const mailboxes = server.mailboxes.slice(0, 3);
  const { workers, events, open } = await startCluster({
    redisUrl: redis.url,
    server,
    work: work.path,
    name: "restart",
    mailboxes,
    lease: LEASE,
  });
  try {
    await Promise.any(workers.map((w) => w.waitFor((e) => e.type === "engine", 60_000)));
    const restartedAt = Date.now();
    await redis.restart(1_000);
    const finished = await Promise.any(
      workers.map((w) => w.waitFor((e) => e.type === "run-finished", 120_000)),
    );
    expect(finished).toMatchObject({ completed: 3, failed: 0 });
    // The restart really fell in the middle of the run.
    expect(finished.at as number).toBeGreaterThan(restartedAt);
    const all = events();
    expect(all.filter((e) => e.type === "run-finished")).toHaveLength(1);
    expect(new Set(all.filter((e) => e.type === "mailbox-done").map((e) => e.mailbox))).toEqual(
      new Set(mailboxes),
    );
    // Per mailbox, attempts (start to done/failed/requeued, per worker) never overlap in time.
    for (const mailbox of mailboxes) {
      const attempts: Array<{ start: number; end: number }> = [];
      for (const worker of workers) {
        let start: number | undefined;
        for (const e of worker.events) {
          if (e.mailbox !== mailbox) continue;
          if (e.type === "mailbox-start") start = e.at as number;
          else if (["mailbox-done", "mailbox-failed", "mailbox-requeued"].includes(e.type as string)) {
            attempts.push({ start: start ?? 0, end: e.at as number });
            start = undefined;
          }
        }
        expect(start, `${mailbox} still running on a worker`).toBeUndefined();
      }
      attempts.sort((a, b) => a.start - b.start);
      for (let i = 1; i < attempts.length; i++)
        expect(attempts[i]!.start).toBeGreaterThanOrEqual(attempts[i - 1]!.end);
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  const repository = await open();
  try {
    expect(new Set((await repository.listSnapshots()).map((s) => s.mailbox))).toEqual(new Set(mailboxes));
    expect((await repository.verify({ readData: true })).problems).toEqual([]);
  } finally {
    await repository.close();
  }
});
