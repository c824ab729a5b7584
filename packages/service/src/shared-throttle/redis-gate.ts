// A ConcurrencyGate shared through Redis by every worker that calls one EWS endpoint as one
// account. Exchange counts EWSMaxConcurrency and the request budget per account, however many
// machines send: three workers with an in-process gate each would together send three times
// what one may. This gate keeps, in Redis, the slots in flight (a semaphore whose entries are
// leases: a dead worker's come back when they run out), the adaptive limit and the ceiling the
// server taught, the pause a budget refusal asked for and the pace after it (a GCRA token
// bucket), so a refusal one worker sees slows all of them down.
//
// Round trips: one script per admission and one per release; while the account is full a
// waiting worker asks again after a short poll or as soon as one of its own requests ends; the
// leases of everything a worker holds are renewed by one script every third of a lease.
import { createHash, randomUUID } from "node:crypto";
import { EwsVaultError } from "@ewsvault/core";
import type {
  ConcurrencyGate,
  ConcurrencyGateSnapshot,
  GateOutcome,
  GateTicket,
  ThrottleSignal,
} from "@ewsvault/ews";
import { Redis } from "ioredis";
import { assertRedisReachable, bullConnection, DEFAULT_PREFIX, type RedisLocation } from "../redis.js";
import { ACQUIRE_SCRIPT, NOW_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT } from "./scripts.js";

export interface SharedGateOptions {
  readonly redis: RedisLocation;
  /** The EWS URL; with the account it names the shared state (one per endpoint and account). */
  readonly endpoint: string;
  /** The account the requests are made as (the service account); compared case-insensitively. */
  readonly account: string;
  /** Hard upper bound across all workers (the client's maxConcurrency); an integer >= 1. */
  readonly max: number;
  /** Starting limit of a new account's state; default min(max, 4), then slow start. */
  readonly initial?: number;
  /**
   * A slot's lease: renewed every third of it while its request runs; a worker that dies holds
   * its slots at most this long. Default 30 000 ms.
   */
  readonly leaseMs?: number;
  /** A learnt ceiling rises by one slot per this many ms; default 60 000. */
  readonly ceilingDecayMs?: number;
  /** Multiplicative decrease on throttling without a cause; default 0.5. */
  readonly decrease?: number;
  /** Pace at this share of the rate a budget refusal implies; default 0.95. */
  readonly headroom?: number;
  /** Requests the pace lets through back to back after idling; default 2. */
  readonly burst?: number;
  /** Without a budget refusal for this long the pace rises by probeStep; default 10 000 ms. */
  readonly probeIntervalMs?: number;
  /** Relative rise of the pace per probe; default 0.05. */
  readonly probeStep?: number;
  /** Without a budget refusal for this long pacing stops; default 300 000 ms. */
  readonly forgetAfterMs?: number;
  /** Longest pause between two admission attempts while the account is full; default 20 ms. */
  readonly pollMs?: number;
}

/** Two budget refusals closer than this (in when the budget holds a request again) say nothing of its rate. */
const MIN_SPAN_MS = 500;
/** A refusal point older than this no longer anchors the rate estimate (the budget may change). */
const ANCHOR_WINDOW_MS = 30_000;

/** A ticket of the shared gate: the base fields plus the slot's name and Redis's admission time. */
interface SharedTicket extends GateTicket {
  readonly member: string;
  readonly admittedAt: number;
  /** Admission ordinal across all workers (the pace's slope counts requests by it). */
  readonly ordinal: number;
}

interface Waiter {
  readonly resolve: (ticket: SharedTicket) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  unsubscribe: () => void;
}

interface Scripts {
  gateAcquire(slots: string, state: string, ...args: (string | number)[]): Promise<number[]>;
  gateRelease(slots: string, state: string, ...args: (string | number)[]): Promise<number[]>;
  gateRenew(slots: string, ...args: (string | number)[]): Promise<number>;
  gateNow(): Promise<number>;
}

/** Redis key prefix of one endpoint and account's throttle state (hash-tagged for Redis Cluster). */
export function sharedThrottleKey(prefix: string, endpoint: string, account: string): string {
  const id = createHash("sha256")
    .update(`${endpoint.replace(/\/+$/, "").toLowerCase()}\n${account.toLowerCase()}`)
    .digest("hex")
    .slice(0, 24);
  return `${prefix}:throttle:{${id}}`;
}

/**
 * Connects (SERVICE_REDIS_UNREACHABLE when Redis does not answer PING) and returns the gate of
 * `endpoint` and `account`. close() it when the client using it is closed.
 */
export async function openSharedGate(options: SharedGateOptions): Promise<SharedConcurrencyGate> {
  await assertRedisReachable(options.redis);
  return new SharedConcurrencyGate(options);
}

export class SharedConcurrencyGate implements ConcurrencyGate {
  readonly max: number;
  readonly leaseMs: number;
  private readonly redis: Redis & Scripts;
  private readonly slots: string;
  private readonly state: string;
  private readonly holder = randomUUID();
  private readonly fixedArgs: readonly number[];
  private readonly acquireArgs: readonly number[];
  private readonly options: SharedGateOptions;
  private readonly queue: Waiter[] = [];
  private readonly held = new Set<string>();
  private pumping = false;
  private wake: (() => void) | undefined;
  private seq = 0;
  private closed = false;
  private readonly renewTimer: NodeJS.Timeout;
  private readonly counts = { throttleEvents: 0, concurrency: 0, budget: 0, unknown: 0, cuts: 0 };
  /** What the last script said about the shared state (for snapshot()). */
  private last = { limit: 0, ceiling: 0, holdOffUntil: 0, rate: 0, epoch: 0 };
  /** Redis's clock minus ours, so tickets date in Redis time. */
  private clockOffset = 0;

  constructor(options: SharedGateOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new TypeError("max must be an integer >= 1");
    this.options = options;
    this.max = options.max;
    this.leaseMs = options.leaseMs ?? 30_000;
    if (!(this.leaseMs >= 100)) throw new TypeError("leaseMs must be >= 100");
    const initial = Math.min(this.max, Math.max(1, options.initial ?? Math.min(this.max, 4)));
    const forgetAfterMs = options.forgetAfterMs ?? 300_000;
    this.fixedArgs = [this.max, initial, options.ceilingDecayMs ?? 60_000, Math.max(forgetAfterMs, 600_000)];
    this.acquireArgs = [
      this.leaseMs,
      options.burst ?? 2,
      options.probeIntervalMs ?? 10_000,
      options.probeStep ?? 0.05,
      forgetAfterMs,
    ];
    this.last.limit = initial;
    this.last.ceiling = this.max;
    const base = sharedThrottleKey(options.redis.prefix ?? DEFAULT_PREFIX, options.endpoint, options.account);
    this.slots = `${base}:slots`;
    this.state = `${base}:state`;
    // Commands wait through a reconnect (a restarted Redis costs a pause, not failed requests).
    this.redis = new Redis({ ...bullConnection(options.redis), maxRetriesPerRequest: null }) as Redis &
      Scripts;
    this.redis.on("error", () => {
      // ioredis reconnects by itself; requests wait for it in acquire().
    });
    this.redis.defineCommand("gateAcquire", { numberOfKeys: 2, lua: ACQUIRE_SCRIPT });
    this.redis.defineCommand("gateRelease", { numberOfKeys: 2, lua: RELEASE_SCRIPT });
    this.redis.defineCommand("gateRenew", { numberOfKeys: 1, lua: RENEW_SCRIPT });
    this.redis.defineCommand("gateNow", { numberOfKeys: 0, lua: NOW_SCRIPT });
    this.renewTimer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  get inFlight(): number {
    return this.held.size;
  }

  acquire(signal?: AbortSignal): Promise<GateTicket> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (this.closed) return Promise.reject(new TypeError("shared gate is closed"));
    return new Promise<GateTicket>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, unsubscribe: () => {} };
      const onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(aborted(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      waiter.unsubscribe = () => signal?.removeEventListener("abort", onAbort);
      this.queue.push(waiter);
      this.kick();
    });
  }

  sent(ticket: GateTicket): void {
    ticket.dispatchedAt = Date.now();
  }

  release(outcome: GateOutcome, ticket?: GateTicket, signal?: ThrottleSignal): void {
    if (outcome === "throttled") {
      this.counts.throttleEvents++;
      this.counts[signal?.kind ?? "unknown"]++;
    }
    const shared = ticket as SharedTicket | undefined;
    if (shared?.member === undefined || !this.held.delete(shared.member)) return;
    const args = [
      ...this.fixedArgs,
      shared.member,
      outcome,
      outcome === "throttled" ? (signal?.kind ?? "unknown") : "",
      signal?.backOffMs !== undefined && Number.isFinite(signal.backOffMs)
        ? Math.max(0, signal.backOffMs)
        : 0,
      shared.othersInFlight,
      shared.epoch,
      shared.admittedAt,
      this.options.decrease ?? 0.5,
      this.options.headroom ?? 0.95,
      MIN_SPAN_MS,
      ANCHOR_WINDOW_MS,
      shared.ordinal,
      this.options.burst ?? 2,
    ];
    this.redis.gateRelease(this.slots, this.state, ...args).then(
      ([limit, ceiling]) => {
        const before = this.last.limit;
        this.last.limit = (limit ?? 0) / 1000;
        this.last.ceiling = ceiling ?? this.max;
        if (this.last.limit < before) this.counts.cuts++;
        this.kick();
      },
      () => {
        // Redis gone: the slot's lease runs out by itself (contract: release never throws).
        this.kick();
      },
    );
    if (outcome === "throttled" && signal?.kind === "budget" && signal.backOffMs)
      this.last.holdOffUntil = Math.max(this.last.holdOffUntil, Date.now() + signal.backOffMs);
  }

  holdOff(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    // A hint without a cause (Retry-After): the same pause for everyone, as a budget refusal's.
    this.last.holdOffUntil = Math.max(this.last.holdOffUntil, Date.now() + ms);
    this.redis.hset(this.state, "resumeAt", String(Math.round(Date.now() + this.clockOffset + ms))).then(
      () => this.kick(),
      () => {},
    );
  }

  snapshot(): ConcurrencyGateSnapshot {
    return {
      limit: this.last.limit,
      ceiling: this.last.ceiling,
      inFlight: this.held.size,
      waiting: this.queue.length,
      max: this.max,
      throttleEvents: this.counts.throttleEvents,
      throttledBy: {
        concurrency: this.counts.concurrency,
        budget: this.counts.budget,
        unknown: this.counts.unknown,
      },
      cuts: this.counts.cuts,
      holdOffMs: Math.max(0, this.last.holdOffUntil - Date.now()),
      pacer: {
        rate: this.last.rate > 0 ? this.last.rate : undefined,
        estimatedRate: this.last.rate > 0 ? this.last.rate / (this.options.headroom ?? 0.95) : undefined,
        refusals: this.counts.budget,
        uncertainty: 1,
      },
    };
  }

  /**
   * Stops: waiting acquires reject with EWS_ABORTED, the slots still held are given back, the
   * connection closes. Call it after the client using the gate is closed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    for (const waiter of this.queue.splice(0)) {
      waiter.unsubscribe();
      waiter.reject(new EwsVaultError("EWS_ABORTED", "the shared gate was closed"));
    }
    this.wake?.();
    try {
      if (this.held.size > 0) await this.redis.zrem(this.slots, ...this.held);
    } catch {
      // Their leases run out.
    }
    this.held.clear();
    this.redis.disconnect();
  }

  /** Starts the admission loop unless it runs; wakes it when it sleeps. */
  private kick(): void {
    if (this.pumping) {
      this.wake?.();
      return;
    }
    if (this.queue.length === 0 || this.closed) return;
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.queue.length > 0 && !this.closed) this.kick();
    });
  }

  /** Admits the queue's head while Redis grants; sleeps while the account is full or paused. */
  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const member = `${this.holder}:${++this.seq}`;
      let answer: number[];
      try {
        answer = await this.redis.gateAcquire(
          this.slots,
          this.state,
          ...this.fixedArgs,
          member,
          ...this.acquireArgs,
        );
      } catch {
        // A script error (Redis restarting, loading its data): ask again shortly.
        await this.sleep(100);
        continue;
      }
      const [granted, waitMs, inFlight, limit, ceiling, holdOffMs, rate, epoch, now, ordinal] = answer.map(
        Number,
      ) as number[];
      this.last = {
        limit: (limit ?? 0) / 1000,
        ceiling: ceiling ?? this.max,
        holdOffUntil: Date.now() + (holdOffMs ?? 0),
        rate: (rate ?? 0) / 1000,
        epoch: epoch ?? 0,
      };
      this.clockOffset = (now ?? Date.now()) - Date.now();
      if (granted !== 1) {
        const poll = this.options.pollMs ?? 20;
        await this.sleep(waitMs === -1 ? poll / 2 + Math.random() * poll : Math.max(1, waitMs ?? poll));
        continue;
      }
      const waiter = this.queue.shift();
      if (waiter === undefined || this.closed) {
        // Everyone who waited gave up meanwhile: hand the slot straight back.
        void this.redis.zrem(this.slots, member).catch(() => {});
        continue;
      }
      waiter.unsubscribe();
      this.held.add(member);
      waiter.resolve({
        epoch: epoch ?? 0,
        seq: this.seq,
        dispatchedAt: Date.now(),
        othersInFlight: inFlight ?? 0,
        member,
        admittedAt: now ?? Date.now(),
        ordinal: ordinal ?? 0,
      });
    }
  }

  /** Waits ms, or less when kick() wakes the loop (a request of ours ended, a new waiter). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0 || this.closed) return;
    try {
      await this.redis.gateRenew(this.slots, this.leaseMs, ...this.held);
    } catch {
      // Redis unreachable: the next renewal (after it reconnects) re-creates the slots.
    }
  }
}

function aborted(signal: AbortSignal | undefined): EwsVaultError {
  return new EwsVaultError("EWS_ABORTED", "aborted", { cause: signal?.reason });
}
