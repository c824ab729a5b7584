// MimeContent written by a client: CreateItem of a message from MIME, and UpdateItem's
// SetItemField item:MimeContent, which Exchange allows on a draft only (exchangelib's full save
// of a draft sends it, with every other writable field after it). The MIME replaces what it
// carries (subject, body, addresses, attachments, importance, sensitivity, message id); the
// item keeps what MIME does not hold (class, read flag, flag, categories, extended properties,
// creation time).
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import { child, text, type XmlNode } from "../xml.js";
import type { OperationContext } from "./common.js";
import { isDraft } from "./draft-state.js";
import { ITEM_ELEMENTS } from "./parse-item.js";

export function mimeToData(ctx: OperationContext, base64: string): MockItemData {
  try {
    return ctx.codecs.fromMime(new Uint8Array(Buffer.from(base64, "base64")));
  } catch (error) {
    if ((error as { code?: string }).code === "INVALID_MIME") {
      throw new EwsResponseError(
        "ErrorMimeContentConversionFailed",
        "The MIME content could not be converted.",
      );
    }
    throw error;
  }
}

/** SetItemField item:MimeContent: the draft's content from the MIME it carries. */
export function replaceFromMime(ctx: OperationContext, data: MockItemData, update: XmlNode): MockItemData {
  if (!data.itemClass.startsWith("IPM.Note") || !isDraft(data)) {
    throw new EwsResponseError(
      "ErrorInvalidPropertySet",
      "The property item:MimeContent cannot be set on this item.",
    );
  }
  const source = ITEM_ELEMENTS.map((e) => child(update, e)).find((n) => n !== undefined);
  const mime = source === undefined ? undefined : text(source, "MimeContent");
  if (mime === undefined) {
    throw new EwsResponseError(
      "ErrorIncorrectUpdatePropertyCount",
      "An object within a change description must contain one and only one property to modify.",
    );
  }
  const parsed = mimeToData(ctx, mime);
  const { from: _from, internetMessageId: _id, itemAttachments: _items, ...kept } = data;
  return {
    ...kept,
    subject: parsed.subject,
    body: parsed.body,
    toRecipients: parsed.toRecipients,
    ccRecipients: parsed.ccRecipients,
    bccRecipients: parsed.bccRecipients,
    importance: parsed.importance,
    sensitivity: parsed.sensitivity,
    attachments: parsed.attachments,
    ...(parsed.from === undefined ? {} : { from: parsed.from }),
    ...(parsed.internetMessageId === undefined ? {} : { internetMessageId: parsed.internetMessageId }),
    ...(parsed.itemAttachments === undefined ? {} : { itemAttachments: parsed.itemAttachments }),
  };
}
