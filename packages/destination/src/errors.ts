// Stable error codes for everything a destination can report. Callers branch on `code`,
// never on messages; DEST_TRANSIENT is the only code that means "try again".

export const DestinationErrorCodes = [
  "DEST_NOT_FOUND",
  "DEST_ALREADY_EXISTS",
  "DEST_TRANSIENT",
  "DEST_PERMISSION",
  "DEST_FULL",
  "DEST_RANGE_NOT_SATISFIABLE",
  "DEST_CLOSED",
  "DEST_CONFIG",
  "DEST_IO",
] as const;

export type DestinationErrorCode = (typeof DestinationErrorCodes)[number];

export class DestinationError extends Error {
  readonly code: DestinationErrorCode;
  override readonly name = "DestinationError";

  constructor(code: DestinationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for failures where the same operation may succeed when retried. */
  get transient(): boolean {
    return this.code === "DEST_TRANSIENT";
  }
}

export function isDestinationError(error: unknown, code?: DestinationErrorCode): error is DestinationError {
  return error instanceof DestinationError && (code === undefined || error.code === code);
}
