// The shape of the service's jobs and their ids. Ids are deterministic (set + due time +
// mailbox), because BullMQ ignores an add whose job id already exists: that is what makes a
// run enqueued once although several schedulers, or a retried fan-out, add it again.
import type { Job } from "bullmq";

/** Data of a "set-run" job: produced by the set's BullMQ job scheduler at each due time. */
export interface SetRunJobData {
  readonly set: string;
}

/** Data of a "backup-mailbox" job: one mailbox of one run of a set. */
export interface MailboxJobData {
  readonly set: string;
  readonly mailbox: string;
  /** The run's due time (ms since epoch), the same for every mailbox of the run. */
  readonly dueAt: number;
  /** First time the job was put back because maintenance held the repository (maintenance-gate.ts). */
  readonly deferredSince?: number;
  /** Times it was put back so far (the back-off's exponent). */
  readonly deferrals?: number;
}

/** Data of a "run-finished" job: the parent of a run's mailbox jobs, processed after all of them. */
export interface RunJobData {
  readonly set: string;
  readonly dueAt: number;
  readonly mailboxes: number;
}

/** What a worker returns for a mailbox job (kept in Redis with the completed job). */
export interface MailboxJobResult {
  readonly mailbox: string;
  readonly status: "completed" | "completed-with-warnings";
  readonly snapshotId: string;
  readonly items: number;
  readonly itemsExported: number;
  readonly bytesRead: number;
  /** Bytes not already in the repository (what a takeover after a crash had to store again). */
  readonly bytesNew: number;
  readonly durationMs: number;
  readonly worker: string;
}

/** The repository-wide jobs a set may schedule; each runs under the repository's exclusive lock. */
export type MaintenanceTask = "prune" | "verify";

/** Data of a "prune" or "verify" job (queue "maintenance"), produced by the set's job scheduler. */
export interface MaintenanceJobData {
  readonly set: string;
  readonly task: MaintenanceTask;
}

/** What a worker returns for a maintenance job (kept in Redis with the completed job). */
export interface MaintenanceJobResult {
  readonly set: string;
  readonly task: MaintenanceTask;
  readonly dueAt: number;
  readonly worker: string;
  /** From taking the job to the end, waiting for running backups included. */
  readonly durationMs: number;
  /** prune: what it removed. */
  readonly prune?: {
    readonly packsDeleted: number;
    readonly packsRepacked: number;
    readonly bytesFreed: number;
    readonly staleLocksRemoved: number;
  };
  /** verify: what it checked (a verify with problems fails instead: SERVICE_VERIFY_PROBLEMS). */
  readonly verify?: {
    readonly readDataSubset: number | string | false;
    readonly snapshots: number;
    readonly packs: number;
    readonly packsRead: number;
    readonly bytesRead: number;
    readonly problems: number;
  };
}

export const JOB_NAMES = {
  setRun: "set-run",
  backupMailbox: "backup-mailbox",
  runFinished: "run-finished",
  /** A mailbox job offered to the worker holding the mailbox's index (affinity.ts). */
  claim: "claim",
  prune: "prune",
  verify: "verify",
} as const;

/** Id of the BullMQ job scheduler of a set. */
export function setSchedulerId(set: string): string {
  return `set-${set}`;
}

/** Id of the BullMQ job scheduler of a set's prune or verify (queue "maintenance"). */
export function maintenanceSchedulerId(task: MaintenanceTask, set: string): string {
  return `${task}-${set}`;
}

/** The due time a job scheduler gave its job (BullMQ stores it as prevMillis and in the id). */
export function dueTimeOf(job: Job): number {
  const prev = (job.opts as { prevMillis?: number }).prevMillis;
  if (typeof prev === "number" && prev > 0) return prev;
  const fromId = Number(job.id?.split(":").at(-1));
  return Number.isFinite(fromId) && fromId > 0 ? fromId : job.timestamp;
}

// encodeURIComponent escapes ":" (which BullMQ forbids in custom ids) and "|" (our separator).
const part = (value: string) => encodeURIComponent(value);

/** Id of a run's parent job: one per set and due time. */
export function runJobId(set: string, dueAt: number): string {
  return `run|${part(set)}|${dueAt}`;
}

/** Id of a mailbox job: one per set, due time and mailbox (case-insensitive, as SMTP addresses are). */
export function mailboxJobId(set: string, dueAt: number, mailbox: string): string {
  return `mbx|${part(set)}|${dueAt}|${part(mailbox.toLowerCase())}`;
}
