// What every settings operation shares: sending an operation whose response is framed by
// itself (GetInboxRules, GetDelegate: ResponseClass on the response element; the OOF pair: one
// m:ResponseMessage child) and turning a failure into a per-kind SettingsFailure, so that one
// kind the server lacks or refuses never fails the others. Also the UserId (principal) codec
// that permissions and delegates share.
import { EwsVaultError, isErrorCode, type PrincipalId, type SettingsFailure } from "@ewsvault/mailbox";
import { callContext, type OperationScope } from "../../call.js";
import { errorCodeForResponseCode, ewsError } from "../../errors.js";
import { isDistinguishedFolderName } from "../../requests.js";
import { child, childText, type XmlElement } from "../../xml-parser.js";
import { el, type XmlFragment } from "../../xml-writer.js";

/** Sends a self-framed operation; resolves with its response element, rejects when it is an error. */
export async function callSelfFramed(
  scope: OperationScope,
  mailbox: string,
  operationName: string,
  body: XmlFragment,
  signal: AbortSignal | undefined,
): Promise<XmlElement> {
  const access = scope.access(mailbox);
  const result = await scope.transport.call(operationName, body, callContext(access, signal));
  const response = result.soap.body;
  const message = child(response, "ResponseMessage") ?? response;
  const responseClass = message.attributes.ResponseClass;
  const responseCode = childText(message, "ResponseCode") ?? "";
  if (responseClass === "Error" || (responseCode !== "" && responseCode !== "NoError")) {
    const text = childText(message, "MessageText");
    throw ewsError(
      errorCodeForResponseCode(responseCode),
      `EWS ${operationName} failed for ${mailbox}: ${responseCode}${text ? ` (${text})` : ""}`,
      { details: { responseCode, mailbox, operation: operationName, response } },
    );
  }
  return response;
}

/**
 * Codes meaning the server does not offer an operation: Exchange answers ErrorInvalidOperation
 * or ErrorInvalidServerVersion for operations of a newer version, and a server whose schema
 * does not know the element fails its validation ("... element is not declared").
 */
function isUnsupported(responseCode: string, message: string): boolean {
  if (responseCode === "ErrorInvalidOperation" || responseCode === "ErrorInvalidServerVersion") return true;
  return responseCode === "ErrorSchemaValidation" && message.includes("not declared");
}

/** Failures that stop the whole mailbox, never one kind: these reject getSettings / applySettings. */
const MAILBOX_WIDE = new Set([
  "EWS_ABORTED",
  "EWS_MAILBOX_NOT_FOUND",
  "EWS_AUTH_FAILED",
  "EWS_IMPERSONATION_DENIED",
  "EWS_UNREACHABLE",
  "EWS_TLS",
  "EWS_INSECURE_AUTH",
]);

/** The per-kind (or per-entry) failure of `error`; rethrows what is not about one kind. */
export function settingsFailure(error: unknown): SettingsFailure {
  if (!(error instanceof EwsVaultError) || MAILBOX_WIDE.has(error.code)) throw error;
  const responseCode = error.details?.responseCode;
  const code = typeof responseCode === "string" ? responseCode : undefined;
  const failure = { message: error.message, ...(code ? { responseCode: code } : {}) };
  if (code !== undefined && isUnsupported(code, error.message))
    return { code: "EWS_OPERATION_UNSUPPORTED", ...failure };
  return { code: isErrorCode(error.code) ? error.code : "EWS_SERVER_ERROR", ...failure };
}

/** A failure of a response message that is not an EwsVaultError yet (per-entry answers). */
export function responseFailure(responseCode: string, messageText: string | undefined): SettingsFailure {
  const message = `${responseCode}${messageText ? ` (${messageText})` : ""}`;
  if (isUnsupported(responseCode, message))
    return { code: "EWS_OPERATION_UNSUPPORTED", message, responseCode };
  return { code: errorCodeForResponseCode(responseCode), message, responseCode };
}

// ---- t:UserId ----

export function parsePrincipal(element: XmlElement | undefined): PrincipalId {
  const distinguished = childText(element, "DistinguishedUser");
  const sid = childText(element, "SID");
  const smtp = childText(element, "PrimarySmtpAddress");
  const name = childText(element, "DisplayName");
  const external = childText(element, "ExternalUserIdentity");
  return {
    ...(distinguished === "Default" || distinguished === "Anonymous"
      ? { distinguishedUser: distinguished }
      : {}),
    ...(smtp !== undefined ? { primarySmtpAddress: smtp } : {}),
    ...(sid !== undefined ? { sid } : {}),
    ...(name !== undefined ? { displayName: name } : {}),
    ...(external !== undefined ? { externalUserIdentity: external } : {}),
  };
}

/** The address a principal names after mapping (lower-case keys), or undefined. */
export function mappedAddress(
  principal: PrincipalId,
  principalMap: ReadonlyMap<string, string> | undefined,
): string | undefined {
  const address = principal.primarySmtpAddress;
  if (address === undefined) return undefined;
  return principalMap?.get(address.toLowerCase()) ?? address;
}

/**
 * t:UserId for a restore: Default/Anonymous as DistinguishedUser, a person by (mapped) primary
 * SMTP address only: a SID or display name of the source's directory means nothing to the
 * target's. Neither: the external identity, when there is one.
 */
export function principalXml(
  principal: PrincipalId,
  principalMap?: ReadonlyMap<string, string>,
): XmlFragment {
  if (principal.distinguishedUser !== undefined)
    return el("t:UserId", undefined, el("t:DistinguishedUser", undefined, principal.distinguishedUser));
  const address = mappedAddress(principal, principalMap);
  if (address !== undefined) return el("t:UserId", undefined, el("t:PrimarySmtpAddress", undefined, address));
  if (principal.externalUserIdentity !== undefined)
    return el("t:UserId", undefined, el("t:ExternalUserIdentity", undefined, principal.externalUserIdentity));
  if (principal.sid !== undefined) return el("t:UserId", undefined, el("t:SID", undefined, principal.sid));
  throw new TypeError("a principal needs a distinguished user, an address, an external identity or a SID");
}

/** A human-readable name of a principal for reports. */
export function principalName(principal: PrincipalId): string {
  return (
    principal.distinguishedUser ??
    principal.primarySmtpAddress ??
    principal.externalUserIdentity ??
    principal.sid ??
    principal.displayName ??
    "?"
  );
}

/** Parses "true"/"false" (and 1/0) the way xs:boolean does. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return v === "true" || v === "1" ? true : v === "false" || v === "0" ? false : undefined;
}

/**
 * The target folder of a backed-up folder id: a distinguished name stays (every mailbox has
 * it) unless the map names it; without a map ids are used as they are; an id the map lacks
 * (the folder was not restored): undefined.
 */
export function mapFolder(
  folderId: string,
  map: ReadonlyMap<string, string> | undefined,
): string | undefined {
  if (map === undefined) return folderId;
  return map.get(folderId) ?? (isDistinguishedFolderName(folderId) ? folderId : undefined);
}
