// ssh2 reports SFTP status replies as errors with a numeric `code` (the SSH_FX_* status) and
// connection-level failures with a `level` ("client-authentication", "client-timeout", ...)
// or a Node socket `code`. This module folds both into DestinationError codes.
import {
  DestinationError,
  type DestinationErrorCode,
  destinationFailure,
  errorCodeOf,
  TRANSIENT_NETWORK_CODES,
} from "@ewsvault/destination";

/** SSH_FXP_STATUS codes this package reacts to (draft-ietf-secsh-filexfer-02 and -13). */
export const SftpStatus = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
  FILE_ALREADY_EXISTS: 11,
  NO_SPACE_ON_FILESYSTEM: 14,
  QUOTA_EXCEEDED: 15,
} as const;

interface ErrorShape {
  readonly code?: unknown;
  readonly level?: unknown;
  readonly message?: unknown;
}

/** The SFTP status of an ssh2 error, when the server answered with one. */
export function sftpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as ErrorShape).code;
  return typeof code === "number" ? code : undefined;
}

function messageOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return String(error);
  const message = (error as ErrorShape).message;
  return typeof message === "string" ? message : "";
}

/** True when the error means the connection itself is unusable (so the pool must drop it). */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof DestinationError) return error.code === "DEST_TRANSIENT";
  const status = sftpStatus(error);
  if (status !== undefined)
    return status === SftpStatus.NO_CONNECTION || status === SftpStatus.CONNECTION_LOST;
  return true;
}

function classify(error: unknown): DestinationErrorCode {
  const status = sftpStatus(error);
  const message = messageOf(error);
  if (status !== undefined) {
    switch (status) {
      case SftpStatus.NO_SUCH_FILE:
        return "DEST_NOT_FOUND";
      case SftpStatus.PERMISSION_DENIED:
        return "DEST_PERMISSION";
      case SftpStatus.FILE_ALREADY_EXISTS:
        return "DEST_ALREADY_EXISTS";
      case SftpStatus.NO_SPACE_ON_FILESYSTEM:
      case SftpStatus.QUOTA_EXCEEDED:
        return "DEST_FULL";
      case SftpStatus.NO_CONNECTION:
      case SftpStatus.CONNECTION_LOST:
        return "DEST_TRANSIENT";
      case SftpStatus.OP_UNSUPPORTED:
        return "DEST_CONFIG";
      default:
        if (/no space|ENOSPC|quota|disk full/i.test(message)) return "DEST_FULL";
        return "DEST_IO";
    }
  }
  const shape = (typeof error === "object" && error !== null ? error : {}) as ErrorShape;
  if (shape.level === "client-authentication") return "DEST_PERMISSION";
  if (shape.level === "client-timeout" || shape.level === "client-socket") return "DEST_TRANSIENT";
  const nodeCode = errorCodeOf(error);
  if (nodeCode !== undefined && TRANSIENT_NETWORK_CODES.has(nodeCode)) return "DEST_TRANSIENT";
  // ssh2's wording when a channel or connection closes under a pending request.
  if (
    /no response from server|not connected|channel (is )?(not open|closed)|connection (lost|closed)/i.test(
      message,
    )
  ) {
    return "DEST_TRANSIENT";
  }
  if (/timed out/i.test(message)) return "DEST_TRANSIENT";
  if (shape.level === "client-dns") return "DEST_CONFIG";
  return "DEST_IO";
}

const REASONS: Record<DestinationErrorCode, string> = {
  DEST_NOT_FOUND: "no such file",
  DEST_ALREADY_EXISTS: "already exists",
  DEST_TRANSIENT: "connection failed",
  DEST_PERMISSION: "permission denied",
  DEST_FULL: "no space left or quota exceeded",
  DEST_RANGE_NOT_SATISFIABLE: "range not satisfiable",
  DEST_CLOSED: "destination closed",
  DEST_CONFIG: "not supported by the server",
  DEST_IO: "failed",
};

/**
 * Maps an ssh2 error to a one-line DestinationError. The server's status text is kept (it is
 * short and never holds credentials); ssh2 connection messages are reduced to their kind.
 */
export function toDestinationError(error: unknown, operation: string, subject: string): DestinationError {
  if (error instanceof DestinationError) return error;
  const code = classify(error);
  const status = sftpStatus(error);
  const detail =
    status !== undefined
      ? `SFTP status ${status}${messageOf(error) === "" ? "" : `: ${messageOf(error)}`}`
      : (errorCodeOf(error) ?? messageOf(error));
  return destinationFailure(
    code,
    { backend: "sftp", operation, subject, reason: REASONS[code], detail },
    error,
  );
}
