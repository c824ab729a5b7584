// Worker affinity against a real redis-server and the mock EWS server: three workers, six
// mailboxes. The first run goes wherever the queue puts it; in the next, every mailbox whose
// holder is alive is backed up by that holder (through its claim, well before the affinity wait
// ends), each exactly once; once a holder has stopped, its mailboxes go to the others at once.
import { join } from "node:path";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import type { RedisTestServer } from "@ewsvault/testkit";
import { FlowProducer, Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bullConnection,
  enqueueRun,
  type MailboxJobResult,
  preferredWorkers,
  QUEUES,
  type RunningWorker,
  startWorker,
  type WorkerEvent,
} from "../src/index.js";
import { TestRepositories, until } from "./support/repositories.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

let world: ServiceWorld;
let redis: RedisTestServer;
let server: MockEwsServer;

beforeAll(async () => {
  world = await startServiceWorld({
    mock: { seed: 31, mailboxes: 6, itemsPerMailbox: 8 },
    tempPrefix: "ewsvault-affinity-",
  });
  ({ redis, server } = world);
});
afterAll(async () => {
  await world?.stop();
});

describe("worker affinity", { timeout: 120_000 }, () => {
  it("the worker holding a mailbox's index backs it up in the next run; a stopped one's mailboxes go elsewhere", async () => {
    const prefix = "affinity";
    const location = { url: redis.url, prefix };
    const repositories = new TestRepositories(world.work.path, "affinity test");
    const root = await repositories.create("repo");
    const mailboxes = server.mailboxes.slice(0, 6);
    const sets = { s: { mailboxes, schedule: { cron: "0 2 * * *" } } };
    const events: Array<WorkerEvent & { worker: string }> = [];
    const workers = new Map<string, RunningWorker>();
    for (const name of ["w1", "w2", "w3"])
      workers.set(
        name,
        await startWorker({
          redis: location,
          sets,
          repository: await repositories.open(root),
          source: world.client,
          indexDirectory: join(world.work.path, `index-${name}`),
          concurrency: 1,
          name,
          lockDurationMs: 5_000,
          onEvent: (event) => events.push({ ...event, worker: name }),
        }),
      );
    const flows = new FlowProducer({ connection: bullConnection(location), prefix });
    const queue = new Queue(QUEUES.mailboxes, { connection: bullConnection(location), prefix });
    const admin = new Redis(redis.url);
    const WAIT_MS = 30_000;
    const run = async (dueAt: number) => {
      const preferred = await preferredWorkers(admin, prefix, mailboxes);
      const started = Date.now();
      await enqueueRun(flows, { set: "s", dueAt, mailboxes }, { affinity: { preferred, waitMs: WAIT_MS } });
      await until(() => events.find((e) => e.type === "run-finished" && e.dueAt === dueAt), 60_000);
      const jobs = (await queue.getJobs(["completed"])).filter(
        (job) => job.name === "backup-mailbox" && job.data.dueAt === dueAt,
      );
      // Exactly once: one job per mailbox, started once, one snapshot each, one backup each.
      expect(jobs.map((job) => [job.data.mailbox, job.attemptsStarted]).sort()).toEqual(
        [...mailboxes].sort().map((m) => [m, 1]),
      );
      const done = events.filter((e) => e.type === "mailbox-done" && e.dueAt === dueAt);
      expect(done.map((e) => (e.type === "mailbox-done" ? e.mailbox : "")).sort()).toEqual(
        [...mailboxes].sort(),
      );
      const results = jobs.map((job) => job.returnvalue as MailboxJobResult);
      expect(new Set(results.map((r) => r.snapshotId)).size).toBe(6);
      return {
        preferred,
        seconds: (Date.now() - started) / 1000,
        by: new Map(results.map((r) => [r.mailbox, r.worker])),
      };
    };
    try {
      const first = await run(1_800_000_000_000);
      expect(first.preferred.size).toBe(0);
      const second = await run(1_800_086_400_000);
      // Every holder is alive: every mailbox is preferred, and goes to its holder...
      expect(new Map(second.preferred)).toEqual(first.by);
      expect(second.by).toEqual(first.by);
      // ...through its claim, not after the wait ran out.
      expect(second.seconds).toBeLessThan(WAIT_MS / 1000);

      const stopped = [...first.by.values()][0]!;
      await workers.get(stopped)?.close();
      workers.delete(stopped);
      const third = await run(1_800_172_800_000);
      const moved = [...first.by].filter(([, worker]) => worker === stopped).map(([mailbox]) => mailbox);
      expect(moved.length).toBeGreaterThan(0);
      for (const mailbox of moved) {
        expect(third.preferred.has(mailbox)).toBe(false);
        expect(third.by.get(mailbox)).not.toBe(stopped);
      }
      for (const [mailbox, worker] of first.by)
        if (worker !== stopped) expect(third.by.get(mailbox)).toBe(worker);
      expect(third.seconds).toBeLessThan(WAIT_MS / 1000);
      expect(events.filter((e) => e.type === "mailbox-failed")).toEqual([]);
    } finally {
      await Promise.all([...workers.values()].map((w) => w.close()));
      await flows.close();
      await queue.close();
      admin.disconnect();
      await repositories.closeAll();
    }
  });
});
