// The properties every item type shares (ItemType's xs:sequence: the part up to HasAttachments,
// then the part after ExtendedProperty) and those of messages and posts, in schema order.

import type { MockAttachment, MockItemData, MockMailAddress } from "../model.js";
import { conversationId } from "../operations/conversation.js";
import { isDraft } from "../operations/draft-state.js";
import { storedFlag, storedValue } from "../operations/stored-fields.js";
import { changeKey } from "../store/ids.js";
import { el, esc } from "../xml.js";
import { fileAttachmentXml, itemAttachmentXml, itemSize } from "./render-attachments.js";
import {
  type ItemShape,
  isoSeconds,
  mailbox,
  type Prop,
  type RenderContext,
  recipients,
} from "./render-base.js";

function bodyText(
  data: MockItemData,
  wanted: ItemShape["bodyType"],
): { type: "Text" | "HTML"; content: string } {
  const body = data.body;
  if (wanted === "Best" || wanted === body.bodyType) return { type: body.bodyType, content: body.content };
  if (wanted === "Text") {
    return { type: "Text", content: body.content.replace(/<[^>]*>/g, "").replace(/&nbsp;/g, " ") };
  }
  return { type: "HTML", content: `<html><body><pre>${esc(body.content)}</pre></body></html>` };
}

function attachmentXml(c: RenderContext, a: MockAttachment, index: number): string {
  return fileAttachmentXml(c.record.folder.mailbox.guid, c.record.serial, a, index, false);
}

const displayList = (list: readonly MockMailAddress[]) => list.map((a) => a.name).join("; ");

// The ItemType sequence, first part (up to HasAttachments) and second part (after ExtendedProperty).
export const ITEM_HEAD: Prop[] = [
  {
    uri: "item:parentfolderid",
    def: true,
    render: (c) =>
      c.embedded === true
        ? ""
        : `<t:ParentFolderId Id="${esc(c.store.folderIdOf(c.record.folder))}" ChangeKey="${esc(changeKey("folder", c.record.folder.mailbox.guid, c.record.folder.lastSeq))}"/>`,
  },
  { uri: "item:itemclass", def: true, render: (c) => el("t:ItemClass", c.data.itemClass) },
  { uri: "item:subject", def: true, render: (c) => el("t:Subject", c.data.subject) },
  { uri: "item:sensitivity", def: true, render: (c) => el("t:Sensitivity", c.data.sensitivity) },
  {
    uri: "item:body",
    def: true,
    render: (c) => {
      if (c.mode === "find") return "";
      const b = bodyText(c.data, c.shape.bodyType);
      return `<t:Body BodyType="${b.type}">${esc(b.content)}</t:Body>`;
    },
  },
  {
    uri: "item:attachments",
    def: true,
    render: (c) =>
      c.data.attachments.length + (c.data.itemAttachments?.length ?? 0) === 0 || c.mode === "find"
        ? ""
        : `<t:Attachments>${c.data.attachments.map((a, i) => attachmentXml(c, a, i)).join("")}${(c.data.itemAttachments ?? []).map((a, i) => itemAttachmentXml(c.record.folder.mailbox.guid, c.record.serial, a, i, undefined)).join("")}</t:Attachments>`,
  },
  {
    uri: "item:datetimereceived",
    def: true,
    render: (c) => el("t:DateTimeReceived", isoSeconds(c.data.dateTimeReceived)),
  },
  { uri: "item:size", def: true, render: (c) => el("t:Size", itemSize(c.data)) },
  {
    uri: "item:categories",
    def: true,
    render: (c) =>
      c.data.categories.length === 0
        ? ""
        : `<t:Categories>${c.data.categories.map((s) => el("t:String", s)).join("")}</t:Categories>`,
  },
  { uri: "item:importance", def: true, render: (c) => el("t:Importance", c.data.importance) },
  {
    uri: "item:inreplyto",
    def: false,
    render: (c) => {
      const value = storedValue(c.data, "item:inreplyto");
      return value === undefined ? "" : el("t:InReplyTo", value);
    },
  },
  { uri: "item:issubmitted", def: false, render: () => el("t:IsSubmitted", false) },
  { uri: "item:isdraft", def: false, render: (c) => el("t:IsDraft", isDraft(c.data)) },
  {
    uri: "item:isfromme",
    def: false,
    render: (c) =>
      el(
        "t:IsFromMe",
        c.data.from?.email.toLowerCase() === c.record.folder.mailbox.smtpAddress.toLowerCase(),
      ),
  },
  { uri: "item:isresend", def: false, render: () => el("t:IsResend", false) },
  { uri: "item:isunmodified", def: false, render: (c) => el("t:IsUnmodified", c.record.data === undefined) },
  {
    uri: "item:datetimesent",
    def: true,
    render: (c) => el("t:DateTimeSent", isoSeconds(c.data.dateTimeSent)),
  },
  {
    uri: "item:datetimecreated",
    def: true,
    render: (c) => el("t:DateTimeCreated", isoSeconds(c.data.dateTimeCreated)),
  },
  {
    uri: "item:reminderdueby",
    def: false,
    render: (c) => {
      const value = storedValue(c.data, "item:reminderdueby");
      return value === undefined ? "" : el("t:ReminderDueBy", value);
    },
  },
  {
    uri: "item:reminderisset",
    def: false,
    render: (c) =>
      el(
        "t:ReminderIsSet",
        storedFlag(c.data, "item:reminderisset") ?? c.data.itemClass === "IPM.Appointment",
      ),
  },
  {
    // Exchange's default reminder is 15 minutes before a meeting.
    uri: "item:reminderminutesbeforestart",
    def: false,
    render: (c) =>
      el(
        "t:ReminderMinutesBeforeStart",
        storedValue(c.data, "item:reminderminutesbeforestart") ??
          (c.data.itemClass === "IPM.Appointment" ? 15 : 0),
      ),
  },
  { uri: "item:displaycc", def: true, render: (c) => el("t:DisplayCc", displayList(c.data.ccRecipients)) },
  { uri: "item:displayto", def: true, render: (c) => el("t:DisplayTo", displayList(c.data.toRecipients)) },
  {
    uri: "item:hasattachments",
    def: true,
    render: (c) =>
      el(
        "t:HasAttachments",
        c.data.attachments.some((a) => !a.isInline) || (c.data.itemAttachments?.length ?? 0) > 0,
      ),
  },
];

export const ITEM_TAIL: Prop[] = [
  { uri: "item:culture", def: false, render: () => el("t:Culture", "en-US") },
  {
    uri: "item:effectiverights",
    def: false,
    render: () =>
      "<t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated><t:CreateContents>false</t:CreateContents><t:CreateHierarchy>false</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify><t:Read>true</t:Read><t:ViewPrivateItems>true</t:ViewPrivateItems></t:EffectiveRights>",
  },
  {
    uri: "item:lastmodifiedname",
    def: false,
    render: (c) => el("t:LastModifiedName", c.record.folder.mailbox.displayName),
  },
  {
    uri: "item:lastmodifiedtime",
    def: true,
    render: (c) => el("t:LastModifiedTime", c.record.lastModifiedTime),
  },
  { uri: "item:isassociated", def: false, render: (c) => el("t:IsAssociated", c.record.isAssociated) },
  {
    uri: "item:conversationid",
    def: false,
    render: (c) => {
      const id = conversationId(c.record.folder.mailbox.guid, c.data);
      return id === undefined ? "" : `<t:ConversationId Id="${esc(id)}"/>`;
    },
  },
  {
    uri: "item:flag",
    def: false,
    render: (c) => `<t:Flag>${el("t:FlagStatus", c.data.flagStatus)}</t:Flag>`,
  },
];

// The run of properties MessageType and PostItemType share (From, InternetMessageId, IsRead), and Sender.
const FROM_THROUGH_IS_READ: Prop[] = [
  {
    uri: "message:from",
    def: true,
    render: (c) => (c.data.from ? `<t:From>${mailbox(c.data.from)}</t:From>` : ""),
  },
  {
    uri: "message:internetmessageid",
    def: false,
    render: (c) =>
      c.data.internetMessageId === undefined ? "" : el("t:InternetMessageId", c.data.internetMessageId),
  },
  { uri: "message:isread", def: true, render: (c) => el("t:IsRead", c.data.isRead) },
];

const SENDER: Prop = {
  uri: "message:sender",
  def: false,
  render: (c) => (c.data.from ? `<t:Sender>${mailbox(c.data.from)}</t:Sender>` : ""),
};

export const MESSAGE: Prop[] = [
  SENDER,
  { uri: "message:torecipients", def: false, render: (c) => recipients("ToRecipients", c.data.toRecipients) },
  { uri: "message:ccrecipients", def: false, render: (c) => recipients("CcRecipients", c.data.ccRecipients) },
  {
    uri: "message:bccrecipients",
    def: false,
    render: (c) => recipients("BccRecipients", c.data.bccRecipients),
  },
  {
    uri: "message:isreadreceiptrequested",
    def: false,
    render: (c) =>
      el("t:IsReadReceiptRequested", storedFlag(c.data, "message:isreadreceiptrequested") ?? false),
  },
  {
    uri: "message:isdeliveryreceiptrequested",
    def: false,
    render: (c) =>
      el("t:IsDeliveryReceiptRequested", storedFlag(c.data, "message:isdeliveryreceiptrequested") ?? false),
  },
  {
    uri: "message:conversationtopic",
    def: false,
    render: (c) => el("t:ConversationTopic", c.data.subject.replace(/^(re|fw|fwd):\s*/i, "")),
  },
  ...FROM_THROUGH_IS_READ,
  {
    uri: "message:isresponserequested",
    def: false,
    render: (c) => {
      const value = storedFlag(c.data, "message:isresponserequested");
      return value === undefined ? "" : el("t:IsResponseRequested", value);
    },
  },
];

export const POST: Prop[] = [
  { uri: "message:conversationtopic", def: false, render: (c) => el("t:ConversationTopic", c.data.subject) },
  ...FROM_THROUGH_IS_READ,
  {
    uri: "postitem:postedtime",
    def: true,
    render: (c) => el("t:PostedTime", isoSeconds(c.data.dateTimeSent)),
  },
  SENDER,
];
