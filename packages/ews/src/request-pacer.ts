// Client-side request pacer for one Exchange account: a token bucket whose rate is learnt from
// the server's budget refusals (ErrorServerBusy with BackOffMilliseconds). Exchange charges
// every request against a per-account budget that recharges at a steady rate; a client that
// only shrinks its concurrency still bursts into an empty budget every time a pause ends and
// earns another refusal. Spreading requests at the rate the budget recharges costs nothing in
// throughput and keeps the server from refusing at all.
//
// How the rate is learnt: a refusal at dispatch time s with hint h says "the budget holds one
// request's worth at s + h". Between two refusals i and j the budget therefore recharged exactly
// the requests it accepted in between, over (s_j + h_j) - (s_i + h_i). That slope is the
// sustainable rate, whatever the burst size and whatever the budget held at the start; the pacer
// then runs a little below it (headroom) and now and then probes upwards, because a budget can
// grow back (other clients of the account go quiet) and the only way to find out is to ask.
// Until two refusals give a slope, one refusal only bounds the rate from above (one request per
// hint); the pacer sends at that bound and one request at a time (for ten successes or two
// seconds at most), so learning costs one more refusal, not a burst.

import type { RequestPacing, RequestPacingSnapshot } from "./gate-contract.js";

/** The pacer's state (the RequestPacing snapshot). */
export type RequestPacerSnapshot = RequestPacingSnapshot;

export interface RequestPacerOptions {
  /** Pace at this share of the estimated sustainable rate; default 0.95. */
  readonly headroom?: number;
  /** Requests the pacer lets through back to back after idling; default 2. */
  readonly burst?: number;
  /**
   * While requests wait for the pacer and no budget refusal came for this long, the pace rises by
   * probeStep; default 10 000 ms (half of it while the estimate is rough: the round trips of the
   * two refusals it rests on exceed 5 % of the time between them).
   */
  readonly probeIntervalMs?: number;
  /** Relative rise of the pace per probe; default 0.05. */
  readonly probeStep?: number;
  /** Refusals older than this no longer inform the estimate; default 60 000 ms. */
  readonly windowMs?: number;
  /** Without a budget refusal for this long the budget has recovered and pacing stops; default 300 000 ms. */
  readonly forgetAfterMs?: number;
}

interface RefusalPoint {
  /** Dispatch time + BackOffMilliseconds: when the budget holds one request again. */
  readonly readyAt: number;
  /** Dispatch ordinal of the refused request. */
  readonly seq: number;
  readonly hintMs: number;
  /** Sending to answer: the server decided somewhere in between, so readyAt is this uncertain. */
  readonly rttMs: number;
}

const MAX_POINTS = 64;
/**
 * While learning, after this many successes one request at a time is evidently below the budget
 * (the server keeps up): more may go, still at the bound, until the refusal the slope needs.
 */
const LEARNING_SUCCESSES = 10;
/** ... or after this long (ms): requests may be slow enough that waiting costs more than a refusal. */
const LEARNING_MAX_MS = 2000;
/** Two refusals closer than this (in readyAt) say nothing about the rate (same empty budget). */
const MIN_SPAN_MS = 5;
/** An estimate whose timing uncertainty is below this share of its span is trusted to probe slowly. */
const CONFIDENT_UNCERTAINTY = 0.05;

export class RequestPacer implements RequestPacing {
  readonly headroom: number;
  readonly burst: number;
  readonly probeIntervalMs: number;
  readonly probeStep: number;
  readonly windowMs: number;
  readonly forgetAfterMs: number;
  private rate: number | undefined;
  private estimate: number | undefined;
  /** Relative timing uncertainty of the estimate (round trips of its two refusals / their span). */
  private uncertainty = 1;
  private tokens = 0;
  private tokensAt = 0;
  private rateSetAt = Number.NEGATIVE_INFINITY;
  private lastRefusalAt = Number.NEGATIVE_INFINITY;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  /** Some request waited for a token since the last probe: the pace, not demand, set the rate. */
  private limiting = false;
  private learningSuccesses = 0;
  private learningDone = false;
  private readonly points: RefusalPoint[] = [];
  /** Dispatch ordinals of throttled requests (they took nothing from the budget). */
  private readonly refusedSeqs: number[] = [];

  constructor(options: RequestPacerOptions = {}) {
    this.headroom = options.headroom ?? 0.95;
    this.burst = options.burst ?? 2;
    this.probeIntervalMs = options.probeIntervalMs ?? 10_000;
    this.probeStep = options.probeStep ?? 0.05;
    this.windowMs = options.windowMs ?? 60_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 300_000;
    if (!(this.headroom > 0 && this.headroom <= 1))
      throw new TypeError("pacer.headroom must be within (0, 1]");
    if (!(this.burst >= 1)) throw new TypeError("pacer.burst must be >= 1");
    for (const key of ["probeIntervalMs", "windowMs", "forgetAfterMs"] as const) {
      if (!(this[key] > 0)) throw new TypeError(`pacer.${key} must be > 0`);
    }
    if (!(this.probeStep >= 0)) throw new TypeError("pacer.probeStep must be >= 0");
  }

  snapshot(): RequestPacerSnapshot {
    return {
      rate: this.rate,
      estimatedRate: this.estimate,
      refusals: this.points.length,
      uncertainty: this.uncertainty,
    };
  }

  /**
   * Paced after a refusal but without an estimate yet: the pace is only an upper bound, so one
   * request at a time — a second one sent before the first is answered would draw a second
   * refusal that teaches nothing the first will not. Ends with the next refusal, or when ten
   * requests succeeded or two seconds passed that way (then one at a time is below the budget, or
   * requests are slow enough that waiting costs more than a refusal).
   */
  learning(now: number): boolean {
    if (this.rate === undefined || this.estimate !== undefined || this.learningDone) return false;
    if (now - this.rateSetAt < LEARNING_MAX_MS) return true;
    this.finishLearning(now);
    return false;
  }

  /** A request succeeded (while learning, enough of them end it). */
  succeeded(now: number): void {
    if (this.rate === undefined || this.estimate !== undefined || this.learningDone) return;
    if (++this.learningSuccesses >= LEARNING_SUCCESSES) this.finishLearning(now);
  }

  private finishLearning(now: number): void {
    this.learningDone = true;
    if (this.learningSuccesses > 0 && now > this.rateSetAt && this.rate !== undefined) {
      // One at a time kept up with the budget; twice that rate, not the loose bound, is what the
      // next requests may try, so that the refusal they draw comes alone.
      this.refill(now);
      this.rate = Math.min(this.rate, (2 * this.learningSuccesses * 1000) / (now - this.rateSetAt));
    }
  }

  /** Milliseconds until the next request may go (0: now). Also where probing and forgetting happen. */
  delay(now: number): number {
    if (this.rate === undefined) return 0;
    if (now - this.lastRefusalAt >= this.forgetAfterMs) {
      this.rate = undefined;
      this.estimate = undefined;
      this.uncertainty = 1;
      this.points.length = 0;
      return 0;
    }
    // The server decided somewhere within each refusal's round trip; when those are long against
    // the time between the refusals (a loaded machine, refusals close together) the estimate may
    // be well off, and one too low never draws the refusal that would correct it: probe twice as
    // often until a refusal measures over a longer span.
    const rough = this.uncertainty > CONFIDENT_UNCERTAINTY;
    const interval = rough ? this.probeIntervalMs / 2 : this.probeIntervalMs;
    if (this.limiting && now - this.lastRefusalAt >= interval && now - this.lastProbeAt >= interval) {
      this.refill(now);
      this.rate *= 1 + this.probeStep;
      this.rateSetAt = now;
      this.lastProbeAt = now;
      this.limiting = false;
    }
    if (now < this.tokensAt) return this.tokensAt - now;
    this.refill(now);
    if (this.tokens >= 1) return 0;
    this.limiting = true;
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
  }

  /** A request goes now (call only when delay(now) is 0). */
  take(now: number): void {
    if (this.rate === undefined) return;
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** Any throttled answer (of any kind) to the request dispatched as `seq`: it used no budget. */
  refused(seq: number): void {
    this.refusedSeqs.push(seq);
    if (this.refusedSeqs.length > 4 * MAX_POINTS)
      this.refusedSeqs.splice(0, this.refusedSeqs.length - 4 * MAX_POINTS);
  }

  /**
   * A budget refusal: the request dispatched as `seq` at `sentAt` was told at `now` to come back in
   * `hintMs`; nothing may go before `resumeAt` (the caller's pause). Call refused(seq) first.
   */
  budgetRefusal(seq: number, sentAt: number, hintMs: number, resumeAt: number, now: number): void {
    if (!(hintMs > 0)) return;
    // The server decided somewhere between sending and the answer: on a loaded machine either
    // side's event loop may hold the request, so the midpoint is the least wrong guess.
    const readyAt = (Math.min(sentAt, now) + now) / 2 + hintMs;
    while (
      this.points.length > 0 &&
      ((this.points[0] as RefusalPoint).readyAt < readyAt - this.windowMs || this.points.length >= MAX_POINTS)
    ) {
      this.points.shift();
    }
    this.points.push({ readyAt, seq, hintMs, rttMs: Math.max(0, now - sentAt) });
    const fromPair = this.slope();
    // Every refusal bounds the rate from above: the budget held at least nothing when it refused,
    // so it needs no more than the hint to recharge one request. A slope above that bound is
    // noise (two refusals a few ms apart, requests that reached the server out of order).
    const bound = 1000 / Math.max(...this.points.map((p) => p.hintMs));
    let next: number;
    if (fromPair !== undefined) {
      this.estimate = Math.min(fromPair.rate, bound);
      this.uncertainty = fromPair.uncertainty;
      next = this.headroom * this.estimate;
    } else {
      // One refusal (or several against the same empty budget) gives only the bound. Pacing at
      // it draws the second refusal that the slope needs, soon and only once.
      next = bound;
    }
    // Refused although sent at the current pace: the budget recharges slower than that, whatever
    // the estimate says. (Requests sent before the pace was set say nothing about it.)
    if (this.rate !== undefined && sentAt >= this.rateSetAt) next = Math.min(next, this.headroom * this.rate);
    this.rate = next;
    this.rateSetAt = now;
    this.learningSuccesses = 0;
    this.learningDone = false;
    this.tokens = 1;
    this.tokensAt = Math.max(resumeAt, now);
    this.lastRefusalAt = now;
    this.lastProbeAt = now;
    this.limiting = false;
  }

  /** Requests accepted per second of budget recharge between the oldest usable and the newest refusal. */
  private slope(): { rate: number; uncertainty: number } | undefined {
    const last = this.points[this.points.length - 1] as RefusalPoint;
    for (const first of this.points) {
      const spanMs = last.readyAt - first.readyAt;
      if (spanMs < MIN_SPAN_MS) continue;
      const accepted = this.acceptedBetween(first.seq, last.seq);
      if (accepted >= 1) {
        return { rate: (accepted * 1000) / spanMs, uncertainty: (first.rttMs + last.rttMs) / 2 / spanMs };
      }
    }
    return undefined;
  }

  /** Dispatches strictly between two refused ones that were not refused themselves. */
  private acceptedBetween(fromSeq: number, toSeq: number): number {
    let refused = 0;
    for (const seq of this.refusedSeqs) if (seq > fromSeq && seq < toSeq) refused++;
    return Math.max(0, toSeq - fromSeq - 1 - refused);
  }

  private refill(now: number): void {
    if (this.rate === undefined || now <= this.tokensAt) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate);
    this.tokensAt = now;
  }
}
