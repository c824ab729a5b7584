// One error class for the whole engine. Every failure a user can meet carries a stable
// `code` (listed in the package README) and, where there is one, the underlying `cause`.
// Programmer mistakes (bad arguments) are TypeErrors instead.

export class EwsVaultError extends Error {
  override readonly name = "EwsVaultError";
  readonly code: string;
  /** Extra machine-readable facts (mailbox, item id, object name); never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? {};
  }
}

export function isEwsVaultError(error: unknown, code?: string): error is EwsVaultError {
  return error instanceof EwsVaultError && (code === undefined || error.code === code);
}
