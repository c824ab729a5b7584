// Attachments inside item XML: t:FileAttachment and t:ItemAttachment (with or without their
// content, as GetAttachment and item views want them), and the size estimate items report.
import type { MockAttachment, MockItemAttachment, MockItemData } from "../model.js";
import { attachmentId } from "../store/ids.js";
import { el, esc } from "../xml.js";
import { isoSeconds } from "./render-base.js";

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
