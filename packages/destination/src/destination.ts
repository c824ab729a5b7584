// The contract between the repository and wherever its objects live. Object stores, file
// systems and SFTP servers all fit it because it asks only for whole-object writes, ranged
// reads and listing by prefix — the least that every one of them does well.

/** What a destination can and cannot do, as data; the repository and the conformance suite read it. */
export interface DestinationCapabilities {
  /** Upper bound on concurrent operations the repository should issue against this destination. */
  readonly maxConnections: number;
  /** save() over an existing name replaces it atomically (readers see old or new, never a mix). */
  readonly atomicReplace: boolean;
  /** load() with offset/length is served without transferring the whole object. */
  readonly rangedReads: boolean;
  /** A save() that resolved is visible to list() at once (false: eventual listing). */
  readonly listAfterWriteConsistent: boolean;
}

export interface ObjectInfo {
  /** Object name relative to the destination root, '/'-separated (see validateObjectName). */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time when the destination knows it. */
  readonly modifiedAt?: Date;
}

export interface SaveOptions {
  /** When true, save MUST throw DEST_ALREADY_EXISTS if the name exists (create-only, used for locks). */
  readonly exclusive?: boolean;
  readonly signal?: AbortSignal;
}

export interface LoadOptions {
  /** First byte to return; default 0. */
  readonly offset?: number;
  /** Number of bytes to return; default: to the end. */
  readonly length?: number;
  readonly signal?: AbortSignal;
}

/**
 * A flat namespace of immutable-ish named byte objects.
 *
 * Contract, enforced by the conformance suite in "@ewsvault/destination/testing":
 * - Names are validated by validateObjectName(): every method MUST throw a TypeError for an
 *   invalid name (traversal, absolute, empty segments, backslashes, control characters).
 * - save() makes the object visible all at once: a concurrent or later load() never sees a
 *   partial object, and a failed save() leaves no object (nor a partial one) under that name.
 * - load() of a missing object MUST throw DestinationError DEST_NOT_FOUND. A range that starts
 *   past the end MUST throw DEST_RANGE_NOT_SATISFIABLE; a range that runs past the end returns
 *   the bytes that exist. Offset 0 is always satisfiable (an empty object loads as empty bytes),
 *   any other offset >= size is not; length 0 returns empty bytes. A negative or fractional
 *   offset/length MUST throw TypeError (resolveLoadRange() implements all of this).
 * - A name that only prefixes other objects ("a" when "a/b" exists) is not an object: load and
 *   stat throw DEST_NOT_FOUND, remove resolves. Whether "a" and "a/b" may both be objects is
 *   destination-specific (a file system cannot), so callers must not rely on it.
 * - stat() of a missing object MUST throw DEST_NOT_FOUND.
 * - remove() of a missing object MUST resolve (idempotent).
 * - list(prefix) yields every object whose name starts with prefix, each once, in no
 *   particular order; it MUST cope with tens of thousands of objects (paging is internal).
 * - Failures carry a DestinationError code; DEST_TRANSIENT means the same call may succeed
 *   later (network reset, throttling, 5xx) and is the only code callers retry.
 * - After close() every method MUST throw DEST_CLOSED.
 * - An operation whose `signal` aborts rejects with `signal.reason` (an AbortError unless the
 *   caller chose another reason); an aborted save leaves no object, as any failed save.
 */
export interface Destination {
  /** Short human description, safe to log (never contains credentials). */
  readonly description: string;
  readonly capabilities: DestinationCapabilities;
  save(name: string, data: Uint8Array, options?: SaveOptions): Promise<void>;
  load(name: string, options?: LoadOptions): Promise<Uint8Array>;
  stat(name: string): Promise<ObjectInfo>;
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}
