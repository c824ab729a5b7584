// Runs the sets' scheduled prune and verify jobs (queue "maintenance") in a worker process,
// one at a time, on the worker's open repository. Each job closes the maintenance gate (no new
// mailbox starts anywhere), then takes the repository's exclusive lock, which waits for the
// running backups' locks to go away (up to waitMs; REPO_LOCKED after, and the job is retried
// with back-off), runs, and opens the gate again. A verify that finds problems fails the job
// for good (SERVICE_VERIFY_PROBLEMS): running it again changes nothing.
import type { Repository } from "@ewsvault/core";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { ServiceError } from "./errors.js";
import {
  dueTimeOf,
  type MaintenanceJobData,
  type MaintenanceJobResult,
  type MaintenanceTask,
} from "./jobs.js";
import { type GateRedis, MaintenanceGate } from "./maintenance-gate.js";
import { readDataSubsetOf } from "./maintenance-schedules.js";
import { bullConnection, DEFAULT_PREFIX, QUEUES, type RedisLocation } from "./redis.js";
import type { ServiceSetConfig } from "./set-config.js";

export interface MaintenanceWorkerOptions {
  readonly redis: RedisLocation;
  readonly sets: Readonly<Record<string, ServiceSetConfig>>;
  readonly repository: Repository;
  /** Names this worker in results and events. */
  readonly name: string;
  /** How long a job waits for running backups before REPO_LOCKED; default 1 h. */
  readonly waitMs?: number;
  /** How often it looks while waiting; default 2 s. */
  readonly pollMs?: number;
  /** The job's lease, and how long the gate stays closed after its holder died; default 60 s. */
  readonly lockDurationMs?: number;
  readonly onEvent?: (event: MaintenanceEvent) => void;
}

export type MaintenanceEvent =
  | {
      readonly type: "maintenance-start";
      readonly set: string;
      readonly task: MaintenanceTask;
      readonly dueAt: number;
      readonly attempt: number;
    }
  | { readonly type: "maintenance-done"; readonly result: MaintenanceJobResult }
  | {
      readonly type: "maintenance-failed";
      readonly set: string;
      readonly task: MaintenanceTask;
      readonly dueAt: number;
      readonly code: string;
      readonly message: string;
      /** False when the job will be tried again. */
      readonly final: boolean;
    };

/** How long maintenance waits for running backups (default 1 h) and how often it looks (2 s). */
export function maintenanceWaitOf(options: Pick<MaintenanceWorkerOptions, "waitMs" | "pollMs"> = {}): {
  readonly waitMs: number;
  readonly pollMs: number;
} {
  return { waitMs: options.waitMs ?? 3_600_000, pollMs: options.pollMs ?? 2_000 };
}

export interface RunningMaintenanceWorker {
  close(): Promise<void>;
}

export async function startMaintenanceWorker(
  options: MaintenanceWorkerOptions,
): Promise<RunningMaintenanceWorker> {
  const prefix = options.redis.prefix ?? DEFAULT_PREFIX;
  const emit = options.onEvent ?? (() => {});
  const lockDurationMs = options.lockDurationMs ?? 60_000;
  const wait = maintenanceWaitOf(options);
  const gate = new MaintenanceGate(async () => (await worker.client) as unknown as GateRedis, prefix);

  const run = async (job: Job<MaintenanceJobData>): Promise<MaintenanceJobResult> => {
    const { set, task } = job.data;
    const dueAt = dueTimeOf(job);
    const started = Date.now();
    const config = options.sets[set];
    if (config === undefined)
      throw new ServiceError("SERVICE_UNKNOWN_SET", `no set "${set}" in this worker's config`, {
        details: { set },
      });
    emit({ type: "maintenance-start", set, task, dueAt, attempt: job.attemptsMade + 1 });
    const release = await gate.hold(`${task}|${job.id}`, lockDurationMs);
    try {
      const base = { set, task, dueAt, worker: options.name };
      if (task === "prune") {
        const report = await options.repository.prune(wait);
        // Workers reload before each job; this one's next mailbox must not see removed packs.
        await options.repository.reloadIndex();
        return {
          ...base,
          durationMs: Date.now() - started,
          prune: {
            packsDeleted: report.packsDeleted,
            packsRepacked: report.packsRepacked,
            bytesFreed: report.bytesFreed,
            staleLocksRemoved: report.staleLocksRemoved,
          },
        };
      }
      const readData = readDataSubsetOf(set, config.verify?.readDataSubset);
      const report = await options.repository.verify({ readData, exclusive: wait });
      if (!report.ok) {
        const byCode = new Map<string, number>();
        for (const p of report.problems) byCode.set(p.code, (byCode.get(p.code) ?? 0) + 1);
        const summary = [...byCode].map(([code, n]) => `${code} x${n}`).join(", ");
        throw new ServiceError(
          "SERVICE_VERIFY_PROBLEMS",
          `verify found ${report.problems.length} problem(s): ${summary}`,
          { details: { set, problems: report.problems.length } },
        );
      }
      return {
        ...base,
        durationMs: Date.now() - started,
        verify: {
          readDataSubset: readData,
          snapshots: report.checked.snapshots,
          packs: report.checked.packs,
          packsRead: report.checked.packsRead,
          bytesRead: report.checked.bytesRead,
          problems: 0,
        },
      };
    } finally {
      await release().catch(() => {});
    }
  };

  const worker = new Worker<MaintenanceJobData>(
    QUEUES.maintenance,
    async (job) => {
      try {
        return await run(job);
      } catch (error) {
        const code = codeOf(error);
        const message = (error as Error).message ?? String(error);
        const unrecoverable = code === "SERVICE_VERIFY_PROBLEMS" || code === "SERVICE_UNKNOWN_SET";
        const final = unrecoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        emit({
          type: "maintenance-failed",
          set: job.data.set,
          task: job.data.task,
          dueAt: dueTimeOf(job),
          code,
          message,
          final,
        });
        // As for mailbox jobs, the failed job's message starts with the stable code (status).
        const failure = `${code}: ${message}`;
        if (unrecoverable) throw new UnrecoverableError(failure);
        throw new Error(failure, { cause: error });
      }
    },
    {
      connection: bullConnection(options.redis),
      prefix,
      // One at a time per worker: they serialize on the exclusive lock anyway.
      concurrency: 1,
      lockDuration: lockDurationMs,
      name: options.name,
    },
  );
  worker.on("completed", (job) => emit({ type: "maintenance-done", result: job.returnvalue }));
  worker.on("error", () => {
    // Connection errors: ioredis reconnects and the worker resumes.
  });
  await worker.waitUntilReady();
  return { close: () => worker.close() };
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "INTERNAL";
}
