// GetAttachment, CreateAttachment and DeleteAttachment: file attachments with their content and
// item attachments (an embedded message, calendar item, contact...) with the embedded item's
// properties, for clients that handle attachments one by one instead of whole items.
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import { renderItem } from "../server/render.js";
import { fileAttachmentXml, ITEM_ATTACHMENT_BASE, itemAttachmentXml } from "../server/render-attachments.js";
import { changeKey, decodeAttachmentId, itemId } from "../store/ids.js";
import type { ItemRecord } from "../store/records.js";
import { attr, child, children } from "../xml.js";
import {
  type Operation,
  type OperationContext,
  parseItemShape,
  perEntry,
  resolveItem,
  successMessage,
} from "./common.js";
import { itemAttachmentsFromXml, itemFromXml } from "./parse-item.js";

function invalidId(): EwsResponseError {
  return new EwsResponseError("ErrorInvalidAttachmentId", "The attachment id is invalid.");
}

/** The item an attachment id points into, and which attachment (file or item) it is. */
function locate(
  ctx: OperationContext,
  id: string,
): { record: ItemRecord; data: MockItemData; kind: "file" | "item"; index: number } {
  const decoded = decodeAttachmentId(id);
  if (decoded === undefined) throw invalidId();
  const record = resolveItem(ctx, { "@_Id": itemId(decoded.mailboxGuid, decoded.serial) });
  const data = ctx.store.itemData(record);
  if (decoded.index >= ITEM_ATTACHMENT_BASE) {
    const index = decoded.index - ITEM_ATTACHMENT_BASE;
    if (data.itemAttachments?.[index] === undefined) throw invalidId();
    return { record, data, kind: "item", index };
  }
  if (data.attachments[decoded.index] === undefined) throw invalidId();
  return { record, data, kind: "file", index: decoded.index };
}

function rootOf(ctx: OperationContext, record: ItemRecord): { id: string; changeKey: string } {
  return {
    id: ctx.store.itemIdOf(record),
    changeKey: changeKey("item", record.folder.mailbox.guid, record.lastSeq),
  };
}

export const getAttachment: Operation = {
  messageName: "GetAttachmentResponseMessage",
  entries: { container: "AttachmentIds", names: ["AttachmentId"] },
  errorTail: "<m:Attachments/>",
  run(request, ctx) {
    // The embedded item is served with every property plus what AttachmentShape adds.
    const shapeNode = child(request, "AttachmentShape");
    const asked = parseItemShape(shapeNode);
    const shape = { ...asked, base: "AllProperties" as const };
    return perEntry(this, children(child(request, "AttachmentIds"), "AttachmentId"), (node) => {
      const { record, data, kind, index } = locate(ctx, attr(node, "Id") ?? "");
      const guid = record.folder.mailbox.guid;
      if (kind === "file") {
        const xml = fileAttachmentXml(guid, record.serial, data.attachments[index]!, index, true);
        return successMessage(this.messageName, `<m:Attachments>${xml}</m:Attachments>`);
      }
      const attachment = data.itemAttachments![index]!;
      const embedded = renderItem(
        {
          store: ctx.store,
          record,
          data: attachment.item,
          mode: "get",
          embedded: true,
          mime:
            shape.includeMime || shape.additional.has("item:mimecontent")
              ? () => ctx.codecs.toMime(attachment.item)
              : undefined,
        },
        shape,
      );
      const xml = itemAttachmentXml(guid, record.serial, attachment, index, embedded);
      return successMessage(this.messageName, `<m:Attachments>${xml}</m:Attachments>`);
    });
  },
};

export const createAttachment: Operation = {
  messageName: "CreateAttachmentResponseMessage",
  entries: { container: "Attachments", names: ["FileAttachment", "ItemAttachment"] },
  errorTail: "<m:Attachments/>",
  run(request, ctx) {
    const parentNode = child(request, "ParentItemId");
    if (parentNode === undefined)
      throw new EwsResponseError("ErrorInvalidIdEmpty", "ParentItemId is missing.");
    const record = resolveItem(ctx, parentNode);
    const container = child(request, "Attachments");
    const owner = { name: ctx.mailbox.displayName, email: ctx.mailbox.smtpAddress };
    // File attachments are parsed by the item parser, the same way CreateItem reads them.
    const files = itemFromXml("Message", {
      Attachments: { FileAttachment: children(container, "FileAttachment") },
    }).attachments;
    const items = itemAttachmentsFromXml(container, owner);
    const before = ctx.store.itemData(record);
    ctx.store.updateItem(record, {
      ...before,
      attachments: [...before.attachments, ...files],
      itemAttachments: [...(before.itemAttachments ?? []), ...items],
    });
    const root = rootOf(ctx, record);
    const guid = record.folder.mailbox.guid;
    let out = "";
    files.forEach((a, i) => {
      const xml = fileAttachmentXml(guid, record.serial, a, before.attachments.length + i, false);
      const id = /<t:AttachmentId Id="([^"]*)"\/>/.exec(xml)![1]!;
      out += successMessage(
        this.messageName,
        `<m:Attachments><t:FileAttachment><t:AttachmentId Id="${id}" RootItemId="${root.id}" RootItemChangeKey="${root.changeKey}"/></t:FileAttachment></m:Attachments>`,
      );
    });
    items.forEach((a, i) => {
      const xml = itemAttachmentXml(
        guid,
        record.serial,
        a,
        (before.itemAttachments?.length ?? 0) + i,
        undefined,
        root,
      );
      const id = /<t:AttachmentId [^>]*\/>/.exec(xml)![0];
      out += successMessage(
        this.messageName,
        `<m:Attachments><t:ItemAttachment>${id}</t:ItemAttachment></m:Attachments>`,
      );
    });
    return out;
  },
};

export const deleteAttachment: Operation = {
  messageName: "DeleteAttachmentResponseMessage",
  entries: { container: "AttachmentIds", names: ["AttachmentId"] },
  run(request, ctx) {
    return perEntry(this, children(child(request, "AttachmentIds"), "AttachmentId"), (node) => {
      const { record, data, kind, index } = locate(ctx, attr(node, "Id") ?? "");
      const next: MockItemData =
        kind === "file"
          ? { ...data, attachments: data.attachments.filter((_, i) => i !== index) }
          : { ...data, itemAttachments: (data.itemAttachments ?? []).filter((_, i) => i !== index) };
      ctx.store.updateItem(record, next);
      const root = rootOf(ctx, record);
      return successMessage(
        this.messageName,
        `<m:RootItemId RootItemId="${root.id}" RootItemChangeKey="${root.changeKey}"/>`,
      );
    });
  },
};
