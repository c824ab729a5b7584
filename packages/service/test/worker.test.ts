// Scale-out as issue 15 states it, against a real redis-server and the mock EWS server: three
// worker processes (each with its own index directory, as on three machines) share one
// filesystem repository and back up 24 mailboxes; each run backs up every mailbox exactly once
// (asserted from the run's job records and the repository's snapshots, not from logs), the
// set's retention runs after the run, each mailbox restored into another mailbox equals its
// original in every property, and `verify --read-data` is clean. Small mailboxes keep it fast.
import { join } from "node:path";
import { initRepository, openRepository, restore } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import type { EwsClient } from "@ewsvault/ews";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import { mailboxContent, type RedisTestServer } from "@ewsvault/testkit";
import { FlowProducer, Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bullConnection, enqueueRun, type MailboxJobResult, serviceStatus } from "../src/index.js";
import { type ServiceProcess, startServiceProcess } from "./support/processes.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

const REPO_PASSWORD = "service scale-out test";
let world: ServiceWorld;
let redis: RedisTestServer;
let server: MockEwsServer;
let client: EwsClient;
let work: ServiceWorld["work"];

beforeAll(async () => {
  world = await startServiceWorld({
    // 24 mailboxes backed up, 24 more to restore them into.
    mock: { seed: 15, mailboxes: 48, itemsPerMailbox: 6 },
    tempPrefix: "ewsvault-service-",
  });
  ({ redis, server, client, work } = world);
  const repository = await initRepository({
    destination: createFsDestination({ root: join(work.path, "repo") }),
    password: REPO_PASSWORD,
    kdf: { N: 1024, r: 8, p: 1 },
  });
  await repository.close();
});
afterAll(async () => {
  await world?.stop();
});

describe("workers", { timeout: 180_000 }, () => {
  it("3 worker processes back up 24 mailboxes exactly once per run, apply retention after it, restore each equal into another, verify clean", async () => {
    const location = { url: redis.url, prefix: "scale-out" };
    const mailboxes = server.mailboxes.slice(0, 24);
    const targets = server.mailboxes.slice(24, 48);
    const sets = {
      all: { mailboxes, schedule: { cron: "0 2 * * *" }, retention: { keepLast: 1 }, tags: ["nightly"] },
    };
    const workers: ServiceProcess[] = ["w1", "w2", "w3"].map((name) =>
      startServiceProcess("./worker-process.ts", {
        EWSVAULT_TEST_WORKER: JSON.stringify({
          name,
          redis: location,
          sets,
          repository: join(work.path, "repo"),
          indexDirectory: join(work.path, `index-${name}`),
          ewsUrl: server.url,
          username: server.credentials.username,
          concurrency: 1,
          metrics: { port: 0 },
        }),
        EWSVAULT_TEST_REPO_PASSWORD: REPO_PASSWORD,
        EWSVAULT_TEST_EWS_PASSWORD: server.credentials.password,
      }),
    );
    const flows = new FlowProducer({ connection: bullConnection(location), prefix: location.prefix });
    const queue = new Queue("mailboxes", { connection: bullConnection(location), prefix: location.prefix });
    const events = () => workers.flatMap((w) => w.events);
    const snapshotIds: string[] = [];
    try {
      await Promise.all(workers.map((w) => w.waitFor((e) => e.type === "ready", 60_000)));
      for (const [run, dueAt] of [1_800_000_000_000, 1_800_086_400_000].entries()) {
        await enqueueRun(flows, { set: "all", dueAt, mailboxes }, { retryDelayMs: 500 });
        // Adding the same run again (a second scheduler, a retried fan-out) adds nothing.
        await enqueueRun(flows, { set: "all", dueAt, mailboxes }, { retryDelayMs: 500 });
        const finished = await Promise.any(
          workers.map((w) => w.waitFor((e) => e.type === "run-finished" && e.dueAt === dueAt, 120_000)),
        );
        // Exactly once, from the run's records in Redis: one completed job per mailbox, each
        // started once (a job run twice, by a retry or a stalled takeover, counts 2), each with
        // a snapshot of its own.
        const jobs = (await queue.getJobs(["completed", "failed", "active", "wait", "delayed"])).filter(
          (job) => job.name === "backup-mailbox" && job.data.dueAt === dueAt,
        );
        expect(jobs.map((job) => job.data.mailbox).sort()).toEqual([...mailboxes].sort());
        expect(
          jobs.map((job) => [
            job.finishedOn !== undefined && job.failedReason === undefined,
            job.attemptsStarted,
            job.stalledCounter,
          ]),
        ).toEqual(jobs.map(() => [true, 1, 0]));
        const results = jobs.map((job) => job.returnvalue as MailboxJobResult);
        expect(new Set(results.map((r) => r.snapshotId)).size).toBe(24);
        snapshotIds.push(...results.map((r) => r.snapshotId));
        if (run === 0) expect(new Set(results.map((r) => r.worker)).size).toBe(3);

        // Retention (keepLast 1) ran after the run: the first run forgets nothing (no mailbox got
        // two snapshots), the second forgets exactly the first run's 24.
        expect(finished).toMatchObject({ completed: 24, failed: 0, forgotten: run === 0 ? 0 : 24 });
      }
      expect(events().filter((e) => e.type === "mailbox-failed")).toEqual([]);
      // A mailbox the server does not have fails every attempt; the run still finishes.
      const ghost = "ghost@contoso.test";
      const ghostDue = 1_800_172_800_000;
      await enqueueRun(
        flows,
        { set: "all", dueAt: ghostDue, mailboxes: [ghost] },
        { retryDelayMs: 200, mailboxAttempts: 2 },
      );
      const ghostRun = await Promise.any(
        workers.map((w) => w.waitFor((e) => e.type === "run-finished" && e.dueAt === ghostDue, 60_000)),
      );
      expect(ghostRun).toMatchObject({ completed: 0, failed: 1 });

      // Each worker's /metrics counts its own jobs; together they did 48 and failed the ghost twice.
      let completed = 0;
      let failed = 0;
      for (const worker of workers) {
        const url = worker.events.find((e) => e.type === "ready")?.metricsUrl as string;
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        const text = await (await fetch(`${url}/metrics`)).text();
        const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
        completed += value(/^ewsvault_mailbox_jobs_total\{status="completed"\} (\d+)$/m);
        failed += value(/^ewsvault_mailbox_jobs_total\{status="failed"\} (\d+)$/m);
        expect(text).toMatch(/^ewsvault_queue_jobs\{state="completed"\} \d+$/m);
        expect(text).toMatch(/^ewsvault_mailbox_duration_seconds_count \d+$/m);
      }
      expect([completed, failed]).toEqual([48, 2]);

      const status = await serviceStatus({ redis: location });
      expect(status.runs.map((r) => [r.dueAt, r.state, r.completed, r.failed, r.pending])).toEqual([
        [ghostDue, "finished", 0, 1, 0],
        [1_800_086_400_000, "finished", 24, 0, 0],
        [1_800_000_000_000, "finished", 24, 0, 0],
      ]);
      const byMailbox = new Map(status.mailboxes.map((m) => [m.mailbox, m]));
      for (const mailbox of mailboxes)
        expect(byMailbox.get(mailbox)?.lastSuccess).toMatchObject({ dueAt: 1_800_086_400_000 });
      const failure = byMailbox.get(ghost)?.lastFailure;
      expect(failure?.dueAt).toBe(ghostDue);
      // The engine's stable code for the failure, not a generic one.
      expect(failure?.code).toMatch(/^EWS_[A-Z_]+$/);
      expect(byMailbox.get(ghost)?.lastSuccess).toBeUndefined();
    } finally {
      await flows.close();
      await queue.close();
      await Promise.all(workers.map((w) => w.stop()));
    }

    const repository = await openRepository({
      destination: createFsDestination({ root: join(work.path, "repo") }),
      password: REPO_PASSWORD,
    });
    try {
      // The second run's 24 snapshots, one per mailbox; the first run's were forgotten.
      const snapshots = await repository.listSnapshots();
      expect(snapshots.map((s) => s.mailbox).sort()).toEqual([...mailboxes].sort());
      expect(snapshots.map((s) => s.id).sort()).toEqual(snapshotIds.slice(24).sort());
      expect(snapshots.every((s) => s.tags.includes("nightly"))).toBe(true);
      // What every mailbox holds, read before any restore adds to a mailbox.
      const originals = new Map<string, Map<string, string[]>>();
      for (const mailbox of mailboxes) originals.set(mailbox, await mailboxContent(client, server, mailbox));
      for (const [index, source] of mailboxes.entries()) {
        const target = targets[index]!;
        const restored = await restore({
          repository,
          target: client,
          mailbox: source,
          toMailbox: target,
          intoFolder: "Restored",
        });
        expect(restored.failed).toBe(0);
        const original = originals.get(source)!;
        expect([...original.values()].flat().length).toBeGreaterThan(0);
        expect(await mailboxContent(client, server, target, { under: "Restored" })).toEqual(original);
      }
      const verify = await repository.verify({ readData: true });
      expect(verify.problems).toEqual([]);
      expect(verify.checked.snapshots).toBe(24);
      // --read-data: every pack read back and checked.
      expect(verify.checked.packsRead).toBe(verify.checked.packs);
    } finally {
      await repository.close();
    }
  });
});
