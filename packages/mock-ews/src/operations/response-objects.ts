// The reply and forward response objects of CreateItem (t:ReplyToItem, t:ReplyAllToItem,
// t:ForwardItem): Exchange builds the new message from the item ReferenceItemId names — subject
// "RE: "/"FW: " unless given, recipients from the original (reply: its sender; reply all: its
// sender, To and Cc without the replying mailbox; forward: only those given), the new body text
// above a header block and the original body, and for a forward the original's attachments.
import { EwsResponseError } from "../errors.js";
import type { MockItemData, MockMailAddress } from "../model.js";
import { attr, child, text, type XmlNode } from "../xml.js";
import { resolveTarget } from "./calendar-view.js";
import type { OperationContext } from "./common.js";
import { addresses } from "./parse-item.js";

export const RESPONSE_OBJECT_ELEMENTS = ["ReplyToItem", "ReplyAllToItem", "ForwardItem"];

/** Recipients without repeats (by address, case-insensitive), first occurrence kept. */
function unique(list: readonly MockMailAddress[], without: readonly string[] = []): MockMailAddress[] {
  const seen = new Set(without.map((e) => e.toLowerCase()));
  const out: MockMailAddress[] = [];
  for (const a of list) {
    const key = a.email.toLowerCase();
    if (key === "" || seen.has(key)) continue;
    seen.add(key);
    out.push(a);
  }
  return out;
}

function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\r\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function who(a: MockMailAddress): string {
  return a.name !== "" && a.name !== a.email ? `${a.name} <${a.email}>` : a.email;
}

/** The new text, then Outlook's header block of the original, then the original body. */
function quotedBody(original: MockItemData, newBody: XmlNode | undefined): MockItemData["body"] {
  const html = attr(newBody, "BodyType") === "HTML";
  const fresh = newBody === undefined ? "" : (text(newBody) ?? "");
  const header = [
    `From: ${original.from === undefined ? "" : who(original.from)}`,
    `Sent: ${original.dateTimeSent}`,
    `To: ${original.toRecipients.map(who).join("; ")}`,
    ...(original.ccRecipients.length > 0 ? [`Cc: ${original.ccRecipients.map(who).join("; ")}`] : []),
    `Subject: ${original.subject}`,
  ];
  if (html) {
    const before =
      original.body.bodyType === "HTML" ? original.body.content : escapeHtml(original.body.content);
    return {
      bodyType: "HTML",
      content: `${fresh}<hr><div>${header.map(escapeHtml).join("<br>")}</div>${before}`,
    };
  }
  const before =
    original.body.bodyType === "HTML" ? htmlToText(original.body.content) : original.body.content;
  return {
    bodyType: "Text",
    content: `${fresh}\r\n\r\n________________________________\r\n${header.join("\r\n")}\r\n\r\n${before}`,
  };
}

/** The message a response object makes, before it is saved or sent. */
export function responseObjectData(ctx: OperationContext, element: string, node: XmlNode): MockItemData {
  const ref = child(node, "ReferenceItemId");
  if (ref === undefined || attr(ref, "Id") === undefined) {
    throw new EwsResponseError(
      "ErrorMissingInformationReferenceItemId",
      "Required information is missing: ReferenceItemId.",
    );
  }
  const target = resolveTarget(ctx, "ItemId", ref);
  const original = ctx.store.itemData(target.record);
  if (!original.itemClass.startsWith("IPM.Note") && !original.itemClass.startsWith("IPM.Post")) {
    throw new EwsResponseError(
      "ErrorInvalidReferenceItem",
      "The reference item does not support the requested operation.",
    );
  }
  const self = ctx.mailbox.smtpAddress;
  const givenTo = addresses(child(node, "ToRecipients"));
  const givenCc = addresses(child(node, "CcRecipients"));
  const sender = original.from === undefined ? [] : [original.from];
  let to: MockMailAddress[];
  let cc: MockMailAddress[] = unique(givenCc);
  if (element === "ReplyToItem") to = unique([...sender, ...givenTo]);
  else if (element === "ReplyAllToItem") {
    // The replying mailbox drops out of the original's lists; recipients the request names stay.
    to = unique([...unique([...sender, ...original.toRecipients], [self]), ...givenTo]);
    cc = unique(
      [...unique(original.ccRecipients, [self]), ...givenCc],
      to.map((a) => a.email),
    );
  } else to = unique(givenTo);
  const prefix = element === "ForwardItem" ? "FW: " : "RE: ";
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const data: MockItemData = {
    itemClass: "IPM.Note",
    subject: text(node, "Subject") ?? `${prefix}${original.subject}`,
    body: quotedBody(original, child(node, "NewBodyContent") ?? child(node, "Body")),
    toRecipients: to,
    ccRecipients: cc,
    bccRecipients: unique(addresses(child(node, "BccRecipients"))),
    dateTimeReceived: now,
    dateTimeSent: now,
    dateTimeCreated: now,
    importance: original.importance,
    sensitivity: original.sensitivity,
    categories: [],
    isRead: true,
    flagStatus: "NotFlagged",
    attachments: element === "ForwardItem" ? original.attachments : [],
  };
  if (element === "ForwardItem" && original.itemAttachments !== undefined) {
    return { ...data, itemAttachments: original.itemAttachments };
  }
  return data;
}
