// How the server refuses a request it will not run: throttling (an exhausted budget, too many
// concurrent requests) and an operation it does not serve. Both answers decide what clients do
// next (back off, or conclude that the server is of another version), so each is the answer
// Exchange 2013 and later give, with the evidence in the comments.
import { EwsResponseError } from "../errors.js";
import { esc } from "../xml.js";
import type { ThrottlingOptions } from "./options.js";
import { NS_T } from "./render.js";
import { soapFault } from "./soap.js";

/** The wire form of a throttling refusal. */
export type ThrottleRefusalForm = "soapFault" | "responseMessage" | "http503";

/**
 * The form a configuration asks for. Default "soapFault": Exchange 2013 and later (and Exchange
 * Online) refuse a request over budget with an HTTP 500 SOAP fault `a:ErrorServerBusy` whose
 * detail carries `<t:MessageXml><t:Value Name="BackOffMilliseconds">N</t:Value></t:MessageXml>`
 * (a fault of this exact shape from Exchange Online is quoted in mguessan/davmail issue 161; the
 * EWS Managed API, ported as ews-javascript-api, turns a fault with ErrorServerBusy into
 * ServerBusyException and reads BackOffMilliseconds from the fault's MessageXml; exchangelib's
 * `_raise_soap_errors` reads the same value from the fault detail). The legacy booleans still
 * select the other forms: `http503: true` is HTTP 503 (IIS queueing in front of Exchange), and
 * `soapFault: false` the per-message ErrorServerBusy of Exchange 2010.
 */
export function throttleRefusalForm(options: ThrottlingOptions): ThrottleRefusalForm {
  if (options.refusal !== undefined) return options.refusal;
  if (options.http503 === true) return "http503";
  if (options.soapFault === false) return "responseMessage";
  return "soapFault";
}

/** `<t:MessageXml>` for a fault detail (the types namespace, as Exchange writes it). */
export function faultMessageXml(content: string): string {
  return `<t:MessageXml xmlns:t="${NS_T}">${content}</t:MessageXml>`;
}

/** The budget is spent: Exchange says when it holds a request again (BackOffMilliseconds). */
export function busy(backOffMs: number): EwsResponseError & { messageXml: string } {
  return new EwsResponseError(
    "ErrorServerBusy",
    "The server cannot service this request right now. Try again later.",
    `<t:Value Name="BackOffMilliseconds">${backOffMs}</t:Value>`,
  ) as EwsResponseError & { messageXml: string };
}

/**
 * EWSMaxConcurrency is exceeded: Exchange names the policy and its limit and suggests no backoff
 * (the client should wait for its own requests to complete, not for time to pass).
 */
export function connectionCount(limit: number): EwsResponseError & { messageXml: string } {
  return new EwsResponseError(
    "ErrorExceededConnectionCount",
    "You have exceeded the available concurrent connections for your account. Try again once your other requests have completed.",
    `<t:Value Name="Policy">MaxConcurrency</t:Value><t:Value Name="MaxConcurrencyLimit">${limit}</t:Value>`,
  ) as EwsResponseError & { messageXml: string };
}

/**
 * The answer to a SOAP body whose element is no operation this server serves.
 *
 * Exchange validates every request against its schema before dispatching it, so a body element
 * its messages.xsd does not declare fails schema validation: HTTP 500 with the fault
 * `a:ErrorSchemaValidation`, "The request failed schema validation: The '<ns>:<name>' element is
 * not declared.", and the position of the offence in `t:MessageXml` (LineNumber, LinePosition,
 * Violation). The EWS Managed API (and ews-javascript-api, its port) documents that behaviour in
 * ProcessWebException: "a schema validation error is the same as a version mismatch error ...
 * which only will happen if we send a request that's not valid for" the server's version.
 *
 * What clients do with each possible answer decided the choice as much as fidelity:
 * - ErrorInvalidRequest (the mock's earlier answer), ErrorInvalidServerVersion or
 *   ErrorIncorrectSchemaVersion: exchangelib takes them for a wrong API version and resends the
 *   request with every version it knows, then settles on Exchange2007 (or gives up with
 *   ErrorInvalidServerVersion) — one unserved call poisons the whole session's version.
 * - ErrorSchemaValidation: exchangelib raises it at once with the violation and position in the
 *   message; ews-javascript-api raises ServiceResponseException(ErrorSchemaValidation). Neither
 *   retries nor changes version.
 * - A WCF ActionNotSupported fault (the stock answer of a WCF endpoint with no matching action)
 *   carries no EWS ResponseCode: both clients report an unparseable or generic SOAP error.
 * - HTTP 404/405: clients take the endpoint itself for wrong (autodiscover moves on).
 * The mock answers operations of Exchange 2016's services.wsdl that it does not implement the
 * same way, so a client sees one consistent refusal (README: "Operations").
 */
export function unknownOperationFault(rawRequest: string, name: string | undefined): string {
  if (name === undefined) {
    const violation = "The SOAP body has no request element.";
    return soapFault(
      "ErrorSchemaValidation",
      `The request failed schema validation: ${violation}`,
      faultMessageXml(schemaViolationXml(1, 1, violation)),
    );
  }
  const { line, position, namespace } = locateElement(rawRequest, name);
  const violation = `The '${namespace}:${name}' element is not declared.`;
  return soapFault(
    "ErrorSchemaValidation",
    `The request failed schema validation: ${violation}`,
    faultMessageXml(schemaViolationXml(line, position, violation)),
  );
}

function schemaViolationXml(line: number, position: number, violation: string): string {
  return `<t:LineNumber>${line}</t:LineNumber><t:LinePosition>${position}</t:LinePosition><t:Violation>${esc(violation)}</t:Violation>`;
}

/** Line and column (1-based, at the element name, as .NET's XmlReader reports) and namespace of the body element. */
function locateElement(raw: string, name: string): { line: number; position: number; namespace: string } {
  const body = raw.search(/<([A-Za-z_][\w.-]*:)?Body[\s>]/);
  const pattern = new RegExp(`<(([A-Za-z_][\\w.-]*):)?${name}[\\s/>]`, "g");
  pattern.lastIndex = Math.max(0, body);
  const match = pattern.exec(raw);
  if (match === null) return { line: 1, position: 1, namespace: "" };
  const prefix = match[2];
  const declaration =
    prefix === undefined
      ? /\sxmlns="([^"]*)"/.exec(raw.slice(match.index))
      : new RegExp(`xmlns:${prefix}="([^"]*)"`).exec(raw);
  const before = raw.slice(0, match.index + 1);
  const lines = before.split("\n");
  return {
    line: lines.length,
    position: (lines[lines.length - 1]?.length ?? 0) + 1,
    namespace: declaration?.[1] ?? "",
  };
}
