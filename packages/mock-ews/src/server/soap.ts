// SOAP envelopes the way Exchange 2016 writes them: s:/m:/t: prefixes, a ServerVersionInfo
// header on every response, faults with the EWS error code in faultcode and detail.
import { esc } from "../xml.js";
import { NS_M, NS_T } from "./render.js";

export const NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_ERRORS = "http://schemas.microsoft.com/exchange/services/2006/errors";
export const XSI_DECLARATIONS =
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const XSI = XSI_DECLARATIONS;

/** The Exchange 2016 build the server claims (CU23 SU: 15.1.2507.6); autodiscover reports the same. */
export const EXCHANGE_BUILD = { major: 15, minor: 1, build: 2507, revision: 6 } as const;

export const SERVER_VERSION_INFO = `<h:ServerVersionInfo MajorVersion="${EXCHANGE_BUILD.major}" MinorVersion="${EXCHANGE_BUILD.minor}" MajorBuildNumber="${EXCHANGE_BUILD.build}" MinorBuildNumber="${EXCHANGE_BUILD.revision}" Version="V2017_07_11" xmlns:h="${NS_T}" ${XSI}/>`;

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS_SOAP}"><s:Header>${SERVER_VERSION_INFO}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/** envelope() around a body in pieces (the same bytes, never joined into one text). */
export function envelopeParts(parts: readonly (string | Uint8Array)[]): (string | Uint8Array)[] {
  const [head, tail] = envelope("\u0000").split("\u0000") as [string, string];
  return [head, ...parts, tail];
}

/** `<m:XResponse ...><m:ResponseMessages>messages</m:ResponseMessages></m:XResponse>`. */
export function operationResponse(operation: string, messages: string): string {
  return `<m:${operation}Response xmlns:m="${NS_M}" ${XSI} xmlns:t="${NS_T}"><m:ResponseMessages>${messages}</m:ResponseMessages></m:${operation}Response>`;
}

export function soapFault(code: string, message: string, extraDetail = ""): string {
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS_SOAP}"><s:Header>${SERVER_VERSION_INFO}</s:Header><s:Body><s:Fault><faultcode xmlns:a="${NS_T}">a:${esc(code)}</faultcode><faultstring xml:lang="en-US">${esc(message)}</faultstring><detail><e:ResponseCode xmlns:e="${NS_ERRORS}">${esc(code)}</e:ResponseCode><e:Message xmlns:e="${NS_ERRORS}">${esc(message)}</e:Message>${extraDetail}</detail></s:Fault></s:Body></s:Envelope>`;
}
