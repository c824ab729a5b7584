// Azure reports failures three ways — RestError with an HTTP status and an x-ms-error-code,
// RestError without a status when the request never got an answer, and plain Node socket
// errors from the body stream. All of them are folded into DestinationError codes here so
// the rest of the package never branches on SDK shapes.
import {
  DestinationError,
  type DestinationErrorCode,
  destinationFailure,
  errorCodeOf,
  isTransientHttpStatus,
  TRANSIENT_NETWORK_CODES,
} from "@ewsvault/destination";

// The SDK's pipeline adds its own spellings for a request that never got a usable answer.
const TRANSIENT_NODE_CODES = new Set([
  ...TRANSIENT_NETWORK_CODES,
  "ESOCKETTIMEDOUT",
  "UND_ERR_SOCKET",
  "REQUEST_SEND_ERROR",
  "PARSE_ERROR",
]);

// Certificate failures never heal by retrying: the endpoint or the trust store is wrong.
const TLS_CODES =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|CERT_UNTRUSTED|CERT_REVOKED|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_.*)$/;

const TRANSIENT_SERVICE_CODES = new Set(["ServerBusy", "OperationTimedOut", "InternalError"]);
const PERMISSION_SERVICE_CODES = new Set([
  "AuthenticationFailed",
  "AuthorizationFailure",
  "AuthorizationPermissionMismatch",
  "AuthorizationResourceTypeMismatch",
  "AuthorizationServiceMismatch",
  "AuthorizationSourceIPMismatch",
  "AuthorizationProtocolMismatch",
  "InsufficientAccountPermissions",
  "AccountIsDisabled",
  "BlobImmutableDueToPolicy",
  "BlobImmutableDueToLegalHold",
  "BlobArchived",
  "NoAuthenticationInformation",
]);
const FULL_SERVICE_CODES = /quota|capacity|limitexceeded|sizelimit|RequestBodyTooLarge/i;

interface ErrorShape {
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly name?: unknown;
  readonly details?: { readonly errorCode?: unknown } | undefined;
  readonly cause?: unknown;
}

/** The x-ms-error-code (or Node error code) of an SDK error, when it has one. */
export function azureErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const shape = error as ErrorShape;
  if (typeof shape.details?.errorCode === "string") return shape.details.errorCode;
  return errorCodeOf(error);
}

export function azureStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as ErrorShape).statusCode;
  return typeof status === "number" ? status : undefined;
}

function classify(error: unknown): DestinationErrorCode {
  const status = azureStatus(error);
  const code = azureErrorCode(error) ?? "";
  if (TLS_CODES.test(code)) return "DEST_CONFIG";
  if (code === "InvalidRange" || status === 416) return "DEST_RANGE_NOT_SATISFIABLE";
  if (PERMISSION_SERVICE_CODES.has(code) || status === 401 || status === 403) return "DEST_PERMISSION";
  if (FULL_SERVICE_CODES.test(code) || status === 413 || status === 507) return "DEST_FULL";
  if (status === 404 || code === "BlobNotFound" || code === "ContainerNotFound") return "DEST_NOT_FOUND";
  // 501: the endpoint (typically an emulator) lacks a feature the options asked for.
  if (status === 501 || code === "APINotImplemented") return "DEST_CONFIG";
  if (TRANSIENT_SERVICE_CODES.has(code)) return "DEST_TRANSIENT";
  if (status !== undefined && isTransientHttpStatus(status)) return "DEST_TRANSIENT";
  if (TRANSIENT_NODE_CODES.has(code)) return "DEST_TRANSIENT";
  const name = (error as ErrorShape | null)?.name;
  if (name === "TimeoutError") return "DEST_TRANSIENT";
  // A RestError without any status never reached the service: the connection failed.
  if (status === undefined && name === "RestError") return "DEST_TRANSIENT";
  // Some socket failures arrive wrapped once more.
  const cause = (error as ErrorShape | null)?.cause;
  if (cause !== undefined && cause !== error && cause !== null && typeof cause === "object") {
    const inner = classify(cause);
    if (inner !== "DEST_IO") return inner;
  }
  return "DEST_IO";
}

const REASONS: Record<DestinationErrorCode, string> = {
  DEST_NOT_FOUND: "not found",
  DEST_ALREADY_EXISTS: "already exists",
  DEST_TRANSIENT: "temporary failure",
  DEST_PERMISSION: "permission denied",
  DEST_FULL: "storage full or quota exceeded",
  DEST_RANGE_NOT_SATISFIABLE: "range not satisfiable",
  DEST_CLOSED: "destination closed",
  DEST_CONFIG: "configuration error (endpoint, TLS trust or unsupported feature)",
  DEST_IO: "request failed",
};

/**
 * Maps any error thrown by the SDK to a DestinationError with a one-line message built only
 * from the operation, the object name, the HTTP status and the service's error code — never
 * from the service message or the request, which can echo URLs carrying SAS signatures.
 */
export function toDestinationError(error: unknown, operation: string, name: string): DestinationError {
  if (error instanceof DestinationError) return error;
  const code = classify(error);
  const status = azureStatus(error);
  const serviceCode = azureErrorCode(error);
  const detail = [serviceCode, status === undefined ? undefined : `HTTP ${status}`]
    .filter((part) => part !== undefined)
    .join(", ");
  return destinationFailure(
    code,
    { backend: "azure blob", operation, subject: name, reason: REASONS[code], detail },
    sanitizedCause(error),
  );
}

/**
 * Keeps the useful, non-secret facts of an SDK error for debugging. The RestError itself
 * holds the request (URL with a possible SAS signature, headers), so it is not kept.
 */
function sanitizedCause(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error;
  const shape = error as ErrorShape;
  const cause = new Error(
    `${String(shape.name ?? "Error")}: ${azureErrorCode(error) ?? "no error code"}, status ${String(
      azureStatus(error) ?? "none",
    )}`,
  );
  return cause;
}
