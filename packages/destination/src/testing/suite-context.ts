// The state one run of the conformance suite shares between its cases: fresh destinations
// (closed after each test, every error they throw checked against the classification rule),
// polling for eventually consistent listings, the target's cleanup, and the suite's knobs.

import { afterAll, afterEach, it } from "vitest";
import type { Destination, LoadOptions, ObjectInfo, SaveOptions } from "../destination.js";
import { DestinationError } from "../errors.js";
import { classificationViolation, listNames } from "./helpers.js";
import type { ConformanceOptions, ConformanceTarget } from "./types.js";

export const INVALID_NAMES = [
  "../x",
  "/abs",
  "a//b",
  "a/./b",
  "a\\b",
  "",
  "a\u0000b",
  "a\nb",
  "a\u007fb",
  "a/",
  "x/..",
  ".",
  "..",
  "a b",
  "é",
  "x".repeat(1025),
];
export const INVALID_PREFIXES = ["../x", "/abs", "a//b", "a/./b", "a\\b", "a\u0000b", "a\tb", "..", "a//"];

/** What every case file gets from describeDestinationConformance(). */
export interface SuiteContext {
  /** Per-test timeout in ms. */
  readonly timeout: number;
  /** Objects saved for the big listing case. */
  readonly manyObjects: number;
  /** Size of the large objects in bytes. */
  readonly large: number;
  /** Whether the transient-failure cases are declared. */
  readonly declaresFaults: boolean;
  /** Errors that broke the classification rule so far (checked by the last case). */
  readonly violations: readonly string[];
  /** The target, resolved on first use (a lazy target may depend on a server started in beforeAll). */
  getTarget(): ConformanceTarget;
  /** A fresh, empty destination for one test; closed after the test. */
  fresh(): Promise<Destination>;
  /**
   * Declares one case (vitest `it`) that runs `body` on a fresh destination, with the suite's
   * timeout, or `minTimeoutMs` when that is longer (the big cases).
   */
  check(name: string, body: (destination: Destination) => Promise<void>, minTimeoutMs?: number): void;
  /** The sorted names under `prefix`, polled until they equal `expected` when listings are eventual. */
  settledNames(destination: Destination, prefix: string, expected: readonly string[]): Promise<string[]>;
}

/** Wraps a destination so every error it throws is checked against the classification rule. */
function classified(destination: Destination, violations: string[]): Destination {
  const record = (method: string, error: unknown): never => {
    const violation = classificationViolation(error);
    if (violation !== undefined) violations.push(`${method}: ${violation}`);
    throw error;
  };
  const guard = async <T>(method: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      // The contract lets an aborted operation reject with the signal's own reason.
      if (signal?.aborted === true && error === signal.reason) throw error;
      return record(method, error);
    }
  };
  return {
    get description() {
      return destination.description;
    },
    get capabilities() {
      return destination.capabilities;
    },
    save: (name: string, data: Uint8Array, options?: SaveOptions) =>
      guard("save", () => destination.save(name, data, options), options?.signal),
    load: (name: string, options?: LoadOptions) =>
      guard("load", () => destination.load(name, options), options?.signal),
    stat: (name: string) => guard("stat", () => destination.stat(name)),
    remove: (name: string) => guard("remove", () => destination.remove(name)),
    close: () => guard("close", () => destination.close()),
    list: (prefix?: string): AsyncIterable<ObjectInfo> => ({
      async *[Symbol.asyncIterator]() {
        try {
          yield* destination.list(prefix);
        } catch (error) {
          record("list", error);
        }
      },
    }),
  };
}

/**
 * Creates the context for one suite and registers its afterEach (close what the test opened)
 * and afterAll (the target's cleanup) hooks; call it inside the suite's describe block.
 */
export function createSuiteContext(
  target: ConformanceTarget | (() => ConformanceTarget),
  options: ConformanceOptions,
): SuiteContext {
  const timeout = options.timeoutMs ?? 60_000;
  const manyObjects = options.manyObjects ?? 2000;
  const large = options.largeObjectBytes ?? 5 * 1024 * 1024;
  // Whether the fault cases exist must be known while declaring; a lazy target says so in options.
  const declaresFaults =
    options.faults === true || (typeof target !== "function" && target.faults !== undefined);
  let resolved: ConformanceTarget | undefined;
  const violations: string[] = [];
  let opened: Destination[] = [];

  const getTarget = (): ConformanceTarget => {
    resolved ??= typeof target === "function" ? target() : target;
    return resolved;
  };

  const fresh = async (): Promise<Destination> => {
    const destination = await getTarget().create();
    opened.push(destination);
    return classified(destination, violations);
  };

  // Eventually consistent listings are polled until they settle; consistent ones are read once.
  const settledNames = async (destination: Destination, prefix: string, expected: readonly string[]) => {
    const want = [...expected].sort();
    let names = await listNames(destination, prefix);
    if (destination.capabilities.listAfterWriteConsistent) return names;
    const deadline = Date.now() + timeout / 2;
    // Short waits first (most lags are brief), backing off so a slow server is not hammered.
    for (let wait = 25; JSON.stringify(names) !== JSON.stringify(want) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 1000);
      names = await listNames(destination, prefix);
    }
    return names;
  };

  afterEach(async () => {
    const toClose = opened;
    opened = [];
    for (const destination of toClose) {
      try {
        await destination.close();
      } catch (error) {
        if (!(error instanceof DestinationError && error.code === "DEST_CLOSED")) throw error;
      }
    }
  });

  afterAll(async () => {
    await resolved?.cleanup?.();
  });

  const check = (name: string, body: (destination: Destination) => Promise<void>, minTimeoutMs = 0) => {
    it(name, async () => body(await fresh()), Math.max(timeout, minTimeoutMs));
  };

  return { timeout, manyObjects, large, declaresFaults, violations, getTarget, fresh, check, settledNames };
}
