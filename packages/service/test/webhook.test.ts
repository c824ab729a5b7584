// The scheduler's /metrics and /healthz, and the webhook on a failed or partial run, against a
// real redis-server and the mock EWS server. Hostile endpoints: one that never answers and one
// that answers 500 hold up neither the run's completion nor the worker's stop; a good one
// receives one JSON notice that names the failed mailbox and its code and carries no secret.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import type { RedisTestServer } from "@ewsvault/testkit";
import { FlowProducer } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bullConnection,
  enqueueRun,
  type RunningWorker,
  serviceStatus,
  startScheduler,
  startWorker,
  type WebhookOptions,
  type WorkerEvent,
} from "../src/index.js";
import { TestRepositories, until } from "./support/repositories.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

const PASSWORD = "service webhook test";
const GHOST = "ghost@contoso.test";
let world: ServiceWorld;
let redis: RedisTestServer;
let server: MockEwsServer;
let root: string;
let repositories: TestRepositories;

beforeAll(async () => {
  world = await startServiceWorld({
    mock: { seed: 21, mailboxes: 2, itemsPerMailbox: 6 },
    tempPrefix: "ewsvault-webhook-",
  });
  ({ redis, server } = world);
  repositories = new TestRepositories(world.work.path, PASSWORD);
  root = await repositories.create("repo");
});
afterAll(async () => {
  await repositories?.closeAll();
  await world?.stop();
});

interface Endpoint {
  readonly url: string;
  readonly requests: Array<{ path: string; body: string; headers: IncomingMessage["headers"] }>;
  close(): Promise<void>;
}

/** A loopback HTTP endpoint that answers with `status`, or never (`hang`). */
async function endpoint(answer: number | "hang"): Promise<Endpoint> {
  const requests: Endpoint["requests"] = [];
  const http: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (c: Buffer) => (body += c.toString()));
    request.on("end", () => {
      requests.push({ path: request.url ?? "", body, headers: request.headers });
      if (answer !== "hang") response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    // The path stands for a chat webhook's secret token.
    url: `http://127.0.0.1:${port}/hooks/T0KEN-s3cret`,
    requests,
    close: () => {
      http.closeAllConnections();
      return new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

type Timed = WorkerEvent & { at: number };

async function workerWith(prefix: string, webhook: WebhookOptions, events: Timed[]): Promise<RunningWorker> {
  const repository = await repositories.open(root);
  return startWorker({
    redis: { url: redis.url, prefix },
    sets: { s: { mailboxes: [server.mailboxes[0]!, GHOST], schedule: { cron: "0 2 1 1 *" } } },
    repository,
    source: world.client,
    indexDirectory: join(world.work.path, `index-${prefix}`),
    concurrency: 2,
    name: `worker-${prefix}`,
    webhook,
    onEvent: (event) => events.push({ ...event, at: Date.now() }),
  });
}

/** A run of one good mailbox and one the server does not have: partial. */
async function partialRun(prefix: string): Promise<void> {
  const flows = new FlowProducer({ connection: bullConnection({ url: redis.url }), prefix });
  try {
    await enqueueRun(
      flows,
      { set: "s", dueAt: 1_800_000_000_000, mailboxes: [server.mailboxes[0]!, GHOST] },
      { mailboxAttempts: 1 },
    );
  } finally {
    await flows.close();
  }
}

describe("scheduler metrics", () => {
  it("serves /metrics with runs enqueued and the queue's depth, and /healthz", async () => {
    const prefix = "scheduler-metrics";
    const runs: number[] = [];
    const scheduler = await startScheduler({
      redis: { url: redis.url, prefix },
      sets: { fast: { mailboxes: ["a@x", "b@x"], schedule: { cron: "* * * * * *" } } },
      metrics: { port: 0 },
      onEvent: (e) => {
        if (e.type === "run-enqueued") runs.push(e.dueAt);
      },
    });
    try {
      expect(scheduler.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await until(() => (runs.length >= 2 ? true : undefined), 15_000);
      const text = await (await fetch(`${scheduler.metricsUrl}/metrics`)).text();
      const enqueued = Number(/^ewsvault_runs_enqueued_total\{set="fast"\} (\d+)$/m.exec(text)?.[1]);
      expect(enqueued).toBeGreaterThanOrEqual(2);
      // No worker: every mailbox job of those runs is still waiting.
      const waiting = Number(/^ewsvault_queue_jobs\{state="waiting"\} (\d+)$/m.exec(text)?.[1]);
      expect(waiting).toBeGreaterThanOrEqual(2 * enqueued);
      expect((await fetch(`${scheduler.metricsUrl}/healthz`)).status).toBe(200);
    } finally {
      await scheduler.close();
    }
  });
});

describe("webhook on a failed or partial run", { timeout: 90_000 }, () => {
  it("an endpoint that never answers holds up neither the run's completion nor the worker's stop", async () => {
    const prefix = "hook-hang";
    const hook = await endpoint("hang");
    const events: Timed[] = [];
    const worker = await workerWith(prefix, { url: hook.url, timeoutMs: 60_000, attempts: 3 }, events);
    try {
      await partialRun(prefix);
      const finished = await until(() => events.find((e) => e.type === "run-finished"));
      expect(finished).toMatchObject({ completed: 1, failed: 1 });
      // The run's job is completed in Redis although the notice is still in flight.
      await until(() => (hook.requests.length > 0 ? true : undefined));
      const status = await serviceStatus({ redis: { url: redis.url, prefix } });
      expect(status.runs[0]).toMatchObject({ state: "finished", completed: 1, failed: 1 });
      expect(events.some((e) => e.type === "webhook-delivered" || e.type === "webhook-failed")).toBe(false);
      const stopping = Date.now();
      await worker.close();
      // close() waits a bounded grace (5 s) for deliveries, then aborts them.
      expect(Date.now() - stopping).toBeLessThan(8_000);
      expect(events.find((e) => e.type === "webhook-failed")).toMatchObject({ reason: "stopped" });
    } finally {
      await worker.close();
      await hook.close();
    }
  });

  it("an endpoint answering 500 is retried, then given up, without holding up the run; a good one gets one clean notice", async () => {
    const failing = await endpoint(500);
    const events: Timed[] = [];
    let worker = await workerWith("hook-500", { url: failing.url, attempts: 3, retryDelayMs: 100 }, events);
    try {
      await partialRun("hook-500");
      const finished = await until(() => events.find((e) => e.type === "run-finished"));
      const given = await until(() => events.find((e) => e.type === "webhook-failed"));
      expect(given).toMatchObject({ reason: "HTTP 500", attempts: 3, about: "run-partial" });
      expect(given.at).toBeGreaterThan(finished.at);
      expect(failing.requests).toHaveLength(3);
    } finally {
      await worker.close();
      await failing.close();
    }

    const good = await endpoint(204);
    events.length = 0;
    worker = await workerWith(
      "hook-ok",
      { url: good.url, headers: { authorization: "Bearer hook-secret" } },
      events,
    );
    try {
      await partialRun("hook-ok");
      await until(() => events.find((e) => e.type === "webhook-delivered"));
      expect(good.requests).toHaveLength(1);
      const [request] = good.requests;
      expect(request?.headers["content-type"]).toBe("application/json");
      expect(request?.headers.authorization).toBe("Bearer hook-secret");
      const notice = JSON.parse(request!.body);
      expect(notice).toMatchObject({
        type: "run-partial",
        set: "s",
        dueAt: new Date(1_800_000_000_000).toISOString(),
        completed: 1,
        failed: 1,
        worker: "worker-hook-ok",
      });
      expect(notice.failures).toHaveLength(1);
      expect(notice.failures[0]).toMatchObject({
        mailbox: GHOST,
        code: expect.stringMatching(/^EWS_[A-Z_]+$/),
      });
      // No secret in the notice, and neither the URL's token nor the header in any event.
      for (const secret of [PASSWORD, server.credentials.password, "T0KEN-s3cret", "hook-secret"])
        expect(request!.body).not.toContain(secret);
      expect(JSON.stringify(events)).not.toMatch(/T0KEN-s3cret|hook-secret/);
      expect(events.find((e) => e.type === "webhook-delivered")).toMatchObject({
        origin: new URL(good.url).origin,
      });
    } finally {
      await worker.close();
      await good.close();
    }
  });
});
