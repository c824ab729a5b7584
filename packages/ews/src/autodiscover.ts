// resolveEwsUrl(): finds a mailbox's EWS endpoint with POX Autodiscover (autodiscover.xml)
// and, as a fallback, SOAP Autodiscover (autodiscover.svc, GetUserSettings) — both served by
// Exchange 2013..SE and Exchange Online. Used by the CLI's check command; the backup path
// takes the URL from configuration.
import { Agent, request } from "undici";
import { authorizationHeader, type EwsAuth, isConnectionAuth } from "./auth.js";
import { AuthenticatedConnectionPool } from "./connection-auth.js";
import { ewsError } from "./errors.js";
import { unansweredError } from "./network-errors.js";
import type { EwsLogger } from "./transport-types.js";
import { child, childrenNamed, childText, parseXml, type XmlElement } from "./xml-parser.js";
import { document, el } from "./xml-writer.js";

const REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
const RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

export type AutodiscoverAnswer =
  | { readonly kind: "settings"; readonly ewsUrl: string }
  | { readonly kind: "redirectAddr"; readonly address: string }
  | { readonly kind: "redirectUrl"; readonly url: string };

const SOAP_AUTODISCOVER_NS = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
const WSA_NS = "http://www.w3.org/2005/08/addressing";

/** A GetUserSettings request for the EWS URLs of `email`. */
export function soapAutodiscoverRequestBody(email: string, url: string): string {
  return document(
    el(
      "soap:Envelope",
      {
        "xmlns:soap": "http://schemas.xmlsoap.org/soap/envelope/",
        "xmlns:a": SOAP_AUTODISCOVER_NS,
        "xmlns:wsa": WSA_NS,
      },
      el(
        "soap:Header",
        undefined,
        el("a:RequestedServerVersion", undefined, "Exchange2013"),
        el("wsa:Action", undefined, `${SOAP_AUTODISCOVER_NS}/Autodiscover/GetUserSettings`),
        el("wsa:To", undefined, url),
      ),
      el(
        "soap:Body",
        undefined,
        el(
          "a:GetUserSettingsRequestMessage",
          undefined,
          el(
            "a:Request",
            undefined,
            el("a:Users", undefined, el("a:User", undefined, el("a:Mailbox", undefined, email))),
            el(
              "a:RequestedSettings",
              undefined,
              el("a:Setting", undefined, "ExternalEwsUrl"),
              el("a:Setting", undefined, "InternalEwsUrl"),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Interprets a SOAP Autodiscover GetUserSettings response. */
export function parseSoapAutodiscoverResponse(body: Buffer | string): AutodiscoverAnswer {
  const root = parseXml(body);
  const message = child(child(root, "Body"), "GetUserSettingsResponseMessage");
  const response = child(message, "Response");
  if (root.name !== "Envelope" || response === undefined) {
    throw ewsError("EWS_MALFORMED_RESPONSE", "not a GetUserSettings response");
  }
  const topCode = childText(response, "ErrorCode")?.trim();
  const user = child(child(response, "UserResponses"), "UserResponse");
  const code = childText(user, "ErrorCode")?.trim() ?? topCode;
  const target = childText(user, "RedirectTarget")?.trim() || childText(response, "RedirectTarget")?.trim();
  if (code === "RedirectAddress" && target) return { kind: "redirectAddr", address: target };
  if (code === "RedirectUrl" && target) return { kind: "redirectUrl", url: target };
  if (code === "InvalidUser") {
    throw ewsError("EWS_MAILBOX_NOT_FOUND", "Autodiscover does not know this mailbox", {
      details: { autodiscoverError: code },
    });
  }
  if (code !== "NoError") {
    throw ewsError("EWS_SERVER_ERROR", `Autodiscover error ${code ?? "(none)"}`, {
      details: { autodiscoverError: code },
    });
  }
  const settings = new Map<string, string>();
  for (const setting of childrenNamed(child(user, "UserSettings"), "UserSetting")) {
    const name = childText(setting, "Name")?.trim();
    const value = childText(setting, "Value")?.trim();
    if (name && value) settings.set(name, value);
  }
  const ewsUrl = settings.get("ExternalEwsUrl") ?? settings.get("InternalEwsUrl");
  if (ewsUrl === undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", "Autodiscover response names no EWS URL");
  return { kind: "settings", ewsUrl };
}

export function autodiscoverRequestBody(email: string): string {
  return document(
    el(
      "Autodiscover",
      { xmlns: REQUEST_NS },
      el(
        "Request",
        undefined,
        el("EMailAddress", undefined, email),
        el("AcceptableResponseSchema", undefined, RESPONSE_NS),
      ),
    ),
  );
}

/** Interprets a POX Autodiscover response body. Throws EWS_MALFORMED_RESPONSE or EWS_SERVER_ERROR. */
export function parseAutodiscoverResponse(body: Buffer | string): AutodiscoverAnswer {
  const root = parseXml(body);
  if (root.name !== "Autodiscover") throw ewsError("EWS_MALFORMED_RESPONSE", "not an Autodiscover response");
  const response = child(root, "Response");
  const error = child(response, "Error") ?? child(root, "Error");
  if (error !== undefined) {
    throw ewsError(
      "EWS_SERVER_ERROR",
      `Autodiscover error ${childText(error, "ErrorCode") ?? ""}: ${childText(error, "Message") ?? ""}`,
      {
        details: { autodiscoverError: childText(error, "ErrorCode") },
      },
    );
  }
  const account = child(response, "Account");
  const action = childText(account, "Action")?.trim();
  if (action === "redirectAddr") {
    const address = childText(account, "RedirectAddr")?.trim();
    if (address) return { kind: "redirectAddr", address };
  }
  if (action === "redirectUrl") {
    const url = childText(account, "RedirectUrl")?.trim();
    if (url) return { kind: "redirectUrl", url };
  }
  const protocols: XmlElement[] = childrenNamed(account, "Protocol");
  // EXPR is the external endpoint, EXCH the internal one, WEB the last resort.
  for (const type of ["EXPR", "EXCH", "WEB"]) {
    for (const protocol of protocols) {
      if (childText(protocol, "Type")?.trim() !== type) continue;
      const ewsUrl = childText(protocol, "EwsUrl")?.trim() ?? childText(protocol, "ASUrl")?.trim();
      if (ewsUrl) return { kind: "settings", ewsUrl };
    }
  }
  throw ewsError("EWS_MALFORMED_RESPONSE", "Autodiscover response names no EWS URL");
}

export interface ResolveEwsUrlOptions {
  readonly auth?: EwsAuth;
  /** Autodiscover URLs to try instead of https://<domain>/... and https://autodiscover.<domain>/... */
  readonly candidates?: readonly string[];
  readonly allowInsecureTls?: boolean;
  /** Send Basic credentials or a bearer token to an explicit http:// candidate (refused otherwise). */
  readonly allowInsecureAuth?: boolean;
  readonly timeoutMs?: number;
  readonly logger?: EwsLogger;
  readonly signal?: AbortSignal;
}

/** Where Autodiscover requests go: one undici Agent, plus one NTLM/Negotiate pool per origin. */
interface AutodiscoverDispatch {
  readonly agent: Agent;
  readonly pools: Map<string, AuthenticatedConnectionPool>;
  readonly timeoutMs: number;
}

/** Resolves the EWS endpoint URL for `email` (follows redirectAddr/redirectUrl and HTTP redirects, https only). */
export async function resolveEwsUrl(email: string, options: ResolveEwsUrlOptions = {}): Promise<string> {
  if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email))
    throw new TypeError("email must be an address");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: options.allowInsecureTls !== true, timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  if (options.allowInsecureTls === true) {
    options.logger?.warn?.("TLS certificate verification is DISABLED for Autodiscover (allowInsecureTls)");
  }
  const explicit = options.candidates !== undefined;
  const dispatch: AutodiscoverDispatch = { agent: dispatcher, pools: new Map(), timeoutMs };
  try {
    let address = email;
    let lastError: unknown;
    for (let hop = 0; hop < 5; hop++) {
      const domain = address.split("@")[1] as string;
      const queue = [
        ...(options.candidates ?? [
          `https://${domain}/autodiscover/autodiscover.xml`,
          `https://autodiscover.${domain}/autodiscover/autodiscover.xml`,
          `https://autodiscover.${domain}/autodiscover/autodiscover.svc`,
        ]),
      ];
      let redirectedAddress: string | undefined;
      for (let i = 0; i < queue.length && i < 10; i++) {
        const candidate = queue[i] as string;
        try {
          const answer = await postAutodiscover(candidate, address, dispatch, options, explicit);
          if (answer.kind === "settings") return answer.ewsUrl;
          if (answer.kind === "redirectUrl") {
            queue.splice(i + 1, 0, answer.url);
            continue;
          }
          redirectedAddress = answer.address;
          break;
        } catch (error) {
          lastError = error;
          options.logger?.debug?.("autodiscover candidate failed", {
            candidate,
            code: (error as { code?: string }).code,
          });
          if ((error as { code?: string }).code === "EWS_AUTH_FAILED") throw error;
        }
      }
      if (redirectedAddress === undefined) break;
      address = redirectedAddress;
    }
    if (lastError instanceof Error && "code" in lastError) throw lastError;
    throw ewsError("EWS_UNREACHABLE", `Autodiscover found no EWS URL for ${email}`, { cause: lastError });
  } finally {
    await dispatcher.close();
    await Promise.all([...dispatch.pools.values()].map((p) => p.close()));
  }
}

async function postAutodiscover(
  candidate: string,
  email: string,
  dispatch: AutodiscoverDispatch,
  options: ResolveEwsUrlOptions,
  allowHttp: boolean,
): Promise<AutodiscoverAnswer> {
  let url = new URL(candidate);
  // autodiscover.svc speaks SOAP (GetUserSettings); anything else POX.
  const soap = url.pathname.toLowerCase().endsWith(".svc");
  for (let redirects = 0; redirects < 5; redirects++) {
    if (url.protocol !== "https:" && !(allowHttp && url.protocol === "http:")) {
      throw ewsError("EWS_UNREACHABLE", `refusing non-https Autodiscover URL ${url.origin}`);
    }
    const headers: Record<string, string> = { "content-type": "text/xml; charset=utf-8" };
    if (soap) headers.soapaction = `"${SOAP_AUTODISCOVER_NS}/Autodiscover/GetUserSettings"`;
    const auth = options.auth;
    if (auth !== undefined && !isConnectionAuth(auth)) {
      if (url.protocol === "http:" && options.allowInsecureAuth !== true) {
        throw ewsError(
          "EWS_INSECURE_AUTH",
          `refusing to send ${auth.kind} credentials to ${url.origin} over plain http`,
          {
            details: { origin: url.origin, scheme: auth.kind },
          },
        );
      }
      headers.authorization = await authorizationHeader(auth);
    }
    const body = soap ? soapAutodiscoverRequestBody(email, url.toString()) : autodiscoverRequestBody(email);
    let response: Awaited<ReturnType<typeof request>>;
    try {
      if (auth !== undefined && isConnectionAuth(auth)) {
        // NTLM/Negotiate: the handshake needs one connection; one small pool per origin.
        let pool = dispatch.pools.get(url.origin);
        if (pool === undefined) {
          pool = new AuthenticatedConnectionPool({
            origin: url.origin,
            auth,
            connections: 1,
            connect: { rejectUnauthorized: options.allowInsecureTls !== true, timeout: dispatch.timeoutMs },
            headersTimeout: dispatch.timeoutMs,
            bodyTimeout: dispatch.timeoutMs,
          });
          dispatch.pools.set(url.origin, pool);
        }
        response = await pool.request({
          path: `${url.pathname}${url.search}`,
          method: "POST",
          headers,
          body,
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        });
      } else {
        response = await request(url, {
          method: "POST",
          dispatcher: dispatch.agent,
          headers,
          body,
          signal: options.signal,
        });
      }
    } catch (cause) {
      if (cause instanceof Error && (cause as { code?: string }).code === "EWS_AUTH_FAILED") throw cause;
      throw unansweredError(cause, `Autodiscover at ${url.origin} failed`);
    }
    const answer = Buffer.from(await response.body.arrayBuffer());
    const status = response.statusCode;
    if ([301, 302, 303, 307, 308].includes(status)) {
      const location = response.headers.location;
      const target = Array.isArray(location) ? location[0] : location;
      if (target === undefined) throw ewsError("EWS_MALFORMED_RESPONSE", "redirect without Location");
      url = new URL(target, url);
      continue;
    }
    if (status === 401 || status === 403) {
      throw ewsError(
        "EWS_AUTH_FAILED",
        `Autodiscover at ${url.origin} refused the credentials (HTTP ${status})`,
      );
    }
    if (status !== 200)
      throw ewsError("EWS_SERVER_ERROR", `Autodiscover at ${url.origin} answered HTTP ${status}`);
    return soap ? parseSoapAutodiscoverResponse(answer) : parseAutodiscoverResponse(answer);
  }
  throw ewsError("EWS_UNREACHABLE", "too many Autodiscover redirects");
}
