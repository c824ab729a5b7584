/** Codes of NtlmError; stable, tests assert them. */
export type NtlmErrorCode =
  /** A message is not NTLMSSP, is of the wrong type, or has a field outside the message. */
  | "NTLM_MALFORMED"
  /** A SPNEGO token is not valid DER of the expected shape, or names no NTLM mechanism. */
  | "NTLM_SPNEGO_MALFORMED"
  /** The server's challenge asks for something this client never does (no NTLMv2 target info). */
  | "NTLM_UNSUPPORTED";

export class NtlmError extends Error {
  constructor(
    readonly code: NtlmErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "NtlmError";
  }
}
