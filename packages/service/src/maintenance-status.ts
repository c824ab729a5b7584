// The maintenance part of `ewsvault status`: per set and task (prune, verify) the last success
// with its result (a verify's packs read, a prune's bytes freed), the last failure with its
// stable code (REPO_LOCKED when backups kept the repository busy past the wait,
// SERVICE_VERIFY_PROBLEMS when verify found damage), and jobs still to run. Like the rest of the
// status it sees what Redis still keeps.
import { type Job, Queue } from "bullmq";
import {
  dueTimeOf,
  type MaintenanceJobData,
  type MaintenanceJobResult,
  type MaintenanceTask,
} from "./jobs.js";
import { bullConnection, DEFAULT_PREFIX, QUEUES, type RedisLocation } from "./redis.js";

export interface MaintenanceStatus {
  readonly set: string;
  readonly task: MaintenanceTask;
  readonly lastSuccess?: {
    readonly at: number;
    readonly dueAt: number;
    readonly result: MaintenanceJobResult;
  };
  readonly lastFailure?: {
    readonly at: number;
    readonly dueAt: number;
    readonly code: string;
    readonly message: string;
  };
  /** Jobs running, waiting for their due time or for a retry. */
  readonly pending: number;
}

/** "CODE: message" (how workers word a failed job's reason) split in two. */
export function splitFailure(reason: string): { code: string; message: string } {
  const match = /^([A-Z][A-Z0-9_]*): (.*)$/s.exec(reason);
  return { code: match?.[1] ?? "UNKNOWN", message: match?.[2] ?? reason };
}

export async function maintenanceStatus(redis: RedisLocation): Promise<MaintenanceStatus[]> {
  const queue = new Queue<MaintenanceJobData>(QUEUES.maintenance, {
    connection: bullConnection(redis),
    prefix: redis.prefix ?? DEFAULT_PREFIX,
  });
  try {
    const entries = new Map<string, MaintenanceStatus>();
    for (const state of ["completed", "failed", "active", "waiting", "delayed", "prioritized"] as const) {
      for (const job of (await queue.getJobs(state)) as Job<MaintenanceJobData>[]) {
        if (job === undefined || job === null) continue;
        const { set, task } = job.data;
        const key = `${task}|${set}`;
        const current: MaintenanceStatus = entries.get(key) ?? { set, task, pending: 0 };
        const at = job.finishedOn ?? 0;
        const dueAt = dueTimeOf(job);
        if (state === "completed") {
          entries.set(
            key,
            at > (current.lastSuccess?.at ?? -1)
              ? { ...current, lastSuccess: { at, dueAt, result: job.returnvalue as MaintenanceJobResult } }
              : current,
          );
        } else if (state === "failed") {
          entries.set(
            key,
            at > (current.lastFailure?.at ?? -1)
              ? { ...current, lastFailure: { at, dueAt, ...splitFailure(job.failedReason ?? "") } }
              : current,
          );
        } else entries.set(key, { ...current, pending: current.pending + 1 });
      }
    }
    return [...entries.values()].sort((a, b) => a.set.localeCompare(b.set) || a.task.localeCompare(b.task));
  } finally {
    await queue.close();
  }
}
