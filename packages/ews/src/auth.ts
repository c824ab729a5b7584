// Authentication: Basic, OAuth bearer from a caller-supplied token function, NTLMv2 and Negotiate
// (NTLM in SPNEGO; connection-bound, see connection-auth.ts), and a client-credentials helper that
// fetches and caches app tokens (Entra ID or AD FS). Credentials only ever go into the
// Authorization header; they never appear in errors, details or logs.
import { Agent, request } from "undici";
import { ewsError } from "./errors.js";

/**
 * NTLMv2 ("ntlm") or Negotiate with NTLM inside SPNEGO ("negotiate"): Windows authentication as
 * an on-premises Exchange serves it. `username` is "DOMAIN\user", a UPN "user@example.com", or a
 * bare "user" with `domain`. Only NTLMv2 responses are ever sent, with the TLS channel binding
 * over HTTPS (Extended Protection).
 */
export interface ConnectionAuth {
  readonly kind: "ntlm" | "negotiate";
  readonly username: string;
  readonly password: string;
  /** NetBIOS or DNS domain, when `username` names none. */
  readonly domain?: string;
  /** Workstation name sent in the AUTHENTICATE message; default none. */
  readonly workstation?: string;
}

export type EwsAuth =
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  | ConnectionAuth
  | {
      readonly kind: "bearer";
      /** Returns a valid access token; called before every request, so it should cache. */
      readonly getToken: () => Promise<string>;
      /** The account the token acts as, when known (decides whether impersonation is needed). */
      readonly username?: string;
    };

/** User and domain as NTLM hashes them: "DOMAIN\user", a UPN (empty domain), or user + `domain`. */
export function ntlmCredentials(auth: ConnectionAuth): { user: string; domain: string; password: string } {
  const slash = auth.username.indexOf("\\");
  if (slash >= 0) {
    return {
      user: auth.username.slice(slash + 1),
      domain: auth.username.slice(0, slash),
      password: auth.password,
    };
  }
  return {
    user: auth.username,
    domain: auth.username.includes("@") ? "" : (auth.domain ?? ""),
    password: auth.password,
  };
}

/** True for the schemes that authenticate a connection rather than each request. */
export function isConnectionAuth(auth: EwsAuth): auth is ConnectionAuth {
  return auth.kind === "ntlm" || auth.kind === "negotiate";
}

/** The Authorization header of a per-request scheme (Basic, Bearer). */
export async function authorizationHeader(auth: Exclude<EwsAuth, ConnectionAuth>): Promise<string> {
  if (auth.kind === "basic") {
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, "utf8").toString("base64")}`;
  }
  let token: string;
  try {
    token = await auth.getToken();
  } catch (cause) {
    // The supplier's own error may carry secrets in its message: keep it as cause only.
    throw ewsError("EWS_AUTH_FAILED", "the token supplier failed", { cause: redact(cause) });
  }
  if (typeof token !== "string" || token === "") {
    throw ewsError("EWS_AUTH_FAILED", "the token supplier returned no token");
  }
  return `Bearer ${token}`;
}

function redact(cause: unknown): unknown {
  if (cause instanceof Error && "code" in cause)
    return { name: cause.name, code: (cause as { code: unknown }).code };
  return cause instanceof Error ? { name: cause.name } : undefined;
}

export interface ClientCredentialsOptions {
  /** e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default https://outlook.office365.com/.default (unless `resource` is given). */
  readonly scope?: string;
  /**
   * AD FS (on-premises modern auth, Exchange 2019 CU13+ / SE): the resource URI of the Exchange
   * server, e.g. https://mail.contoso.com. Sent as `resource` (AD FS's OAuth 2.0 form) instead of
   * a `scope`; with both, both are sent.
   */
  readonly resource?: string;
  /** Refresh this long before expiry; default 60 s. */
  readonly refreshSkewMs?: number;
  readonly timeoutMs?: number;
  /** Same meaning as for the EWS client; off by default. */
  readonly allowInsecureTls?: boolean;
}

export interface ClientCredentialsTokenSupplier {
  (): Promise<string>;
  /** Drops the cached token (e.g. after a 401). */
  invalidate(): void;
}

/**
 * A token supplier for `auth: { kind: "bearer", getToken }` using the OAuth 2.0
 * client-credentials grant. Tokens are cached until `expires_in` (minus a skew); concurrent
 * callers share one token request.
 */
export function createClientCredentialsTokenSupplier(
  options: ClientCredentialsOptions,
): ClientCredentialsTokenSupplier {
  const url = new URL(options.tokenUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("tokenUrl must be http(s)");
  const skew = options.refreshSkewMs ?? 60_000;
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: options.allowInsecureTls !== true },
    headersTimeout: options.timeoutMs ?? 30_000,
    bodyTimeout: options.timeoutMs ?? 30_000,
  });
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: options.clientId,
      client_secret: options.clientSecret,
    });
    if (options.resource !== undefined) form.set("resource", options.resource);
    if (options.scope !== undefined || options.resource === undefined) {
      form.set("scope", options.scope ?? "https://outlook.office365.com/.default");
    }
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: "POST",
        dispatcher,
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
      });
    } catch (cause) {
      throw ewsError("EWS_UNREACHABLE", `token endpoint ${url.origin} unreachable`, { cause: redact(cause) });
    }
    const text = await response.body.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // handled below
    }
    if (response.statusCode !== 200 || typeof json.access_token !== "string") {
      const oauthError = typeof json.error === "string" ? json.error : undefined;
      throw ewsError(
        "EWS_AUTH_FAILED",
        `token endpoint refused the client credentials (HTTP ${response.statusCode}${oauthError ? `, ${oauthError}` : ""})`,
        {
          details: { status: response.statusCode, oauthError },
        },
      );
    }
    const expiresIn = typeof json.expires_in === "number" ? json.expires_in : Number(json.expires_in ?? 3600);
    cached = {
      token: json.access_token,
      expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 - skew,
    };
    return json.access_token;
  }

  const supplier = (async () => {
    if (cached !== undefined && Date.now() < cached.expiresAt) return cached.token;
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }) as ClientCredentialsTokenSupplier;
  supplier.invalidate = () => {
    cached = undefined;
  };
  return supplier;
}
