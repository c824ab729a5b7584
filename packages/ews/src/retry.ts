// Retry policy: capped exponential backoff with full jitter, overridden by the server's own
// hint (BackOffMilliseconds in ErrorServerBusy, Retry-After on 503/429) when it gives one.
import { onAbort } from "@ewsvault/mailbox";
import { ewsError } from "./errors.js";

export interface RetryOptions {
  /** Attempts that may fail (5xx, resets, timeouts, malformed bodies), including the first; default 6. */
  readonly maxAttempts?: number;
  /**
   * Throttled answers (ErrorServerBusy, 503, 429) tolerated per request before EWS_THROTTLED;
   * default 100. Generous on purpose: a backup should wait out a throttling budget that
   * recharges over minutes, not fail the mailbox.
   */
  readonly maxThrottledAttempts?: number;
  /** Base of the exponential backoff; default 500 ms. */
  readonly baseDelayMs?: number;
  /** Cap of the exponential backoff; default 30 s. */
  readonly maxDelayMs?: number;
  /** Upper bound on a server-supplied hint we are willing to sleep; default 5 min. */
  readonly maxServerDelayMs?: number;
}

export interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly maxThrottledAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxServerDelayMs: number;
}

export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  const resolved = {
    maxAttempts: options?.maxAttempts ?? 6,
    maxThrottledAttempts: options?.maxThrottledAttempts ?? 100,
    baseDelayMs: options?.baseDelayMs ?? 500,
    maxDelayMs: options?.maxDelayMs ?? 30_000,
    maxServerDelayMs: options?.maxServerDelayMs ?? 300_000,
  };
  for (const key of ["maxAttempts", "maxThrottledAttempts"] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1)
      throw new TypeError(`retry.${key} must be an integer >= 1`);
  }
  for (const key of ["baseDelayMs", "maxDelayMs", "maxServerDelayMs"] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0)
      throw new TypeError(`retry.${key} must be >= 0`);
  }
  return resolved;
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1). A server hint is honoured as a
 * floor plus up to 50 % jitter: requests paused by the same hint must not all return in the same
 * instant and trip the server's concurrency limit again; without one
 * it is full jitter over min(cap, base * 2^(attempt-1)).
 */
export function retryDelay(
  options: ResolvedRetryOptions,
  attempt: number,
  serverHintMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (serverHintMs !== undefined) {
    const hint = Math.min(serverHintMs, options.maxServerDelayMs);
    return Math.round(hint + random() * hint * 0.5);
  }
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** Retry-After as milliseconds (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number.parseInt(header.trim(), 10) * 1000;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(ewsError("EWS_ABORTED", "aborted", { cause: signal.reason }));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    const unsubscribe = onAbort(signal, () => {
      clearTimeout(timer);
      reject(ewsError("EWS_ABORTED", "aborted", { cause: signal?.reason }));
    });
  });
}
