// What one answered HTTP attempt means for the retry loop: a result, a failure worth asking
// again for (throttled or not, with the server's backoff hint), or a fatal error. Reads the
// HTTP status (413, 401/403, 503/429, 5xx), then the SOAP envelope: faults, and responses whose
// every message is transient or a throttling refusal.
import { EwsVaultError } from "@ewsvault/mailbox";
import { type EwsAuth, isConnectionAuth } from "./auth.js";
import type { ThrottleKind } from "./concurrency-gate.js";
import { type EwsErrorCode, errorCodeForResponseCode, ewsError, isTransientResponseCode } from "./errors.js";
import { parsePayloadResponse, readResponse } from "./export-response/parse-export-response.js";
import { parseRetryAfter } from "./retry.js";
import { interpretEnvelope, responseMessages, type SoapResponse } from "./soap.js";
import type { CallResult } from "./transport-types.js";
import type { XmlElement } from "./xml-parser.js";

export type AttemptOutcome =
  | { readonly kind: "ok"; readonly result: CallResult }
  | {
      readonly kind: "retry";
      readonly error: EwsVaultError;
      readonly hintMs?: number;
      readonly throttled: boolean;
      /** Why the server throttled (set when throttled). */
      readonly throttle?: ThrottleKind;
      /** A bearer token was invalidated: ask again once with a fresh one. */
      readonly authRefresh?: boolean;
    }
  | { readonly kind: "fatal"; readonly error: EwsVaultError };

/** An HTTP answer, read in full (under the size limit). */
export interface HttpAnswer {
  readonly operationName: string;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** Mailbox of the request, for error details. */
  readonly mailbox: string | undefined;
  /** Base64 elements to cut out of the body before parsing (see CallContext.payloadElement). */
  readonly payloadElement: string | undefined;
}

/**
 * Exchange's answer when EWSMaxConcurrency is exceeded ("You have exceeded the available
 * concurrent connections for your account"); it carries no BackOffMilliseconds.
 */
const CONNECTION_COUNT = "ErrorExceededConnectionCount";

/**
 * Which limit a throttling answer is about, or undefined when the code is a transient failure
 * rather than throttling. ErrorServerBusy with BackOffMilliseconds is the budget (Exchange tells
 * when it recharges); without one it names no cause.
 */
function throttleKind(responseCode: string, backOffMs: number | undefined): ThrottleKind | undefined {
  if (responseCode === CONNECTION_COUNT) return "concurrency";
  if (responseCode !== "ErrorServerBusy") return undefined;
  return backOffMs !== undefined && backOffMs > 0 ? "budget" : "unknown";
}

/** A transient or throttling ResponseCode (from a fault or from every message) as a retry. */
function transientOutcome(
  responseCode: string,
  backOffMs: number | undefined,
  message: string,
  details: Record<string, unknown>,
): AttemptOutcome {
  const throttle = throttleKind(responseCode, backOffMs);
  return {
    kind: "retry",
    throttled: throttle !== undefined,
    ...(throttle !== undefined ? { throttle } : {}),
    hintMs: backOffMs,
    error: ewsError(
      throttle !== undefined ? "EWS_THROTTLED" : errorCodeForResponseCode(responseCode),
      message,
      {
        details: { ...details, backOffMs },
      },
    ),
  };
}

function isTransientOrThrottled(responseCode: string): boolean {
  return isTransientResponseCode(responseCode) || responseCode === CONNECTION_COUNT;
}

/** The outcome of an answered attempt. `auth` decides what a 401 means (a bearer token is invalidated). */
export function classifyAnswer(answer: HttpAnswer, auth: EwsAuth): AttemptOutcome {
  const { status, operationName } = answer;
  if (status === 413) {
    return {
      kind: "fatal",
      error: ewsError("EWS_MESSAGE_SIZE_EXCEEDED", "EWS refused the request as too large (HTTP 413)", {
        details: { status, responseCode: "ErrorMessageSizeExceeded" },
      }),
    };
  }
  if (status === 401 || status === 403) return credentialsRefused(answer, auth);
  if (status === 503 || status === 429) {
    return {
      kind: "retry",
      throttled: true,
      // A 503 means requests queue in IIS (or a proxy); it does not say which limit was hit.
      throttle: "unknown",
      hintMs: parseRetryAfter(answer.headers["retry-after"]),
      error: ewsError("EWS_THROTTLED", `EWS is throttling (HTTP ${status})`, { details: { status } }),
    };
  }
  if (status !== 200 && status !== 500) {
    const error = ewsError("EWS_SERVER_ERROR", `EWS answered HTTP ${status}`, { details: { status } });
    return status === 502 || status === 504
      ? { kind: "retry", throttled: false, error }
      : { kind: "fatal", error };
  }

  let soap: SoapResponse | undefined;
  let payloads: Uint8Array[] = [];
  try {
    let root: XmlElement;
    if (answer.payloadElement !== undefined && status === 200) {
      // Scans the payloads out of the bytes and parses only the structure around them.
      ({ root, payloads } = parsePayloadResponse(answer.body, answer.payloadElement));
    } else root = readResponse(answer.body);
    soap = interpretEnvelope(root);
  } catch (error) {
    if (error instanceof EwsVaultError && error.code === "EWS_MALFORMED_RESPONSE") {
      // A DTD is an attack or a misconfigured proxy, never a glitch: do not ask again.
      if (/DTD/.test(error.message)) return { kind: "fatal", error };
      return { kind: "retry", throttled: false, error };
    }
    throw error;
  }
  if (soap === undefined) {
    return {
      kind: "retry",
      throttled: false,
      error: ewsError("EWS_MALFORMED_RESPONSE", `EWS answered HTTP ${status} without a SOAP envelope`, {
        details: { status },
      }),
    };
  }
  if (soap.fault !== undefined) return classifyFault(soap.fault, status, answer.mailbox);
  if (soap.body === undefined) {
    return {
      kind: "retry",
      throttled: false,
      error: ewsError("EWS_MALFORMED_RESPONSE", "SOAP body is empty"),
    };
  }
  if (status === 500) {
    return {
      kind: "retry",
      throttled: false,
      error: ewsError("EWS_SERVER_ERROR", "EWS answered HTTP 500", { details: { status } }),
    };
  }
  // A response in which every message is transient or a throttling refusal (typically one
  // ErrorServerBusy or ErrorExceededConnectionCount repeated per entry) is a throttled request,
  // not a set of per-item failures.
  const messages = responseMessages(soap.body);
  const first = messages[0];
  if (first !== undefined && messages.every((m) => isTransientOrThrottled(m.responseCode))) {
    return transientOutcome(
      first.responseCode,
      first.backOffMs,
      `EWS ${operationName}: ${first.responseCode}`,
      {
        responseCode: first.responseCode,
      },
    );
  }
  return {
    kind: "ok",
    result: { soap: soap as CallResult["soap"], payloads, responseBytes: answer.body.length },
  };
}

/**
 * HTTP 401/403. A bearer supplier with invalidate() gets one fresh token on a 401; NTLM and
 * Negotiate say which schemes the server offers when the configured one is not among them.
 */
function credentialsRefused(answer: HttpAnswer, auth: EwsAuth): AttemptOutcome {
  const { status, mailbox } = answer;
  if (isConnectionAuth(auth)) {
    const offered = offeredSchemes(answer.headers);
    const wanted = auth.kind === "ntlm" ? "ntlm" : "negotiate";
    const hint =
      offered.length > 0 && !offered.includes(wanted)
        ? ` (the server offers ${offered.join(", ")}, not ${wanted})`
        : "";
    return {
      kind: "fatal",
      error: ewsError("EWS_AUTH_FAILED", `EWS refused the ${wanted} credentials (HTTP ${status})${hint}`, {
        details: { status, mailbox, offeredSchemes: offered },
      }),
    };
  }
  const refresh = status === 401 && auth.kind === "bearer" && "invalidate" in auth.getToken;
  if (refresh) (auth.getToken as unknown as { invalidate(): void }).invalidate();
  const error = ewsError("EWS_AUTH_FAILED", `EWS refused the credentials (HTTP ${status})`, {
    details: { status, mailbox },
  });
  return refresh ? { kind: "retry", authRefresh: true, throttled: false, error } : { kind: "fatal", error };
}

function classifyFault(
  fault: NonNullable<SoapResponse["fault"]>,
  status: number,
  mailbox: string | undefined,
): AttemptOutcome {
  const responseCode = fault.responseCode ?? "";
  const details = { status, responseCode, mailbox };
  if (isTransientOrThrottled(responseCode)) {
    return transientOutcome(
      responseCode,
      fault.backOffMs,
      `EWS fault ${responseCode}: ${fault.faultString}`,
      details,
    );
  }
  const code: EwsErrorCode =
    responseCode === "" ? "EWS_SERVER_ERROR" : errorCodeForResponseCode(responseCode);
  return {
    kind: "fatal",
    error: ewsError(code, `EWS fault ${responseCode || fault.faultCode}: ${fault.faultString}`, { details }),
  };
}

/** The schemes a 401's WWW-Authenticate headers offer, lower-cased ("negotiate", "ntlm", "basic"). */
export function offeredSchemes(headers: Record<string, string | string[] | undefined>): string[] {
  const raw = headers["www-authenticate"];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const schemes = new Set<string>();
  for (const value of values) {
    // One header may list several challenges ("Negotiate, NTLM"); a scheme is a token at the
    // start or after a comma, followed by a space, a comma or the end.
    for (const match of value.matchAll(/(?:^|,)\s*([A-Za-z][A-Za-z0-9-]*)(?=\s|,|$)(?!\s*=)/g)) {
      schemes.add((match[1] as string).toLowerCase());
    }
  }
  return [...schemes];
}
