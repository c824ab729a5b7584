// A faithful in-memory Destination for tests across the project. It keeps the full contract
// (name validation, copies in and out, atomic replace, DEST_CLOSED — the parts BaseDestination
// does not already do) so that code tested against it behaves the same on real storage, and it
// can inject faults (failed calls, a byte quota, latency) that are hard to provoke on a real
// server. It does not retry: an injected fault must reach the code under test (withRetry() adds
// retries when a test wants them).

import { BaseDestination } from "./base-destination.js";
import type { DestinationCapabilities, LoadOptions, ObjectInfo, SaveOptions } from "./destination.js";
import { DestinationError, type DestinationErrorCode, DestinationErrorCodes } from "./errors.js";
import { resolveLoadRange } from "./range.js";

export type MemoryOperation = "save" | "load" | "stat" | "list" | "remove";

/** One injected failure: calls of `operation` (optionally only on names under `prefix`) fail with `code`. */
export interface MemoryFaultRule {
  /** Which calls the rule counts; "*" counts every operation. */
  readonly operation: MemoryOperation | "*";
  /** The code of the thrown DestinationError. */
  readonly code: DestinationErrorCode;
  /** 1-based: the first matching call (counted from when the rule was added) that fails; default 1. */
  readonly nth?: number;
  /** How many consecutive matching calls fail from the nth on; default 1; Infinity for "from now on". */
  readonly times?: number;
  /** Only names (for list: prefixes) starting with this string match; default every name. */
  readonly prefix?: string;
}

export interface MemoryDestinationFaults {
  /** Rules applied in order; the first one that fires wins. */
  readonly rules?: readonly MemoryFaultRule[];
  /** Total stored bytes allowed; a save() that would exceed it throws DEST_FULL and stores nothing. */
  readonly quotaBytes?: number;
  /** Delay before every operation completes, to make concurrency observable; default 0. */
  readonly latencyMs?: number;
  /**
   * list() shows the objects as they were this many milliseconds ago (saves appear and removes
   * disappear late), to exercise callers of destinations without listAfterWriteConsistent;
   * default 0. load() and stat() always see the latest state.
   */
  readonly listLagMs?: number;
}

export interface MemoryDestinationOptions {
  /** Overrides of the default capabilities (maxConnections 16, atomicReplace, rangedReads, listAfterWriteConsistent all true). */
  readonly capabilities?: Partial<DestinationCapabilities>;
  /** Default "memory". */
  readonly description?: string;
  readonly faults?: MemoryDestinationFaults;
}

/** Counters a test can assert on (for example that a caller respected maxConnections). */
export interface MemoryDestinationStats {
  /** Calls per operation, including failed ones. */
  readonly calls: Readonly<Record<MemoryOperation, number>>;
  /** Operations in progress right now. */
  readonly inFlight: number;
  /** Highest number of operations ever in progress at once. */
  readonly peakInFlight: number;
  /** Failures produced by fault rules or the quota. */
  readonly injectedFailures: number;
}

interface StoredObject {
  readonly data: Uint8Array;
  readonly modifiedAt: Date;
}

interface ActiveRule {
  readonly rule: MemoryFaultRule;
  seen: number;
}

export const defaultMemoryCapabilities: DestinationCapabilities = Object.freeze({
  maxConnections: 16,
  atomicReplace: true,
  rangedReads: true,
  listAfterWriteConsistent: true,
});

function validateRule(rule: MemoryFaultRule): void {
  if (!DestinationErrorCodes.includes(rule.code))
    throw new TypeError(`unknown error code ${String(rule.code)}`);
  if (rule.nth !== undefined && !(Number.isSafeInteger(rule.nth) && rule.nth >= 1)) {
    throw new TypeError("fault rule nth must be an integer >= 1");
  }
  if (rule.times !== undefined && !(rule.times === Number.POSITIVE_INFINITY || rule.times >= 1)) {
    throw new TypeError("fault rule times must be >= 1 or Infinity");
  }
}

export class MemoryDestination extends BaseDestination {
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  /** Total stored bytes allowed; undefined means unlimited. May be changed at any time. */
  quotaBytes: number | undefined;
  /** Delay before every operation completes. May be changed at any time. */
  latencyMs: number;
  /** How far list() lags behind saves and removes. */
  readonly listLagMs: number;

  readonly #objects = new Map<string, StoredObject>();
  // What list() sees when it lags: changes move from #pendingListChanges into #listed once old enough.
  readonly #listed = new Map<string, ObjectInfo>();
  #pendingListChanges: Array<{ at: number; name: string; info: ObjectInfo | undefined }> = [];
  #rules: ActiveRule[] = [];
  #usedBytes = 0;
  #inFlight = 0;
  #peakInFlight = 0;
  #injectedFailures = 0;
  readonly #calls: Record<MemoryOperation, number> = { save: 0, load: 0, stat: 0, list: 0, remove: 0 };

  constructor(options: MemoryDestinationOptions = {}) {
    super(false);
    this.capabilities = Object.freeze({ ...defaultMemoryCapabilities, ...options.capabilities });
    if (!Number.isSafeInteger(this.capabilities.maxConnections) || this.capabilities.maxConnections < 1) {
      throw new TypeError("capabilities.maxConnections must be an integer >= 1");
    }
    this.description = options.description ?? "memory";
    this.quotaBytes = options.faults?.quotaBytes;
    this.latencyMs = options.faults?.latencyMs ?? 0;
    this.listLagMs = options.faults?.listLagMs ?? 0;
    if (!(Number.isFinite(this.listLagMs) && this.listLagMs >= 0))
      throw new TypeError("listLagMs must be >= 0");
    for (const rule of options.faults?.rules ?? []) this.injectFault(rule);
  }

  /** Adds a fault rule; its call counter starts now. */
  injectFault(rule: MemoryFaultRule): void {
    validateRule(rule);
    this.#rules.push({ rule: { ...rule }, seen: 0 });
  }

  /** Removes every fault rule (the quota and latency stay). */
  clearFaults(): void {
    this.#rules = [];
  }

  /** Bytes currently stored. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  get stats(): MemoryDestinationStats {
    return {
      calls: { ...this.#calls },
      inFlight: this.#inFlight,
      peakInFlight: this.#peakInFlight,
      injectedFailures: this.#injectedFailures,
    };
  }

  /** A copy of every stored object, for assertions; works after close(). */
  snapshot(): Map<string, Uint8Array> {
    const copy = new Map<string, Uint8Array>();
    for (const [name, object] of this.#objects) copy.set(name, object.data.slice());
    return copy;
  }

  protected async saveObject(name: string, data: Uint8Array, options: SaveOptions): Promise<void> {
    // Copy before the first await: the caller may reuse its buffer as soon as save() returns a promise.
    const copy = data.slice();
    await this.#operation("save", name, options.signal, () => {
      const existing = this.#objects.get(name);
      if (options.exclusive === true && existing !== undefined) {
        throw new DestinationError("DEST_ALREADY_EXISTS", `${JSON.stringify(name)} already exists`);
      }
      const after = this.#usedBytes - (existing?.data.length ?? 0) + copy.length;
      if (this.quotaBytes !== undefined && after > this.quotaBytes) {
        this.#injectedFailures++;
        throw new DestinationError(
          "DEST_FULL",
          `quota of ${this.quotaBytes} bytes would be exceeded by ${JSON.stringify(name)}`,
        );
      }
      const modifiedAt = new Date();
      this.#objects.set(name, { data: copy, modifiedAt });
      this.#usedBytes = after;
      this.#listChange(name, { name, size: copy.length, modifiedAt });
    });
  }

  protected loadObject(name: string, options: LoadOptions): Promise<Uint8Array> {
    return this.#operation("load", name, options.signal, () => {
      const object = this.#require(name);
      const { start, end } = resolveLoadRange(object.data.length, options, name);
      return object.data.slice(start, end);
    });
  }

  protected statObject(name: string): Promise<ObjectInfo> {
    return this.#operation("stat", name, undefined, () => {
      const object = this.#require(name);
      return { name, size: object.data.length, modifiedAt: new Date(object.modifiedAt) };
    });
  }

  protected async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    // A snapshot at call time: each object once even while callers save and remove concurrently.
    const found = await this.#operation("list", prefix, undefined, () => {
      const infos: ObjectInfo[] = [];
      for (const [name, info] of this.#listView()) {
        if (name.startsWith(prefix)) infos.push(info);
      }
      return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
    for (const info of found) {
      this.assertOpen();
      yield { ...info, ...(info.modifiedAt ? { modifiedAt: new Date(info.modifiedAt) } : {}) };
    }
  }

  protected async removeObject(name: string): Promise<void> {
    await this.#operation("remove", name, undefined, () => {
      const existing = this.#objects.get(name);
      if (existing === undefined) return;
      this.#objects.delete(name);
      this.#usedBytes -= existing.data.length;
      this.#listChange(name, undefined);
    });
  }

  protected async closeStorage(): Promise<void> {}

  protected mapError(error: unknown): unknown {
    // Every failure here is already a DestinationError (or the caller's abort reason).
    return error;
  }

  #listChange(name: string, info: ObjectInfo | undefined): void {
    if (this.listLagMs === 0) return;
    this.#pendingListChanges.push({ at: Date.now(), name, info });
  }

  #listView(): Iterable<[string, ObjectInfo]> {
    if (this.listLagMs === 0) {
      return [...this.#objects].map(([name, object]): [string, ObjectInfo] => [
        name,
        { name, size: object.data.length, modifiedAt: object.modifiedAt },
      ]);
    }
    const horizon = Date.now() - this.listLagMs;
    let applied = 0;
    for (const change of this.#pendingListChanges) {
      if (change.at > horizon) break;
      if (change.info === undefined) this.#listed.delete(change.name);
      else this.#listed.set(change.name, change.info);
      applied++;
    }
    this.#pendingListChanges = this.#pendingListChanges.slice(applied);
    return this.#listed;
  }

  #require(name: string): StoredObject {
    const object = this.#objects.get(name);
    if (object === undefined)
      throw new DestinationError("DEST_NOT_FOUND", `${JSON.stringify(name)} not found`);
    return object;
  }

  #fault(operation: MemoryOperation, name: string): DestinationError | undefined {
    for (const active of this.#rules) {
      const { rule } = active;
      if (rule.operation !== "*" && rule.operation !== operation) continue;
      if (rule.prefix !== undefined && !name.startsWith(rule.prefix)) continue;
      active.seen++;
      const first = rule.nth ?? 1;
      const last = first + (rule.times ?? 1) - 1;
      if (active.seen >= first && active.seen <= last) {
        return new DestinationError(
          rule.code,
          `injected ${rule.code} on ${operation} ${JSON.stringify(name)}`,
        );
      }
    }
    return undefined;
  }

  async #operation<T>(
    operation: MemoryOperation,
    name: string,
    signal: AbortSignal | undefined,
    body: () => T,
  ): Promise<T> {
    this.assertOpen();
    this.#calls[operation]++;
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      else await Promise.resolve();
      this.assertOpen();
      signal?.throwIfAborted();
      const fault = this.#fault(operation, name);
      if (fault !== undefined) {
        this.#injectedFailures++;
        throw fault;
      }
      // The body runs synchronously, so the change it makes is visible all at once.
      return body();
    } finally {
      this.#inFlight--;
    }
  }
}

/** A new, empty in-memory destination. */
export function createMemoryDestination(options?: MemoryDestinationOptions): MemoryDestination {
  return new MemoryDestination(options);
}
