// The scheduler process: keeps one BullMQ job scheduler per scheduled set in Redis and turns
// each due "set-run" job into one run: a parent "run-finished" job with one "backup-mailbox"
// child per mailbox (a BullMQ flow), the mailbox list resolved at the due time. Several
// scheduler processes may run at once: upserting a job scheduler is idempotent, each due
// set-run job is taken by one of them (BullMQ lease), and the run's job ids are deterministic,
// so a retried or repeated fan-out adds nothing twice.
import { FlowProducer, type Job, Queue, Worker } from "bullmq";
import { type AffinityRedis, preferredWorkers } from "./affinity.js";
import { ServiceError } from "./errors.js";
import {
  dueTimeOf,
  JOB_NAMES,
  type MaintenanceJobData,
  maintenanceSchedulerId,
  type SetRunJobData,
  setSchedulerId,
} from "./jobs.js";
import { logEvent, type ServiceLogger } from "./log-records.js";
import { type MaintenanceSchedule, maintenanceSchedules } from "./maintenance-schedules.js";
import {
  createServiceMetrics,
  type MetricsServerOptions,
  type RunningMetricsServer,
  startMetricsServer,
} from "./metrics.js";
import {
  assertRedisReachable,
  bullConnection,
  DEFAULT_PREFIX,
  QUEUES,
  type RedisLocation,
  redisAnswers,
} from "./redis.js";
import { DEFAULT_KEEP_FINISHED_SECONDS, enqueueRun, type RunJobOptions } from "./run-enqueue.js";
import { resolveMailboxes, type ScheduledSet, type ServiceSetConfig, scheduledSets } from "./set-config.js";

export interface SchedulerOptions extends Omit<RunJobOptions, "affinity"> {
  readonly redis: RedisLocation;
  /** The config file's `sets`; only those with a `schedule` are scheduled. */
  readonly sets: Readonly<Record<string, ServiceSetConfig>>;
  /**
   * Serve Prometheus /metrics (runs enqueued by set, the mailbox queue's depth by state, read on
   * each scrape) and /healthz (200 while Redis answers) here; default: no server.
   */
  readonly metrics?: MetricsServerOptions;
  readonly onEvent?: (event: SchedulerEvent) => void;
  /** Structured records of the events (log-records.ts), source "scheduler". */
  readonly logger?: ServiceLogger;
  /**
   * Worker affinity (affinity.ts): a mailbox whose index holder is alive waits this long for it
   * before any worker may take it; default 15 s. false: no affinity.
   */
  readonly affinityWaitMs?: number | false;
}

export type SchedulerEvent =
  | {
      readonly type: "schedule-upserted";
      readonly set: string;
      readonly cron: string;
      readonly timezone: string;
    }
  | {
      readonly type: "maintenance-schedule-upserted";
      readonly set: string;
      readonly task: MaintenanceSchedule["task"];
      readonly cron: string;
      readonly timezone: string;
    }
  | { readonly type: "schedule-removed"; readonly set: string; readonly task?: MaintenanceSchedule["task"] }
  | {
      readonly type: "run-enqueued";
      readonly set: string;
      readonly dueAt: number;
      readonly mailboxes: number;
    };

export interface RunningScheduler {
  readonly sets: readonly ScheduledSet[];
  /** The prune and verify schedules (retention.prune, verify) of the sets. */
  readonly maintenance: readonly MaintenanceSchedule[];
  /** Base URL of /metrics and /healthz when `metrics` was given. */
  readonly metricsUrl?: string;
  /** Stops taking set-run jobs (the one in hand finishes) and closes every connection. */
  close(): Promise<void>;
}

/**
 * Validates the sets (SERVICE_INVALID_CRON, SERVICE_INVALID_TIMEZONE, SERVICE_NO_MAILBOXES, ...)
 * and checks Redis (SERVICE_REDIS_UNREACHABLE) before writing anything, then upserts the job
 * schedulers, removes those of sets no longer scheduled, and starts fanning out due runs.
 */
export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  const sets = scheduledSets(options.sets);
  const maintenance = maintenanceSchedules(options.sets);
  await assertRedisReachable(options.redis);
  const prefix = options.redis.prefix ?? DEFAULT_PREFIX;
  const connection = bullConnection(options.redis);
  const keep = { age: options.keepFinishedSeconds ?? DEFAULT_KEEP_FINISHED_SECONDS };
  let countRun: ((set: string) => void) | undefined;
  const emit = (event: SchedulerEvent) => {
    if (event.type === "run-enqueued") countRun?.(event.set);
    options.onEvent?.(event);
    logEvent(options.logger, event, "scheduler");
  };

  const setsQueue = new Queue<SetRunJobData>(QUEUES.sets, { connection, prefix });
  const maintenanceQueue = new Queue<MaintenanceJobData>(QUEUES.maintenance, { connection, prefix });
  const flows = new FlowProducer({ connection, prefix });
  let worker: Worker<SetRunJobData> | undefined;
  let metricsServer: RunningMetricsServer | undefined;
  let depthQueue: Queue | undefined;
  const close = async () => {
    await metricsServer?.close();
    await depthQueue?.close();
    await worker?.close();
    await flows.close();
    await setsQueue.close();
    await maintenanceQueue.close();
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

    await upsertMaintenanceSchedules(maintenanceQueue, maintenance, options, emit);

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
      const preferred =
        options.affinityWaitMs === false
          ? new Map<string, string>()
          : await preferredWorkers((await setsQueue.client) as unknown as AffinityRedis, prefix, mailboxes);
      await enqueueRun(
        flows,
        { set: name, dueAt, mailboxes },
        {
          ...options,
          affinity: {
            preferred,
            ...(typeof options.affinityWaitMs === "number" ? { waitMs: options.affinityWaitMs } : {}),
          },
        },
      );
      emit({ type: "run-enqueued", set: name, dueAt, mailboxes: mailboxes.length });
      return { mailboxes: mailboxes.length };
    };
    worker = new Worker<SetRunJobData>(QUEUES.sets, fanOut, { connection, prefix, concurrency: 1 });
    worker.on("error", () => {
      // Connection errors are retried by ioredis; the worker resumes when Redis is back.
    });
    await worker.waitUntilReady();
    if (options.metrics !== undefined) {
      const queue = new Queue(QUEUES.mailboxes, { connection, prefix });
      depthQueue = queue;
      const metrics = createServiceMetrics(() => queue.getJobCounts() as Promise<Record<string, number>>);
      countRun = (set) => metrics.runsEnqueued.inc({ set });
      const client = (worker as Worker).client;
      metricsServer = await startMetricsServer(options.metrics, metrics.registry, () => redisAnswers(client));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    sets,
    maintenance,
    ...(metricsServer === undefined ? {} : { metricsUrl: metricsServer.url }),
    close,
  };
}

/**
 * One job scheduler per prune or verify schedule in queue "maintenance" (ids prune-<set>,
 * verify-<set>): BullMQ makes one job per due time however many schedulers upsert it, and a
 * worker runs it. Job schedulers of schedules no longer in the config are removed.
 */
async function upsertMaintenanceSchedules(
  queue: Queue<MaintenanceJobData>,
  schedules: readonly MaintenanceSchedule[],
  options: RunJobOptions,
  emit: (event: SchedulerEvent) => void,
): Promise<void> {
  const keep = { age: options.keepFinishedSeconds ?? DEFAULT_KEEP_FINISHED_SECONDS };
  for (const { set, task, cron, timezone } of schedules) {
    await queue.upsertJobScheduler(
      maintenanceSchedulerId(task, set),
      { pattern: cron, tz: timezone },
      {
        name: task,
        data: { set, task },
        opts: {
          // A prune that waited its bound for running backups (REPO_LOCKED) tries again later.
          attempts: 3,
          backoff: { type: "exponential", delay: options.retryDelayMs ?? 30_000 },
          removeOnComplete: keep,
          removeOnFail: keep,
        },
      },
    );
    emit({ type: "maintenance-schedule-upserted", set, task, cron, timezone });
  }
  const wanted = new Set(schedules.map((s) => maintenanceSchedulerId(s.task, s.set)));
  for (const existing of await queue.getJobSchedulers()) {
    const match = /^(prune|verify)-(.*)$/.exec(existing.key);
    if (match !== null && !wanted.has(existing.key)) {
      await queue.removeJobScheduler(existing.key);
      emit({ type: "schedule-removed", set: match[2]!, task: match[1] as MaintenanceSchedule["task"] });
    }
  }
}
