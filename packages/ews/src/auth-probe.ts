// Which authentication schemes an EWS endpoint offers: one anonymous POST, answered (by IIS) with
// 401 and one WWW-Authenticate header per enabled scheme. Used by `ewsvault check` to say what the
// server accepts before a credential is ever sent.
import { Agent, request } from "undici";
import { offeredSchemes } from "./attempt-outcome.js";
import { unansweredError } from "./network-errors.js";

export interface AuthProbeOptions {
  readonly allowInsecureTls?: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly timeoutMs?: number;
}

export interface AuthProbeResult {
  /** HTTP status of the anonymous request (401 when the endpoint wants credentials). */
  readonly status: number;
  /** Schemes offered, lower-cased, in the server's order: "negotiate", "ntlm", "basic", "bearer". */
  readonly offered: readonly string[];
}

/** Sends no credentials; MUST reject with EWS_UNREACHABLE or EWS_TLS when the endpoint cannot be reached. */
export async function probeAuthSchemes(
  url: string | URL,
  options: AuthProbeOptions = {},
): Promise<AuthProbeResult> {
  const timeout = options.timeoutMs ?? 15_000;
  const dispatcher = new Agent({
    connect: {
      rejectUnauthorized: options.allowInsecureTls !== true,
      timeout,
      ...(options.ca !== undefined ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
    },
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  try {
    const response = await request(url, {
      method: "POST",
      dispatcher,
      headers: { "content-type": "text/xml; charset=utf-8" },
      body: "",
    });
    await response.body.dump();
    return { status: response.statusCode, offered: offeredSchemes(response.headers) };
  } catch (cause) {
    throw unansweredError(cause, `${new URL(url).origin} did not answer`);
  } finally {
    await dispatcher.close();
  }
}
