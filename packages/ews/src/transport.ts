// One EWS endpoint: a keep-alive undici Pool (or, for NTLM and Negotiate, a pool of connections
// authenticated once each), the adaptive concurrency gate, the retry loop, the response size
// limit and the classification of every way a request can fail into an EWS_* code. Operations
// above this layer only ever see a parsed, successful SOAP response or an EwsVaultError.
import { EwsVaultError } from "@ewsvault/mailbox";
import { type Dispatcher, Pool } from "undici";
import { type EwsAuth, authorizationHeader, isConnectionAuth } from "./auth.js";
import { AuthenticatedConnectionPool } from "./connection-auth.js";
import { AdaptiveConcurrencyGate, type ThrottleKind } from "./concurrency-gate.js";
import { type EwsErrorCode, errorCodeForResponseCode, ewsError, isTransientResponseCode } from "./errors.js";
import { type ResolvedRetryOptions, parseRetryAfter, retryDelay, sleep } from "./retry.js";
import { type SoapResponse, interpretEnvelope, responseMessages, soapEnvelope } from "./soap.js";
import { extractBase64Elements, parseXml, rejectDtd } from "./xml-parser.js";
import type { XmlFragment } from "./xml-writer.js";

export interface EwsLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

export interface TransportOptions {
  readonly url: URL;
  readonly auth: EwsAuth;
  readonly maxConcurrency: number;
  readonly allowInsecureTls: boolean;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly userAgent: string;
  readonly serverVersion: string;
  readonly retry: ResolvedRetryOptions;
  readonly logger?: EwsLogger;
  readonly gate?: AdaptiveConcurrencyGate;
  readonly onResponse?: (info: ResponseInfo) => void;
  /** Largest response body accepted, enforced while streaming; default DEFAULT_MAX_RESPONSE_BYTES. */
  readonly maxResponseBytes?: number;
  /** Send Basic credentials or a bearer token over plain http (refused otherwise). */
  readonly allowInsecureAuth?: boolean;
  /** Extra trusted CA certificates (PEM) for the endpoint, e.g. an internal CA. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

/**
 * Default response size limit. An ExportItems batch is planned to stay under maxExportBatchBytes
 * (16 MiB), except one large item that goes alone: Exchange refuses EWS messages over 64 MiB by
 * default (maxReceivedMessageSize), so no item exports to more than 64 MiB of base64 plus the
 * envelope. 128 MiB leaves room for that and for a server configured somewhat above the default.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/** What the transport saw of one HTTP exchange (for metrics and tests; never bodies or secrets). */
export interface ResponseInfo {
  readonly operation: string;
  readonly mailbox?: string;
  readonly attempt: number;
  readonly status: number;
  /** Bytes of the HTTP response body. */
  readonly bytes: number;
  /** Items the request asked for (ExportItems, UploadItems), when it is a batch. */
  readonly items?: number;
  readonly durationMs: number;
}

export interface CallContext {
  /** Mailbox the request is about (X-AnchorMailbox, impersonation). */
  readonly mailbox?: string;
  readonly impersonate: boolean;
  readonly signal?: AbortSignal;
  /** Cut these base64 elements out of the raw response before parsing (ExportItems Data, MimeContent). */
  readonly payloadElement?: string;
  /** Batch size, reported through onResponse. */
  readonly items?: number;
}

export interface CallResult {
  readonly soap: SoapResponse & { readonly body: NonNullable<SoapResponse["body"]> };
  readonly payloads: Uint8Array[];
  /** Size of the raw HTTP response body in bytes. */
  readonly responseBytes: number;
}

export interface TransportStats {
  readonly requests: number;
  readonly attempts: number;
  readonly retries: number;
  readonly throttled: number;
  /** Largest HTTP response body seen, in bytes. */
  readonly largestResponseBytes: number;
  /** Sockets opened (NTLM/Negotiate only: the connection-bound pool counts them). */
  readonly connections?: number;
  /** NTLM/Negotiate handshakes run. */
  readonly handshakes?: number;
  /** NTLM/Negotiate: most requests in flight at once on the connection pool. */
  readonly peakInFlight?: number;
  /** NTLM/Negotiate: whether the last handshake sent a TLS channel binding (Extended Protection). */
  readonly channelBinding?: boolean;
}

type AttemptOutcome =
  | { readonly kind: "ok"; readonly result: CallResult }
  | {
      readonly kind: "retry";
      readonly error: EwsVaultError;
      readonly hintMs?: number;
      readonly throttled: boolean;
      /** Why the server throttled (set when throttled). */
      readonly throttle?: ThrottleKind;
      readonly authRefresh?: boolean;
    }
  | { readonly kind: "fatal"; readonly error: EwsVaultError };

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

export class EwsTransport {
  readonly gate: AdaptiveConcurrencyGate;
  private readonly pool: Pool | AuthenticatedConnectionPool;
  private readonly options: TransportOptions;
  private readonly maxResponseBytes: number;
  private readonly stats = { requests: 0, attempts: 0, retries: 0, throttled: 0, largestResponseBytes: 0 };
  private closed = false;

  constructor(options: TransportOptions) {
    this.options = options;
    this.gate = options.gate ?? new AdaptiveConcurrencyGate({ max: options.maxConcurrency });
    if (options.allowInsecureTls && options.url.protocol === "https:") {
      options.logger?.warn?.(
        "TLS certificate verification is DISABLED for this EWS endpoint (allowInsecureTls)",
        {
          origin: options.url.origin,
        },
      );
    }
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!Number.isFinite(this.maxResponseBytes) || this.maxResponseBytes < 4096) {
      throw new TypeError("maxResponseBytes must be >= 4096");
    }
    const plainHttp = options.url.protocol === "http:";
    if (plainHttp && !isConnectionAuth(options.auth)) {
      const what = options.auth.kind === "basic" ? "the password (Basic)" : "the OAuth bearer token";
      if (options.allowInsecureAuth !== true) {
        throw ewsError(
          "EWS_INSECURE_AUTH",
          `refusing to send ${what} over plain http to ${options.url.origin}; use https, or allowInsecureAuth to accept it`,
          { details: { origin: options.url.origin, scheme: options.auth.kind } },
        );
      }
      // Allowed explicitly: said once at info level (a caller that opted in, e.g. a test against a
      // local mock, should not see a warning on every run; the CLI prints its own warning).
      options.logger?.info?.(
        `${what} goes over plain http, readable by anyone on the path (allowInsecureAuth)`,
        {
          origin: options.url.origin,
        },
      );
    }
    const connect = {
      rejectUnauthorized: !options.allowInsecureTls,
      timeout: options.connectTimeoutMs,
      ...(options.ca !== undefined ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
    };
    this.pool = isConnectionAuth(options.auth)
      ? new AuthenticatedConnectionPool({
          origin: options.url.origin,
          auth: options.auth,
          connections: options.maxConcurrency,
          connect,
          headersTimeout: options.requestTimeoutMs,
          bodyTimeout: options.requestTimeoutMs,
        })
      : new Pool(options.url.origin, {
          connections: options.maxConcurrency,
          keepAliveTimeout: 30_000,
          keepAliveMaxTimeout: 120_000,
          headersTimeout: options.requestTimeoutMs,
          bodyTimeout: options.requestTimeoutMs,
          connect,
        });
  }

  getStats(): TransportStats {
    if (this.pool instanceof AuthenticatedConnectionPool) {
      return { ...this.stats, ...this.pool.getStats() };
    }
    return { ...this.stats };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  /** Sends one operation, retrying transient failures; resolves only with a non-fault response. */
  async call(operationName: string, body: XmlFragment, context: CallContext): Promise<CallResult> {
    if (this.closed) throw new TypeError("EWS client is closed");
    const { retry } = this.options;
    const envelope = soapEnvelope(body, {
      serverVersion: this.options.serverVersion,
      impersonate: context.impersonate ? context.mailbox : undefined,
    });
    this.stats.requests++;
    let refreshedAuth = false;
    let failures = 0;
    let throttles = 0;
    for (let attempt = 1; ; attempt++) {
      if (context.signal?.aborted) throw ewsError("EWS_ABORTED", "aborted", { cause: context.signal.reason });
      const ticket = await this.gate.acquire(context.signal);
      let outcome: AttemptOutcome;
      try {
        this.stats.attempts++;
        outcome = await this.attempt(operationName, envelope, context, attempt, () => this.gate.sent(ticket));
      } catch (error) {
        this.gate.release("failure", ticket);
        throw error;
      }
      const throttled = outcome.kind === "retry" && outcome.throttled;
      const throttle =
        outcome.kind === "retry" && outcome.throttled ? (outcome.throttle ?? "unknown") : undefined;
      const hintMs = outcome.kind === "retry" ? outcome.hintMs : undefined;
      this.gate.release(
        outcome.kind === "ok" ? "success" : throttled ? "throttled" : "failure",
        ticket,
        throttle === undefined
          ? undefined
          : { kind: throttle, ...(hintMs !== undefined ? { backOffMs: hintMs } : {}) },
      );
      if (outcome.kind === "ok") return outcome.result;
      if (outcome.kind === "fatal") throw outcome.error;
      if (outcome.authRefresh) {
        // One fresh token per call: a token that expired between fetch and use is normal.
        if (refreshedAuth) throw outcome.error;
        refreshedAuth = true;
        continue;
      }
      // Throttling is the server asking us to wait, not a failure: it has its own, larger budget.
      if (throttled) {
        this.stats.throttled++;
        throttles++;
      } else failures++;
      if (failures >= retry.maxAttempts || throttles >= retry.maxThrottledAttempts) {
        const error = outcome.error;
        throw ewsError(error.code as EwsErrorCode, `${error.message} (gave up after ${attempt} attempts)`, {
          cause: error.cause,
          details: { ...error.details, attempts: attempt },
        });
      }
      let delay: number;
      if (throttle === "budget") {
        // The gate pauses every request of the account for the hint and then paces them; waiting
        // in its queue is the backoff (no jitter needed: the pacer spreads the returns).
        delay = 0;
      } else if (throttle === "concurrency") {
        // "Try again once your other requests have completed": the gate now admits at most the
        // server's limit, so the first retry simply queues for a slot. Repeated refusals mean the
        // account's other users hold the slots: back off exponentially.
        delay = throttles === 1 ? 0 : retryDelay(retry, throttles - 1, undefined);
      } else {
        if (throttled && outcome.hintMs !== undefined) this.gate.holdOff(outcome.hintMs);
        delay = retryDelay(retry, throttled ? throttles : failures, outcome.hintMs);
      }
      this.stats.retries++;
      this.options.logger?.debug?.("retrying EWS request", {
        operation: operationName,
        attempt,
        delayMs: delay,
        code: outcome.error.code,
        responseCode: outcome.error.details.responseCode,
      });
      await sleep(delay, context.signal);
    }
  }

  private async attempt(
    operationName: string,
    envelope: string,
    context: CallContext,
    attempt: number,
    onSend: () => void,
  ): Promise<AttemptOutcome> {
    const { url, requestTimeoutMs } = this.options;
    const started = Date.now();
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    const signal = context.signal === undefined ? timeout : AbortSignal.any([context.signal, timeout]);
    const { auth } = this.options;
    const headers: Record<string, string> = {
      "content-type": "text/xml; charset=utf-8",
      accept: "text/xml",
      soapaction: `"http://schemas.microsoft.com/exchange/services/2006/messages/${operationName}"`,
      "user-agent": this.options.userAgent,
    };
    if (!isConnectionAuth(auth)) {
      try {
        headers.authorization = await authorizationHeader(auth);
      } catch (error) {
        return { kind: "fatal", error: error as EwsVaultError };
      }
    }
    if (context.mailbox !== undefined) headers["x-anchormailbox"] = context.mailbox;

    let status: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let raw: Buffer;
    let tooLarge: number | undefined;
    try {
      onSend();
      const response: Dispatcher.ResponseData = await this.pool.request({
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers,
        body: envelope,
        signal,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      const read = await readLimited(response, this.maxResponseBytes);
      raw = read.body;
      tooLarge = read.tooLarge;
    } catch (error) {
      if (error instanceof EwsVaultError) return { kind: "fatal", error };
      return this.classifyNetworkError(error, context, timeout);
    }
    if (tooLarge !== undefined) {
      // Asking again would download the same flood: the limit is the user's to raise.
      return {
        kind: "fatal",
        error: ewsError(
          "EWS_RESPONSE_TOO_LARGE",
          `EWS ${operationName} response exceeds maxResponseBytes (${this.maxResponseBytes} bytes); connection dropped`,
          { details: { status, limit: this.maxResponseBytes, receivedBytes: tooLarge } },
        ),
      };
    }
    if (raw.length > this.stats.largestResponseBytes) this.stats.largestResponseBytes = raw.length;
    this.options.onResponse?.({
      operation: operationName,
      mailbox: context.mailbox,
      attempt,
      status,
      bytes: raw.length,
      ...(context.items !== undefined ? { items: context.items } : {}),
      durationMs: Date.now() - started,
    });
    if (status === 413) {
      return {
        kind: "fatal",
        error: ewsError("EWS_MESSAGE_SIZE_EXCEEDED", "EWS refused the request as too large (HTTP 413)", {
          details: { status, responseCode: "ErrorMessageSizeExceeded" },
        }),
      };
    }

    if (status === 401 || status === 403) {
      if (isConnectionAuth(this.options.auth))
        return this.connectionAuthRefused(status, responseHeaders, context);
      const refreshable = this.options.auth.kind === "bearer" && "invalidate" in this.options.auth.getToken;
      if (refreshable && status === 401) {
        (this.options.auth.getToken as unknown as { invalidate(): void }).invalidate();
      }
      return {
        kind: refreshable && status === 401 ? "retry" : "fatal",
        authRefresh: refreshable && status === 401,
        throttled: false,
        error: ewsError("EWS_AUTH_FAILED", `EWS refused the credentials (HTTP ${status})`, {
          details: { status, mailbox: context.mailbox },
        }),
      } as AttemptOutcome;
    }
    if (status === 503 || status === 429) {
      return {
        kind: "retry",
        throttled: true,
        // A 503 means requests queue in IIS (or a proxy); it does not say which limit was hit.
        throttle: "unknown",
        hintMs: parseRetryAfter(responseHeaders["retry-after"]),
        error: ewsError("EWS_THROTTLED", `EWS is throttling (HTTP ${status})`, { details: { status } }),
      };
    }
    if (status !== 200 && status !== 500) {
      const retryable = status === 502 || status === 504;
      return {
        kind: retryable ? "retry" : "fatal",
        throttled: false,
        error: ewsError("EWS_SERVER_ERROR", `EWS answered HTTP ${status}`, { details: { status } }),
      } as AttemptOutcome;
    }

    let soap: SoapResponse | undefined;
    let payloads: Uint8Array[] = [];
    try {
      let xml = raw;
      rejectDtd(raw);
      if (context.payloadElement !== undefined && status === 200) {
        const extracted = extractBase64Elements(raw, context.payloadElement);
        xml = extracted.xml;
        payloads = extracted.payloads;
      }
      soap = interpretEnvelope(parseXml(xml));
    } catch (error) {
      if (error instanceof EwsVaultError && error.code === "EWS_MALFORMED_RESPONSE") {
        // A DTD is an attack or a misconfigured proxy, never a glitch: do not ask again.
        const dtd = /DTD/.test(error.message);
        return { kind: dtd ? "fatal" : "retry", throttled: false, error } as AttemptOutcome;
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
    if (soap.fault !== undefined) return this.classifyFault(soap.fault, status, context);
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
    if (
      messages.length > 0 &&
      messages.every((m) => isTransientResponseCode(m.responseCode) || m.responseCode === CONNECTION_COUNT)
    ) {
      const first = messages[0] as (typeof messages)[number];
      const throttle = throttleKind(first.responseCode, first.backOffMs);
      return {
        kind: "retry",
        throttled: throttle !== undefined,
        ...(throttle !== undefined ? { throttle } : {}),
        hintMs: first.backOffMs,
        error: ewsError(
          throttle !== undefined ? "EWS_THROTTLED" : errorCodeForResponseCode(first.responseCode),
          `EWS ${operationName}: ${first.responseCode}`,
          {
            details: { responseCode: first.responseCode, backOffMs: first.backOffMs },
          },
        ),
      };
    }
    return {
      kind: "ok",
      result: {
        soap: soap as CallResult["soap"],
        payloads,
        responseBytes: raw.length,
      },
    };
  }

  private connectionAuthRefused(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    context: CallContext,
  ): AttemptOutcome {
    const offered = offeredSchemes(headers);
    const wanted = this.options.auth.kind === "ntlm" ? "ntlm" : "negotiate";
    const hint =
      offered.length > 0 && !offered.includes(wanted)
        ? ` (the server offers ${offered.join(", ")}, not ${wanted})`
        : "";
    return {
      kind: "fatal",
      error: ewsError("EWS_AUTH_FAILED", `EWS refused the ${wanted} credentials (HTTP ${status})${hint}`, {
        details: { status, mailbox: context.mailbox, offeredSchemes: offered },
      }),
    };
  }

  private classifyFault(
    fault: NonNullable<SoapResponse["fault"]>,
    status: number,
    context: CallContext,
  ): AttemptOutcome {
    const responseCode = fault.responseCode ?? "";
    const details = { status, responseCode, mailbox: context.mailbox };
    if (isTransientResponseCode(responseCode) || responseCode === CONNECTION_COUNT) {
      const throttle = throttleKind(responseCode, fault.backOffMs);
      return {
        kind: "retry",
        throttled: throttle !== undefined,
        ...(throttle !== undefined ? { throttle } : {}),
        hintMs: fault.backOffMs,
        error: ewsError(
          throttle !== undefined ? "EWS_THROTTLED" : errorCodeForResponseCode(responseCode),
          `EWS fault ${responseCode}: ${fault.faultString}`,
          {
            details: { ...details, backOffMs: fault.backOffMs },
          },
        ),
      };
    }
    const code: EwsErrorCode =
      responseCode === "" ? "EWS_SERVER_ERROR" : errorCodeForResponseCode(responseCode);
    return {
      kind: "fatal",
      error: ewsError(code, `EWS fault ${responseCode || fault.faultCode}: ${fault.faultString}`, {
        details,
      }),
    };
  }

  private classifyNetworkError(error: unknown, context: CallContext, timeout: AbortSignal): AttemptOutcome {
    if (context.signal?.aborted) {
      return { kind: "fatal", error: ewsError("EWS_ABORTED", "aborted", { cause: context.signal.reason }) };
    }
    const codes = errorCodes(error);
    const cause = safeCause(error);
    const origin = this.options.url.origin;
    if (timeout.aborted || codes.some((c) => TIMEOUT_CODES.has(c))) {
      return {
        kind: "retry",
        throttled: false,
        error: ewsError("EWS_TIMEOUT", `EWS request to ${origin} timed out`, { cause }),
      };
    }
    if (codes.some((c) => TLS_CODES.has(c) || c.startsWith("ERR_TLS") || c.startsWith("ERR_SSL"))) {
      return {
        kind: "fatal",
        error: ewsError("EWS_TLS", `TLS handshake with ${origin} failed (${codes[0]})`, { cause }),
      };
    }
    if (codes.some((c) => c === "ENOTFOUND")) {
      return { kind: "fatal", error: ewsError("EWS_UNREACHABLE", `cannot resolve ${origin}`, { cause }) };
    }
    if (codes.some((c) => UNREACHABLE_CODES.has(c))) {
      return {
        kind: "retry",
        throttled: false,
        error: ewsError("EWS_UNREACHABLE", `cannot connect to ${origin} (${codes[0]})`, { cause }),
      };
    }
    if (codes.some((c) => RESET_CODES.has(c))) {
      return {
        kind: "retry",
        throttled: false,
        error: ewsError("EWS_SERVER_ERROR", `connection to ${origin} broke (${codes[0]})`, { cause }),
      };
    }
    return {
      kind: "retry",
      throttled: false,
      error: ewsError("EWS_UNREACHABLE", `request to ${origin} failed (${codes[0] ?? cause.name})`, {
        cause,
      }),
    };
  }
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

/**
 * Reads a response body, stopping (and destroying the stream, so the connection is dropped) as
 * soon as it passes `limit` bytes: a declared Content-Length over the limit is refused before a
 * byte is read, and a missing or lying one is caught by counting.
 */
async function readLimited(
  response: Dispatcher.ResponseData,
  limit: number,
): Promise<{ body: Buffer; tooLarge?: number }> {
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    return { body: Buffer.alloc(0), tooLarge: declared };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      response.body.destroy();
      return { body: Buffer.alloc(0), tooLarge: size };
    }
    chunks.push(chunk as Buffer);
  }
  return { body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) };
}
