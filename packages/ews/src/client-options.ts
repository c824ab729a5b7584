// The options of createEwsClient: what each one means, its default, and the checks a value must
// pass (programmer mistakes throw TypeError before anything is opened).
import type { ByteBudget } from "@ewsvault/mailbox";
import type { EwsAuth } from "./auth.js";
import type { ConcurrencyGate } from "./gate-contract.js";
import { type ResolvedRetryOptions, type RetryOptions, resolveRetryOptions } from "./retry.js";
import type { EwsLogger, ResponseInfo } from "./transport-types.js";

export interface EwsClientOptions {
  /** EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx */
  readonly url: string | URL;
  readonly auth: EwsAuth;
  /**
   * Use ExchangeImpersonation for mailboxes other than the authenticated user's. Default: true
   * when the mailbox differs from the user (always for bearer auth without `username`); false
   * means delegate access (the mailbox is named in DistinguishedFolderId instead).
   */
  readonly impersonation?: boolean;
  /** Concurrent requests to the endpoint (and HTTP connections); default 8. */
  readonly maxConcurrency?: number;
  /** Accept any TLS certificate. Off unless given explicitly; logs a warning once. */
  readonly allowInsecureTls?: boolean;
  /** Whole-request deadline per attempt; default 120 000 ms. */
  readonly requestTimeoutMs?: number;
  /** TCP+TLS connect deadline; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Default "ewsvault/0.1". */
  readonly userAgent?: string;
  /** Largest ExportItems/UploadItems payload per request (base64 bytes); default 16 MiB. */
  readonly maxExportBatchBytes?: number;
  /** Budget on item data held in flight (bytes or a shared ByteBudget); default 256 MiB. */
  readonly inFlightBytes?: number | ByteBudget;
  readonly retry?: RetryOptions;
  readonly logger?: EwsLogger;
  /** RequestServerVersion; default Exchange2013_SP1. */
  readonly serverVersion?: string;
  /** Page size of FindItem/FindFolder; default 500. */
  readonly pageSize?: number;
  /**
   * Share a gate between clients of the same endpoint and account (default: an
   * AdaptiveConcurrencyGate of maxConcurrency per client). Any ConcurrencyGate fits, such as the
   * service's gate shared through Redis by every worker of a cluster.
   */
  readonly gate?: ConcurrencyGate;
  /** Called after every HTTP response (operation, status, body bytes, duration); for metrics. */
  readonly onResponse?: (info: ResponseInfo) => void;
  /**
   * Largest HTTP response body accepted, enforced while it streams in (EWS_RESPONSE_TOO_LARGE,
   * connection dropped); default 128 MiB.
   */
  readonly maxResponseBytes?: number;
  /**
   * Send Basic credentials or a bearer token over plain http. Off: such a client is refused
   * with EWS_INSECURE_AUTH; on, one info line says so. NTLM/Negotiate never send the password.
   */
  readonly allowInsecureAuth?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. an internal CA or a test server's own certificate. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

const MIB = 1024 * 1024;

/** The options a client is built from, checked and with their defaults. */
export interface ResolvedClientOptions {
  readonly url: URL;
  readonly maxConcurrency: number;
  readonly maxBatchBytes: number;
  readonly pageSize: number;
  readonly retry: ResolvedRetryOptions;
}

/** Checks the options; MUST throw TypeError for a bad url, auth, concurrency, batch size or retry. */
export function resolveClientOptions(options: EwsClientOptions): ResolvedClientOptions {
  const url = new URL(options.url);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("url must be http(s)");
  if (url.username !== "" || url.password !== "")
    throw new TypeError("put credentials in auth, not in the url");
  const auth = options.auth as EwsAuth | undefined;
  if (auth?.kind === "basic" || auth?.kind === "ntlm" || auth?.kind === "negotiate") {
    if (typeof auth.username !== "string" || typeof auth.password !== "string") {
      throw new TypeError(`${auth.kind} auth needs username and password`);
    }
  } else if (auth?.kind === "bearer") {
    if (typeof auth.getToken !== "function") throw new TypeError("bearer auth needs getToken()");
  } else {
    throw new TypeError('auth.kind must be "basic", "ntlm", "negotiate" or "bearer"');
  }
  const maxConcurrency = options.maxConcurrency ?? 8;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
    throw new TypeError("maxConcurrency must be >= 1");
  const maxBatchBytes = options.maxExportBatchBytes ?? 16 * MIB;
  if (!Number.isFinite(maxBatchBytes) || maxBatchBytes < 1024) {
    throw new TypeError("maxExportBatchBytes must be >= 1024");
  }
  return {
    url,
    maxConcurrency,
    maxBatchBytes,
    pageSize: options.pageSize ?? 500,
    retry: resolveRetryOptions(options.retry),
  };
}
