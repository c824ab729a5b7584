// What `ewsvault status` shows, read from the queues: recent runs per set with their mailboxes
// counted by state, and per mailbox the last success and the last failure with its code. It
// reads finished jobs as long as Redis keeps them (keepFinishedSeconds), so it is a view of
// recent history, not an archive; the repository's snapshots are the archive.
import { type Job, Queue } from "bullmq";
import { JOB_NAMES, type MailboxJobData, type MailboxJobResult, type RunJobData } from "./jobs.js";
import { type MaintenanceStatus, maintenanceStatus, splitFailure } from "./maintenance-status.js";
import { assertRedisReachable, bullConnection, DEFAULT_PREFIX, QUEUES, type RedisLocation } from "./redis.js";

export type JobState =
  | "completed"
  | "failed"
  | "active"
  | "waiting"
  | "delayed"
  | "prioritized"
  | "waiting-children";
const STATES: readonly JobState[] = [
  "completed",
  "failed",
  "active",
  "waiting",
  "delayed",
  "prioritized",
  "waiting-children",
];

export interface RunStatus {
  readonly set: string;
  readonly dueAt: number;
  /** finished: every mailbox done (completed or failed for good) and retention applied. */
  readonly state: "running" | "finished";
  readonly mailboxes: number;
  readonly completed: number;
  readonly failed: number;
  /** Active, waiting or waiting for a retry. */
  readonly pending: number;
}

export interface MailboxStatus {
  readonly mailbox: string;
  readonly set: string;
  readonly lastSuccess?: {
    readonly at: number;
    readonly dueAt: number;
    readonly snapshotId: string;
    readonly worker: string;
  };
  readonly lastFailure?: {
    readonly at: number;
    readonly dueAt: number;
    readonly code: string;
    readonly message: string;
  };
}

export interface ServiceStatus {
  /** Jobs in the mailbox queue by state (runs' parent jobs included). */
  readonly queue: Readonly<Record<JobState, number>>;
  /** Newest first. */
  readonly runs: readonly RunStatus[];
  /** Sorted by mailbox. */
  readonly mailboxes: readonly MailboxStatus[];
  /** Scheduled prune and verify jobs, by set and task. */
  readonly maintenance: readonly MaintenanceStatus[];
}

export interface StatusOptions {
  readonly redis: RedisLocation;
  /** Runs to show; default 20. */
  readonly runs?: number;
}

export async function serviceStatus(options: StatusOptions): Promise<ServiceStatus> {
  await assertRedisReachable(options.redis);
  const queue = new Queue(QUEUES.mailboxes, {
    connection: bullConnection(options.redis),
    prefix: options.redis.prefix ?? DEFAULT_PREFIX,
  });
  try {
    const counts = (await queue.getJobCounts(...STATES)) as Record<JobState, number>;
    const runs = new Map<
      string,
      { set: string; dueAt: number; state: RunStatus["state"]; counts: Record<string, number> }
    >();
    const mailboxes = new Map<string, MailboxStatus>();
    const runOf = (set: string, dueAt: number) => {
      const key = `${set}|${dueAt}`;
      let run = runs.get(key);
      if (run === undefined) {
        run = { set, dueAt, state: "running", counts: {} };
        runs.set(key, run);
      }
      return run;
    };
    for (const state of STATES) {
      const jobs = (await queue.getJobs(state)) as Job[];
      for (const job of jobs) {
        if (job === undefined || job === null) continue;
        if (job.name === JOB_NAMES.runFinished) {
          const data = job.data as RunJobData;
          if (state === "completed") runOf(data.set, data.dueAt).state = "finished";
          else runOf(data.set, data.dueAt);
          continue;
        }
        if (job.name !== JOB_NAMES.backupMailbox) continue;
        const data = job.data as MailboxJobData;
        const run = runOf(data.set, data.dueAt);
        run.counts[state] = (run.counts[state] ?? 0) + 1;
        const key = `${data.set}|${data.mailbox.toLowerCase()}`;
        const current: MailboxStatus = mailboxes.get(key) ?? { mailbox: data.mailbox, set: data.set };
        const at = job.finishedOn ?? 0;
        if (state === "completed" && at > (current.lastSuccess?.at ?? -1)) {
          const result = job.returnvalue as MailboxJobResult;
          mailboxes.set(key, {
            ...current,
            lastSuccess: { at, dueAt: data.dueAt, snapshotId: result.snapshotId, worker: result.worker },
          });
        } else if (state === "failed" && at > (current.lastFailure?.at ?? -1)) {
          mailboxes.set(key, {
            ...current,
            lastFailure: { at, dueAt: data.dueAt, ...splitFailure(job.failedReason ?? "") },
          });
        } else if (!mailboxes.has(key)) mailboxes.set(key, current);
      }
    }
    const limit = options.runs ?? 20;
    return {
      queue: counts,
      runs: [...runs.values()]
        .sort((a, b) => b.dueAt - a.dueAt || a.set.localeCompare(b.set))
        .slice(0, limit)
        .map((run) => {
          const completed = run.counts.completed ?? 0;
          const failed = run.counts.failed ?? 0;
          const total = Object.values(run.counts).reduce((sum, n) => sum + n, 0);
          return {
            set: run.set,
            dueAt: run.dueAt,
            state: run.state,
            mailboxes: total,
            completed,
            failed,
            pending: total - completed - failed,
          };
        }),
      mailboxes: [...mailboxes.values()].sort(
        (a, b) => a.mailbox.localeCompare(b.mailbox) || a.set.localeCompare(b.set),
      ),
      maintenance: await maintenanceStatus(options.redis),
    };
  } finally {
    await queue.close();
  }
}
