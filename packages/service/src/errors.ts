// The service's one error class. Every failure an operator can meet carries a stable `code`
// from SERVICE_ERROR_CODES (listed in the package README; a test checks the two agree) and,
// where there is one, the underlying `cause`. Programmer mistakes are TypeErrors instead.

export const SERVICE_ERROR_CODES = [
  /** A set's cron expression does not parse (5 fields, or 6 with seconds first). */
  "SERVICE_INVALID_CRON",
  /** A set's time zone is not an IANA zone this Node.js knows. */
  "SERVICE_INVALID_TIMEZONE",
  /** A scheduled set names no mailbox once its excludes are applied. */
  "SERVICE_NO_MAILBOXES",
  /** A set's retention policy is malformed or would keep nothing. */
  "SERVICE_INVALID_RETENTION",
  /** Any other malformed set field (names, mailboxes, verify). */
  "SERVICE_INVALID_SET",
  /** Redis did not answer PING within the connect timeout. */
  "SERVICE_REDIS_UNREACHABLE",
  /** A mailbox job names a set the worker's config does not have. */
  "SERVICE_UNKNOWN_SET",
  /**
   * Fencing: this worker's lease on the mailbox job ran out (it was paused or cut off from
   * Redis) and another worker may own the mailbox now; nothing more is written for it.
   */
  "SERVICE_LEASE_LOST",
  /** The engine finished a mailbox job without a snapshot (failed or locked); the job is retried. */
  "SERVICE_MAILBOX_FAILED",
  /** A scheduled verify found problems in the repository (the job fails without retries). */
  "SERVICE_VERIFY_PROBLEMS",
] as const;

export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

export class ServiceError extends Error {
  override readonly name = "ServiceError";
  readonly code: ServiceErrorCode;
  /** Machine-readable facts (set, mailbox, field); never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? {};
  }
}

export function isServiceError(error: unknown, code?: ServiceErrorCode): error is ServiceError {
  return error instanceof ServiceError && (code === undefined || error.code === code);
}
