// What a worker reports (its events, for the caller, the logs and the webhook) and how each one
// counts in the worker's Prometheus metrics.
import type { BackupEvent } from "@ewsvault/core";
import type { MailboxJobResult } from "./jobs.js";
import type { MaintenanceEvent } from "./maintenance-worker.js";
import type { ServiceMetrics } from "./metrics.js";
import type { RunFailure, WebhookEvent } from "./webhook.js";

export type WorkerEvent =
  | {
      readonly type: "mailbox-start";
      readonly set: string;
      readonly mailbox: string;
      readonly dueAt: number;
      readonly attempt: number;
    }
  | {
      readonly type: "mailbox-done";
      readonly set: string;
      readonly mailbox: string;
      readonly dueAt: number;
      readonly result: MailboxJobResult;
    }
  | {
      readonly type: "mailbox-failed";
      readonly set: string;
      readonly mailbox: string;
      readonly dueAt: number;
      readonly code: string;
      readonly message: string;
    }
  | {
      readonly type: "mailbox-requeued";
      readonly set: string;
      readonly mailbox: string;
      readonly dueAt: number;
    }
  | {
      /** The run's retention starts: the gate is closed, forget waits for the exclusive lock now. */
      readonly type: "retention-start";
      readonly set: string;
      readonly dueAt: number;
      readonly mailboxes: number;
    }
  | {
      readonly type: "run-finished";
      readonly set: string;
      readonly dueAt: number;
      readonly completed: number;
      readonly failed: number;
      readonly forgotten: number;
      /** The mailboxes that failed for good, with their codes. */
      readonly failures: readonly RunFailure[];
    }
  | {
      readonly type: "mailbox-deferred";
      readonly set: string;
      readonly mailbox: string;
      readonly dueAt: number;
      /** maintenance: the gate was closed; repository-locked: the engine met REPO_LOCKED. */
      readonly reason: "maintenance" | "repository-locked";
    }
  | { readonly type: "engine"; readonly set: string; readonly event: BackupEvent }
  | MaintenanceEvent
  | WebhookEvent;

/** Counts `event` in the worker's metrics (events without a metric leave them unchanged). */
export function countEvent(metrics: ServiceMetrics, event: WorkerEvent): void {
  switch (event.type) {
    case "mailbox-done":
      metrics.mailboxJobs.inc({ status: "completed" });
      metrics.items.inc({ kind: "exported" }, event.result.itemsExported);
      metrics.items.inc({ kind: "in-snapshot" }, event.result.items);
      metrics.bytes.inc({ kind: "read" }, event.result.bytesRead);
      metrics.bytes.inc({ kind: "new" }, event.result.bytesNew);
      metrics.mailboxSeconds.observe(event.result.durationMs / 1000);
      break;
    case "mailbox-failed":
      metrics.mailboxJobs.inc({ status: event.code === "SERVICE_LEASE_LOST" ? "lease-lost" : "failed" });
      break;
    case "mailbox-requeued":
      metrics.mailboxJobs.inc({ status: "requeued" });
      break;
    case "mailbox-deferred":
      metrics.mailboxJobs.inc({ status: "deferred" });
      break;
    case "engine":
      if (event.event.type === "item-failed") metrics.itemFailures.inc({ code: event.event.failure.code });
      break;
  }
}
