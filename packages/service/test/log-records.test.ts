// Structured logs: a scheduler and a worker given a logger emit one flat record per event (time,
// level, event, set, run, mailbox, job, code, message and facts), and no record carries a secret
// although every secret is in play: a Redis password in the URL, a webhook URL with its token
// (failing, so the worker logs about it), the EWS and repository passwords, and a failing
// mailbox whose error message quotes a URL with credentials.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { FlowProducer } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bullConnection,
  enqueueRun,
  logRecordOf,
  type ServiceLogRecord,
  startScheduler,
  startWorker,
} from "../src/index.js";
import { TestRepositories, until } from "./support/repositories.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

const REDIS_PASSWORD = "redis-pw-4f1c9e";
const WEBHOOK_TOKEN = "hook-token-77ab21";
const REPO_PASSWORD = "repo-pw-0d3e55";
let world: ServiceWorld;
let hook: Server;
let hookHits = 0;

beforeAll(async () => {
  world = await startServiceWorld({
    mock: { seed: 29, mailboxes: 2, itemsPerMailbox: 6 },
    tempPrefix: "ewsvault-log-records-",
  });
  const admin = new Redis(world.redis.url);
  await admin.config("SET", "requirepass", REDIS_PASSWORD);
  admin.disconnect();
  hook = createServer((_request, response) => {
    hookHits++;
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", () => resolve()));
});
afterAll(async () => {
  await new Promise((resolve) => hook?.close(resolve));
  await world?.stop();
});

describe("structured logs", { timeout: 120_000 }, () => {
  it("a worker and a scheduler log flat records with run, mailbox, job and code, and never a secret", async () => {
    const { server, work } = world;
    const redisUrl = world.redis.url.replace("redis://", `redis://:${REDIS_PASSWORD}@`);
    const location = { url: redisUrl, prefix: "logs" };
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/${WEBHOOK_TOKEN}`;
    const repositories = new TestRepositories(work.path, REPO_PASSWORD);
    const root = await repositories.create("repo");
    const [mailbox] = server.mailboxes;
    const ghost = "ghost@contoso.test";
    const sets = {
      s: { mailboxes: [mailbox!, ghost], schedule: { cron: "0 2 1 1 *" }, retention: { keepLast: 1 } },
    };
    const records: ServiceLogRecord[] = [];
    const logger = { log: (record: ServiceLogRecord) => records.push(record) };
    const scheduler = await startScheduler({ redis: location, sets, logger });
    const worker = await startWorker({
      redis: location,
      sets,
      repository: await repositories.open(root),
      source: world.client,
      indexDirectory: join(work.path, "index"),
      name: "w1",
      webhook: { url: webhookUrl, attempts: 1, retryDelayMs: 10 },
      logger,
    });
    const flows = new FlowProducer({ connection: bullConnection(location), prefix: location.prefix });
    const dueAt = 1_800_000_000_000;
    try {
      await enqueueRun(
        flows,
        { set: "s", dueAt, mailboxes: [mailbox!, ghost] },
        { retryDelayMs: 50, mailboxAttempts: 1 },
      );
      await until(() => records.find((r) => r.event === "webhook-failed"), 60_000);
    } finally {
      await flows.close();
      await worker.close();
      await scheduler.close();
      await repositories.closeAll();
    }
    expect(hookHits).toBe(1);
    const run = `run|s|${dueAt}`;
    expect(records.find((r) => r.event === "schedule-upserted")).toMatchObject({
      level: "info",
      source: "scheduler",
      set: "s",
      cron: "0 2 1 1 *",
    });
    expect(records.find((r) => r.event === "mailbox-done")).toMatchObject({
      level: "info",
      source: "w1",
      set: "s",
      run,
      dueAt: new Date(dueAt).toISOString(),
      mailbox,
      job: `mbx|s|${dueAt}|${encodeURIComponent(mailbox!.toLowerCase())}`,
      status: "completed",
    });
    expect(records.find((r) => r.event === "mailbox-done")?.items).toBeGreaterThan(0);
    const failed = records.find((r) => r.event === "mailbox-failed");
    expect(failed).toMatchObject({ level: "error", mailbox: ghost, run });
    expect(failed?.code).toMatch(/^EWS_[A-Z_]+$/);
    expect(typeof failed?.message).toBe("string");
    expect(records.find((r) => r.event === "run-finished")).toMatchObject({
      level: "warn",
      run,
      job: run,
      completed: 1,
      failed: 1,
      failures: [{ mailbox: ghost, code: failed?.code }],
    });
    expect(records.find((r) => r.event === "webhook-failed")).toMatchObject({
      level: "warn",
      reason: "HTTP 500",
    });
    for (const record of records) {
      expect(Date.parse(record.time)).not.toBeNaN();
      expect(["info", "warn", "error"]).toContain(record.level);
    }
    const text = JSON.stringify(records);
    for (const secret of [
      REDIS_PASSWORD,
      WEBHOOK_TOKEN,
      "/hooks/",
      REPO_PASSWORD,
      server.credentials.password,
    ])
      expect(text).not.toContain(secret);
  });

  it("removes credentials from messages and leaves out unlisted fields and engine progress", () => {
    const record = logRecordOf(
      {
        type: "maintenance-failed",
        set: "s",
        task: "prune",
        dueAt: 0,
        code: "REPO_LOCKED",
        message: "cannot reach https://user:hunter2@store.example/bucket",
        final: false,
        password: "hunter2",
      },
      "w1",
      0,
    );
    expect(record).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "warn",
      event: "maintenance-failed",
      source: "w1",
      set: "s",
      dueAt: "1970-01-01T00:00:00.000Z",
      code: "REPO_LOCKED",
      message: "cannot reach https://***@store.example/bucket",
      task: "prune",
      final: false,
    });
    expect(
      logRecordOf({ type: "engine", set: "s", event: { type: "mailbox-progress", mailbox: "a@x" } }, "w1"),
    ).toBeUndefined();
    expect(
      logRecordOf(
        {
          type: "engine",
          set: "s",
          event: {
            type: "item-failed",
            mailbox: "a@x",
            failure: { itemId: "i1", folderPath: "/Inbox", subject: "private", code: "EWS_X", reason: "bad" },
          },
        },
        "w1",
        0,
      ),
    ).toMatchObject({
      level: "warn",
      event: "engine-item-failed",
      mailbox: "a@x",
      code: "EWS_X",
      itemId: "i1",
    });
  });
});
