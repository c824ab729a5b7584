// Ranged-read arithmetic shared by every destination, so "offset == size" and "length past the
// end" mean the same thing on a file system, an object store and in memory.

import type { LoadOptions } from "./destination.js";
import { DestinationError } from "./errors.js";

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Throws TypeError unless offset and length, when given, are non-negative safe integers.
 * Destinations call it before any I/O so a programmer mistake never turns into a request.
 */
export function validateLoadOptions(options: LoadOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) throw new TypeError("load options must be an object");
  if (options.offset !== undefined && !isNonNegativeInteger(options.offset)) {
    throw new TypeError(`load offset must be a non-negative integer, got ${String(options.offset)}`);
  }
  if (options.length !== undefined && !isNonNegativeInteger(options.length)) {
    throw new TypeError(`load length must be a non-negative integer, got ${String(options.length)}`);
  }
}

/** A half-open byte range [start, end) inside an object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The bytes a load() with `options` returns from an object of `size` bytes.
 * Offset 0 (the default) is always satisfiable, so an empty object loads as empty bytes; any
 * other offset at or past the end MUST throw DEST_RANGE_NOT_SATISFIABLE; a length that runs past
 * the end is cut to the bytes that exist. Throws TypeError for malformed options.
 */
export function resolveLoadRange(size: number, options: LoadOptions | undefined, name = ""): ByteRange {
  validateLoadOptions(options);
  const start = options?.offset ?? 0;
  if (start > 0 && start >= size) {
    throw new DestinationError(
      "DEST_RANGE_NOT_SATISFIABLE",
      `offset ${start} is not inside ${JSON.stringify(name)} (${size} bytes)`,
    );
  }
  const length = options?.length;
  const end = length === undefined ? size : Math.min(size, start + length);
  return { start, end };
}
