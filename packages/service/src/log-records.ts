// Structured logs of the service: every worker, maintenance and scheduler event as one flat
// record (time, level, event, set, run, mailbox, job, code, message and the event's own facts),
// handed to a logger the caller supplies. The library writes nowhere itself: the CLI prints the
// records as JSON lines or text, another host gives them to pino or its own logger.
//
// No record carries a secret. Events never hold passwords, tokens, the Redis URL or the webhook
// URL (webhook events name its origin only); messages, which come from errors and may quote a
// URL, have credentials in URLs removed and are cut to 300 characters (safeMessage). Facts are
// copied by name from a list, so a field added to an event later does not leak by accident.
import { mailboxJobId, runJobId } from "./jobs.js";
import { safeMessage } from "./webhook.js";

export type ServiceLogLevel = "info" | "warn" | "error";

export interface ServiceLogRecord {
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly level: ServiceLogLevel;
  /** The event's type (mailbox-done, run-finished, maintenance-failed, run-enqueued, ...). */
  readonly event: string;
  /** Who logged it: the worker's name, or "scheduler". */
  readonly source: string;
  readonly set?: string;
  /** The run's id (run|<set>|<due ms>) and due time. */
  readonly run?: string;
  readonly dueAt?: string;
  readonly mailbox?: string;
  /** The BullMQ job's id: a mailbox job's, or the run's parent job's. */
  readonly job?: string;
  /** A stable error code (the engine's, EWS_..., or SERVICE_...). */
  readonly code?: string;
  readonly message?: string;
  /** Facts of the event: counts, bytes, durations, attempt, reason, task, ... */
  readonly [fact: string]: unknown;
}

/**
 * Where the service's records go. Contract: log() is called synchronously for every record, in
 * event order, and must not throw (a logger that fails must not stop a backup). With pino:
 * `{ log: (r) => pinoLogger[r.level](r) }`.
 */
export interface ServiceLogger {
  log(record: ServiceLogRecord): void;
}

/** Facts copied from events (numbers, booleans and short identifiers, never free text). */
const FACTS = [
  "attempt",
  "reason",
  "task",
  "final",
  "completed",
  "failed",
  "forgotten",
  "mailboxes",
  "cron",
  "timezone",
  "about",
  "origin",
  "attempts",
] as const;

/** Facts of a finished mailbox job (MailboxJobResult) and of a maintenance job's result. */
const RESULT_FACTS = [
  "status",
  "snapshotId",
  "items",
  "itemsExported",
  "bytesRead",
  "bytesNew",
  "durationMs",
  "prune",
  "verify",
] as const;

type LoggableEvent = { readonly type: string } & Readonly<Record<string, unknown>>;

/** Gives the event's record to `logger`, if any; a logger that throws loses the record, nothing else. */
export function logEvent(
  logger: ServiceLogger | undefined,
  event: { readonly type: string },
  source: string,
): void {
  if (logger === undefined) return;
  const record = logRecordOf(event as LoggableEvent, source);
  if (record === undefined) return;
  try {
    logger.log(record);
  } catch {
    // Logging must never fail a backup.
  }
}

/**
 * The record of a worker, maintenance or scheduler event; undefined for the engine's progress
 * events (only checkpoints and item failures are logged: the rest is too chatty for a log).
 */
export function logRecordOf(
  event: LoggableEvent,
  source: string,
  now: number = Date.now(),
): ServiceLogRecord | undefined {
  let fields: Record<string, unknown> = event;
  let type = event.type;
  if (type === "engine") {
    const inner = event.event as LoggableEvent;
    if (inner.type !== "checkpoint" && inner.type !== "item-failed") return undefined;
    type = `engine-${inner.type}`;
    const failure = inner.failure as Record<string, unknown> | undefined;
    fields = {
      set: event.set,
      mailbox: inner.mailbox,
      ...(failure === undefined
        ? {}
        : {
            code: failure.code,
            message: failure.reason,
            itemId: failure.itemId,
            responseCode: failure.responseCode,
          }),
    };
  }
  const result = (fields.result ?? {}) as Record<string, unknown>;
  const set = text(fields.set ?? result.set);
  const dueAtMs = number(fields.dueAt ?? result.dueAt);
  const mailbox = text(fields.mailbox ?? result.mailbox);
  const record: Record<string, unknown> = {
    time: new Date(now).toISOString(),
    level: levelOf(type, fields),
    event: type,
    source,
  };
  // A prune's or verify's due time is its schedule's, not a run's.
  const ofRun = set !== undefined && dueAtMs !== undefined && !type.startsWith("maintenance-");
  if (set !== undefined) record.set = set;
  if (ofRun) record.run = runJobId(set, dueAtMs);
  if (dueAtMs !== undefined) record.dueAt = new Date(dueAtMs).toISOString();
  if (mailbox !== undefined) record.mailbox = mailbox;
  if (ofRun)
    record.job = mailbox !== undefined ? mailboxJobId(set, dueAtMs, mailbox) : runJobId(set, dueAtMs);
  const code = text(fields.code);
  if (code !== undefined) record.code = code;
  const message = text(fields.message);
  if (message !== undefined) record.message = safeMessage(message);
  for (const name of ["itemId", "responseCode", "worker", "metricsUrl"] as const) {
    const value = text(fields[name]);
    if (value !== undefined) record[name] = value;
  }
  for (const name of FACTS) if (isFact(fields[name])) record[name] = fields[name];
  for (const name of RESULT_FACTS) if (isFact(result[name])) record[name] = result[name];
  if (Array.isArray(fields.failures))
    record.failures = (fields.failures as Array<Record<string, unknown>>).slice(0, 100).map((f) => ({
      mailbox: text(f.mailbox),
      code: text(f.code),
      message: safeMessage(text(f.message) ?? ""),
    }));
  return record as ServiceLogRecord;
}

function levelOf(type: string, fields: Readonly<Record<string, unknown>>): ServiceLogLevel {
  switch (type) {
    case "mailbox-failed":
      return "error";
    case "maintenance-failed":
      return fields.final === true ? "error" : "warn";
    case "run-finished":
      return number(fields.failed) ? "warn" : "info";
    case "webhook-failed":
    case "engine-item-failed":
    case "mailbox-deferred":
    case "mailbox-requeued":
      return "warn";
    default:
      return "info";
  }
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Numbers, booleans, identifiers, and plain objects of numbers (a prune's or verify's counts). */
function isFact(value: unknown): boolean {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return true;
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.values(value).every(
      (v) => typeof v === "number" || typeof v === "string" || typeof v === "boolean",
    )
  );
}
