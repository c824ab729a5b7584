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
