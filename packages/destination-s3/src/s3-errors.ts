// Turns whatever the AWS SDK throws (service errors, socket errors, timeouts) into one
// DestinationError with a stable code. The SDK has already retried what it considers
// retryable by the time an error reaches this mapping, so DEST_TRANSIENT here means "the
// server or network is still unwell", not "retry immediately".
import {
  DestinationError,
  type DestinationErrorCode,
  isTransientHttpStatus,
  TRANSIENT_NETWORK_CODES,
} from "@ewsvault/destination";

const NOT_FOUND = new Set(["NoSuchKey", "NotFound", "NoSuchVersion", "NoSuchUpload"]);
const PERMISSION = new Set([
  "AccessDenied",
  "AccessDeniedByLock",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "InvalidClientTokenId",
  "AccountProblem",
  "Forbidden",
  "CredentialsProviderError",
]);
const TRANSIENT = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "RequestTimeTooSkewed",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "OperationAborted",
  "ConditionalRequestConflict",
  "TimeoutError",
  "NetworkingError",
]);
// XMinio* are MinIO's spellings for a full drive and an exhausted bucket quota.
const FULL = new Set([
  "EntityTooLarge",
  "QuotaExceeded",
  "XMinioStorageFull",
  "XMinioAdminBucketQuotaExceeded",
]);
const CONFIG = new Set([
  "NoSuchBucket",
  "PermanentRedirect",
  "AuthorizationHeaderMalformed",
  "InvalidBucketName",
]);
// The SDK's HTTP handler also reports unknown hosts (often a DNS hiccup) and undici socket errors.
const SOCKET_TRANSIENT = new Set([...TRANSIENT_NETWORK_CODES, "ENOTFOUND", "UND_ERR_SOCKET"]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  errno?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The service error code or socket error code of an SDK failure, looking through causes. */
function describe(error: unknown): { code: string | undefined; status: number | undefined } {
  let code: string | undefined;
  let status: number | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const shape = current as SdkErrorShape;
    status ??= shape.$metadata?.httpStatusCode;
    if (typeof shape.code === "string" && SOCKET_TRANSIENT.has(shape.code))
      return { code: shape.code, status };
    if (Array.isArray(shape.errors)) {
      // Node's happy-eyeballs connect reports an AggregateError whose members carry the code.
      for (const member of shape.errors) {
        const inner = describe(member);
        if (inner.code !== undefined && SOCKET_TRANSIENT.has(inner.code)) return { code: inner.code, status };
      }
    }
    if (code === undefined) {
      if (typeof shape.Code === "string") code = shape.Code;
      else if (
        typeof shape.name === "string" &&
        shape.name !== "Error" &&
        shape.name !== "S3ServiceException"
      )
        code = shape.name;
      else if (typeof shape.code === "string") code = shape.code;
    }
    current = shape.cause;
  }
  return { code, status };
}

function classify(code: string | undefined, status: number | undefined): DestinationErrorCode {
  if (code !== undefined) {
    if (SOCKET_TRANSIENT.has(code) || TRANSIENT.has(code)) return "DEST_TRANSIENT";
    if (NOT_FOUND.has(code)) return "DEST_NOT_FOUND";
    if (PERMISSION.has(code)) return "DEST_PERMISSION";
    if (FULL.has(code)) return "DEST_FULL";
    if (CONFIG.has(code)) return "DEST_CONFIG";
    if (code === "PreconditionFailed") return "DEST_ALREADY_EXISTS";
    if (code === "InvalidRange") return "DEST_RANGE_NOT_SATISFIABLE";
  }
  if (status !== undefined) {
    if (status === 404) return "DEST_NOT_FOUND";
    if (status === 401 || status === 403) return "DEST_PERMISSION";
    if (status === 412) return "DEST_ALREADY_EXISTS";
    if (status === 416) return "DEST_RANGE_NOT_SATISFIABLE";
    if (status === 507) return "DEST_FULL";
    if (isTransientHttpStatus(status)) return "DEST_TRANSIENT";
  }
  return "DEST_IO";
}

const HINTS: Partial<Record<DestinationErrorCode, string>> = {
  DEST_PERMISSION: "check the access key, secret and the bucket policy",
  DEST_TRANSIENT: "the server or network failed; the call may succeed later",
  DEST_FULL: "the object is too large or the account quota is exhausted",
  DEST_CONFIG: "check the bucket name, region and endpoint",
};

/**
 * Maps an SDK failure of `operation` on `what` (a bucket key, never a credential) to a
 * DestinationError. The message is one line built only from the operation, the object, the
 * service's error code and the HTTP status; the server's own text stays in `cause` because some
 * servers echo request details (string-to-sign, key ids) into it.
 */
export function toDestinationError(error: unknown, operation: string, what: string): DestinationError {
  if (error instanceof DestinationError) return error;
  const { code, status } = describe(error);
  const mapped = classify(code, status);
  const detail = [code, status === undefined ? undefined : `HTTP ${status}`].filter(Boolean).join(", ");
  const hint = HINTS[mapped];
  const message = `s3 ${operation} ${what} failed${detail ? ` (${detail})` : ""}${hint ? `: ${hint}` : ""}`;
  return new DestinationError(mapped, message, { cause: error });
}
