// Items and folders as EWS XML. Each type's properties are listed in the order of its
// xs:sequence in types.xsd, with the shape (IdOnly / Default / AllProperties) they belong to,
// so a response never puts an element out of schema order.
import type { MockAttachment, MockItemAttachment, MockItemData, MockMailAddress } from "../model.js";
import { type ExtendedUri, extendedPropertyXml, readExtended } from "../operations/extended-properties.js";
import { storedFlag, storedValue } from "../operations/stored-fields.js";
import { attachmentId, changeKey } from "../store/ids.js";
import type { FolderRecord, ItemRecord } from "../store/records.js";
import type { Store } from "../store/mailbox-store.js";
import { el, esc } from "../xml.js";
import { folderExtendedValue } from "../store/folder-extended.js";
import { permissionSetXml } from "./render-permissions.js";
import {
  isoSeconds,
  type ItemShape,
  mailbox,
  type Prop,
  type PropContext,
  type RenderContext,
  recipients,
} from "./render-base.js";
import { CALENDAR } from "./render-calendar.js";
import { CONTACT, TASK } from "./render-contact.js";

export {
  isoSeconds,
  type ItemShape,
  type RenderContext,
  SERIES_PARTS,
  type SeriesPart,
} from "./render-base.js";

export const NS_T = "http://schemas.microsoft.com/exchange/services/2006/types";
export const NS_M = "http://schemas.microsoft.com/exchange/services/2006/messages";

export interface ExtendedFieldRequest {
  readonly propertyTag: string;
  readonly propertyType: string;
}

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

/** A t:FileAttachment; `withContent` adds the base64 Content (GetAttachment), item views leave it out. */
export function fileAttachmentXml(
  mailboxGuid: string,
  serial: number,
  a: MockAttachment,
  index: number,
  withContent: boolean,
): string {
  const id = attachmentId(mailboxGuid, serial, index);
  return (
    `<t:FileAttachment><t:AttachmentId Id="${esc(id)}"/>${el("t:Name", a.name)}${el("t:ContentType", a.contentType)}` +
    `${a.contentId === undefined ? "" : el("t:ContentId", a.contentId)}${el("t:Size", a.content.length)}` +
    `${el("t:LastModifiedTime", isoSeconds(a.lastModifiedTime))}${el("t:IsInline", a.isInline)}` +
    `${a.isContactPhoto === undefined ? "" : el("t:IsContactPhoto", a.isContactPhoto)}` +
    `${withContent ? el("t:Content", Buffer.from(a.content).toString("base64")) : ""}</t:FileAttachment>`
  );
}

/** Attachment ids of item attachments use positions from here on (file attachments below). */
export const ITEM_ATTACHMENT_BASE = 0x8000;

/**
 * A t:ItemAttachment. `embedded` is the attached item's element (GetAttachment); item views
 * leave it out. `root` adds RootItemId/RootItemChangeKey (CreateAttachment answers with them).
 */
export function itemAttachmentXml(
  mailboxGuid: string,
  serial: number,
  a: MockItemAttachment,
  index: number,
  embedded: string | undefined,
  root?: { readonly id: string; readonly changeKey: string },
): string {
  const id = attachmentId(mailboxGuid, serial, ITEM_ATTACHMENT_BASE + index);
  const rootAttrs =
    root === undefined ? "" : ` RootItemId="${esc(root.id)}" RootItemChangeKey="${esc(root.changeKey)}"`;
  return (
    `<t:ItemAttachment><t:AttachmentId Id="${esc(id)}"${rootAttrs}/>${el("t:Name", a.name)}` +
    `${el("t:Size", itemSize(a.item))}${el("t:LastModifiedTime", isoSeconds(a.lastModifiedTime))}` +
    `${el("t:IsInline", a.isInline)}${embedded ?? ""}</t:ItemAttachment>`
  );
}

/** An estimate of the item's size in the store, stable for unchanged items. */
export function itemSize(data: MockItemData): number {
  let size = 512 + Buffer.byteLength(data.subject) + Buffer.byteLength(data.body.content);
  for (const a of data.attachments) size += a.content.length + 128;
  for (const a of data.itemAttachments ?? []) size += itemSize(a.item) + 128;
  for (const p of data.extendedProperties ?? []) size += 32 + p.values.reduce((n, v) => n + v.length, 0);
  return size;
}

const displayList = (list: readonly MockMailAddress[]) => list.map((a) => a.name).join("; ");

export function searchKeyProperty(store: Store, record: ItemRecord): string {
  return `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x300b" PropertyType="Binary"/>${el("t:Value", Buffer.from(store.searchKey(record)).toString("base64"))}</t:ExtendedProperty>`;
}

// The ItemType sequence, first part (up to HasAttachments) and second part (after ExtendedProperty).
const ITEM_HEAD: Prop[] = [
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
  { uri: "item:isdraft", def: false, render: () => el("t:IsDraft", false) },
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

const ITEM_TAIL: Prop[] = [
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
    uri: "item:flag",
    def: false,
    render: (c) => `<t:Flag>${el("t:FlagStatus", c.data.flagStatus)}</t:Flag>`,
  },
];

const MESSAGE: Prop[] = [
  {
    uri: "message:sender",
    def: false,
    render: (c) => (c.data.from ? `<t:Sender>${mailbox(c.data.from)}</t:Sender>` : ""),
  },
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
  {
    uri: "message:isresponserequested",
    def: false,
    render: (c) => {
      const value = storedFlag(c.data, "message:isresponserequested");
      return value === undefined ? "" : el("t:IsResponseRequested", value);
    },
  },
];

const POST: Prop[] = [
  { uri: "message:conversationtopic", def: false, render: (c) => el("t:ConversationTopic", c.data.subject) },
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
  {
    uri: "postitem:postedtime",
    def: true,
    render: (c) => el("t:PostedTime", isoSeconds(c.data.dateTimeSent)),
  },
  {
    uri: "message:sender",
    def: false,
    render: (c) => (c.data.from ? `<t:Sender>${mailbox(c.data.from)}</t:Sender>` : ""),
  },
];

/** The EWS element an item class is served as (Exchange serves sticky notes as plain Item). */
export function itemElementName(itemClass: string): string {
  if (itemClass.startsWith("IPM.Appointment")) return "CalendarItem";
  if (itemClass.startsWith("IPM.Contact")) return "Contact";
  if (itemClass.startsWith("IPM.Task")) return "Task";
  if (itemClass.startsWith("IPM.Post")) return "PostItem";
  if (itemClass.startsWith("IPM.Note")) return "Message";
  return "Item";
}

function typeProps(element: string): Prop[] {
  switch (element) {
    case "Message":
      return MESSAGE;
    case "CalendarItem":
      return CALENDAR;
    case "Contact":
      return CONTACT;
    case "Task":
      return TASK;
    case "PostItem":
      return POST;
    default:
      return [];
  }
}

function wanted(p: Prop, shape: ItemShape): boolean {
  if (shape.additional.has(p.uri)) return true;
  if (p.byIndex?.(shape) === true) return true;
  if (shape.base === "AllProperties") return p.onlyByName !== true;
  if (shape.base === "Default") return p.def;
  return false;
}

export function itemIdXml(store: Store, record: ItemRecord): string {
  return `<t:ItemId Id="${esc(store.itemIdOf(record))}" ChangeKey="${esc(changeKey("item", record.folder.mailbox.guid, record.lastSeq))}"/>`;
}

/** The requested extended properties the item has, in request order (unset ones left out, as Exchange). */
function extendedXml(c: RenderContext, requests: readonly ExtendedUri[]): string {
  let out = "";
  for (const uri of requests) {
    const values = readExtended(c.data, uri, {
      size: () => itemSize(c.data),
      lastModifiedTime: c.record.lastModifiedTime,
      searchKey: () => c.store.searchKey(c.record),
    });
    if (values !== undefined) out += extendedPropertyXml(uri, values);
  }
  return out;
}

/** One item as its typed element (`<t:Message>...</t:Message>`), shaped as asked. */
export function renderItem(c: RenderContext, shape: ItemShape): string {
  const element = itemElementName(c.data.itemClass);
  const ctx: PropContext = { ...c, shape };
  let out = `<t:${element}>`;
  if (c.mime !== undefined && (shape.includeMime || shape.additional.has("item:mimecontent"))) {
    out += `<t:MimeContent CharacterSet="UTF-8">${Buffer.from(c.mime(), "utf8").toString("base64")}</t:MimeContent>`;
  }
  if (c.occurrence !== undefined) {
    out += `<t:ItemId Id="${esc(c.occurrence.id)}" ChangeKey="${esc(changeKey("item", c.record.folder.mailbox.guid, c.record.lastSeq))}"/>`;
  } else if (c.embedded !== true) {
    out += itemIdXml(c.store, c.record);
  }
  for (const p of ITEM_HEAD) if (wanted(p, shape)) out += p.render(ctx);
  out += extendedXml(c, shape.extended);
  for (const p of ITEM_TAIL) if (wanted(p, shape)) out += p.render(ctx);
  for (const p of typeProps(element)) if (wanted(p, shape)) out += p.render(ctx);
  return `${out}</t:${element}>`;
}

export interface FolderShape {
  readonly base: "IdOnly" | "Default" | "AllProperties";
  readonly additional: ReadonlySet<string>;
  /** ExtendedFieldURI requests; only the folder properties the store keeps are answered. */
  readonly extended?: readonly ExtendedFieldRequest[];
  /** Render the folder's PermissionSet (GetFolder asked for it; FindFolder never returns it). */
  readonly permissionSet?: boolean;
}

/** PidTagLocalCommitTimeMax and PidTagDeletedCountTotal: how a client sees that a folder's contents changed. */
const LOCAL_COMMIT_TIME_MAX = 0x670a;
const DELETED_COUNT_TOTAL = 0x670b;

function propertyTagNumber(tag: string): number {
  const trimmed = tag.trim().toLowerCase();
  return trimmed.startsWith("0x") ? Number.parseInt(trimmed.slice(2), 16) : Number.parseInt(trimmed, 10);
}

/** Requested folder extended properties the folder has, as ExtendedProperty elements; unset ones are left out, as Exchange does. */
function folderExtendedProperties(folder: FolderRecord, requests: readonly ExtendedFieldRequest[]): string {
  let out = "";
  for (const request of requests) {
    const tag = propertyTagNumber(request.propertyTag);
    let value: string;
    if (tag === LOCAL_COMMIT_TIME_MAX && request.propertyType === "SystemTime") {
      value = new Date(folder.commitTimeMax).toISOString();
    } else if (tag === DELETED_COUNT_TOTAL && request.propertyType === "Integer") {
      value = String(folder.deletedCountTotal);
    } else {
      // Properties a client set with UpdateFolder.
      const set = folderExtendedValue(folder, tag, request.propertyType);
      if (set === undefined) continue;
      value = set;
    }
    out += `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="${esc(request.propertyTag)}" PropertyType="${esc(request.propertyType)}"/>${el("t:Value", value)}</t:ExtendedProperty>`;
  }
  return out;
}

export function folderElementName(folderClass: string | undefined): string {
  if (folderClass === undefined) return "Folder";
  if (folderClass.startsWith("IPF.Appointment")) return "CalendarFolder";
  if (folderClass.startsWith("IPF.Contact")) return "ContactsFolder";
  if (folderClass.startsWith("IPF.Task")) return "TasksFolder";
  return "Folder";
}

export function folderIdXml(store: Store, folder: FolderRecord): string {
  return `<t:FolderId Id="${esc(store.folderIdOf(folder))}" ChangeKey="${esc(changeKey("folder", folder.mailbox.guid, folder.lastSeq))}"/>`;
}

/** One folder as its typed element, in BaseFolderType then subtype order. */
export function renderFolder(store: Store, folder: FolderRecord, shape: FolderShape): string {
  const element = folderElementName(folder.folderClass);
  const want = (uri: string, def: boolean) =>
    shape.additional.has(uri) || shape.base === "AllProperties" || (shape.base === "Default" && def);
  let out = `<t:${element}>${folderIdXml(store, folder)}`;
  if (want("folder:parentfolderid", false) && folder.parent !== undefined) {
    out += `<t:ParentFolderId Id="${esc(store.folderIdOf(folder.parent))}" ChangeKey="${esc(changeKey("folder", folder.parent.mailbox.guid, folder.parent.lastSeq))}"/>`;
  }
  if (want("folder:folderclass", false) && folder.folderClass !== undefined)
    out += el("t:FolderClass", folder.folderClass);
  if (want("folder:displayname", true)) out += el("t:DisplayName", folder.displayName);
  if (want("folder:totalcount", true)) out += el("t:TotalCount", store.itemCount(folder));
  if (want("folder:childfoldercount", true))
    out += el("t:ChildFolderCount", folder.children.filter((c) => !c.deleted).length);
  if (shape.extended !== undefined) out += folderExtendedProperties(folder, shape.extended);
  if (want("folder:effectiverights", false)) {
    out +=
      "<t:EffectiveRights><t:CreateAssociated>true</t:CreateAssociated><t:CreateContents>true</t:CreateContents><t:CreateHierarchy>true</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify><t:Read>true</t:Read></t:EffectiveRights>";
  }
  if (want("folder:distinguishedfolderid", false) && folder.distinguishedName !== undefined) {
    out += el("t:DistinguishedFolderId", folder.distinguishedName);
  }
  // PermissionSet comes after the base folder properties in every folder subtype.
  if (shape.permissionSet === true) out += permissionSetXml(folder);
  if (element === "Folder" || element === "TasksFolder") {
    if (want("folder:unreadcount", true)) out += el("t:UnreadCount", store.unreadCount(folder));
  }
  return `${out}</t:${element}>`;
}
