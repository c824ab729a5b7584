// Retrying DEST_TRANSIENT, once for every destination. The contract says DEST_TRANSIENT is the
// one code a call may succeed on later; this module is where "later" happens: bounded attempts,
// exponential back-off with jitter (so many clients that failed together do not come back
// together), and an abort signal that stops the waiting at once. Every other code is final.
//
// Two ways in: BaseDestination runs each storage call through these functions (so every
// destination built on it retries by default, however it was constructed), and withRetry()
// decorates any other Destination (the memory destination, third-party ones) the same way.

import type { Destination, LoadOptions, ObjectInfo, SaveOptions } from "./destination.js";
import { isDestinationError } from "./errors.js";

/** How a destination retries DEST_TRANSIENT failures. */
export interface RetryPolicy {
  /** Attempts per operation, counting the first; 1 turns retrying off. Default 4. */
  readonly maxAttempts: number;
  /** Upper bound of the delay before the first retry, in ms; it doubles with each retry. Default 250. */
  readonly initialDelayMs: number;
  /** Upper bound of any one delay, in ms. Default 8000. */
  readonly maxDelayMs: number;
  /** Uniform random numbers in [0, 1) for the jitter; tests pass a fixed one. Default Math.random. */
  readonly random?: () => number;
}

/** Overrides of the default policy, or false for no retries (maxAttempts 1). */
export type RetryOption = Partial<RetryPolicy> | false;

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 4,
  initialDelayMs: 250,
  maxDelayMs: 8000,
});

/** The full policy for a destination's `retry` option; throws TypeError for malformed values. */
export function resolveRetryPolicy(option: RetryOption | undefined): RetryPolicy {
  if (option === false) return { ...defaultRetryPolicy, maxAttempts: 1 };
  if (option !== undefined && (typeof option !== "object" || option === null)) {
    throw new TypeError("retry must be a policy object or false");
  }
  const policy = { ...defaultRetryPolicy, ...option };
  if (!Number.isSafeInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new TypeError("retry.maxAttempts must be an integer >= 1");
  }
  for (const key of ["initialDelayMs", "maxDelayMs"] as const) {
    if (!(Number.isFinite(policy[key]) && policy[key] >= 0)) throw new TypeError(`retry.${key} must be >= 0`);
  }
  if (policy.random !== undefined && typeof policy.random !== "function") {
    throw new TypeError("retry.random must be a function");
  }
  return Object.freeze(policy);
}

/**
 * The wait before retry number `retry` (1-based): "equal jitter" over an exponential ceiling,
 * i.e. between half the ceiling and the ceiling, so a retry never comes back at once.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  return ceiling / 2 + ((policy.random ?? Math.random)() * ceiling) / 2;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `attempt(n)` (n counts from 1) until it resolves, fails with anything but
 * DEST_TRANSIENT, or `policy.maxAttempts` attempts have failed; then the last error is thrown.
 * An abort while waiting rejects with `signal.reason` and starts no further attempt.
 */
export async function retryTransient<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isDestinationError(error, "DEST_TRANSIENT") || n >= policy.maxAttempts) throw error;
      if (signal?.aborted === true) throw signal.reason;
      await sleep(retryDelayMs(policy, n), signal);
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A save with retries. An exclusive save needs care: when an attempt failed transiently after
 * its write had landed (the answer was lost), the retry meets its own object and fails with
 * DEST_ALREADY_EXISTS — which would tell a lock holder that someone else holds its lock. So
 * after a transient failure, DEST_ALREADY_EXISTS is checked against the stored bytes (lock
 * contents are unique) and an identical object counts as this save's success.
 */
export async function saveWithRetry(
  policy: RetryPolicy,
  data: Uint8Array,
  options: SaveOptions | undefined,
  save: () => Promise<void>,
  loadBack: () => Promise<Uint8Array>,
): Promise<void> {
  let failedTransiently = false;
  await retryTransient(policy, options?.signal, async () => {
    try {
      await save();
    } catch (error) {
      if (isDestinationError(error, "DEST_TRANSIENT")) failedTransiently = true;
      else if (
        failedTransiently &&
        options?.exclusive === true &&
        isDestinationError(error, "DEST_ALREADY_EXISTS") &&
        (await loadBack().then(
          (stored) => sameBytes(stored, data),
          () => false,
        ))
      ) {
        return;
      }
      throw error;
    }
  });
}

/**
 * A listing with retries. A listing that fails part-way is started again and skips the names
 * it already yielded, so every object is still yielded once (the names seen are kept in
 * memory, a few megabytes for a hundred thousand objects).
 */
export async function* listWithRetry(
  policy: RetryPolicy,
  list: () => AsyncIterable<ObjectInfo>,
): AsyncGenerator<ObjectInfo> {
  const yielded = new Set<string>();
  for (let n = 1; ; n++) {
    try {
      for await (const info of list()) {
        if (yielded.has(info.name)) continue;
        yielded.add(info.name);
        yield info;
      }
      return;
    } catch (error) {
      if (!isDestinationError(error, "DEST_TRANSIENT") || n >= policy.maxAttempts) throw error;
      await sleep(retryDelayMs(policy, n), undefined);
    }
  }
}

/**
 * `destination` with every DEST_TRANSIENT failure of save, load, stat, list and remove retried
 * under `policy` (see RetryPolicy for the defaults). Other codes, TypeErrors and abort reasons
 * pass through after one attempt. Destinations built on BaseDestination already retry; wrap
 * only those that are not (wrapping one again multiplies the attempts).
 */
export function withRetry(destination: Destination, policy?: RetryOption): Destination {
  const resolved = resolveRetryPolicy(policy);
  return {
    get description() {
      return destination.description;
    },
    get capabilities() {
      return destination.capabilities;
    },
    save: (name: string, data: Uint8Array, options?: SaveOptions) =>
      saveWithRetry(
        resolved,
        data,
        options,
        () => destination.save(name, data, options),
        () => destination.load(name),
      ),
    load: (name: string, options?: LoadOptions) =>
      retryTransient(resolved, options?.signal, () => destination.load(name, options)),
    stat: (name: string) => retryTransient(resolved, undefined, () => destination.stat(name)),
    remove: (name: string) => retryTransient(resolved, undefined, () => destination.remove(name)),
    list: (prefix?: string) => listWithRetry(resolved, () => destination.list(prefix)),
    close: () => destination.close(),
  };
}
