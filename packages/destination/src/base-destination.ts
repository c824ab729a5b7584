// The part of the Destination contract that does not depend on where the bytes go, written
// once: object-name, data and range validation, the closed state, abort signals, retrying
// DEST_TRANSIENT and the funnel every failure passes through to become a DestinationError.
// A destination package extends it and implements only its storage calls.
//
// An abstract class rather than a wrapper function: the destinations have methods beyond the
// interface (abortIncompleteUploads, removeStaleTempFiles, connectionsDialled, ...) that callers
// and tests reach on the object a factory returns, and their storage calls need the closed
// state and the retry policy from inside; a subclass keeps both without forwarding tricks.

import type {
  Destination,
  DestinationCapabilities,
  LoadOptions,
  ObjectInfo,
  SaveOptions,
} from "./destination.js";
import { DestinationError } from "./errors.js";
import { validateObjectName, validateObjectPrefix } from "./object-name.js";
import { validateLoadOptions } from "./range.js";
import {
  listWithRetry,
  type RetryOption,
  type RetryPolicy,
  resolveRetryPolicy,
  retryTransient,
  saveWithRetry,
} from "./retry.js";

/** The operations a failure can come from, as the base names them to mapError(). */
export type StorageOperation = "save" | "load" | "stat" | "list" | "remove";

/**
 * Base class of the destination packages. The public methods validate their arguments (TypeError
 * before any I/O), refuse calls after close() with DEST_CLOSED, reject at once with
 * `signal.reason` when the signal has already aborted, run the storage call (again, while it
 * fails with DEST_TRANSIENT, under the retry policy), and turn whatever it throws into the error
 * the caller sees: `signal.reason` when the caller aborted, else mapError()'s DestinationError.
 *
 * Subclasses implement the storage calls below. They receive validated arguments, may throw
 * whatever their SDK throws (mapError() classifies it), and must keep the contract's storage
 * promises themselves: all-or-nothing saves, DEST_NOT_FOUND for missing objects,
 * resolveLoadRange() for ranges, each object once in listings.
 */
export abstract class BaseDestination implements Destination {
  abstract readonly description: string;
  abstract readonly capabilities: DestinationCapabilities;
  /** The retry policy every storage call runs under (see RetryPolicy for the defaults). */
  readonly retryPolicy: RetryPolicy;
  #closed = false;

  /** `retry`: the destination options' `retry` value (overrides of the default policy, or false). */
  protected constructor(retry: RetryOption | undefined) {
    this.retryPolicy = resolveRetryPolicy(retry);
  }

  /** Writes `data` under `name` all at once; honours options.exclusive and options.signal. */
  protected abstract saveObject(name: string, data: Uint8Array, options: SaveOptions): Promise<void>;
  /** The bytes of `name` in the range options describes (validated; resolve with resolveLoadRange). */
  protected abstract loadObject(name: string, options: LoadOptions): Promise<Uint8Array>;
  protected abstract statObject(name: string): Promise<ObjectInfo>;
  /** Objects whose names start with `prefix` (validated), each once; may check `closed` between pages. */
  protected abstract listObjects(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes `name`; resolves when it does not exist. */
  protected abstract removeObject(name: string): Promise<void>;
  /** Releases connections, clients and the like; runs once, on the first close(). */
  protected abstract closeStorage(): Promise<void>;
  /**
   * The DestinationError for a storage failure of `operation` on `subject` (an object name or a
   * list prefix). DestinationErrors the storage call threw itself should pass through unchanged.
   */
  protected abstract mapError(
    error: unknown,
    operation: StorageOperation | (string & {}),
    subject: string,
  ): unknown;

  /** True once close() was called. */
  protected get closed(): boolean {
    return this.#closed;
  }

  protected closedError(cause?: unknown): DestinationError {
    return new DestinationError(
      "DEST_CLOSED",
      `${this.description} is closed`,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Throws DEST_CLOSED after close(); storage calls use it between steps of long operations. */
  protected assertOpen(): void {
    if (this.#closed) throw this.closedError();
  }

  async save(name: string, data: Uint8Array, options: SaveOptions = {}): Promise<void> {
    validateObjectName(name);
    if (!(data instanceof Uint8Array)) throw new TypeError("save data must be a Uint8Array");
    this.#begin(options.signal);
    await saveWithRetry(
      this.retryPolicy,
      data,
      options,
      () => this.#attempt("save", name, options.signal, () => this.saveObject(name, data, options)),
      () => this.#attempt("load", name, options.signal, () => this.loadObject(name, {})),
    );
  }

  async load(name: string, options: LoadOptions = {}): Promise<Uint8Array> {
    validateObjectName(name);
    validateLoadOptions(options);
    this.#begin(options.signal);
    return retryTransient(this.retryPolicy, options.signal, () =>
      this.#attempt("load", name, options.signal, () => this.loadObject(name, options)),
    );
  }

  async stat(name: string): Promise<ObjectInfo> {
    validateObjectName(name);
    this.#begin(undefined);
    return retryTransient(this.retryPolicy, undefined, () =>
      this.#attempt("stat", name, undefined, () => this.statObject(name)),
    );
  }

  async remove(name: string): Promise<void> {
    validateObjectName(name);
    this.#begin(undefined);
    await retryTransient(this.retryPolicy, undefined, () =>
      this.#attempt("remove", name, undefined, () => this.removeObject(name)),
    );
  }

  async *list(prefix = ""): AsyncIterable<ObjectInfo> {
    validateObjectPrefix(prefix);
    this.#begin(undefined);
    yield* listWithRetry(this.retryPolicy, () => this.#listOnce(prefix));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closeStorage();
  }

  #begin(signal: AbortSignal | undefined): void {
    this.assertOpen();
    signal?.throwIfAborted();
  }

  async #attempt<T>(
    operation: StorageOperation,
    name: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    // Checked again on every attempt: close() may have come while a retry waited.
    this.assertOpen();
    try {
      return await call();
    } catch (error) {
      throw this.#failure(error, operation, name, signal);
    }
  }

  async *#listOnce(prefix: string): AsyncGenerator<ObjectInfo> {
    this.assertOpen();
    try {
      yield* this.listObjects(prefix);
    } catch (error) {
      throw this.#failure(error, "list", prefix, undefined);
    }
  }

  #failure(
    error: unknown,
    operation: StorageOperation,
    subject: string,
    signal: AbortSignal | undefined,
  ): unknown {
    if (signal?.aborted === true) return signal.reason ?? error;
    return this.mapError(error, operation, subject);
  }
}
