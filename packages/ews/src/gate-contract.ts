// The contract between the transport and whatever decides when a request may go to one EWS
// endpoint and account: admission (a concurrency slot, any server-requested pause, pacing) and
// the feedback of every answer. The transport consumes only this interface, so the in-process
// AdaptiveConcurrencyGate (one process, the default) and a gate shared by many processes (the
// service's Redis-backed one: Exchange throttles an account however many machines call it) are
// interchangeable through the client's `gate` option.

/**
 * Admission control for one EWS endpoint and account.
 *
 * Contract:
 * - acquire() resolves once a request may go: at most `limit` requests of everyone sharing the
 *   gate are between acquire and release, none goes during a pause (holdOff, a budget refusal's
 *   BackOffMilliseconds) and requests are spread at the pace the gate has learnt. It rejects with
 *   EWS_ABORTED when `signal` fires first, and with the implementation's own coded error when it
 *   cannot decide at all (a shared store that is gone); it never resolves twice.
 * - Every resolved ticket is given back exactly once through release(), whatever happened to the
 *   request ("failure" for errors that say nothing about throttling). sent() is optional and dates
 *   the request from the moment it went on the wire.
 * - release() and holdOff() never throw and never block: feedback a shared store cannot take now
 *   is dropped or applied later, never turned into a failed request.
 * - max is the hard upper bound; callers size their worker pools by it.
 */
export interface ConcurrencyGate {
  readonly max: number;
  /** Requests admitted through this instance and not yet released (this process's share). */
  readonly inFlight: number;
  acquire(signal?: AbortSignal): Promise<GateTicket>;
  sent(ticket: GateTicket): void;
  release(outcome: GateOutcome, ticket?: GateTicket, signal?: ThrottleSignal): void;
  /** The server asked the account to wait this long (Retry-After, a hint without a kind). */
  holdOff(ms: number): void;
  /** What the gate knows now (for metrics and reports); cheap and synchronous. */
  snapshot(): ConcurrencyGateSnapshot;
}

/** What pacing a gate does, as its snapshot shows it (rate undefined: not pacing). */
export interface RequestPacingSnapshot {
  /** Requests per second the pacer lets through; undefined while it does not pace. */
  readonly rate: number | undefined;
  /** The sustainable rate learnt from the last refusals (requests/s); undefined before two refusals. */
  readonly estimatedRate: number | undefined;
  /** Budget refusals the estimate is built from (inside the window). */
  readonly refusals: number;
  /** Timing uncertainty of the estimate relative to it (above 0.05 it probes twice as often); 1 before one. */
  readonly uncertainty: number;
}

/**
 * The pace an AdaptiveConcurrencyGate keeps after budget refusals (its `pacer` option takes any
 * implementation; RequestPacer, which learns the rate the budget recharges, is the default).
 *
 * Contract: all methods are synchronous and cheap (called on every admission), take the time
 * from the caller (`now`, epoch ms) and never throw. delay(now) is 0 when a request may go now,
 * else the ms until one might; the gate calls take(now) for each request it then admits.
 * learning(now) true asks the gate to admit one request at a time. refused(seq) comes for every
 * throttled answer, before budgetRefusal() for those that carried BackOffMilliseconds.
 */
export interface RequestPacing {
  snapshot(): RequestPacingSnapshot;
  learning(now: number): boolean;
  succeeded(now: number): void;
  delay(now: number): number;
  take(now: number): void;
  refused(seq: number): void;
  budgetRefusal(seq: number, sentAt: number, hintMs: number, resumeAt: number, now: number): void;
}

export interface ConcurrencyGateSnapshot {
  /** Current (fractional) limit; floor(limit) requests may run. */
  readonly limit: number;
  /** Concurrency the server refused above (decayed to now); max when it never refused. */
  readonly ceiling: number;
  readonly inFlight: number;
  readonly waiting: number;
  readonly max: number;
  /** Throttled answers of every kind. */
  readonly throttleEvents: number;
  /** Throttled answers by cause. */
  readonly throttledBy: { readonly concurrency: number; readonly budget: number; readonly unknown: number };
  /** Times the limit went down (ceiling learnt or AIMD cut). */
  readonly cuts: number;
  /** Milliseconds left in a server-requested pause (0 when none). */
  readonly holdOffMs: number;
  /** The pacer's state (rate undefined: not pacing). */
  readonly pacer: RequestPacingSnapshot;
}

export type GateOutcome = "success" | "throttled" | "failure";

/**
 * Why a throttled answer came: "concurrency" (ErrorExceededConnectionCount), "budget"
 * (ErrorServerBusy with BackOffMilliseconds) or "unknown" (HTTP 503/429, ErrorServerBusy alone).
 */
export type ThrottleKind = "concurrency" | "budget" | "unknown";

export interface ThrottleSignal {
  readonly kind: ThrottleKind;
  /** The server's BackOffMilliseconds / Retry-After, when it gave one. */
  readonly backOffMs?: number;
}

/** What acquire() hands out; give it back to release(). */
export interface GateTicket {
  /** Cut epoch the request was admitted in. */
  readonly epoch: number;
  /** Dispatch ordinal. */
  readonly seq: number;
  /** When the request left: admission time, then the moment sent() was called. */
  dispatchedAt: number;
  /** Other requests of this gate in flight when this one was admitted. */
  readonly othersInFlight: number;
}
