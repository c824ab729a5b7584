// One EWS endpoint as the operations see it: call() sends one SOAP operation and resolves only
// with a parsed, successful response, or rejects with an EwsVaultError. Inside: the adaptive
// concurrency gate (admission, throttling feedback), the retry loop with its two budgets
// (failures and throttled answers), and per attempt the request through the endpoint's pool
// (endpoint-pool.ts), the size-limited read (response-body.ts) and the classification of the
// answer (attempt-outcome.ts) or of the network failure (network-errors.ts).
import { EwsVaultError } from "@ewsvault/mailbox";
import { type AttemptOutcome, classifyAnswer } from "./attempt-outcome.js";
import { AdaptiveConcurrencyGate } from "./concurrency-gate.js";
import { AuthenticatedConnectionPool } from "./connection-auth.js";
import {
  createEndpointPool,
  type EndpointPool,
  type EndpointPoolOptions,
  requestHeaders,
} from "./endpoint-pool.js";
import { type EwsErrorCode, ewsError } from "./errors.js";
import type { ConcurrencyGate } from "./gate-contract.js";
import { networkFailure } from "./network-errors.js";
import { DEFAULT_MAX_RESPONSE_BYTES, readLimited } from "./response-body.js";
import { type ResolvedRetryOptions, retryDelay, sleep } from "./retry.js";
import { soapEnvelope } from "./soap.js";
import type { CallContext, CallResult, ResponseInfo, TransportStats } from "./transport-types.js";
import type { XmlFragment } from "./xml-writer.js";

/** The endpoint's pool options, plus what the SOAP calls and the retry loop need. */
export interface TransportOptions extends EndpointPoolOptions {
  readonly userAgent: string;
  /** RequestServerVersion of every request. */
  readonly serverVersion: string;
  readonly retry: ResolvedRetryOptions;
  readonly gate?: ConcurrencyGate;
  /** Called after every HTTP response (for metrics). */
  readonly onResponse?: (info: ResponseInfo) => void;
  /** Largest response body accepted, enforced while streaming; default DEFAULT_MAX_RESPONSE_BYTES. */
  readonly maxResponseBytes?: number;
}

export class EwsTransport {
  readonly gate: ConcurrencyGate;
  private readonly pool: EndpointPool;
  private readonly options: TransportOptions;
  private readonly maxResponseBytes: number;
  private readonly stats = { requests: 0, attempts: 0, retries: 0, throttled: 0, largestResponseBytes: 0 };
  private closed = false;

  constructor(options: TransportOptions) {
    this.options = options;
    this.gate = options.gate ?? new AdaptiveConcurrencyGate({ max: options.maxConcurrency });
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!Number.isFinite(this.maxResponseBytes) || this.maxResponseBytes < 4096) {
      throw new TypeError("maxResponseBytes must be >= 4096");
    }
    this.pool = createEndpointPool(options);
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

  /** One HTTP exchange under the attempt deadline; `onSend` tells the gate the request left. */
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
    let headers: Record<string, string>;
    try {
      headers = await requestHeaders(
        operationName,
        this.options.userAgent,
        this.options.auth,
        context.mailbox,
      );
    } catch (error) {
      return { kind: "fatal", error: error as EwsVaultError };
    }

    let status: number;
    let responseHeaders: Record<string, string | string[] | undefined>;
    let raw: Buffer;
    let tooLarge: number | undefined;
    try {
      onSend();
      const response = await this.pool.request({
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers,
        body: envelope,
        signal,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      ({ body: raw, tooLarge } = await readLimited(response, this.maxResponseBytes));
    } catch (error) {
      if (error instanceof EwsVaultError) return { kind: "fatal", error };
      if (context.signal?.aborted) {
        return { kind: "fatal", error: ewsError("EWS_ABORTED", "aborted", { cause: context.signal.reason }) };
      }
      const failure = networkFailure(error, url.origin, timeout.aborted);
      return failure.retryable
        ? { kind: "retry", throttled: false, error: failure.error }
        : { kind: "fatal", error: failure.error };
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
    return classifyAnswer(
      {
        operationName,
        status,
        headers: responseHeaders,
        body: raw,
        mailbox: context.mailbox,
        payloadElement: context.payloadElement,
      },
      this.options.auth,
    );
  }
}
