// Throttling refusals by kind in a worker's /metrics, against the mock EWS server throttling as
// Exchange does (EWSMaxConcurrency 2, a small request budget): every refusal the server counted,
// by kind, is on the worker's scrape, and the gate's limit and pacing are there too.
import { join } from "node:path";
import { createEwsClient } from "@ewsvault/ews";
import { FlowProducer } from "bullmq";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bullConnection, enqueueRun, startWorker, type WorkerEvent } from "../src/index.js";
import { TestRepositories, until } from "./support/repositories.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

let world: ServiceWorld;

beforeAll(async () => {
  world = await startServiceWorld({
    mock: {
      seed: 23,
      mailboxes: 1,
      itemsPerMailbox: 200,
      latencyMs: 40,
      throttling: { maxConcurrency: 2, burst: 10, rechargePerSecond: 15 },
    },
    tempPrefix: "ewsvault-refusal-metrics-",
  });
});
afterAll(async () => {
  await world?.stop();
});

it("counts the EWS client's throttling refusals by kind in /metrics, as the server counted them", {
  timeout: 120_000,
}, async () => {
  const { redis, server, work } = world;
  const location = { url: redis.url, prefix: "refusals" };
  const repositories = new TestRepositories(work.path, "refusal metrics");
  const repository = await repositories.open(await repositories.create("repo"));
  // The worker's own client (not the world's, which reads nothing during the run).
  const client = createEwsClient({
    url: server.url,
    auth: { kind: "basic", ...server.credentials },
    allowInsecureAuth: true,
    maxConcurrency: 8,
  });
  const events: WorkerEvent[] = [];
  const mailbox = server.mailboxes[0] as string;
  const worker = await startWorker({
    redis: location,
    sets: { s: { mailboxes: [mailbox], schedule: { cron: "0 2 * * *" } } },
    repository,
    source: client,
    indexDirectory: join(work.path, "index"),
    itemConcurrency: 8,
    metrics: { port: 0 },
    onEvent: (event) => events.push(event),
  });
  const flows = new FlowProducer({ connection: bullConnection(location), prefix: location.prefix });
  try {
    server.resetCounters();
    await enqueueRun(flows, { set: "s", dueAt: 1_800_000_000_000, mailboxes: [mailbox] }, {});
    const done = await until(
      () => events.find((e) => e.type === "mailbox-done" || e.type === "mailbox-failed"),
      90_000,
    );
    expect(done.type).toBe("mailbox-done");
    const refused = server.counters().throttledBy;
    // The scenario is meant to meet both limits.
    expect(refused.concurrency).toBeGreaterThan(0);
    expect(refused.budget).toBeGreaterThan(0);
    const scrape = async () => (await fetch(`${worker.metricsUrl}/metrics`)).text();
    const value = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    const text = await scrape();
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="concurrency"\} (\d+)$/m)).toBe(
      refused.concurrency,
    );
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="budget"\} (\d+)$/m)).toBe(refused.budget);
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="unknown"\} (\d+)$/m)).toBe(0);
    // A learnt ceiling of 2 at most, and the gate paces after the budget refusals.
    expect(value(text, /^ewsvault_ews_concurrency_limit (\d+)$/m)).toBeLessThanOrEqual(2);
    expect(value(text, /^ewsvault_ews_pacing_rate ([\d.]+)$/m)).toBeGreaterThan(0);
    expect(text).toMatch(/^ewsvault_ews_in_flight 0$/m);
    // Counters keep counting across scrapes, not re-adding what they saw.
    expect(value(await scrape(), /^ewsvault_ews_refusals_total\{kind="budget"\} (\d+)$/m)).toBe(
      refused.budget,
    );
    // Items, bytes and durations of the job are there as well.
    expect(value(text, /^ewsvault_items_total\{kind="exported"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(text, /^ewsvault_bytes_total\{kind="read"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(text).toMatch(/^ewsvault_mailbox_duration_seconds_count 1$/m);
  } finally {
    await worker.close();
    await flows.close();
    await client.close();
    await repositories.closeAll();
  }
});
