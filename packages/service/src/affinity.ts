// Worker affinity: a mailbox backed up on the worker that already holds its local index costs a
// fraction of one backed up elsewhere (docs/scale-out.md, "What a missing index costs"). BullMQ's
// open-source queue cannot offer a job to one worker first, so the preference lives beside the
// run's job, which stays in the shared queue as before (exactly once, leases, status unchanged):
//
// - the worker that finishes a mailbox records itself as its holder (`<prefix>:affinity`), and
//   keeps a heartbeat key alive (`<prefix>:worker:<name>`, one lease long);
// - at fan-out, a mailbox whose holder's heartbeat is fresh gets its job delayed by the affinity
//   wait, and a "claim" job in the holder's own queue (claimQueueName);
// - the holder takes the claim, sets the claim key of the mailbox job (SET NX) and backs the
//   mailbox up, leaving its result for the mailbox job and promoting it, which then completes at
//   once with that result;
// - when the wait ends first (holder busy or dead), the mailbox job sets the claim key itself and
//   runs as it always did; a claim taken too late finds the key set and does nothing. A mailbox
//   job that finds a claim in progress waits for its result while the claim's lease holds, and
//   takes the mailbox over when it lapses (the holder died): the holder's fencing checks its
//   claim's lease and the claim key, so a holder paused past its lease writes nothing.
import { createHash } from "node:crypto";
import type { MailboxJobResult } from "./jobs.js";

/** The Redis commands affinity uses (ioredis's names). */
export interface AffinityRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ...args: Array<string | number>): Promise<unknown>;
  del(key: string): Promise<unknown>;
  exists(key: string): Promise<number>;
  hset(key: string, field: string, value: string): Promise<unknown>;
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
}

/** How long a claim and its result are kept (as long as finished jobs by default: 7 days). */
const CLAIM_TTL_SECONDS = 7 * 86_400;
/** Default of how long a preferred mailbox's job waits for its holder before anyone may take it. */
export const DEFAULT_AFFINITY_WAIT_MS = 15_000;

/** The queue of the claims offered to one worker (BullMQ forbids ":" in names; worker names have it). */
export function claimQueueName(worker: string): string {
  return `mailboxes-for-${createHash("sha256").update(worker).digest("hex").slice(0, 16)}`;
}

export const affinityKeys = (prefix: string) => ({
  holders: `${prefix}:affinity`,
  heartbeat: (worker: string) => `${prefix}:worker:${worker}`,
  claim: (mailboxJobId: string) => `${prefix}:claim:${mailboxJobId}`,
  result: (mailboxJobId: string) => `${prefix}:claim-result:${mailboxJobId}`,
});

/** Keeps this worker's heartbeat alive until the returned stop (which removes it). */
export function startHeartbeat(redis: AffinityRedis, prefix: string, worker: string, ttlMs: number) {
  const key = affinityKeys(prefix).heartbeat(worker);
  const beat = () => redis.set(key, String(Date.now()), "PX", ttlMs).catch(() => {});
  void beat();
  const timer = setInterval(beat, ttlMs / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.del(key).catch(() => {});
  };
}

/** Records `worker` as the holder of `mailbox`'s local index. */
export async function rememberHolder(
  redis: AffinityRedis,
  prefix: string,
  mailbox: string,
  worker: string,
): Promise<void> {
  await redis.hset(affinityKeys(prefix).holders, mailbox.toLowerCase(), worker);
}

/** mailbox -> holder, for the mailboxes whose holder's heartbeat is fresh now. */
export async function preferredWorkers(
  redis: Pick<AffinityRedis, "hmget" | "exists">,
  prefix: string,
  mailboxes: readonly string[],
): Promise<Map<string, string>> {
  const keys = affinityKeys(prefix);
  const preferred = new Map<string, string>();
  if (mailboxes.length === 0) return preferred;
  const holders = await redis.hmget(keys.holders, ...mailboxes.map((m) => m.toLowerCase()));
  const alive = new Map<string, boolean>();
  for (const [i, mailbox] of mailboxes.entries()) {
    const holder = holders[i];
    if (holder === null || holder === undefined) continue;
    if (!alive.has(holder)) alive.set(holder, (await redis.exists(keys.heartbeat(holder))) === 1);
    if (alive.get(holder)) preferred.set(mailbox, holder);
  }
  return preferred;
}

/** A claim: who backs the mailbox job's mailbox up, and the lock key whose lease it runs under. */
export interface Claim {
  readonly worker: string;
  /** The Redis key of the BullMQ lock of the job the claim runs under. */
  readonly lockKey: string;
  readonly token: string;
}

const encodeClaim = (claim: Claim) => JSON.stringify(claim);

/** Takes the claim of the mailbox job if nobody has; true when it is ours. */
export async function takeClaim(
  redis: AffinityRedis,
  prefix: string,
  mailboxJobId: string,
  claim: Claim,
): Promise<boolean> {
  const set = await redis.set(
    affinityKeys(prefix).claim(mailboxJobId),
    encodeClaim(claim),
    "EX",
    CLAIM_TTL_SECONDS,
    "NX",
  );
  return set === "OK";
}

export async function readClaim(
  redis: AffinityRedis,
  prefix: string,
  mailboxJobId: string,
): Promise<Claim | undefined> {
  const text = await redis.get(affinityKeys(prefix).claim(mailboxJobId));
  return text === null ? undefined : (JSON.parse(text) as Claim);
}

/** Replaces `from` by `to` if the claim is still `from` (compare and set, one script); true when done. */
export async function replaceClaim(
  redis: AffinityRedis,
  prefix: string,
  mailboxJobId: string,
  from: Claim | undefined,
  to: Claim | undefined,
): Promise<boolean> {
  const done = await redis.eval(
    `local v = redis.call("GET", KEYS[1])
     if (v or "") ~= ARGV[1] then return 0 end
     if ARGV[2] == "" then redis.call("DEL", KEYS[1]) else redis.call("SET", KEYS[1], ARGV[2], "EX", ARGV[3]) end
     return 1`,
    1,
    affinityKeys(prefix).claim(mailboxJobId),
    from === undefined ? "" : encodeClaim(from),
    to === undefined ? "" : encodeClaim(to),
    String(CLAIM_TTL_SECONDS),
  );
  return done === 1;
}

/** True while the claim is ours and the lease it runs under is still held with its token. */
export async function claimHolds(redis: AffinityRedis, prefix: string, mailboxJobId: string, claim: Claim) {
  const [current, lock] = [await readClaim(redis, prefix, mailboxJobId), await redis.get(claim.lockKey)];
  return lock === claim.token && current !== undefined && encodeClaim(current) === encodeClaim(claim);
}

export async function saveClaimResult(
  redis: AffinityRedis,
  prefix: string,
  mailboxJobId: string,
  result: MailboxJobResult,
): Promise<void> {
  await redis.set(affinityKeys(prefix).result(mailboxJobId), JSON.stringify(result), "EX", CLAIM_TTL_SECONDS);
}

export async function claimResult(
  redis: AffinityRedis,
  prefix: string,
  mailboxJobId: string,
): Promise<MailboxJobResult | undefined> {
  const text = await redis.get(affinityKeys(prefix).result(mailboxJobId));
  return text === null ? undefined : (JSON.parse(text) as MailboxJobResult);
}
