// GetUserOofSettings and SetUserOofSettings (the availability service's pair: request elements
// carry a Request suffix, and the response is one ResponseMessage beside t:OofSettings).
// Exchange always shows the scheduled window, whatever the state; setting Scheduled without a
// window, or with one that ends before it starts, is ErrorInvalidScheduledOofDuration.
import { EwsResponseError } from "../errors.js";
import { settingsOf } from "../store/mailbox-settings.js";
import type { OofAudience, OofSettings, OofState } from "../store/settings.js";
import { child, esc, text, type XmlNode } from "../xml.js";
import type { Operation, OperationContext } from "./common.js";

const STATES: ReadonlySet<string> = new Set(["Disabled", "Enabled", "Scheduled"]);
const AUDIENCES: ReadonlySet<string> = new Set(["None", "Known", "All"]);

function responseMessage(error?: EwsResponseError): string {
  if (error === undefined)
    return `<m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage>`;
  return `<m:ResponseMessage ResponseClass="Error"><m:MessageText>${esc(error.message)}</m:MessageText><m:ResponseCode>${esc(error.code)}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ResponseMessage>`;
}

/** The mailbox of the request's t:Mailbox/t:Address. */
function mailboxOf(request: XmlNode, ctx: OperationContext) {
  const smtp = text(child(request, "Mailbox"), "Address")?.trim();
  if (smtp === undefined || smtp === "")
    throw new EwsResponseError("ErrorInvalidOofParameter", "The mailbox address is missing.");
  return ctx.mailboxFor(smtp);
}

function replyXml(name: string, message: string): string {
  return `<t:${name} xml:lang="en-US"><t:Message>${esc(message)}</t:Message></t:${name}>`;
}

function iso(value: string): string {
  return new Date(value).toISOString().replace(/\.000Z$/, "Z");
}

export function oofSettingsXml(oof: OofSettings): string {
  return `<t:OofSettings><t:OofState>${oof.state}</t:OofState><t:ExternalAudience>${oof.externalAudience}</t:ExternalAudience><t:Duration><t:StartTime>${iso(oof.start)}</t:StartTime><t:EndTime>${iso(oof.end)}</t:EndTime></t:Duration>${replyXml("InternalReply", oof.internalReply)}${replyXml("ExternalReply", oof.externalReply)}</t:OofSettings>`;
}

export const getUserOofSettings: Operation = {
  messageName: "GetUserOofSettingsResponse",
  framing: "self",
  renderRequestError: (error) =>
    `<m:GetUserOofSettingsResponse>${responseMessage(error)}</m:GetUserOofSettingsResponse>`,
  run(request, ctx) {
    const mailbox = mailboxOf(request, ctx);
    const oof = settingsOf(ctx.store, mailbox).oof;
    return `<m:GetUserOofSettingsResponse>${responseMessage()}${oofSettingsXml(oof)}<m:AllowExternalOof>All</m:AllowExternalOof></m:GetUserOofSettingsResponse>`;
  },
};

/**
 * The settings a SetUserOofSettings request asks for, over `current` (absent replies and window
 * keep their values). MUST throw ErrorInvalidOofParameter for an unknown state or audience and
 * ErrorInvalidScheduledOofDuration for a Scheduled state without a valid window.
 */
export function parseOofSettings(node: XmlNode | undefined, current: OofSettings): OofSettings {
  if (node === undefined)
    throw new EwsResponseError("ErrorInvalidUserOofSettings", "UserOofSettings is missing.");
  const state = text(node, "OofState")?.trim() ?? "";
  const audience = text(node, "ExternalAudience")?.trim() ?? "";
  if (!STATES.has(state))
    throw new EwsResponseError("ErrorInvalidOofParameter", `Unknown OofState '${state}'.`);
  if (!AUDIENCES.has(audience))
    throw new EwsResponseError("ErrorInvalidOofParameter", `Unknown ExternalAudience '${audience}'.`);
  const duration = child(node, "Duration");
  let { start, end } = current;
  if (duration !== undefined) {
    start = text(duration, "StartTime")?.trim() ?? "";
    end = text(duration, "EndTime")?.trim() ?? "";
    if (
      Number.isNaN(Date.parse(start)) ||
      Number.isNaN(Date.parse(end)) ||
      Date.parse(end) <= Date.parse(start)
    )
      throw new EwsResponseError(
        "ErrorInvalidScheduledOofDuration",
        "The scheduled OOF duration is not valid.",
      );
  } else if (state === "Scheduled") {
    throw new EwsResponseError("ErrorInvalidScheduledOofDuration", "A scheduled OOF needs a Duration.");
  }
  const reply = (name: string, fallback: string) => {
    const element = child(node, name);
    return element === undefined ? fallback : (text(element, "Message") ?? "");
  };
  return {
    state: state as OofState,
    externalAudience: audience as OofAudience,
    start: iso(start),
    end: iso(end),
    internalReply: reply("InternalReply", current.internalReply),
    externalReply: reply("ExternalReply", current.externalReply),
  };
}

export const setUserOofSettings: Operation = {
  messageName: "SetUserOofSettingsResponse",
  framing: "self",
  renderRequestError: (error) =>
    `<m:SetUserOofSettingsResponse>${responseMessage(error)}</m:SetUserOofSettingsResponse>`,
  run(request, ctx) {
    const mailbox = mailboxOf(request, ctx);
    const settings = settingsOf(ctx.store, mailbox);
    settings.oof = parseOofSettings(child(request, "UserOofSettings"), settings.oof);
    return `<m:SetUserOofSettingsResponse>${responseMessage()}</m:SetUserOofSettingsResponse>`;
  },
};
