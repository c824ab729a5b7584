// Small helpers the conformance suite is built from, exported for other suites through
// "@ewsvault/destination/testing": deterministic bytes, listing shortcuts and assertions.

import { Buffer } from "node:buffer";
import { expect } from "vitest";
import type { Destination } from "../destination.js";
import { DestinationError, type DestinationErrorCode, DestinationErrorCodes } from "../errors.js";

/** `n` deterministic pseudo-random bytes; the same (n, seed) always gives the same bytes. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError("randomBytes: n must be a non-negative integer");
  const out = new Uint8Array(n);
  // mulberry32: tiny, fast and good enough to make accidental equality impossible in practice.
  let state = (seed ^ 0x9e3779b9) >>> 0;
  let i = 0;
  while (i < n) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    for (let k = 0; k < 4 && i < n; k++, i++) out[i] = (t >>> (k * 8)) & 0xff;
  }
  return out;
}

/** Every item of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** The sorted names list(prefix) yields (duplicates kept, so callers can check "each once"). */
export async function listNames(destination: Destination, prefix?: string): Promise<string[]> {
  const infos = await collect(destination.list(prefix));
  return infos.map((info) => info.name).sort();
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** True when both hold the same bytes (fast, and no giant diff on failure). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** Asserts `actual` is a Uint8Array with exactly the bytes of `expected`. */
export function expectBytes(actual: unknown, expected: Uint8Array, what = "bytes"): void {
  expect(actual, `${what} must be a Uint8Array`).toBeInstanceOf(Uint8Array);
  const bytes = actual as Uint8Array;
  expect(bytes.length, `${what}: length`).toBe(expected.length);
  expect(sameBytes(bytes, expected), `${what}: content differs`).toBe(true);
}

/** Awaits `action` and asserts it fails with a DestinationError carrying `code`; returns the error. */
export async function expectDestinationError(
  action: Promise<unknown> | (() => unknown),
  code: DestinationErrorCode,
): Promise<DestinationError> {
  let error: unknown;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected DestinationError ${code}, nothing was thrown`).toBeDefined();
  expect(error, `expected DestinationError ${code}, got ${String(error)}`).toBeInstanceOf(DestinationError);
  expect((error as DestinationError).code).toBe(code);
  return error as DestinationError;
}

/**
 * The DestinationError `promise` rejects with, whatever its code (for tests that look at the
 * error afterwards); anything else it rejects with is rethrown, and resolving is a failure.
 */
export async function destinationRejection(promise: Promise<unknown>): Promise<DestinationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DestinationError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

/** Awaits `action` (which may also throw synchronously) and asserts it fails with a TypeError. */
export async function expectTypeError(action: () => unknown, what = "call"): Promise<void> {
  let error: unknown;
  try {
    await action();
  } catch (caught) {
    error = caught;
  }
  expect(error, `${what}: expected a TypeError, got ${String(error)}`).toBeInstanceOf(TypeError);
}

/** Why `error` breaks the rule "only DestinationError with a known code, or TypeError", or undefined. */
export function classificationViolation(error: unknown): string | undefined {
  if (error instanceof TypeError) return undefined;
  if (error instanceof DestinationError) {
    return DestinationErrorCodes.includes(error.code) ? undefined : `unknown code ${String(error.code)}`;
  }
  return `not a DestinationError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}
