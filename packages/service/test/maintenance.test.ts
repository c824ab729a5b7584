// Scheduled prune and verify against a real redis-server, the mock EWS server and a filesystem
// repository: a due prune runs once per due time with two schedulers and two workers alive; a
// prune waits while a backup holds its mailbox lock, closes the gate so new mailboxes wait for
// it, and runs after; a mailbox meeting REPO_LOCKED (a prune by hand elsewhere) is put back
// without using an attempt; a run's retention (forget) waits for a running backup under the
// exclusive lock while new mailboxes wait for it; a verify records its result, and its problems,
// in the status.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import type { RedisTestServer } from "@ewsvault/testkit";
import { FlowProducer, Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bullConnection,
  enqueueRun,
  type MaintenanceJobData,
  QUEUES,
  type RunningWorker,
  type ServiceSetConfig,
  serviceStatus,
  startScheduler,
  startWorker,
  type WorkerEvent,
} from "../src/index.js";
import { TestRepositories, until } from "./support/repositories.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

const PASSWORD = "service maintenance test";
// Packs are stored under data/ (docs/repository-format.md).
const PACK_PREFIX = "data/";
let world: ServiceWorld;
let redis: RedisTestServer;
let server: MockEwsServer;
let repositories: TestRepositories;
const newRepository = (name: string) => repositories.create(name);
const open = (root: string) => repositories.open(root);

beforeAll(async () => {
  world = await startServiceWorld({
    mock: { seed: 19, mailboxes: 4, itemsPerMailbox: 12 },
    tempPrefix: "ewsvault-maintenance-",
  });
  ({ redis, server } = world);
  repositories = new TestRepositories(world.work.path, PASSWORD);
});
afterAll(async () => {
  await repositories?.closeAll();
  await world?.stop();
});

type Timed = WorkerEvent & { at: number; worker: string };

async function worker(
  root: string,
  prefix: string,
  sets: Record<string, ServiceSetConfig>,
  name: string,
  events: Timed[],
): Promise<RunningWorker> {
  return startWorker({
    redis: { url: redis.url, prefix },
    sets,
    repository: await open(root),
    source: world.client,
    indexDirectory: join(world.work.path, `${prefix}-index-${name}`),
    concurrency: 1,
    name,
    maintenance: { pollMs: 100, waitMs: 60_000 },
    deferral: { firstDelayMs: 200, maxDelayMs: 800 },
    onEvent: (event) => events.push({ ...event, at: Date.now(), worker: name }),
  });
}

function maintenanceQueue(prefix: string) {
  return new Queue<MaintenanceJobData>(QUEUES.maintenance, {
    connection: bullConnection({ url: redis.url }),
    prefix,
  });
}

describe("maintenance jobs", { timeout: 120_000 }, () => {
  it("a due prune runs once per due time with two schedulers and two workers alive", async () => {
    const prefix = "prune-once";
    const root = await newRepository("repo-once");
    const sets = {
      nightly: {
        mailboxes: [server.mailboxes[0]!],
        schedule: { cron: "0 2 1 1 *" },
        retention: { keepLast: 2, prune: { cron: "*/2 * * * * *", timezone: "Europe/Berlin" } },
      },
    };
    const events: Timed[] = [];
    const workers = [
      await worker(root, prefix, sets, "w1", events),
      await worker(root, prefix, sets, "w2", events),
    ];
    const schedulers = [
      await startScheduler({ redis: { url: redis.url, prefix }, sets }),
      await startScheduler({ redis: { url: redis.url, prefix }, sets }),
    ];
    const queue = maintenanceQueue(prefix);
    try {
      expect(schedulers[0]!.maintenance).toEqual([
        { set: "nightly", task: "prune", cron: "*/2 * * * * *", timezone: "Europe/Berlin" },
      ]);
      const done = () => events.filter((e) => e.type === "maintenance-done");
      await until(() => (done().length >= 3 ? true : undefined), 30_000);
      await Promise.all(schedulers.map((s) => s.close()));
      await queue.removeJobScheduler("prune-nightly");
      const dueTimes = done().map((e) => (e.type === "maintenance-done" ? e.result.dueAt : 0));
      expect(new Set(dueTimes).size).toBe(dueTimes.length);
      const sorted = [...dueTimes].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(2000);
      expect(events.filter((e) => e.type === "maintenance-failed")).toEqual([]);
      // In Redis: one completed prune job per due time.
      const completed = await queue.getJobs(["completed"]);
      const perDue = new Map<number, number>();
      for (const job of completed) {
        const due = (job.returnvalue as { dueAt: number }).dueAt;
        perDue.set(due, (perDue.get(due) ?? 0) + 1);
      }
      expect([...perDue.values()].every((n) => n === 1)).toBe(true);
      for (const due of sorted) expect(perDue.get(due)).toBe(1);
    } finally {
      await Promise.all(schedulers.map((s) => s.close()));
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
    }
  });

  it("a prune waits while a backup holds its mailbox lock, new mailboxes wait for it, and it runs after", async () => {
    const prefix = "prune-waits";
    const root = await newRepository("repo-waits");
    const [busy, other] = server.mailboxes;
    const sets = { s: { mailboxes: [other!], schedule: { cron: "0 2 1 1 *" } } };
    const events: Timed[] = [];
    const w = await worker(root, prefix, sets, "w1", events);
    // Another backup (say `ewsvault backup` elsewhere) holds busy's mailbox lock.
    const elsewhere = await open(root);
    const lock = await elsewhere.lockMailbox(busy!);
    const queue = maintenanceQueue(prefix);
    const flows = new FlowProducer({ connection: bullConnection({ url: redis.url }), prefix });
    try {
      await queue.add("prune", { set: "s", task: "prune" });
      await until(() => events.find((e) => e.type === "maintenance-start"));
      // The gate is closed: a mailbox enqueued now is put back instead of started.
      await enqueueRun(flows, { set: "s", dueAt: 1_800_000_000_000, mailboxes: [other!] });
      const deferred = await until(() => events.find((e) => e.type === "mailbox-deferred"));
      expect(deferred).toMatchObject({ mailbox: other, reason: "maintenance" });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(events.filter((e) => e.type === "maintenance-done" || e.type === "mailbox-start")).toEqual([]);
      const releasedAt = Date.now();
      await lock.release();
      const done = await until(() => events.find((e) => e.type === "maintenance-done"));
      expect(done.at).toBeGreaterThanOrEqual(releasedAt);
      const backedUp = await until(() => events.find((e) => e.type === "mailbox-done"));
      expect(backedUp.at).toBeGreaterThanOrEqual(done.at);
      // Put back, not failed: the first and only attempt.
      expect(events.find((e) => e.type === "mailbox-start")).toMatchObject({ attempt: 1 });
      expect(events.filter((e) => e.type === "mailbox-failed")).toEqual([]);
    } finally {
      await lock.release();
      await w.close();
      await flows.close();
      await queue.close();
    }
  });

  it("a run's retention (forget) waits for a running backup under the exclusive lock, and new mailboxes wait for it", async () => {
    const prefix = "forget-waits";
    const root = await newRepository("repo-forget");
    const [trimmed, later, , busy] = server.mailboxes;
    const sets = {
      a: { mailboxes: [trimmed!], schedule: { cron: "0 2 1 1 *" }, retention: { keepLast: 1 } },
      b: { mailboxes: [later!], schedule: { cron: "0 2 1 1 *" } },
    };
    const events: Timed[] = [];
    const workers = [
      await worker(root, prefix, sets, "w1", events),
      await worker(root, prefix, sets, "w2", events),
    ];
    const flows = new FlowProducer({ connection: bullConnection({ url: redis.url }), prefix });
    const finished = (dueAt: number) =>
      until(() => events.find((e) => e.type === "run-finished" && e.dueAt === dueAt), 30_000);
    let lock: { release(): Promise<void> } | undefined;
    try {
      await enqueueRun(flows, { set: "a", dueAt: 1_800_000_000_000, mailboxes: [trimmed!] });
      expect(await finished(1_800_000_000_000)).toMatchObject({ completed: 1, forgotten: 0 });
      // A backup running elsewhere (say `ewsvault backup` on another machine) holds busy's lock.
      lock = await (await open(root)).lockMailbox(busy!);
      await enqueueRun(flows, { set: "a", dueAt: 1_800_086_400_000, mailboxes: [trimmed!] });
      await until(() => events.find((e) => e.type === "retention-start" && e.dueAt === 1_800_086_400_000));
      // The gate is closed: a mailbox enqueued now is put back instead of started.
      await enqueueRun(flows, { set: "b", dueAt: 1_800_086_400_000, mailboxes: [later!] });
      const deferred = await until(() => events.find((e) => e.type === "mailbox-deferred"));
      expect(deferred).toMatchObject({ mailbox: later, reason: "maintenance" });
      await new Promise((r) => setTimeout(r, 1_000));
      // The forget waits for the running backup; the new mailbox waits for the forget.
      expect(events.filter((e) => e.type === "run-finished" && e.dueAt === 1_800_086_400_000)).toEqual([]);
      expect(events.filter((e) => e.type === "mailbox-start" && e.mailbox === later)).toEqual([]);
      const releasedAt = Date.now();
      await lock.release();
      const run = await finished(1_800_086_400_000);
      expect(run).toMatchObject({ completed: 1, forgotten: 1 });
      expect(run.at).toBeGreaterThanOrEqual(releasedAt);
      const started = await until(() =>
        events.find((e) => e.type === "mailbox-start" && e.mailbox === later),
      );
      expect(started.at).toBeGreaterThanOrEqual(run.at);
      expect(started).toMatchObject({ attempt: 1 });
      await until(() => events.find((e) => e.type === "mailbox-done" && e.mailbox === later));
      expect(events.filter((e) => e.type === "mailbox-failed")).toEqual([]);
      // One snapshot of trimmed left (keepLast 1), later's own untouched.
      const snapshots = await (await open(root)).listSnapshots();
      expect(snapshots.map((s) => s.mailbox).sort()).toEqual([trimmed!, later!].sort());
    } finally {
      await lock?.release();
      await Promise.all(workers.map((w) => w.close()));
      await flows.close();
    }
  });

  it("a mailbox meeting REPO_LOCKED (a prune by hand elsewhere) is put back with back-off, no attempt used", async () => {
    const prefix = "repo-locked";
    const root = await newRepository("repo-locked");
    const mailbox = server.mailboxes[2]!;
    const sets = { s: { mailboxes: [mailbox], schedule: { cron: "0 2 1 1 *" } } };
    const events: Timed[] = [];
    const w = await worker(root, prefix, sets, "w1", events);
    // Stands in for `ewsvault prune` holding the exclusive lock on another machine.
    const elsewhere = (await open(root)) as unknown as {
      locks: { acquireExclusiveLock(waitMs: number, pollMs: number): Promise<{ release(): Promise<void> }> };
    };
    const exclusive = await elsewhere.locks.acquireExclusiveLock(0, 100);
    const flows = new FlowProducer({ connection: bullConnection({ url: redis.url }), prefix });
    try {
      await enqueueRun(flows, { set: "s", dueAt: 1_800_000_000_000, mailboxes: [mailbox] });
      await until(
        () => (events.filter((e) => e.type === "mailbox-deferred").length >= 2 ? true : undefined),
        20_000,
      );
      expect(events.find((e) => e.type === "mailbox-deferred")).toMatchObject({
        reason: "repository-locked",
      });
      await exclusive.release();
      const done = await until(() => events.find((e) => e.type === "mailbox-done"), 30_000);
      expect(done).toMatchObject({ mailbox });
      expect(events.filter((e) => e.type === "mailbox-failed")).toEqual([]);
      const starts = events.filter((e) => e.type === "mailbox-start");
      expect(starts.every((e) => e.type === "mailbox-start" && e.attempt === 1)).toBe(true);
    } finally {
      await exclusive.release();
      await w.close();
      await flows.close();
    }
  });

  it("a verify job records its result in the status, and a verify that finds damage fails for good with SERVICE_VERIFY_PROBLEMS", async () => {
    const prefix = "verify";
    const root = await newRepository("repo-verify");
    const mailbox = server.mailboxes[3]!;
    const sets = {
      s: {
        mailboxes: [mailbox],
        schedule: { cron: "0 2 1 1 *" },
        verify: { cron: "0 5 1 1 *", readDataSubset: "100%" },
      },
    };
    const events: Timed[] = [];
    const w = await worker(root, prefix, sets, "w1", events);
    const queue = maintenanceQueue(prefix);
    const flows = new FlowProducer({ connection: bullConnection({ url: redis.url }), prefix });
    try {
      await enqueueRun(flows, { set: "s", dueAt: 1_800_000_000_000, mailboxes: [mailbox] });
      await until(() => events.find((e) => e.type === "run-finished"));
      await queue.add("verify", { set: "s", task: "verify" });
      const done = await until(() => events.find((e) => e.type === "maintenance-done"));
      let status = await serviceStatus({ redis: { url: redis.url, prefix } });
      const entry = status.maintenance.find((m) => m.task === "verify");
      expect(entry?.lastSuccess?.result).toEqual(done.type === "maintenance-done" ? done.result : undefined);
      expect(entry?.lastSuccess?.result.verify).toMatchObject({
        readDataSubset: "100%",
        problems: 0,
        snapshots: 1,
      });
      expect(entry?.lastSuccess?.result.verify?.packsRead).toBeGreaterThan(0);
      expect(entry?.lastFailure).toBeUndefined();

      // Damage: a pack goes missing.
      const repository = await open(root);
      let pack: string | undefined;
      for await (const object of repository.destination.list(PACK_PREFIX)) pack ??= object.name;
      expect(pack).toBeDefined();
      await rm(join(root, pack!));
      await queue.add("verify", { set: "s", task: "verify" }, { attempts: 3, backoff: 100 });
      const failed = await until(() => events.find((e) => e.type === "maintenance-failed"));
      expect(failed).toMatchObject({ task: "verify", code: "SERVICE_VERIFY_PROBLEMS" });
      const deadline = Date.now() + 10_000;
      let failure: (typeof status.maintenance)[number]["lastFailure"];
      while (failure === undefined && Date.now() < deadline) {
        status = await serviceStatus({ redis: { url: redis.url, prefix } });
        failure = status.maintenance.find((m) => m.task === "verify")?.lastFailure;
        if (failure === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(failure).toMatchObject({ code: "SERVICE_VERIFY_PROBLEMS" });
      expect(failure?.message).toMatch(/REPO_MISSING_PACK/);
      // No retries of a verify that found damage.
      await new Promise((r) => setTimeout(r, 500));
      expect(events.filter((e) => e.type === "maintenance-start")).toHaveLength(2);
    } finally {
      await w.close();
      await flows.close();
      await queue.close();
    }
  });
});
