// The HTTP side of one EWS endpoint: the undici dispatcher every request goes through, with TLS
// verification on unless allowInsecureTls, extra trusted CAs, keep-alive connections, and for
// NTLM/Negotiate the pool of connections authenticated once each (connection-auth.ts, which also
// computes the TLS channel binding). Also the plain-http policy: a Basic password or a bearer
// token is refused over http unless the caller opted in, and the request headers.
import { Pool } from "undici";
import { authorizationHeader, type EwsAuth, isConnectionAuth } from "./auth.js";
import { AuthenticatedConnectionPool } from "./connection-auth.js";
import { ewsError } from "./errors.js";
import type { EwsLogger } from "./transport-types.js";

export interface EndpointPoolOptions {
  readonly url: URL;
  readonly auth: EwsAuth;
  /** Most connections at once. */
  readonly maxConcurrency: number;
  readonly allowInsecureTls: boolean;
  /** Deadline of headers and of the body of one request. */
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly logger?: EwsLogger;
  /** Send Basic credentials or a bearer token over plain http (refused otherwise). */
  readonly allowInsecureAuth?: boolean;
  /** Extra trusted CA certificates (PEM) for the endpoint, e.g. an internal CA. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

/** Pool for per-request auth (Basic, Bearer); AuthenticatedConnectionPool for NTLM/Negotiate. */
export type EndpointPool = Pool | AuthenticatedConnectionPool;

/**
 * The dispatcher of an endpoint. MUST throw EWS_INSECURE_AUTH for Basic or bearer auth over
 * plain http without allowInsecureAuth; logs one warning when TLS verification is off.
 */
export function createEndpointPool(options: EndpointPoolOptions): EndpointPool {
  const { url, auth, logger } = options;
  if (options.allowInsecureTls && url.protocol === "https:") {
    logger?.warn?.("TLS certificate verification is DISABLED for this EWS endpoint (allowInsecureTls)", {
      origin: url.origin,
    });
  }
  if (url.protocol === "http:" && !isConnectionAuth(auth)) {
    const what = auth.kind === "basic" ? "the password (Basic)" : "the OAuth bearer token";
    if (options.allowInsecureAuth !== true) {
      throw ewsError(
        "EWS_INSECURE_AUTH",
        `refusing to send ${what} over plain http to ${url.origin}; use https, or allowInsecureAuth to accept it`,
        { details: { origin: url.origin, scheme: auth.kind } },
      );
    }
    // Allowed explicitly: said once at info level (a caller that opted in, e.g. a test against a
    // local mock, should not see a warning on every run; the CLI prints its own warning).
    logger?.info?.(`${what} goes over plain http, readable by anyone on the path (allowInsecureAuth)`, {
      origin: url.origin,
    });
  }
  const connect = {
    rejectUnauthorized: !options.allowInsecureTls,
    timeout: options.connectTimeoutMs,
    ...(options.ca !== undefined ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
  };
  return isConnectionAuth(auth)
    ? new AuthenticatedConnectionPool({
        origin: url.origin,
        auth,
        connections: options.maxConcurrency,
        connect,
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
      })
    : new Pool(url.origin, {
        connections: options.maxConcurrency,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
        connect,
      });
}

/**
 * Headers of one SOAP request. Per-request schemes get their Authorization header here (the
 * token supplier may reject: EWS_AUTH_FAILED); NTLM/Negotiate authenticate the connection instead.
 */
export async function requestHeaders(
  operationName: string,
  userAgent: string,
  auth: EwsAuth,
  mailbox: string | undefined,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    "content-type": "text/xml; charset=utf-8",
    accept: "text/xml",
    soapaction: `"http://schemas.microsoft.com/exchange/services/2006/messages/${operationName}"`,
    "user-agent": userAgent,
  };
  if (!isConnectionAuth(auth)) headers.authorization = await authorizationHeader(auth);
  if (mailbox !== undefined) headers["x-anchormailbox"] = mailbox;
  return headers;
}
