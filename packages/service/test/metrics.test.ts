import { describe, expect, it } from "vitest";
import { createServiceMetrics, startMetricsServer } from "../src/index.js";

describe("metrics server", () => {
  it("serves /metrics with queue depth read on scrape, /healthz by Redis health, 404 and 405 otherwise", async () => {
    let healthy = true;
    const metrics = createServiceMetrics(async () => ({ waiting: 7, active: 2 }));
    metrics.mailboxJobs.inc({ status: "completed" }, 3);
    const server = await startMetricsServer({ port: 0 }, metrics.registry, async () => healthy);
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toMatch(/^ewsvault_queue_jobs\{state="waiting"\} 7$/m);
      expect(text).toMatch(/^ewsvault_mailbox_jobs_total\{status="completed"\} 3$/m);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      healthy = false;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await server.close();
    }
  });
});

describe("EWS gate metrics", () => {
  it("carry the gate's refusal counts over as increments, and count a new gate's from zero", async () => {
    const gate = {
      limit: 3.7,
      ceiling: 4,
      inFlight: 2,
      waiting: 0,
      max: 8,
      throttleEvents: 5,
      throttledBy: { concurrency: 2, budget: 3, unknown: 0 },
      cuts: 1,
      holdOffMs: 1500,
      pacer: { rate: 19, estimatedRate: 20, refusals: 3, uncertainty: 0.01 },
    };
    const metrics = createServiceMetrics(
      async () => ({}),
      () => gate,
    );
    const value = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    let text = await metrics.registry.metrics();
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="budget"\} (\d+)$/m)).toBe(3);
    expect(value(text, /^ewsvault_ews_concurrency_limit (\d+)$/m)).toBe(3);
    expect(value(text, /^ewsvault_ews_hold_off_seconds ([\d.]+)$/m)).toBe(1.5);
    expect(value(text, /^ewsvault_ews_pacing_rate ([\d.]+)$/m)).toBe(19);
    gate.throttledBy = { concurrency: 2, budget: 5, unknown: 1 };
    text = await metrics.registry.metrics();
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="budget"\} (\d+)$/m)).toBe(5);
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="unknown"\} (\d+)$/m)).toBe(1);
    // A new gate (the worker's source reopened) starts again from 0: its 1 is one more.
    gate.throttledBy = { concurrency: 0, budget: 1, unknown: 1 };
    text = await metrics.registry.metrics();
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="budget"\} (\d+)$/m)).toBe(6);
    expect(value(text, /^ewsvault_ews_refusals_total\{kind="concurrency"\} (\d+)$/m)).toBe(2);
  });
});
