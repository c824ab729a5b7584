// Backups wait for maintenance, maintenance waits for running backups. The repository's own
// locks already refuse a backup while prune holds the exclusive lock (REPO_LOCKED) and make
// prune wait while backups hold theirs; but prune only gets the exclusive lock in a moment when
// no backup runs at all, which a busy cluster may never have. So a maintenance job first closes
// this gate in Redis: workers start no new mailbox while it is closed, the running ones finish,
// and prune gets its moment. The gate is a sorted set of holders scored by expiry, refreshed
// while the job runs, so a dead maintenance worker's hold lapses by itself.
//
// A mailbox job that meets the closed gate, or REPO_LOCKED (a prune elsewhere, `ewsvault prune`
// by hand), is put back in the queue with back-off without using up an attempt, up to a bound.
import type { Job } from "bullmq";
import type { MailboxJobData } from "./jobs.js";

/** The few Redis commands the gate uses (ioredis's names). */
export interface GateRedis {
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zrem(key: string, member: string): Promise<unknown>;
  zremrangebyscore(key: string, min: string | number, max: string | number): Promise<unknown>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
}

export class MaintenanceGate {
  private readonly key: string;

  constructor(
    private readonly client: () => Promise<GateRedis>,
    prefix: string,
  ) {
    this.key = `${prefix}:maintenance:gate`;
  }

  /** Holders whose hold has not lapsed (empty: open). */
  async holders(): Promise<string[]> {
    const redis = await this.client();
    await redis.zremrangebyscore(this.key, "-inf", Date.now());
    return redis.zrange(this.key, 0, -1);
  }

  /** Closes the gate for `holder` until the returned release is called, refreshing every ttlMs / 3. */
  async hold(holder: string, ttlMs: number): Promise<() => Promise<void>> {
    const redis = await this.client();
    await redis.zadd(this.key, Date.now() + ttlMs, holder);
    const timer = setInterval(() => {
      redis.zadd(this.key, Date.now() + ttlMs, holder).catch(() => {
        // Redis away: the hold lapses after ttlMs and backups resume; prune still has the
        // repository's exclusive lock, which backups respect on their own.
      });
    }, ttlMs / 3);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await redis.zrem(this.key, holder);
    };
  }
}

export interface DeferralOptions {
  /** First delay before the job is tried again; doubles each time. Default 5 s. */
  readonly firstDelayMs?: number;
  /** Longest delay between tries. Default 60 s. */
  readonly maxDelayMs?: number;
  /**
   * How long a job may be put back in all; after that it runs (gate) or fails as usual
   * (REPO_LOCKED, using an attempt). Default 6 h.
   */
  readonly limitMs?: number;
}

/**
 * Puts the mailbox job back in the queue with back-off, without counting an attempt; the
 * processor must then throw DelayedError. False (nothing done) once the job has been put back
 * for longer than limitMs.
 */
export async function deferMailboxJob(
  job: Job<MailboxJobData>,
  token: string | undefined,
  options: DeferralOptions = {},
): Promise<boolean> {
  const now = Date.now();
  const since = job.data.deferredSince ?? now;
  if (now - since > (options.limitMs ?? 6 * 3_600_000)) return false;
  const deferrals = job.data.deferrals ?? 0;
  const delay = Math.min((options.firstDelayMs ?? 5_000) * 2 ** deferrals, options.maxDelayMs ?? 60_000);
  await job.updateData({ ...job.data, deferredSince: since, deferrals: deferrals + 1 });
  await job.moveToDelayed(now + delay, token);
  return true;
}
