// Adds one run of a set to Redis: a BullMQ flow whose parent "run-finished" job waits for one
// "backup-mailbox" child per mailbox. Every id is deterministic (set + due time + mailbox), and
// BullMQ ignores an add whose id exists, so adding the same run again adds nothing.
import type { FlowProducer } from "bullmq";
import { claimQueueName, DEFAULT_AFFINITY_WAIT_MS } from "./affinity.js";
import { JOB_NAMES, type MailboxJobData, mailboxJobId, type RunJobData, runJobId } from "./jobs.js";
import { QUEUES } from "./redis.js";

export interface RunJobOptions {
  /** Attempts per mailbox job; retries back off exponentially from retryDelayMs. Default 3. */
  readonly mailboxAttempts?: number;
  /** First retry delay of a mailbox job; default 30 s. */
  readonly retryDelayMs?: number;
  /**
   * How long finished jobs stay in Redis; default 7 days. A run's ids deduplicate only while its
   * jobs exist, so this must be longer than any schedule's period.
   */
  readonly keepFinishedSeconds?: number;
  /**
   * Worker affinity (affinity.ts): mailbox -> the worker holding its index (heartbeat fresh).
   * Their jobs wait `waitMs` (default 15 s) for that worker, offered a claim in its own queue.
   */
  readonly affinity?: { readonly preferred: ReadonlyMap<string, string>; readonly waitMs?: number };
}

/** Data of a "claim" job: a mailbox job offered to the worker holding the mailbox's index. */
export interface ClaimJobData {
  readonly set: string;
  readonly mailbox: string;
  readonly dueAt: number;
  /** The mailbox job's id (queue "mailboxes"). */
  readonly mailboxJobId: string;
}

export const DEFAULT_KEEP_FINISHED_SECONDS = 7 * 86_400;

export async function enqueueRun(
  flows: FlowProducer,
  run: { readonly set: string; readonly dueAt: number; readonly mailboxes: readonly string[] },
  options: RunJobOptions = {},
): Promise<void> {
  const keep = { age: options.keepFinishedSeconds ?? DEFAULT_KEEP_FINISHED_SECONDS };
  await flows.add({
    name: JOB_NAMES.runFinished,
    queueName: QUEUES.mailboxes,
    data: { set: run.set, dueAt: run.dueAt, mailboxes: run.mailboxes.length } satisfies RunJobData,
    opts: {
      jobId: runJobId(run.set, run.dueAt),
      // The run's retention waits for running backups under the exclusive lock (run-retention.ts)
      // and gives up with REPO_LOCKED after the maintenance wait: try again later.
      attempts: 3,
      backoff: { type: "exponential", delay: options.retryDelayMs ?? 30_000 },
      removeOnComplete: keep,
      removeOnFail: keep,
    },
    children: run.mailboxes.map((mailbox) => ({
      name: JOB_NAMES.backupMailbox,
      queueName: QUEUES.mailboxes,
      data: { set: run.set, mailbox, dueAt: run.dueAt } satisfies MailboxJobData,
      opts: {
        jobId: mailboxJobId(run.set, run.dueAt, mailbox),
        ...(options.affinity?.preferred.has(mailbox)
          ? { delay: options.affinity.waitMs ?? DEFAULT_AFFINITY_WAIT_MS }
          : {}),
        attempts: options.mailboxAttempts ?? 3,
        backoff: { type: "exponential", delay: options.retryDelayMs ?? 30_000 },
        // A mailbox that fails for good must not hold back the run's retention and report.
        ignoreDependencyOnFailure: true,
        removeOnComplete: keep,
        removeOnFail: keep,
      },
    })),
  });
  // Claims after the run: a claim whose mailbox job does not exist yet would be dropped. A
  // repeated add adds nothing (same id in the same queue); a claim in another worker's queue
  // (the holder changed) finds the claim key taken or the job done, and does nothing.
  for (const [mailbox, worker] of options.affinity?.preferred ?? []) {
    const id = mailboxJobId(run.set, run.dueAt, mailbox);
    await flows.add({
      name: JOB_NAMES.claim,
      queueName: claimQueueName(worker),
      data: { set: run.set, mailbox, dueAt: run.dueAt, mailboxJobId: id } satisfies ClaimJobData,
      opts: { jobId: id, removeOnComplete: keep, removeOnFail: keep },
    });
  }
}
