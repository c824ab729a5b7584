// Throttle control for one EWS endpoint and account: how many requests may be in flight and when
// the next one may go. Exchange refuses for two different reasons and says which:
//   - EWSMaxConcurrency exceeded: ErrorExceededConnectionCount ("try again once your other
//     requests have completed"). The gate remembers how many were in flight when the server
//     refused (a ceiling) and does not probe above it again until the ceiling has decayed.
//   - the budget is spent: ErrorServerBusy with BackOffMilliseconds. More concurrency is not the
//     problem, the request rate is: the gate pauses everyone for the hint and its RequestPacer
//     spreads requests at the rate the budget recharges, learnt from these refusals (one request
//     at a time while it has only one refusal to go by).
// Throttling that says neither (HTTP 503/429, ErrorServerBusy without a hint) halves the limit
// (AIMD). The limit starts low and grows one slot per success (at most one per 25 ms and one
// above what the server has accepted) until the first throttled answer, then one per window of
// successes, so a server's concurrency limit costs one refusal to find, not a burst of them.
import { onAbort } from "@ewsvault/mailbox";
import { ewsError } from "./errors.js";
import type {
  ConcurrencyGate,
  ConcurrencyGateSnapshot,
  GateOutcome,
  GateTicket,
  RequestPacing,
  ThrottleSignal,
} from "./gate-contract.js";
import { RequestPacer, type RequestPacerOptions } from "./request-pacer.js";

export type {
  ConcurrencyGate,
  ConcurrencyGateSnapshot,
  GateOutcome,
  GateTicket,
  ThrottleKind,
  ThrottleSignal,
} from "./gate-contract.js";

export interface ConcurrencyGateOptions {
  /** Hard upper bound (the configured maxConcurrency). */
  readonly max: number;
  /** Lower bound; default 1. */
  readonly min?: number;
  /**
   * Starting limit; default min(max, 4). Until the first throttled answer the limit grows by one
   * slot per success, at most one per rampIntervalMs and at most one above the highest
   * concurrency a request succeeded at; after it, by one slot per window of successes.
   */
  readonly initial?: number;
  /** Slow start: at most one more slot per this many ms; default 25. */
  readonly rampIntervalMs?: number;
  /** Multiplicative decrease factor on throttling that names no cause; default 0.5. */
  readonly decrease?: number;
  /**
   * For releases without a ticket: ignore further unexplained throttling for this long after a
   * cut (one burst = one cut); default 1000 ms. With tickets an unexplained throttled answer cuts
   * only when its request was admitted after the last cut, whatever the time.
   */
  readonly cooldownMs?: number;
  /**
   * A ceiling learnt from ErrorExceededConnectionCount rises by one slot per this many ms without
   * another such refusal (the server's limit or the account's other users may change); default
   * 60 000 ms.
   */
  readonly ceilingDecayMs?: number;
  /**
   * Pacing after budget refusals: a RequestPacer's options (the default, learnt from the
   * refusals), any RequestPacing, or false: never pace (pause for BackOffMilliseconds only).
   */
  readonly pacer?: RequestPacerOptions | RequestPacing | false;
}

interface Waiter {
  readonly resolve: (ticket: GateTicket) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class AdaptiveConcurrencyGate implements ConcurrencyGate {
  readonly max: number;
  readonly min: number;
  private currentLimit: number;
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly decrease: number;
  private readonly cooldownMs: number;
  private readonly ceilingDecayMs: number;
  private readonly pacer: RequestPacing | undefined;
  private lastCut = Number.NEGATIVE_INFINITY;
  /** Incremented on every cut; tickets remember the epoch their request was admitted in. */
  private epoch = 0;
  private seq = 0;
  private throttleEvents = 0;
  private readonly throttledBy = { concurrency: 0, budget: 0, unknown: 0 };
  private cuts = 0;
  /** Epoch ms before which no request is admitted (the server's BackOffMilliseconds). */
  private resumeAt = 0;
  private learntCeiling: number;
  private ceilingAt = Number.NEGATIVE_INFINITY;
  private readonly rampIntervalMs: number;
  private lastRampAt = Number.NEGATIVE_INFINITY;
  /** Highest concurrency at which a request succeeded (slow start probes one above it). */
  private validated = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ConcurrencyGateOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new TypeError("max must be an integer >= 1");
    this.max = options.max;
    this.min = Math.max(1, Math.min(options.min ?? 1, this.max));
    this.currentLimit = Math.min(this.max, Math.max(this.min, options.initial ?? Math.min(this.max, 4)));
    this.decrease = options.decrease ?? 0.5;
    this.cooldownMs = options.cooldownMs ?? 1000;
    this.ceilingDecayMs = options.ceilingDecayMs ?? 60_000;
    this.rampIntervalMs = options.rampIntervalMs ?? 25;
    if (!(this.rampIntervalMs >= 0)) throw new TypeError("rampIntervalMs must be >= 0");
    if (!(this.ceilingDecayMs > 0)) throw new TypeError("ceilingDecayMs must be > 0");
    this.learntCeiling = this.max;
    this.pacer =
      options.pacer === false
        ? undefined
        : isPacing(options.pacer)
          ? options.pacer
          : new RequestPacer(options.pacer);
  }

  get limit(): number {
    return this.currentLimit;
  }

  get inFlight(): number {
    return this.active;
  }

  /** The concurrency ceiling now: the learnt one plus one slot per ceilingDecayMs since it was learnt. */
  ceiling(now = Date.now()): number {
    if (this.learntCeiling >= this.max) return this.max;
    return Math.min(this.max, this.learntCeiling + Math.floor((now - this.ceilingAt) / this.ceilingDecayMs));
  }

  snapshot(): ConcurrencyGateSnapshot {
    const now = Date.now();
    return {
      limit: this.currentLimit,
      ceiling: this.ceiling(now),
      inFlight: this.active,
      waiting: this.queue.length,
      max: this.max,
      throttleEvents: this.throttleEvents,
      throttledBy: { ...this.throttledBy },
      cuts: this.cuts,
      holdOffMs: Math.max(0, this.resumeAt - now),
      pacer: this.pacer?.snapshot() ?? {
        rate: undefined,
        estimatedRate: undefined,
        refusals: 0,
        uncertainty: 1,
      },
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
    this.pump();
  }

  /**
   * Waits for a slot, for any pause from holdOff and for the pacer, in FIFO order, and resolves
   * with a ticket to pass to release(). Rejects with EWS_ABORTED when `signal` fires first.
   */
  acquire(signal?: AbortSignal): Promise<GateTicket> {
    if (signal?.aborted) return Promise.reject(ewsError("EWS_ABORTED", "aborted", { cause: signal.reason }));
    return new Promise<GateTicket>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (ticket) => {
          unsubscribe();
          resolve(ticket);
        },
        reject,
        signal,
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(ewsError("EWS_ABORTED", "aborted", { cause: signal?.reason }));
          this.pump();
        },
      };
      const unsubscribe = onAbort(signal, waiter.onAbort);
      this.queue.push(waiter);
      this.pump();
    });
  }

  /**
   * The request of `ticket` goes on the wire now. The pacer dates the server's BackOffMilliseconds
   * from this moment; between admission and sending a busy event loop may spend a while.
   */
  sent(ticket: GateTicket): void {
    ticket.dispatchedAt = Date.now();
  }

  /** Gives the slot back and feeds the outcome into the controllers. */
  release(outcome: GateOutcome, ticket?: GateTicket, signal?: ThrottleSignal): void {
    const now = Date.now();
    const others = this.active - 1;
    this.active--;
    if (outcome === "throttled") {
      this.throttleEvents++;
      const kind = signal?.kind ?? "unknown";
      this.throttledBy[kind]++;
      if (ticket !== undefined) this.pacer?.refused(ticket.seq);
      if (kind === "concurrency") this.learnCeiling(ticket, others, now);
      else if (kind === "budget") this.budgetRefusal(ticket, signal?.backOffMs, now);
      else this.unexplainedCut(ticket, now);
    } else if (outcome === "success") {
      this.pacer?.succeeded(now);
      const ceiling = this.ceiling(now);
      if (this.currentLimit < ceiling) {
        if (this.throttleEvents === 0) {
          // Slow start: one slot per success, at most one per rampIntervalMs and never more than
          // one above a concurrency the server has already accepted (a request that succeeded
          // with that many in flight). So a server limit costs one refused request, however
          // slowly refusals come back, not one per success that arrived in the meantime.
          if (ticket !== undefined) this.validated = Math.max(this.validated, ticket.othersInFlight + 1);
          if (now - this.lastRampAt >= this.rampIntervalMs && this.currentLimit < this.validated + 1) {
            this.currentLimit = Math.min(ceiling, Math.floor(this.currentLimit) + 1);
            this.lastRampAt = now;
          }
        } else {
          // Additive increase: +1 slot after about `limit` successes, never above the ceiling.
          this.currentLimit = Math.min(ceiling, this.currentLimit + 1 / Math.max(1, this.currentLimit));
        }
      }
    }
    this.pump();
  }

  /** The server said "too many at once": it allows at most what was in flight besides this one. */
  private learnCeiling(ticket: GateTicket | undefined, othersNow: number, now: number): void {
    const inFlight = Math.min(othersNow, ticket?.othersInFlight ?? othersNow);
    const ceiling = Math.max(this.min, Math.min(this.ceiling(now), inFlight));
    this.learntCeiling = ceiling;
    this.ceilingAt = now;
    if (this.currentLimit > ceiling) {
      this.currentLimit = ceiling;
      this.cuts++;
      this.epoch++;
      this.lastCut = now;
    }
  }

  private budgetRefusal(ticket: GateTicket | undefined, backOffMs: number | undefined, now: number): void {
    if (backOffMs === undefined || !Number.isFinite(backOffMs) || backOffMs <= 0) return;
    this.resumeAt = Math.max(this.resumeAt, now + backOffMs);
    if (ticket !== undefined)
      this.pacer?.budgetRefusal(ticket.seq, ticket.dispatchedAt, backOffMs, this.resumeAt, now);
  }

  private unexplainedCut(ticket: GateTicket | undefined, now: number): void {
    const fresh = ticket === undefined ? now - this.lastCut >= this.cooldownMs : ticket.epoch >= this.epoch;
    if (!fresh) return;
    this.lastCut = now;
    this.epoch++;
    this.cuts++;
    this.currentLimit = Math.max(this.min, Math.floor(this.currentLimit * this.decrease));
  }

  /** Admits waiters while a slot, the pause and the pacer allow; otherwise sleeps until they might. */
  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const limit = this.pacer?.learning(Date.now()) ? 1 : Math.floor(this.currentLimit);
    while (this.queue.length > 0 && this.active < limit) {
      const now = Date.now();
      const wait = Math.max(this.resumeAt - now, this.pacer?.delay(now) ?? 0);
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      this.pacer?.take(now);
      const ticket: GateTicket = {
        epoch: this.epoch,
        seq: ++this.seq,
        dispatchedAt: now,
        othersInFlight: this.active,
      };
      this.active++;
      waiter.resolve(ticket);
    }
  }
}

function isPacing(pacer: RequestPacerOptions | RequestPacing | undefined): pacer is RequestPacing {
  return typeof (pacer as RequestPacing | undefined)?.delay === "function";
}
