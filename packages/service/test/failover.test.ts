// Leases, failover and fencing with real processes: a SIGKILLed worker's mailbox is taken over
// within the stated time and completes; a worker paused (SIGSTOP) past its lease finds, when
// it resumes, that another worker owns the mailbox, and writes neither a sync state nor a
// snapshot for it; a worker that dies while backing up a mailbox it claimed as the holder of its
// index (affinity) hands it to the mailbox's own job once the claim's lease lapses. Short leases here (2 s lock, 1 s stalled check, 3 s repository lock
// staleness) stand in for the defaults (60 s, 30 s: pickup within 90 s).
import { type openRepository, restore } from "@ewsvault/core";
import type { EwsClient } from "@ewsvault/ews";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import { mailboxContent, type RedisTestServer } from "@ewsvault/testkit";
import { FlowProducer } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bullConnection, enqueueRun } from "../src/index.js";
import { startCluster } from "./support/cluster.js";
import type { ServiceProcess } from "./support/processes.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

const LEASE = { lockDurationMs: 2_000, stalledIntervalMs: 1_000, lockStaleAfterMs: 3_000 };
/** Lease plus one stalled check, plus slack for a loaded CI machine. */
const PICKUP_BOUND_MS = LEASE.lockDurationMs + LEASE.stalledIntervalMs + 6_000;

let world: ServiceWorld;
let redis: RedisTestServer;
let server: MockEwsServer;
let client: EwsClient;
let work: ServiceWorld["work"];

beforeAll(async () => {
  world = await startServiceWorld({
    // Latency makes a mailbox take seconds, so a signal lands mid-mailbox.
    mock: { seed: 16, mailboxes: 6, itemsPerMailbox: 25, latencyMs: 60 },
    tempPrefix: "ewsvault-failover-",
  });
  ({ redis, server, client, work } = world);
});
afterAll(async () => {
  await world?.stop();
});

function cluster(name: string, mailboxes: readonly string[]) {
  return startCluster({ redisUrl: redis.url, server, work: work.path, name, mailboxes, lease: LEASE });
}

async function restoresEqual(
  repository: Awaited<ReturnType<typeof openRepository>>,
  mailbox: string,
  into: string,
) {
  const target = server.mailboxes[5]!;
  const restored = await restore({
    repository,
    target: client,
    mailbox,
    toMailbox: target,
    intoFolder: into,
  });
  expect(restored.failed).toBe(0);
  expect(await mailboxContent(client, server, target, { under: into })).toEqual(
    await mailboxContent(client, server, mailbox),
  );
}

describe("failover and fencing", { timeout: 180_000 }, () => {
  it("a SIGKILLed worker's mailbox is picked up within the stated time, completes, and stores only what was not durable", async () => {
    const mailboxes = server.mailboxes.slice(0, 2);
    const { workers, events, open } = await cluster("failover", mailboxes);
    try {
      // Kill whichever worker has made part of a mailbox durable (its second checkpoint).
      const checkpoint = await Promise.any(
        workers.map((w) =>
          w.waitFor(
            (e) => e.type === "engine" && w.events.filter((x) => x.type === "engine").length >= 2,
            60_000,
          ),
        ),
      );
      const victim = workers.find((w) => w.events.includes(checkpoint))!;
      const survivor = workers.find((w) => w !== victim)!;
      const started = [...victim.events].reverse().find((e) => e.type === "mailbox-start")!;
      victim.child.kill("SIGKILL");
      const killedAt = Date.now();
      const takeover = await survivor.waitFor(
        (e) => e.type === "mailbox-start" && e.mailbox === started.mailbox && (e.at as number) >= killedAt,
        60_000,
      );
      const pickupMs = (takeover.at as number) - killedAt;
      expect(pickupMs).toBeLessThan(PICKUP_BOUND_MS);
      const finished = await survivor.waitFor((e) => e.type === "run-finished", 90_000);
      expect(finished).toMatchObject({ completed: 2, failed: 0 });
      const done = events().filter((e) => e.type === "mailbox-done");
      expect(done.map((e) => e.mailbox).sort()).toEqual([...mailboxes].sort());
      // The survivor has no index of the mailbox (another machine), so it reads it again, but
      // the packs the victim made durable are deduplicated: it stores less than it reads.
      const redone = done.find((e) => e.mailbox === started.mailbox)!.result as {
        bytesRead: number;
        bytesNew: number;
      };
      expect(redone.bytesNew).toBeLessThan(redone.bytesRead);
      console.log(
        `failover: pickup ${pickupMs} ms; takeover read ${redone.bytesRead} B, stored new ${redone.bytesNew} B`,
      );
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    const repository = await open();
    try {
      expect((await repository.listSnapshots()).map((s) => s.mailbox).sort()).toEqual([...mailboxes].sort());
      await restoresEqual(repository, mailboxes[0]!, "After failover");
      expect((await repository.verify({ readData: true })).problems).toEqual([]);
    } finally {
      await repository.close();
    }
  });

  it("a worker paused past its lease writes no sync state and no snapshot when it resumes; the other's snapshot is complete", async () => {
    const mailbox = server.mailboxes[2]!;
    const { workers, open } = await cluster("fencing", [mailbox]);
    let paused: ServiceProcess | undefined;
    try {
      const first = await Promise.any(workers.map((w) => w.waitFor((e) => e.type === "engine", 60_000)));
      paused = workers.find((w) => w.events.includes(first))!;
      const other = workers.find((w) => w !== paused)!;
      paused.child.kill("SIGSTOP");
      const done = await other.waitFor((e) => e.type === "mailbox-done" && e.mailbox === mailbox, 60_000);
      await other.waitFor((e) => e.type === "run-finished", 30_000);
      const resumedAt = Date.now();
      paused.child.kill("SIGCONT");
      const fenced = await paused.waitFor((e) => e.type === "mailbox-failed", 30_000);
      expect(fenced).toMatchObject({ mailbox, code: "SERVICE_LEASE_LOST" });
      // No index commit (a checkpoint event follows each) after it resumed, no snapshot at all.
      expect(paused.events.filter((e) => e.type === "engine" && (e.at as number) >= resumedAt)).toEqual([]);
      expect(paused.events.filter((e) => e.type === "mailbox-done")).toEqual([]);
      const repository = await open();
      try {
        const snapshots = await repository.listSnapshots({ mailbox });
        expect(snapshots.map((s) => s.id)).toEqual([(done.result as { snapshotId: string }).snapshotId]);
        expect(snapshots[0]!.hostname).toBe(other.events.find((e) => e.type === "ready")!.worker);
        await restoresEqual(repository, mailbox, "After fencing");
        expect((await repository.verify({ readData: true })).problems).toEqual([]);
      } finally {
        await repository.close();
      }
    } finally {
      paused?.child.kill("SIGCONT");
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  it("SIGTERM stops a worker mid-mailbox: finished work is kept, the mailbox goes back to the queue at once, no attempt used", async () => {
    const mailbox = server.mailboxes[3]!;
    const { workers, open } = await cluster("graceful", [mailbox]);
    try {
      const first = await Promise.any(workers.map((w) => w.waitFor((e) => e.type === "engine", 60_000)));
      const stopping = workers.find((w) => w.events.includes(first))!;
      const other = workers.find((w) => w !== stopping)!;
      const exited = new Promise<number | null>((resolve) =>
        stopping.child.once("exit", (code) => resolve(code)),
      );
      const stoppedAt = Date.now();
      stopping.child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stopping.events.some((e) => e.type === "mailbox-requeued" && e.mailbox === mailbox)).toBe(true);
      const takeover = await other.waitFor(
        (e) => e.type === "mailbox-start" && e.mailbox === mailbox,
        30_000,
      );
      // Handed back, not lost: no lease had to run out, and the attempt was not counted.
      expect((takeover.at as number) - stoppedAt).toBeLessThan(LEASE.lockDurationMs + 3_000);
      expect(takeover.attempt).toBe(1);
      const done = await other.waitFor((e) => e.type === "mailbox-done" && e.mailbox === mailbox, 60_000);
      const result = done.result as { bytesRead: number; bytesNew: number };
      expect(result.bytesNew).toBeLessThan(result.bytesRead);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    const repository = await open();
    try {
      expect((await repository.listSnapshots({ mailbox })).length).toBe(1);
      expect((await repository.verify({ readData: true })).problems).toEqual([]);
    } finally {
      await repository.close();
    }
  });

  it("a holder SIGKILLed while backing up a mailbox it claimed: the mailbox's job takes the claim over once its lease lapses, one snapshot", async () => {
    const mailbox = server.mailboxes[4]!;
    const { workers, open, location } = await cluster("claim", [mailbox]);
    const secondDue = 1_800_086_400_000;
    const flows = new FlowProducer({ connection: bullConnection(location), prefix: location.prefix });
    try {
      const first = await Promise.any(
        workers.map((w) => w.waitFor((e) => e.type === "mailbox-done" && e.mailbox === mailbox, 60_000)),
      );
      const holder = workers.find((w) => w.events.includes(first))!;
      const other = workers.find((w) => w !== holder)!;
      await holder.waitFor((e) => e.type === "run-finished", 30_000);
      // Changed items give the holder's next backup something to export, so the kill lands mid-mailbox.
      for (const id of server.listItems(mailbox, "inbox")) server.modifyItem(id, { subject: `edited ${id}` });
      await enqueueRun(
        flows,
        { set: "s", dueAt: secondDue, mailboxes: [mailbox] },
        {
          retryDelayMs: 300,
          mailboxAttempts: 8,
          affinity: { preferred: new Map([[mailbox, first.worker as string]]), waitMs: 500 },
        },
      );
      await holder.waitFor((e) => e.type === "mailbox-start" && e.dueAt === secondDue, 30_000);
      const killedAt = Date.now();
      holder.child.kill("SIGKILL");
      const done = await other.waitFor((e) => e.type === "mailbox-done" && e.dueAt === secondDue, 60_000);
      // The claim's lease (2 s) lapses, then the job that waited for its result takes over.
      expect((done.at as number) - killedAt).toBeLessThan(PICKUP_BOUND_MS + 10_000);
      const finished = await other.waitFor((e) => e.type === "run-finished" && e.dueAt === secondDue, 30_000);
      expect(finished).toMatchObject({ completed: 1, failed: 0 });
    } finally {
      await flows.close();
      await Promise.all(workers.map((w) => w.stop()));
    }
    const repository = await open();
    try {
      // One snapshot per run: the dead holder wrote none for the second.
      expect((await repository.listSnapshots({ mailbox })).length).toBe(2);
      expect((await repository.verify({ readData: true })).problems).toEqual([]);
    } finally {
      await repository.close();
    }
  });
});
