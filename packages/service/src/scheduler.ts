// The scheduler process: keeps one BullMQ job scheduler per scheduled set in Redis and turns
// each due "set-run" job into one run: a parent "run-finished" job with one "backup-mailbox"
// child per mailbox (a BullMQ flow), the mailbox list resolved at the due time. Several
// scheduler processes may run at once: upserting a job scheduler is idempotent, each due
// set-run job is taken by one of them (BullMQ lease), and the run's job ids are deterministic,
// so a retried or repeated fan-out adds nothing twice.
import { FlowProducer, type Job, Queue, Worker } from "bullmq";
import { ServiceError } from "./errors.js";
import {
  JOB_NAMES,
  type MailboxJobData,
  mailboxJobId,
  type RunJobData,
  runJobId,
  type SetRunJobData,
  setSchedulerId,
} from "./jobs.js";
import { assertRedisReachable, bullConnection, DEFAULT_PREFIX, QUEUES, type RedisLocation } from "./redis.js";
import { resolveMailboxes, type ScheduledSet, type ServiceSetConfig, scheduledSets } from "./set-config.js";

export interface SchedulerOptions {
  readonly redis: RedisLocation;
  /** The config file's `sets`; only those with a `schedule` are scheduled. */
  readonly sets: Readonly<Record<string, ServiceSetConfig>>;
  /**
   * Attempts per mailbox job before it counts as failed (retries back off exponentially from
   * retryDelayMs); default 3.
   */
  readonly mailboxAttempts?: number;
  /** First retry delay of a mailbox job; default 30 s. */
  readonly retryDelayMs?: number;
  /**
   * How long finished jobs stay in Redis; default 7 days. A run's ids deduplicate only while its
   * jobs exist, so this must be longer than any schedule's period.
   */
  readonly keepFinishedSeconds?: number;
  readonly onEvent?: (event: SchedulerEvent) => void;
}

export type SchedulerEvent =
  | {
      readonly type: "schedule-upserted";
      readonly set: string;
      readonly cron: string;
      readonly timezone: string;
    }
  | { readonly type: "schedule-removed"; readonly set: string }
  | {
      readonly type: "run-enqueued";
      readonly set: string;
      readonly dueAt: number;
      readonly mailboxes: number;
    };

export interface RunningScheduler {
  readonly sets: readonly ScheduledSet[];
  /** Stops taking set-run jobs (the one in hand finishes) and closes every connection. */
  close(): Promise<void>;
}

const DAY_SECONDS = 86_400;

/**
 * Validates the sets (SERVICE_INVALID_CRON, SERVICE_INVALID_TIMEZONE, SERVICE_NO_MAILBOXES, ...)
 * and checks Redis (SERVICE_REDIS_UNREACHABLE) before writing anything, then upserts the job
 * schedulers, removes those of sets no longer scheduled, and starts fanning out due runs.
 */
export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  const sets = scheduledSets(options.sets);
  await assertRedisReachable(options.redis);
  const prefix = options.redis.prefix ?? DEFAULT_PREFIX;
  const connection = bullConnection(options.redis);
  const keep = { age: options.keepFinishedSeconds ?? 7 * DAY_SECONDS };
  const emit = options.onEvent ?? (() => {});

  const setsQueue = new Queue<SetRunJobData>(QUEUES.sets, { connection, prefix });
  const flows = new FlowProducer({ connection, prefix });
  let worker: Worker<SetRunJobData> | undefined;
  const close = async () => {
    await worker?.close();
    await flows.close();
    await setsQueue.close();
  };
  try {
    for (const set of sets) {
      await setsQueue.upsertJobScheduler(
        setSchedulerId(set.name),
        { pattern: set.cron, tz: set.timezone },
        {
          name: JOB_NAMES.setRun,
          data: { set: set.name },
          opts: { removeOnComplete: keep, removeOnFail: keep },
        },
      );
      emit({ type: "schedule-upserted", set: set.name, cron: set.cron, timezone: set.timezone });
    }
    const wanted = new Set(sets.map((s) => setSchedulerId(s.name)));
    for (const existing of await setsQueue.getJobSchedulers()) {
      const id = existing.key;
      if (id.startsWith("set-") && !wanted.has(id)) {
        await setsQueue.removeJobScheduler(id);
        emit({ type: "schedule-removed", set: id.slice("set-".length) });
      }
    }

    const fanOut = async (job: Job<SetRunJobData>) => {
      const name = job.data.set;
      const set = options.sets[name];
      if (set?.schedule === undefined)
        throw new ServiceError(
          "SERVICE_UNKNOWN_SET",
          `no scheduled set "${name}" in this scheduler's config`,
          {
            details: { set: name },
          },
        );
      const dueAt = dueTimeOf(job);
      const mailboxes = resolveMailboxes(name, set);
      const attempts = options.mailboxAttempts ?? 3;
      await flows.add({
        name: JOB_NAMES.runFinished,
        queueName: QUEUES.mailboxes,
        data: { set: name, dueAt, mailboxes: mailboxes.length } satisfies RunJobData,
        opts: { jobId: runJobId(name, dueAt), removeOnComplete: keep, removeOnFail: keep },
        children: mailboxes.map((mailbox) => ({
          name: JOB_NAMES.backupMailbox,
          queueName: QUEUES.mailboxes,
          data: { set: name, mailbox, dueAt } satisfies MailboxJobData,
          opts: {
            jobId: mailboxJobId(name, dueAt, mailbox),
            attempts,
            backoff: { type: "exponential", delay: options.retryDelayMs ?? 30_000 },
            // A mailbox that fails for good must not hold back the run's retention and report.
            ignoreDependencyOnFailure: true,
            removeOnComplete: keep,
            removeOnFail: keep,
          },
        })),
      });
      emit({ type: "run-enqueued", set: name, dueAt, mailboxes: mailboxes.length });
      return { mailboxes: mailboxes.length };
    };
    worker = new Worker<SetRunJobData>(QUEUES.sets, fanOut, { connection, prefix, concurrency: 1 });
    worker.on("error", () => {
      // Connection errors are retried by ioredis; the worker resumes when Redis is back.
    });
    await worker.waitUntilReady();
  } catch (error) {
    await close();
    throw error;
  }
  return { sets, close };
}

/** The due time a job scheduler gave its job (BullMQ stores it as prevMillis and in the id). */
export function dueTimeOf(job: Job): number {
  const prev = (job.opts as { prevMillis?: number }).prevMillis;
  if (typeof prev === "number" && prev > 0) return prev;
  const fromId = Number(job.id?.split(":").at(-1));
  return Number.isFinite(fromId) && fromId > 0 ? fromId : job.timestamp;
}
