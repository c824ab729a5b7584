// GetAttachment: file attachments with their content, for clients that read attachments one by
// one instead of exporting whole items.
import { EwsResponseError } from "../errors.js";
import { fileAttachmentXml } from "../server/render.js";
import { decodeAttachmentId, itemId } from "../store/ids.js";
import { attr, child, children } from "../xml.js";
import { type Operation, perEntry, resolveItem, successMessage } from "./common.js";

export const getAttachment: Operation = {
  messageName: "GetAttachmentResponseMessage",
  entries: { container: "AttachmentIds", names: ["AttachmentId"] },
  errorTail: "<m:Attachments/>",
  run(request, ctx) {
    return perEntry(this, children(child(request, "AttachmentIds"), "AttachmentId"), (node) => {
      const decoded = decodeAttachmentId(attr(node, "Id") ?? "");
      if (decoded === undefined)
        throw new EwsResponseError("ErrorInvalidAttachmentId", "The attachment id is invalid.");
      const record = resolveItem(ctx, { "@_Id": itemId(decoded.mailboxGuid, decoded.serial) });
      const attachment = ctx.store.itemData(record).attachments[decoded.index];
      if (attachment === undefined)
        throw new EwsResponseError("ErrorInvalidAttachmentId", "The attachment id is invalid.");
      const xml = fileAttachmentXml(
        record.folder.mailbox.guid,
        record.serial,
        attachment,
        decoded.index,
        true,
      );
      return successMessage(this.messageName, `<m:Attachments>${xml}</m:Attachments>`);
    });
  },
};
