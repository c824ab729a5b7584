// The worker process: takes "backup-mailbox" jobs from any scheduler and runs the existing
// engine on one mailbox against the shared repository, and "run-finished" jobs (a run's parent,
// processed once all its mailboxes are done) applying the set's retention. BullMQ's lease is
// the job lock: a worker renews it while the job runs; a worker that dies stops renewing, the
// stalled-job check of any other worker moves the job back to wait, and someone else takes it.
import { hostname } from "node:os";
import type { MailboxSource } from "@ewsvault/core";
import { backup, type Repository } from "@ewsvault/core";
import type { ConcurrencyGate } from "@ewsvault/ews";
import { DelayedError, Job, Queue, Worker } from "bullmq";
import {
  type AffinityRedis,
  type Claim,
  claimHolds,
  claimQueueName,
  claimResult,
  readClaim,
  rememberHolder,
  replaceClaim,
  saveClaimResult,
  startHeartbeat,
  takeClaim,
} from "./affinity.js";
import { ServiceError } from "./errors.js";
import { JOB_NAMES, type MailboxJobData, type MailboxJobResult, type RunJobData } from "./jobs.js";
import { logEvent, type ServiceLogger } from "./log-records.js";
import { MailboxSlots } from "./mailbox-slots.js";
import {
  type DeferralOptions,
  deferMailboxJob,
  type GateRedis,
  MaintenanceGate,
} from "./maintenance-gate.js";
import {
  type MaintenanceWorkerOptions,
  maintenanceWaitOf,
  type RunningMaintenanceWorker,
  startMaintenanceWorker,
} from "./maintenance-worker.js";
import {
  createServiceMetrics,
  type MetricsServerOptions,
  type RunningMetricsServer,
  type ServiceMetrics,
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
import type { ClaimJobData } from "./run-enqueue.js";
import { applyRunRetention } from "./run-retention.js";
import type { ServiceSetConfig } from "./set-config.js";
import { engineOptionsOf } from "./set-selection.js";
import {
  openSharedGate,
  type SharedConcurrencyGate,
  type SharedGateOptions,
} from "./shared-throttle/redis-gate.js";
import { createWebhookNotifier, runFailures, type WebhookOptions, webhookPayloadOf } from "./webhook.js";
import { countEvent, type WorkerEvent } from "./worker-events.js";

export interface WorkerOptions {
  readonly redis: RedisLocation;
  /** The config file's `sets` (the same config the schedulers were given). */
  readonly sets: Readonly<Record<string, ServiceSetConfig>>;
  /**
   * The shared repository, opened by the caller (password from a file or env, never argv) with
   * lockStaleAfterMs no longer than lockDurationMs, so that the repository's mailbox lock of a
   * worker that died or was paused goes stale when its queue lease does, and the worker that
   * takes the job over can break it.
   */
  readonly repository: Repository;
  /**
   * The mailbox source; or a factory the worker calls once at start with the gate it shares
   * through Redis (sharedThrottle) and closes on close(): pass the gate as the EWS client's
   * `gate` option, so every worker of the cluster together stays under the account's limits.
   */
  readonly source:
    | MailboxSource
    | ((gate: ConcurrencyGate | undefined) => MailboxSource | Promise<MailboxSource>);
  /**
   * Throttling shared through Redis with every worker calling the same EWS endpoint as the same
   * account: on when given and `source` is a factory (see shared-throttle/redis-gate.ts; redis
   * comes from this worker's); false or absent: the client throttles on its own.
   */
  readonly sharedThrottle?: Omit<SharedGateOptions, "redis"> | false;
  /** This machine's per-mailbox index directory; a missing index is rebuilt from the repository. */
  readonly indexDirectory: string;
  /** Mailbox jobs this worker runs at once; default 2. */
  readonly concurrency?: number;
  /** EWS requests in flight per mailbox unless the set says otherwise; default 4. */
  readonly itemConcurrency?: number;
  /**
   * A job's lease: renewed every half of it while the job runs; default 60 s. A worker that
   * dies holds its jobs at most this long, plus one stalledIntervalMs until another worker's
   * stalled check returns them to the queue: 90 s by default, within the 2 minutes promised.
   */
  readonly lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (leases that ran out); default 30 s. */
  readonly stalledIntervalMs?: number;
  /** Times a job may lose its lease (its worker died) before it fails; default 3. */
  readonly maxStalledCount?: number;
  /** Make finished work durable at least this often (the engine's checkpointSeconds); default 30. */
  readonly checkpointSeconds?: number;
  /** Serve Prometheus /metrics and /healthz on this address; default: no server. */
  readonly metrics?: MetricsServerOptions;
  /**
   * Also run the sets' scheduled prune and verify jobs (maintenance-worker.ts): waitMs (default
   * 1 h) bounds how long one waits for running backups. false: this worker runs none.
   */
  readonly maintenance?: false | Pick<MaintenanceWorkerOptions, "waitMs" | "pollMs">;
  /** Back-off of mailbox jobs put back while maintenance holds the repository (maintenance-gate.ts). */
  readonly deferral?: DeferralOptions;
  /** POST a JSON notice of each failed or partial run and failed prune or verify here (webhook.ts). */
  readonly webhook?: WebhookOptions;
  /** Names this worker in results and events; default host:pid. */
  readonly name?: string;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Structured records of the events (log-records.ts): one per event, engine progress left out. */
  readonly logger?: ServiceLogger;
}

export type { WorkerEvent } from "./worker-events.js";

export interface RunningWorker {
  readonly name: string;
  /** Base URL of /metrics and /healthz when `metrics` was given. */
  readonly metricsUrl?: string;
  /**
   * Graceful stop: asks running mailboxes to make their finished work durable and stop, puts
   * their jobs back in the queue (no attempt counted), releases the leases, closes connections.
   */
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  await assertRedisReachable(options.redis);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  let metrics: ServiceMetrics | undefined;
  const webhook =
    options.webhook === undefined ? undefined : createWebhookNotifier(options.webhook, (e) => emit(e));
  const emit = (event: WorkerEvent) => {
    if (metrics !== undefined) countEvent(metrics, event);
    options.onEvent?.(event);
    logEvent(options.logger, event, name);
    const notice = webhook === undefined ? undefined : webhookPayloadOf(event, name);
    if (notice !== undefined) webhook?.notify(notice);
  };
  const stopping = new AbortController();
  const prefix = options.redis.prefix ?? DEFAULT_PREFIX;
  const { source, gate: sharedGate } = await openSource(options);
  const gate = new MaintenanceGate(async () => (await worker.client) as unknown as GateRedis, prefix);

  // `concurrency` engine runs at once, for mailbox jobs and claims together.
  const slots = new MailboxSlots(options.concurrency ?? 2);

  /**
   * Runs the engine on one mailbox with its set's selection. A repository mailbox lock held by a
   * worker that stopped refreshing it (dead, or paused past the lease) is broken and the mailbox
   * taken over: the queue gave us its job (or its claim), and the paused holder is fenced off by
   * beforeCommit when it resumes.
   */
  const runMailbox = async (setName: string, mailbox: string, beforeCommit: () => Promise<void>) => {
    const release = await slots.acquire();
    try {
      return await runEngine(setName, mailbox, beforeCommit);
    } finally {
      release();
    }
  };
  const runEngine = async (setName: string, mailbox: string, beforeCommit: () => Promise<void>) => {
    const engine = engineOptionsOf(options.sets[setName] as ServiceSetConfig);
    // Other workers have written index files since this one opened the repository; the
    // mailbox's last snapshot (perhaps written elsewhere) must be readable here.
    await options.repository.reloadIndex();
    const run = () =>
      backup({
        repository: options.repository,
        source,
        mailboxes: [mailbox],
        indexDirectory: options.indexDirectory,
        mailboxConcurrency: 1,
        itemConcurrency: engine.itemConcurrency ?? options.itemConcurrency ?? 4,
        selection: engine.selection,
        captureMime: engine.captureMime,
        ...(engine.associatedItems === undefined ? {} : { associatedItems: engine.associatedItems }),
        ...(engine.settings === undefined ? {} : { settings: engine.settings }),
        tags: [...engine.tags],
        host: name,
        signal: stopping.signal,
        ...(options.checkpointSeconds === undefined ? {} : { checkpointSeconds: options.checkpointSeconds }),
        beforeCommit,
        onEvent: (event) => emit({ type: "engine", set: setName, event }),
      });
    let result = (await run()).mailboxes[0];
    if (
      result?.status === "skipped-locked" &&
      (await options.repository.unlock({ staleOnly: true })).length > 0
    )
      result = (await run()).mailboxes[0];
    return result;
  };

  const backupMailbox = async (
    job: Job<MailboxJobData>,
    token: string | undefined,
  ): Promise<MailboxJobResult> => {
    const { set: setName, mailbox, dueAt } = job.data;
    const set = options.sets[setName];
    if (set === undefined)
      throw new ServiceError("SERVICE_UNKNOWN_SET", `no set "${setName}" in this worker's config`, {
        details: { set: setName },
      });
    const lockKey = `${prefix}:${QUEUES.mailboxes}:${job.id}:lock`;
    // Fencing: the lease is this job's BullMQ lock, whose value is our token while we hold it.
    // A worker paused past the lease (SIGSTOP, a long GC, a lost network) finds another value
    // or none when it resumes, and must not advance the mailbox's sync states or write its
    // snapshot: another worker owns the mailbox now. Checked right before each commit, so the
    // window left is the time of one commit, well inside the lease.
    const beforeCommit = async () => {
      const holder = await (await worker.client).get(lockKey);
      if (token === undefined || holder !== token)
        throw new ServiceError("SERVICE_LEASE_LOST", `lease on ${mailbox} lost; another worker owns it now`, {
          details: { set: setName, mailbox, dueAt },
        });
    };
    const defer = async (reason: "maintenance" | "repository-locked") => {
      if (!(await deferMailboxJob(job, token, options.deferral))) return;
      emit({ type: "mailbox-deferred", set: setName, mailbox, dueAt, reason });
      throw new DelayedError();
    };
    if ((await gate.holders()).length > 0) await defer("maintenance");
    // The worker holding the mailbox's index may have claimed it (affinity.ts): its result.
    const claimed = await settleClaim(job.id as string, { worker: name, lockKey, token: token ?? "" });
    if (claimed !== undefined) return claimed;
    emit({ type: "mailbox-start", set: setName, mailbox, dueAt, attempt: job.attemptsMade + 1 });
    const result = await runMailbox(setName, mailbox, beforeCommit);
    if (stopping.signal.aborted && result?.snapshotId === undefined) {
      // Shutting down: what was finished is durable; hand the mailbox back without using up an
      // attempt, so another worker (or this one, restarted) resumes it at once.
      await job.moveToDelayed(Date.now(), token);
      emit({ type: "mailbox-requeued", set: setName, mailbox, dueAt });
      throw new DelayedError();
    }
    // A prune or verify holds the repository: wait for it rather than use up an attempt.
    if (result?.status === "failed" && result.error?.code === "REPO_LOCKED") await defer("repository-locked");
    if (
      result === undefined ||
      result.snapshotId === undefined ||
      (result.status !== "completed" && result.status !== "completed-with-warnings")
    ) {
      const cause = result?.error;
      emit({
        type: "mailbox-failed",
        set: setName,
        mailbox,
        dueAt,
        code: cause?.code ?? "SERVICE_MAILBOX_FAILED",
        message: cause?.message ?? "no report",
      });
      throw new ServiceError(
        "SERVICE_MAILBOX_FAILED",
        `${mailbox}: ${result?.status ?? "no report"}${cause ? ` (${cause.code}: ${cause.message})` : ""}`,
        { details: { set: setName, mailbox, status: result?.status, code: cause?.code } },
      );
    }
    const done = jobResultOf(
      mailbox,
      { ...result, snapshotId: result.snapshotId, status: result.status },
      name,
    );
    await rememberHolder(await affinityRedis(), prefix, mailbox, name);
    emit({ type: "mailbox-done", set: setName, mailbox, dueAt, result: done });
    return done;
  };

  const affinityRedis = async () => (await worker.client) as unknown as AffinityRedis;

  /**
   * Before a mailbox job backs its mailbox up: takes the job's claim, or, when the worker holding
   * the index claimed it, waits for its result while the claim's lease holds, and takes the
   * claim over when it lapsed (that worker died). Undefined: back up here, the claim is ours.
   */
  const settleClaim = async (jobId: string, mine: Claim): Promise<MailboxJobResult | undefined> => {
    const redis = await affinityRedis();
    for (;;) {
      if (await takeClaim(redis, prefix, jobId, mine)) return undefined;
      const current = await readClaim(redis, prefix, jobId);
      if (current === undefined) continue; // a failed claim was given back just now
      // An earlier attempt of this same job (a retry, a deferral) took it.
      if (current.lockKey === mine.lockKey) {
        if (await replaceClaim(redis, prefix, jobId, current, mine)) return undefined;
        continue;
      }
      const result = await claimResult(redis, prefix, jobId);
      if (result !== undefined) return result;
      if ((await redis.get(current.lockKey)) !== current.token) {
        const late = await claimResult(redis, prefix, jobId);
        if (late !== undefined) return late;
        if (await replaceClaim(redis, prefix, jobId, current, mine)) return undefined;
        continue;
      }
      if (stopping.signal.aborted) return undefined;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  /**
   * A claim offered to this worker as the holder of the mailbox's index: back the mailbox up for
   * its job if the job is still waiting and nobody claimed it, leave the result for it and let it
   * run at once (it completes with the result). Anything else gives the mailbox back to its job.
   */
  const processClaim = async (job: Job<ClaimJobData>, token: string | undefined) => {
    const { set: setName, mailbox, dueAt, mailboxJobId: id } = job.data;
    if (options.sets[setName] === undefined || token === undefined) return { skipped: "unknown-set" };
    const mailboxJob = await Job.fromId(mailboxQueue, id);
    const state = mailboxJob === undefined ? "missing" : await mailboxJob.getState();
    if (state !== "delayed" && state !== "waiting" && state !== "prioritized") return { skipped: state };
    if ((await gate.holders()).length > 0) return { skipped: "maintenance" };
    const redis = await affinityRedis();
    const mine: Claim = { worker: name, lockKey: `${prefix}:${claimQueue}:${job.id}:lock`, token };
    if (!(await takeClaim(redis, prefix, id, mine))) return { skipped: "claimed" };
    let done: MailboxJobResult | undefined;
    try {
      emit({ type: "mailbox-start", set: setName, mailbox, dueAt, attempt: 1 });
      const result = await runMailbox(setName, mailbox, async () => {
        if (!(await claimHolds(redis, prefix, id, mine)))
          throw new ServiceError(
            "SERVICE_LEASE_LOST",
            `claim on ${mailbox} lost; another worker owns it now`,
            {
              details: { set: setName, mailbox, dueAt },
            },
          );
      });
      if (
        result?.snapshotId !== undefined &&
        (result.status === "completed" || result.status === "completed-with-warnings")
      ) {
        done = jobResultOf(
          mailbox,
          { ...result, snapshotId: result.snapshotId, status: result.status },
          name,
        );
        await saveClaimResult(redis, prefix, id, done);
        await rememberHolder(redis, prefix, mailbox, name);
        emit({ type: "mailbox-done", set: setName, mailbox, dueAt, result: done });
      }
    } finally {
      // Not backed up here: the mailbox job does it as usual (its retries, its failure report).
      if (done === undefined) await replaceClaim(redis, prefix, id, mine, undefined).catch(() => {});
      await mailboxJob?.promote().catch(() => {
        // No longer delayed: it runs when its turn comes.
      });
    }
    return done ?? { skipped: "not-backed-up" };
  };

  const finishRun = async (job: Job<RunJobData>) => {
    const { set: setName, dueAt } = job.data;
    const values = await job.getChildrenValues<MailboxJobResult>();
    const failures = await job.getIgnoredChildrenFailures();
    let forgotten = 0;
    const retention = options.sets[setName]?.retention;
    const backedUp = new Set(Object.values(values).map((v) => v.mailbox));
    if (retention !== undefined && backedUp.size > 0) {
      forgotten = await applyRunRetention(
        {
          repository: options.repository,
          gate,
          holder: `forget|${job.id}`,
          holdTtlMs: options.lockDurationMs ?? 60_000,
          wait: maintenanceWaitOf(options.maintenance === false ? undefined : options.maintenance),
          onGateClosed: () =>
            emit({ type: "retention-start", set: setName, dueAt, mailboxes: backedUp.size }),
        },
        retention,
        backedUp,
      );
    }
    const summary = {
      completed: Object.keys(values).length,
      failed: Object.keys(failures).length,
      forgotten,
      failures: runFailures(failures),
    };
    emit({ type: "run-finished", set: setName, dueAt, ...summary });
    return summary;
  };

  const worker = new Worker<MailboxJobData | RunJobData>(
    QUEUES.mailboxes,
    async (job, token) => {
      try {
        return job.name === JOB_NAMES.runFinished
          ? await finishRun(job as Job<RunJobData>)
          : await backupMailbox(job as Job<MailboxJobData>, token);
      } catch (error) {
        if (error instanceof DelayedError) throw error;
        // BullMQ keeps only the message of a failed job: it starts with the stable code, so
        // `status` can report failures by code.
        throw new Error(`${failureCode(error)}: ${(error as Error).message ?? String(error)}`, {
          cause: error,
        });
      }
    },
    {
      connection: bullConnection(options.redis),
      prefix,
      concurrency: options.concurrency ?? 2,
      lockDuration: options.lockDurationMs ?? 60_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 3,
      name,
    },
  );
  worker.on("error", () => {
    // Connection errors: ioredis reconnects and the worker resumes; jobs keep their leases
    // only as long as Redis can renew them, which the stalled check then sorts out.
  });
  await worker.waitUntilReady();
  const mailboxQueue = new Queue(QUEUES.mailboxes, { connection: bullConnection(options.redis), prefix });
  const claimQueue = claimQueueName(name);
  const claimWorker = new Worker<ClaimJobData>(claimQueue, (job, token) => processClaim(job, token), {
    connection: bullConnection(options.redis),
    prefix,
    // As many as mailbox jobs: both share the worker's `concurrency` engine runs (MailboxSlots).
    concurrency: options.concurrency ?? 2,
    lockDuration: options.lockDurationMs ?? 60_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    name,
  });
  claimWorker.on("error", () => {
    // As for the mailbox worker: ioredis reconnects.
  });
  await claimWorker.waitUntilReady();
  const stopHeartbeat = startHeartbeat(await affinityRedis(), prefix, name, options.lockDurationMs ?? 60_000);
  let maintenance: RunningMaintenanceWorker | undefined;
  if (options.maintenance !== false)
    maintenance = await startMaintenanceWorker({
      ...options.maintenance,
      redis: options.redis,
      sets: options.sets,
      repository: options.repository,
      name,
      lockDurationMs: options.lockDurationMs ?? 60_000,
      onEvent: emit,
    });
  let metricsServer: RunningMetricsServer | undefined;
  let countsQueue: Queue | undefined;
  if (options.metrics !== undefined) {
    countsQueue = new Queue(QUEUES.mailboxes, { connection: bullConnection(options.redis), prefix });
    const queue = countsQueue;
    // The gate of the source's EWS client (an EwsClient exposes it): shared or its own.
    const ewsGate = sharedGate ?? (source as { gate?: ConcurrencyGate }).gate;
    metrics = createServiceMetrics(
      () => queue.getJobCounts() as Promise<Record<string, number>>,
      typeof ewsGate?.snapshot === "function" ? () => ewsGate.snapshot() : undefined,
    );
    metricsServer = await startMetricsServer(options.metrics, metrics.registry, () =>
      redisAnswers(worker.client),
    );
  }
  return {
    name,
    ...(metricsServer === undefined ? {} : { metricsUrl: metricsServer.url }),
    async close() {
      stopping.abort();
      await stopHeartbeat();
      await claimWorker.close();
      await worker.close();
      await mailboxQueue.close();
      await maintenance?.close();
      await webhook?.close();
      await countsQueue?.close();
      await metricsServer?.close();
      if (source !== options.source) await source.close();
      await sharedGate?.close();
    },
  };
}

/** The source to back up from: a factory gets the gate shared through Redis when configured. */
async function openSource(
  options: WorkerOptions,
): Promise<{ source: MailboxSource; gate: SharedConcurrencyGate | undefined }> {
  if (typeof options.source !== "function") {
    if (options.sharedThrottle)
      throw new TypeError("sharedThrottle needs a source factory that passes the gate to the EWS client");
    return { source: options.source, gate: undefined };
  }
  const gate = options.sharedThrottle
    ? await openSharedGate({ ...options.sharedThrottle, redis: options.redis })
    : undefined;
  try {
    return { source: await options.source(gate), gate };
  } catch (error) {
    await gate?.close();
    throw error;
  }
}

/** What a completed mailbox job returns (kept in Redis with the job, read by `status`). */
function jobResultOf(
  mailbox: string,
  result: Omit<MailboxJobResult, "mailbox" | "worker">,
  worker: string,
): MailboxJobResult {
  const { status, snapshotId, items, itemsExported, bytesRead, bytesNew, durationMs } = result;
  return { mailbox, status, snapshotId, items, itemsExported, bytesRead, bytesNew, durationMs, worker };
}

/** The most specific stable code of a failure: the engine's for a failed mailbox. */
function failureCode(error: unknown): string {
  if (error instanceof ServiceError) {
    const engineCode = error.details.code;
    return error.code === "SERVICE_MAILBOX_FAILED" && typeof engineCode === "string"
      ? engineCode
      : error.code;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "INTERNAL";
}
