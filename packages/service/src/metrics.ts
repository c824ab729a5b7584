// Prometheus metrics and the health check of a worker or scheduler process: an HTTP server on
// the address the operator chose serving GET /metrics (text exposition format) and GET /healthz
// (200 while Redis answers, 503 otherwise). Each process has its own registry, so two
// services in one process (tests, `ewsvault service`) do not mix their numbers.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConcurrencyGate } from "@ewsvault/ews";
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

/** What the EWS client's gate tells at a scrape; undefined when this process calls no EWS. */
export type EwsGateSnapshot = ReturnType<ConcurrencyGate["snapshot"]>;

/**
 * A registry with the service's metrics; `queueCounts` is read on each scrape, and so is `ewsGate`
 * (the EWS client's gate: in-process or shared through Redis) when given: throttling refusals by
 * the kind the client classified them as, and what the gate does about them.
 */
export function createServiceMetrics(
  queueCounts: () => Promise<Record<string, number>>,
  ewsGate?: () => EwsGateSnapshot | undefined,
): ServiceMetrics {
  const registry = new Registry();
  if (ewsGate !== undefined) registerGateMetrics(registry, ewsGate);
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

/**
 * The EWS client's throttling as its gate counts it (the gate sees every answer's outcome and the
 * kind the client classified it as, attempt-outcome.ts of @ewsvault/ews): refusals by kind as a
 * counter (the gate's own running count, carried over as increments on each scrape), and the
 * limit, requests in flight, pause and pace now.
 */
function registerGateMetrics(registry: Registry, snapshot: () => EwsGateSnapshot | undefined): void {
  const seen = { concurrency: 0, budget: 0, unknown: 0 };
  new Counter({
    name: "ewsvault_ews_refusals_total",
    help:
      "EWS requests the server refused as throttling, by kind: concurrency (ErrorExceededConnectionCount, " +
      "EWSMaxConcurrency), budget (ErrorServerBusy with BackOffMilliseconds), unknown (HTTP 503/429, " +
      "ErrorServerBusy without a back-off)",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect() {
      const now = snapshot()?.throttledBy;
      for (const kind of ["concurrency", "budget", "unknown"] as const) {
        const value = now?.[kind] ?? seen[kind];
        // A gate's counts only grow; a smaller one is a new gate (counted from zero).
        const delta = value >= seen[kind] ? value - seen[kind] : value;
        this.inc({ kind }, delta);
        seen[kind] = value;
      }
    },
  });
  const gauge = (name: string, help: string, read: (s: EwsGateSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const now = snapshot();
        if (now !== undefined) this.set(read(now));
      },
    });
  gauge("ewsvault_ews_concurrency_limit", "Requests the EWS gate lets run at once now (learnt)", (s) =>
    Math.floor(s.limit),
  );
  gauge("ewsvault_ews_in_flight", "EWS requests of this process in flight", (s) => s.inFlight);
  gauge(
    "ewsvault_ews_hold_off_seconds",
    "Time left in a pause the server asked for",
    (s) => s.holdOffMs / 1000,
  );
  gauge(
    "ewsvault_ews_pacing_rate",
    "Requests per second the gate paces at after budget refusals (0: not pacing)",
    (s) => s.pacer.rate ?? 0,
  );
}
