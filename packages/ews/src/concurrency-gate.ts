// Adaptive concurrency gate (AIMD) for one EWS endpoint. Exchange throttles per account and
// tells us so (ErrorServerBusy, HTTP 503/429); the gate halves the number of requests it lets
// through when that happens and adds back about one slot per window of successes, never
// going above the configured maximum or below one.
import { ewsError } from "./errors.js";
import { sleep } from "./retry.js";

export interface ConcurrencyGateOptions {
  /** Hard upper bound (the configured maxConcurrency). */
  readonly max: number;
  /** Lower bound; default 1. */
  readonly min?: number;
  /** Starting limit; default max. */
  readonly initial?: number;
  /** Multiplicative decrease factor on throttling; default 0.5. */
  readonly decrease?: number;
  /**
   * For releases without a ticket: ignore further throttling signals for this long after a cut
   * (one burst = one cut); default 1000 ms. With tickets a throttled answer cuts only when its
   * request was admitted after the last cut, whatever the time.
   */
  readonly cooldownMs?: number;
}

export interface ConcurrencyGateSnapshot {
  /** Current (fractional) limit; floor(limit) requests may run. */
  readonly limit: number;
  readonly inFlight: number;
  readonly waiting: number;
  readonly max: number;
  readonly throttleEvents: number;
  readonly cuts: number;
  /** Milliseconds left in a server-requested pause (0 when none). */
  readonly holdOffMs: number;
}

export type GateOutcome = "success" | "throttled" | "failure";

export class AdaptiveConcurrencyGate {
  readonly max: number;
  readonly min: number;
  private currentLimit: number;
  private active = 0;
  private readonly queue: Array<{ resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal }> =
    [];
  private readonly decrease: number;
  private readonly cooldownMs: number;
  private lastCut = Number.NEGATIVE_INFINITY;
  /** Incremented on every cut; tickets remember the epoch their request was admitted in. */
  private epoch = 0;
  private throttleEvents = 0;
  private cuts = 0;
  /** Epoch ms before which no request is admitted (the server's BackOffMilliseconds). */
  private resumeAt = 0;

  constructor(options: ConcurrencyGateOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new TypeError("max must be an integer >= 1");
    this.max = options.max;
    this.min = Math.max(1, Math.min(options.min ?? 1, this.max));
    this.currentLimit = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
    this.decrease = options.decrease ?? 0.5;
    this.cooldownMs = options.cooldownMs ?? 1000;
  }

  get limit(): number {
    return this.currentLimit;
  }

  get inFlight(): number {
    return this.active;
  }

  snapshot(): ConcurrencyGateSnapshot {
    return {
      limit: this.currentLimit,
      inFlight: this.active,
      waiting: this.queue.length,
      max: this.max,
      throttleEvents: this.throttleEvents,
      cuts: this.cuts,
      holdOffMs: Math.max(0, this.resumeAt - Date.now()),
    };
  }

  /**
   * The server asked this account to back off (BackOffMilliseconds, Retry-After): Exchange
   * throttles per account, so every request to the endpoint waits, not only the one that was
   * told. Extends, never shortens, a pause already in force.
   */
  holdOff(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }

  /**
   * Waits for a slot (and for any pause from holdOff) and resolves with a ticket to pass to
   * release(). Rejects with EWS_ABORTED when `signal` fires first.
   */
  async acquire(signal?: AbortSignal): Promise<number> {
    for (let wait = this.resumeAt - Date.now(); wait > 0; wait = this.resumeAt - Date.now()) {
      await sleep(wait, signal);
    }
    return this.acquireSlot(signal);
  }

  private acquireSlot(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(ewsError("EWS_ABORTED", "aborted", { cause: signal.reason }));
    if (this.active < Math.floor(this.currentLimit) && this.queue.length === 0) {
      this.active++;
      return Promise.resolve(this.epoch);
    }
    return new Promise<void>((resolve, reject) => {
      const entry = { resolve, reject, signal };
      const onAbort = () => {
        const index = this.queue.indexOf(entry);
        if (index >= 0) this.queue.splice(index, 1);
        reject(ewsError("EWS_ABORTED", "aborted", { cause: signal?.reason }));
      };
      entry.resolve = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(entry);
    }).then(() => this.epoch);
  }

  /** Gives the slot back and feeds the outcome into the AIMD controller. */
  release(outcome: GateOutcome, ticket?: number): void {
    this.active--;
    if (outcome === "throttled") {
      this.throttleEvents++;
      const now = Date.now();
      const fresh = ticket === undefined ? now - this.lastCut >= this.cooldownMs : ticket >= this.epoch;
      if (fresh) {
        this.lastCut = now;
        this.epoch++;
        this.cuts++;
        this.currentLimit = Math.max(this.min, Math.floor(this.currentLimit * this.decrease));
      }
    } else if (outcome === "success") {
      // Additive increase: +1 slot after about `limit` successes.
      this.currentLimit = Math.min(this.max, this.currentLimit + 1 / Math.max(1, this.currentLimit));
    }
    this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0 && this.active < Math.floor(this.currentLimit)) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.active++;
      next.resolve();
    }
  }
}
