// How a request that got no HTTP answer failed: undici and Node report it as error codes buried
// in causes and AggregateErrors; this maps them to an EWS_* code and to "ask again" or not.
// A TLS failure or an unknown host never gets better by asking again; a reset or a timeout may.
import { ewsError } from "./errors.js";

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);
const UNREACHABLE_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNREFUSED"]);
const RESET_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ECONNABORTED",
  "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    if (current instanceof AggregateError) for (const e of current.errors) codes.push(...errorCodes(e));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** A network-level error without request data (undici errors can reference headers). */
function safeCause(error: unknown): { name: string; code?: string; message: string } {
  const codes = errorCodes(error);
  return {
    name: error instanceof Error ? error.name : "Error",
    ...(codes[0] !== undefined ? { code: codes[0] } : {}),
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * The error of a one-off request that got no answer (Autodiscover, the auth probe), which is not
 * retried: EWS_TLS for a certificate or TLS failure, EWS_UNREACHABLE otherwise.
 */
export function unansweredError(cause: unknown, what: string): ReturnType<typeof ewsError> {
  const code =
    (cause as { code?: string; cause?: { code?: string } }).cause?.code ?? (cause as { code?: string }).code;
  const tls = typeof code === "string" && /CERT|TLS|SSL/.test(code);
  return ewsError(tls ? "EWS_TLS" : "EWS_UNREACHABLE", `${what} (${code ?? "error"})`);
}

/**
 * The coded error of a request to `origin` that failed below HTTP, and whether asking again may
 * help. `timedOut`: the attempt's own deadline fired (the caller's abort is handled before).
 */
export function networkFailure(
  error: unknown,
  origin: string,
  timedOut: boolean,
): { readonly retryable: boolean; readonly error: ReturnType<typeof ewsError> } {
  const codes = errorCodes(error);
  const cause = safeCause(error);
  if (timedOut || codes.some((c) => TIMEOUT_CODES.has(c))) {
    return {
      retryable: true,
      error: ewsError("EWS_TIMEOUT", `EWS request to ${origin} timed out`, { cause }),
    };
  }
  if (codes.some((c) => TLS_CODES.has(c) || c.startsWith("ERR_TLS") || c.startsWith("ERR_SSL"))) {
    return {
      retryable: false,
      error: ewsError("EWS_TLS", `TLS handshake with ${origin} failed (${codes[0]})`, { cause }),
    };
  }
  if (codes.some((c) => c === "ENOTFOUND")) {
    return { retryable: false, error: ewsError("EWS_UNREACHABLE", `cannot resolve ${origin}`, { cause }) };
  }
  if (codes.some((c) => UNREACHABLE_CODES.has(c))) {
    return {
      retryable: true,
      error: ewsError("EWS_UNREACHABLE", `cannot connect to ${origin} (${codes[0]})`, { cause }),
    };
  }
  if (codes.some((c) => RESET_CODES.has(c))) {
    return {
      retryable: true,
      error: ewsError("EWS_SERVER_ERROR", `connection to ${origin} broke (${codes[0]})`, { cause }),
    };
  }
  return {
    retryable: true,
    error: ewsError("EWS_UNREACHABLE", `request to ${origin} failed (${codes[0] ?? cause.name})`, { cause }),
  };
}
