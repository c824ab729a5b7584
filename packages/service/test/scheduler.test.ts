// Scheduling against a real redis-server: two scheduler processes alive, a set due every two
// seconds, and each due time becomes exactly one run with one job per mailbox.

import { freePort, type RedisTestServer, startRedisServer } from "@ewsvault/testkit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bullConnection,
  isServiceError,
  type MailboxJobData,
  QUEUES,
  type RunJobData,
  startScheduler,
} from "../src/index.js";
import { startServiceProcess } from "./support/processes.js";

let redis: RedisTestServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe("scheduler", () => {
  it("with two scheduler processes alive, enqueues each due time of a set once, one job per mailbox", async () => {
    const location = { url: redis.url, prefix: "two-schedulers" };
    const sets = {
      fast: {
        mailboxes: ["a@contoso.com", "b@contoso.com", "c@contoso.com", "skip-me@contoso.com"],
        excludeMailboxes: ["skip-*"],
        schedule: { cron: "*/2 * * * * *", timezone: "Europe/Berlin" },
      },
    };
    const env = { EWSVAULT_TEST_SCHEDULER: JSON.stringify({ redis: location, sets }) };
    const schedulers = [
      startServiceProcess("./scheduler-process.ts", env),
      startServiceProcess("./scheduler-process.ts", env),
    ];
    const queue = new Queue<MailboxJobData | RunJobData>(QUEUES.mailboxes, {
      connection: bullConnection(location),
      prefix: location.prefix,
    });
    try {
      await Promise.all(schedulers.map((s) => s.waitFor((e) => e.type === "ready")));
      // Both processes are up; count the runs of the next four due times.
      const enqueued = () => schedulers.flatMap((s) => s.events.filter((e) => e.type === "run-enqueued"));
      const start = enqueued().length;
      const deadline = Date.now() + 20_000;
      while (enqueued().length < start + 4 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      await Promise.all(schedulers.map((s) => s.stop()));

      const runs = enqueued();
      const dueTimes = runs.map((e) => e.dueAt as number);
      expect(runs.length).toBeGreaterThanOrEqual(start + 4);
      // One fan-out per due time, whichever process took it, due times two seconds apart.
      expect(new Set(dueTimes).size).toBe(dueTimes.length);
      const sorted = [...dueTimes].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(2000);
      for (const due of sorted) expect(due % 2000).toBe(0);

      // In Redis: per due time one parent run job and one job per (non-excluded) mailbox.
      const jobs = await queue.getJobs(["waiting", "waiting-children", "delayed", "prioritized"]);
      const parents = jobs.filter((j) => j.name === "run-finished");
      const children = jobs.filter((j) => j.name === "backup-mailbox");
      expect(parents.map((j) => (j.data as RunJobData).dueAt).sort()).toEqual(sorted);
      expect(children).toHaveLength(sorted.length * 3);
      for (const due of sorted) {
        const ofDue = children.filter((j) => (j.data as MailboxJobData).dueAt === due);
        expect(ofDue.map((j) => (j.data as MailboxJobData).mailbox).sort()).toEqual([
          "a@contoso.com",
          "b@contoso.com",
          "c@contoso.com",
        ]);
      }
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
      await queue.close();
    }
  });

  it("refuses bad input before touching Redis: invalid cron, unknown zone, no mailboxes, unreachable Redis", async () => {
    const codeOf = (promise: Promise<{ close(): Promise<void> }>) =>
      promise.then(
        async (scheduler) => {
          await scheduler.close();
          return "resolved";
        },
        (error) => (isServiceError(error) ? error.code : String(error)),
      );
    const location = { url: redis.url, prefix: "bad-input" };
    await expect(
      codeOf(
        startScheduler({
          redis: location,
          sets: { s: { mailboxes: ["a@x"], schedule: { cron: "0 25 * * *" } } },
        }),
      ),
    ).resolves.toBe("SERVICE_INVALID_CRON");
    await expect(
      codeOf(
        startScheduler({
          redis: location,
          sets: { s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *", timezone: "Mars/Olympus" } } },
        }),
      ),
    ).resolves.toBe("SERVICE_INVALID_TIMEZONE");
    await expect(
      codeOf(
        startScheduler({ redis: location, sets: { s: { mailboxes: [], schedule: { cron: "0 2 * * *" } } } }),
      ),
    ).resolves.toBe("SERVICE_NO_MAILBOXES");
    const closedPort = await freePort();
    await expect(
      codeOf(
        startScheduler({
          redis: { url: `redis://:secret@127.0.0.1:${closedPort}` },
          sets: { s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" } } },
        }),
      ),
    ).resolves.toBe("SERVICE_REDIS_UNREACHABLE");
    // Nothing was written under the prefix the refused schedulers were given.
    const client = new Redis(redis.url);
    try {
      expect(await client.keys("bad-input:*")).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
