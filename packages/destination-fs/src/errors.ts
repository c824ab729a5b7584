// Maps Node file-system errors to DestinationError codes once, so every method reports "disk full"
// or "no permission" the same way and callers never see a raw errno.

import { DestinationError, type DestinationErrorCode, errorCodeOf } from "@ewsvault/destination";

const CODES: Readonly<Record<string, DestinationErrorCode>> = {
  ENOSPC: "DEST_FULL",
  EDQUOT: "DEST_FULL",
  EACCES: "DEST_PERMISSION",
  EPERM: "DEST_PERMISSION",
  // A read-only mount is a permission problem to the caller: retrying will not help, an admin will.
  EROFS: "DEST_PERMISSION",
  ENOENT: "DEST_NOT_FOUND",
  ENOTDIR: "DEST_NOT_FOUND",
  EMFILE: "DEST_TRANSIENT",
  ENFILE: "DEST_TRANSIENT",
  EAGAIN: "DEST_TRANSIENT",
  EBUSY: "DEST_TRANSIENT",
  EINTR: "DEST_TRANSIENT",
  ETIMEDOUT: "DEST_TRANSIENT",
};

/**
 * Wraps `error` (from `operation` on object `name`) in a DestinationError with `cause`.
 * DestinationErrors, TypeErrors and abort reasons pass through unchanged (BaseDestination has
 * already put the caller's abort reason first).
 */
export function toDestinationError(error: unknown, operation: string, name: string): unknown {
  if (error instanceof DestinationError || error instanceof TypeError) return error;
  if (error instanceof Error && error.name === "AbortError") return error;
  const errno = errorCodeOf(error);
  const code: DestinationErrorCode = (errno !== undefined ? CODES[errno] : undefined) ?? "DEST_IO";
  const detail = error instanceof Error ? error.message : String(error);
  return new DestinationError(code, `${operation} ${JSON.stringify(name)} failed: ${detail}`, {
    cause: error,
  });
}
