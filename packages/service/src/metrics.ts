// Prometheus metrics and the health check of a worker or scheduler process: an HTTP server on
// the address the operator chose serving GET /metrics (text exposition format) and GET /healthz
// (200 while Redis answers, 503 otherwise). Each process has its own registry, so two
// services in one process (tests, `ewsvault service`) do not mix their numbers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one (see `url`). */
  readonly port: number;
  /** Listen address; default 127.0.0.1 (expose it deliberately, e.g. "0.0.0.0"). */
  readonly host?: string;
}

export interface ServiceMetrics {
  readonly registry: Registry;
  readonly mailboxJobs: Counter<"status">;
  readonly items: Counter<"kind">;
  readonly bytes: Counter<"kind">;
  readonly mailboxSeconds: Histogram;
  readonly itemFailures: Counter<"code">;
  readonly runsEnqueued: Counter<"set">;
  readonly queueJobs: Gauge<"state">;
}

/** A registry with the service's metrics; `queueCounts` is read on each scrape. */
export function createServiceMetrics(queueCounts: () => Promise<Record<string, number>>): ServiceMetrics {
  const registry = new Registry();
  const queueJobs = new Gauge({
    name: "ewsvault_queue_jobs",
    help: "Jobs in the mailbox queue by state",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      try {
        for (const [state, count] of Object.entries(await queueCounts())) this.set({ state }, count);
      } catch {
        // Redis unreachable: /healthz says so; the last known values stay.
      }
    },
  });
  return {
    registry,
    queueJobs,
    mailboxJobs: new Counter({
      name: "ewsvault_mailbox_jobs_total",
      help: "Mailbox jobs finished by this process, by outcome (completed, failed, requeued, lease-lost)",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    items: new Counter({
      name: "ewsvault_items_total",
      help: "Items of completed mailbox jobs (kind: exported, in-snapshot)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    bytes: new Counter({
      name: "ewsvault_bytes_total",
      help: "Bytes of completed mailbox jobs (kind: read from EWS, new in the repository)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    mailboxSeconds: new Histogram({
      name: "ewsvault_mailbox_duration_seconds",
      help: "Wall time of completed mailbox jobs",
      buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600],
      registers: [registry],
    }),
    itemFailures: new Counter({
      name: "ewsvault_item_failures_total",
      help: "Items the engine could not back up, by stable code",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    runsEnqueued: new Counter({
      name: "ewsvault_runs_enqueued_total",
      help: "Runs of scheduled sets this scheduler fanned out",
      labelNames: ["set"] as const,
      registers: [registry],
    }),
  };
}

export interface RunningMetricsServer {
  /** http://host:port of the server. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  options: MetricsServerOptions,
  registry: Registry,
  healthy: () => Promise<boolean>,
): Promise<RunningMetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (path === "/healthz") {
      healthy().then(
        (ok) =>
          response
            .writeHead(ok ? 200 : 503, { "content-type": "text/plain" })
            .end(ok ? "ok\n" : "redis unreachable\n"),
        () => response.writeHead(503, { "content-type": "text/plain" }).end("redis unreachable\n"),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
