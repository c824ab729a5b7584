// SOAP envelope in and out: wraps an operation element with the EWS headers, and turns a
// parsed response into the operation element, a SOAP fault, or a list of ResponseMessages.
import { child, childrenNamed, childText, path, type XmlElement } from "./xml-parser.js";
import { document, el, type XmlFragment } from "./xml-writer.js";

export const NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
export const NS_TYPES = "http://schemas.microsoft.com/exchange/services/2006/types";
export const NS_MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages";

export interface EnvelopeOptions {
  /** RequestServerVersion; Exchange2013_SP1 covers every operation used here on 2013..SE. */
  readonly serverVersion: string;
  /** Impersonated mailbox (ExchangeImpersonation/ConnectingSID/SmtpAddress), if any. */
  readonly impersonate?: string;
}

/** The whole request document. `body` is the operation element (it declares m: and t: itself). */
export function soapEnvelope(body: XmlFragment, options: EnvelopeOptions): string {
  const header = el(
    "soap:Header",
    undefined,
    el("t:RequestServerVersion", { Version: options.serverVersion }),
    options.impersonate !== undefined &&
      el(
        "t:ExchangeImpersonation",
        undefined,
        el("t:ConnectingSID", undefined, el("t:SmtpAddress", undefined, options.impersonate)),
      ),
  );
  return document(
    el(
      "soap:Envelope",
      { "xmlns:soap": NS_SOAP, "xmlns:t": NS_TYPES },
      header,
      el("soap:Body", undefined, body),
    ),
  );
}

/** The operation element with the namespace declarations it needs to stand alone. */
export function operation(
  name: string,
  attributes: Record<string, string | undefined>,
  ...children: XmlFragment[]
) {
  return el(`m:${name}`, { "xmlns:m": NS_MESSAGES, "xmlns:t": NS_TYPES, ...attributes }, ...children);
}

export interface SoapFault {
  readonly faultCode: string;
  readonly faultString: string;
  /** EWS ResponseCode from the fault detail (e.g. ErrorServerBusy), when present. */
  readonly responseCode?: string;
  readonly backOffMs?: number;
}

export interface SoapResponse {
  readonly serverVersion?: string;
  /** The child of soap:Body (e.g. GetFolderResponse), absent when the body is a fault. */
  readonly body?: XmlElement;
  readonly fault?: SoapFault;
}

function backOffFrom(messageXml: XmlElement | undefined): number | undefined {
  for (const value of childrenNamed(messageXml, "Value")) {
    if (value.attributes.Name === "BackOffMilliseconds") {
      const ms = Number.parseInt(value.text, 10);
      if (Number.isFinite(ms) && ms >= 0) return ms;
    }
  }
  return undefined;
}

/** Returns undefined when `root` is not a SOAP envelope at all. */
export function interpretEnvelope(root: XmlElement): SoapResponse | undefined {
  if (root.name !== "Envelope") return undefined;
  const body = child(root, "Body");
  if (body === undefined) return undefined;
  const version = path(root, "Header", "ServerVersionInfo")?.attributes.Version;
  const first = body.children[0];
  if (first === undefined) return undefined;
  if (first.name === "Fault") {
    const detail = child(first, "detail") ?? child(first, "Detail");
    const responseCode = childText(detail, "ResponseCode");
    const faultCode = childText(first, "faultcode") ?? "";
    const backOffMs = backOffFrom(child(detail, "MessageXml"));
    return {
      serverVersion: version,
      fault: {
        faultCode,
        faultString: childText(first, "faultstring") ?? "",
        responseCode: responseCode ?? (faultCode.includes(":") ? faultCode.split(":").pop() : undefined),
        backOffMs,
      },
    };
  }
  return { serverVersion: version, body: first };
}

export interface ResponseMessage {
  /** e.g. GetFolderResponseMessage. */
  readonly name: string;
  readonly responseClass: "Success" | "Warning" | "Error";
  readonly responseCode: string;
  readonly messageText?: string;
  readonly backOffMs?: number;
  readonly element: XmlElement;
}

/** The ResponseMessages of an operation response, in order (one per requested object). */
export function responseMessages(body: XmlElement): ResponseMessage[] {
  const container = child(body, "ResponseMessages");
  if (container === undefined) return [];
  return container.children.map((element) => {
    const responseClass = element.attributes.ResponseClass;
    const responseCode = childText(element, "ResponseCode") ?? (responseClass === "Success" ? "NoError" : "");
    return {
      name: element.name,
      responseClass:
        responseClass === "Error" ? "Error" : responseClass === "Warning" ? "Warning" : ("Success" as const),
      responseCode,
      messageText: childText(element, "MessageText"),
      backOffMs: backOffFrom(child(element, "MessageXml")),
      element,
    };
  });
}

export function isSuccess(message: ResponseMessage): boolean {
  return (
    message.responseClass !== "Error" && (message.responseCode === "NoError" || message.responseCode === "")
  );
}
