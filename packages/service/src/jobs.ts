// The shape of the service's jobs and their ids. Ids are deterministic (set + due time +
// mailbox), because BullMQ ignores an add whose job id already exists: that is what makes a
// run enqueued once although several schedulers, or a retried fan-out, add it again.

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

export const JOB_NAMES = {
  setRun: "set-run",
  backupMailbox: "backup-mailbox",
  runFinished: "run-finished",
} as const;

/** Id of the BullMQ job scheduler of a set. */
export function setSchedulerId(set: string): string {
  return `set-${set}`;
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
