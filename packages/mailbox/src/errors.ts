// One error class for the whole engine. Every failure a user can meet carries a stable
// `code` from the ErrorCode table (src/error-codes.ts, documented in docs/error-codes.md) and,
// where there is one, the underlying `cause`. Programmer mistakes (bad arguments) are TypeErrors.
import type { ItemErrorCode } from "./error-codes.js";

export class EwsVaultError extends Error {
  override readonly name = "EwsVaultError";
  /**
   * An ErrorCode; or, when the engine stops a mailbox because of one item's fatal ItemError,
   * that item's code (which may be an Exchange ResponseCode, see ItemErrorCode).
   */
  readonly code: ItemErrorCode;
  /** Extra machine-readable facts (mailbox, item id, object name); never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ItemErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/** True for an EwsVaultError (with `code`, when given; a mistyped code does not compile). */
export function isEwsVaultError(error: unknown, code?: ItemErrorCode): error is EwsVaultError {
  return error instanceof EwsVaultError && (code === undefined || error.code === code);
}
