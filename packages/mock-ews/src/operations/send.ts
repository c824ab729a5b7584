// Sending mail, as Exchange submits a message: CreateItem with SendOnly / SendAndSaveCopy, SendItem
// of a saved draft, and the reply/forward response objects (response-objects.ts). What Exchange
// stamps on a submitted message: the sending mailbox as From (and Sender) when the client named
// none, the submit time as DateTimeSent, an Internet message id; the Sent Items copy is read,
// each internal recipient's copy unread.

import { randomBytes } from "node:crypto";
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import type { FolderRecord, ItemRecord } from "../store/records.js";
import { boolAttr, child } from "../xml.js";
import { itemRefsIn, resolveTarget } from "./calendar-view.js";
import { type Operation, type OperationContext, perEntry, singleFolder, successMessage } from "./common.js";
import { withUnsent } from "./draft-state.js";

/** `data` as the transport leaves it: sender, send time and message id stamped. */
export function asSubmitted(ctx: OperationContext, data: MockItemData): MockItemData {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const domain = ctx.mailbox.smtpAddress.split("@")[1] ?? "localhost";
  return {
    ...withUnsent(data, undefined),
    from: data.from ?? { name: ctx.mailbox.displayName, email: ctx.mailbox.smtpAddress },
    dateTimeSent: now,
    dateTimeReceived: now,
    internetMessageId: data.internetMessageId ?? `<${randomBytes(16).toString("hex")}@${domain}>`,
    isRead: true,
  };
}

/** Recipients that are mailboxes of this server get an unread copy (without Bcc) in their Inbox. */
export function deliver(ctx: OperationContext, data: MockItemData): void {
  const seen = new Set<string>();
  for (const recipient of [...data.toRecipients, ...data.ccRecipients, ...data.bccRecipients]) {
    const mailbox = ctx.store.mailboxBySmtp(recipient.email);
    if (mailbox === undefined || seen.has(mailbox.guid)) continue;
    seen.add(mailbox.guid);
    ctx.store.addItem(ctx.store.distinguishedFolder(mailbox, "inbox"), {
      data: { ...data, bccRecipients: [], isRead: false },
    });
  }
}

/** A message without any recipient cannot be submitted (Exchange: ErrorInvalidRecipients). */
export function requireRecipients(data: MockItemData): void {
  if (data.toRecipients.length + data.ccRecipients.length + data.bccRecipients.length === 0) {
    throw new EwsResponseError("ErrorInvalidRecipients", "At least one recipient isn't valid.");
  }
}

/** Submits `data` (delivered to internal recipients) and returns the sender's copy. */
export function submit(ctx: OperationContext, data: MockItemData): MockItemData {
  requireRecipients(data);
  const sent = asSubmitted(ctx, data);
  deliver(ctx, sent);
  return sent;
}

function notAMessage(): EwsResponseError {
  return new EwsResponseError(
    "ErrorInvalidItemForOperationSendItem",
    "The item is not a message and cannot be sent.",
  );
}

/**
 * Sends a stored message (SendItem, UpdateItem with a send disposition): it leaves its folder,
 * for `target` (the saved copy, read) or for good.
 */
export function sendSaved(ctx: OperationContext, record: ItemRecord, target: FolderRecord | undefined): void {
  const data = ctx.store.itemData(record);
  if (!data.itemClass.startsWith("IPM.Note")) throw notAMessage();
  const sent = submit(ctx, data);
  ctx.store.removeItem(record);
  if (target !== undefined) ctx.store.addItem(target, { data: sent });
}

export const sendItem: Operation = {
  messageName: "SendItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  run(request, ctx) {
    // SaveItemToFolder is required by the schema: missing or not an xs:boolean, a schema error.
    const save = boolAttr(request, "SaveItemToFolder");
    if (save === undefined) {
      throw new EwsResponseError(
        "ErrorSchemaValidation",
        "The request failed schema validation: The required attribute 'SaveItemToFolder' is missing.",
      );
    }
    const savedNode = child(request, "SavedItemFolderId");
    if (!save && savedNode !== undefined) {
      throw new EwsResponseError(
        "ErrorInvalidSendItemSaveSettings",
        "SavedItemFolderId is specified but SaveItemToFolder is false.",
      );
    }
    let target: FolderRecord | undefined;
    if (save) {
      target =
        savedNode === undefined
          ? ctx.store.distinguishedFolder(ctx.mailbox, "sentitems")
          : singleFolder(ctx, savedNode);
    }
    return perEntry(this, itemRefsIn(child(request, "ItemIds")), ({ kind, node }) => {
      const { record, occurrence } = resolveTarget(ctx, kind, node);
      if (occurrence !== undefined) throw notAMessage();
      sendSaved(ctx, record, target);
      return successMessage(this.messageName);
    });
  },
};
