// Test helpers: raw SOAP calls against a running mock server.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { MockEwsServer } from "@ewsvault/mock-ews";

export const SPEC_DIR = fileURLToPath(new URL("../../../../shared/ews-spec/", import.meta.url));

/** The shared EWS reference material; fails loudly when it is missing. */
export function specPath(relative: string): string {
  if (!existsSync(SPEC_DIR)) throw new Error(`EWS reference material not found at ${SPEC_DIR}`);
  const path = `${SPEC_DIR}${relative}`;
  if (!existsSync(path)) throw new Error(`EWS reference file not found: ${path}`);
  return path;
}

export interface SoapResult {
  readonly status: number;
  readonly text: string;
  /** The child of soap:Body, as its own document text (empty when there is none). */
  readonly body: string;
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export function envelope(body: string, header = ""): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2016"/>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

export function impersonate(smtp: string): string {
  return `<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${smtp}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`;
}

export async function postRaw(
  url: string,
  payload: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    body: payload,
    headers: { "content-type": "text/xml; charset=utf-8", ...headers },
  });
  return { status: response.status, text: await response.text() };
}

export function bodyOf(text: string): string {
  const match = /<s:Body>([\s\S]*)<\/s:Body>/.exec(text);
  return match?.[1] ?? "";
}

/** Calls the server as its default user, impersonating `mailbox` (the first mailbox by default). */
export async function soap(
  server: MockEwsServer,
  body: string,
  options: { mailbox?: string | null; auth?: string; headers?: Record<string, string> } = {},
): Promise<SoapResult> {
  const mailbox = options.mailbox === undefined ? server.mailboxes[0] : options.mailbox;
  const header = mailbox === null || mailbox === undefined ? "" : impersonate(mailbox);
  const result = await postRaw(server.url, envelope(body, header), {
    authorization: options.auth ?? basicAuth(server.credentials.username, server.credentials.password),
    ...options.headers,
  });
  return { ...result, body: bodyOf(result.text) };
}

export function ids(text: string, element = "ItemId"): string[] {
  return [...text.matchAll(new RegExp(`<[mt]:${element} Id="([^"]+)"`, "g"))].map((m) => m[1]!);
}

export function responseCodes(text: string): string[] {
  return [...text.matchAll(/<m:ResponseCode>([^<]+)<\/m:ResponseCode>/g)].map((m) => m[1]!);
}

export function itemShape(base = "IdOnly", extra = ""): string {
  return `<m:ItemShape><t:BaseShape>${base}</t:BaseShape>${extra}</m:ItemShape>`;
}
