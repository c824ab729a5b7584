// Error codes of @ewsvault/ews and the table that turns an EWS ResponseCode into one of them
// or into a per-item disposition. Keeping the mapping in one place means the transport, the
// batch logic and the README cannot drift apart.
import { type ErrorCode, EwsVaultError, type ItemError } from "@ewsvault/mailbox";

/** Every code an @ewsvault/ews method can reject with (listed in the README). */
export const EWS_ERROR_CODES = [
  "EWS_AUTH_FAILED",
  "EWS_IMPERSONATION_DENIED",
  "EWS_ACCESS_DENIED",
  "EWS_MAILBOX_NOT_FOUND",
  "EWS_FOLDER_NOT_FOUND",
  "EWS_FOLDER_EXISTS",
  "EWS_THROTTLED",
  "EWS_UNREACHABLE",
  "EWS_TLS",
  "EWS_INVALID_SYNC_STATE",
  "EWS_MALFORMED_RESPONSE",
  "EWS_SERVER_ERROR",
  "EWS_TIMEOUT",
  "EWS_MESSAGE_SIZE_EXCEEDED",
  "EWS_ABORTED",
  "EWS_RESPONSE_TOO_LARGE",
  "EWS_INSECURE_AUTH",
  "EWS_OPERATION_UNSUPPORTED",
] as const satisfies readonly ErrorCode[];

export type EwsErrorCode = (typeof EWS_ERROR_CODES)[number];

export function ewsError(
  code: EwsErrorCode,
  message: string,
  options?: { cause?: unknown; details?: Record<string, unknown> },
): EwsVaultError {
  return new EwsVaultError(code, message, options);
}

/** Response codes that mean "try the same request again later" (server-side, not our fault). */
const TRANSIENT_RESPONSE_CODES = new Set([
  "ErrorServerBusy",
  // EWSMaxConcurrency exceeded (no back-off hint): retry once one of our requests completes.
  "ErrorExceededConnectionCount",
  "ErrorInternalServerTransientError",
  // Usually a passing store hiccup; bounded by maxAttempts like every transient failure.
  "ErrorInternalServerError",
  "ErrorTimeoutExpired",
  "ErrorMailboxStoreUnavailable",
  "ErrorConnectionFailed",
]);

export function isTransientResponseCode(code: string): boolean {
  return TRANSIENT_RESPONSE_CODES.has(code);
}

/** Response codes that are about the whole mailbox, never one item. */
const MAILBOX_CODES: Readonly<Record<string, EwsErrorCode>> = {
  ErrorNonExistentMailbox: "EWS_MAILBOX_NOT_FOUND",
  ErrorMailboxNotFound: "EWS_MAILBOX_NOT_FOUND",
  ErrorInvalidSmtpAddress: "EWS_MAILBOX_NOT_FOUND",
  ErrorImpersonateUserDenied: "EWS_IMPERSONATION_DENIED",
  ErrorImpersonationDenied: "EWS_IMPERSONATION_DENIED",
  ErrorImpersonationFailed: "EWS_IMPERSONATION_DENIED",
  ErrorAccessDenied: "EWS_ACCESS_DENIED",
  ErrorAccountDisabled: "EWS_AUTH_FAILED",
};

/** The EwsVaultError code for a failed ResponseCode (used when the whole call fails). */
export function errorCodeForResponseCode(responseCode: string): EwsErrorCode {
  const mailbox = MAILBOX_CODES[responseCode];
  if (mailbox !== undefined) return mailbox;
  switch (responseCode) {
    case "ErrorInvalidSyncStateData":
    case "ErrorInvalidSyncState":
      return "EWS_INVALID_SYNC_STATE";
    case "ErrorFolderNotFound":
    case "ErrorSyncFolderNotFound":
      return "EWS_FOLDER_NOT_FOUND";
    case "ErrorFolderExists":
      return "EWS_FOLDER_EXISTS";
    case "ErrorServerBusy":
    case "ErrorExceededConnectionCount":
      return "EWS_THROTTLED";
    case "ErrorTimeoutExpired":
      return "EWS_TIMEOUT";
    case "ErrorMessageSizeExceeded":
      return "EWS_MESSAGE_SIZE_EXCEEDED";
    default:
      return "EWS_SERVER_ERROR";
  }
}

/** True when this ResponseCode stops the whole mailbox (a per-item answer would be a lie). */
export function isMailboxFatalResponseCode(responseCode: string): boolean {
  return responseCode in MAILBOX_CODES;
}

const SKIP_ITEM_CODES = new Set([
  "ErrorItemNotFound",
  "ErrorCorruptData",
  "ErrorInvalidIdMalformed",
  "ErrorInvalidIdNotAnItemAttachmentId",
  "ErrorInvalidIdMalformedEwsLegacyIdFormat",
  "ErrorInvalidItemForOperationExportItems",
  "ErrorMessageSizeExceeded",
  "ErrorInvalidIdEmpty",
  "ErrorItemCorrupt",
  "ErrorInvalidOperation",
  "ErrorInvalidPropertyRequest",
  "ErrorObjectTypeChanged",
]);

const RETRY_ITEM_CODES = new Set(["ErrorMailboxMoveInProgress", ...TRANSIENT_RESPONSE_CODES]);

/** Classifies one failed ResponseMessage of a batch into the engine's per-item disposition. */
export function itemErrorFor(responseCode: string, messageText: string | undefined): ItemError {
  const disposition: ItemError["disposition"] = isMailboxFatalResponseCode(responseCode)
    ? "fatal"
    : RETRY_ITEM_CODES.has(responseCode)
      ? "retry"
      : SKIP_ITEM_CODES.has(responseCode)
        ? "skip"
        : // An unknown per-item code is reported and skipped rather than stopping a mailbox:
          // one odd item must not cost the backup of everything else.
          "skip";
  return {
    code: errorCodeForResponseCode(responseCode),
    message: messageText ?? responseCode,
    responseCode,
    disposition,
  };
}
