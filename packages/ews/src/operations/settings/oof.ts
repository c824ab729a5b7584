// Out-of-office: GetUserOofSettingsRequest / SetUserOofSettingsRequest (the availability
// service's pair: the mailbox is named in t:Mailbox/t:Address, the response is one
// m:ResponseMessage beside t:OofSettings). The scheduled window is kept whatever the state,
// as Exchange shows it, so a restore brings back the window too.
import type { OofReply, OofSettings } from "@ewsvault/mailbox";
import type { OperationScope } from "../../call.js";
import { ewsError } from "../../errors.js";
import { operation } from "../../soap.js";
import { child, childText, type XmlElement } from "../../xml-parser.js";
import { el, type XmlFragment } from "../../xml-writer.js";
import { callSelfFramed } from "./settings-call.js";

const STATES = new Set(["Disabled", "Enabled", "Scheduled"]);
const AUDIENCES = new Set(["None", "Known", "All"]);

function mailboxXml(mailbox: string): XmlFragment {
  return el("t:Mailbox", undefined, el("t:Address", undefined, mailbox));
}

function parseReply(element: XmlElement | undefined): OofReply {
  const lang = element?.attributes["xml:lang"] ?? element?.attributes.lang;
  return { message: childText(element, "Message") ?? "", ...(lang !== undefined ? { lang } : {}) };
}

export function parseOof(element: XmlElement | undefined): OofSettings {
  const state = childText(element, "OofState")?.trim() ?? "";
  const audience = childText(element, "ExternalAudience")?.trim() ?? "";
  if (element === undefined || !STATES.has(state) || !AUDIENCES.has(audience))
    throw ewsError("EWS_MALFORMED_RESPONSE", "GetUserOofSettings answered no valid OofSettings");
  const duration = child(element, "Duration");
  const start = childText(duration, "StartTime");
  const end = childText(duration, "EndTime");
  return {
    state: state as OofSettings["state"],
    externalAudience: audience as OofSettings["externalAudience"],
    ...(start !== undefined && end !== undefined ? { duration: { start, end } } : {}),
    internalReply: parseReply(child(element, "InternalReply")),
    externalReply: parseReply(child(element, "ExternalReply")),
  };
}

export async function getOofSettings(
  scope: OperationScope,
  mailbox: string,
  signal?: AbortSignal,
): Promise<OofSettings> {
  const request = operation("GetUserOofSettingsRequest", {}, mailboxXml(mailbox));
  const response = await callSelfFramed(scope, mailbox, "GetUserOofSettingsRequest", request, signal);
  return parseOof(child(response, "OofSettings"));
}

function replyXml(tag: string, reply: OofReply): XmlFragment {
  return el(tag, { "xml:lang": reply.lang }, el("t:Message", undefined, reply.message));
}

export async function setOofSettings(
  scope: OperationScope,
  mailbox: string,
  oof: OofSettings,
  signal?: AbortSignal,
): Promise<void> {
  const request = operation(
    "SetUserOofSettingsRequest",
    {},
    mailboxXml(mailbox),
    el(
      "t:UserOofSettings",
      undefined,
      el("t:OofState", undefined, oof.state),
      el("t:ExternalAudience", undefined, oof.externalAudience),
      oof.duration !== undefined
        ? el(
            "t:Duration",
            undefined,
            el("t:StartTime", undefined, oof.duration.start),
            el("t:EndTime", undefined, oof.duration.end),
          )
        : undefined,
      replyXml("t:InternalReply", oof.internalReply),
      replyXml("t:ExternalReply", oof.externalReply),
    ),
  );
  await callSelfFramed(scope, mailbox, "SetUserOofSettingsRequest", request, signal);
}
