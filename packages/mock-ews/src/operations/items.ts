// Item operations: GetItem, CreateItem, UpdateItem, DeleteItem, MoveItem, CopyItem and
// SyncFolderItems (FindItem is in find-item.ts). Ids may name an occurrence of a recurring series.

import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import { itemIdXml } from "../server/render.js";
import { changeKey } from "../store/ids.js";
import type { FolderRecord, ItemRecord } from "../store/records.js";
import { decodeSyncState, encodeSyncState } from "../store/sync-state.js";
import {
  attr,
  boolAttr,
  boolText,
  child,
  children,
  el,
  esc,
  inDocumentOrder,
  text,
  type XmlNode,
  xsBoolean,
} from "../xml.js";
import {
  itemRefsIn,
  occurrenceData,
  resolveTarget,
  withException,
  withoutOccurrence,
} from "./calendar-view.js";
import {
  itemIdsIn,
  type Operation,
  type OperationContext,
  parseItemShape,
  perEntry,
  singleFolder,
  successMessage,
} from "./common.js";
import { storedUnsent, withUnsent } from "./draft-state.js";
import { applyUpdate } from "./item-updates.js";
import { createdXml, idOnly, render, targetIdOnly } from "./item-view.js";
import {
  MEETING_RESPONSE_ELEMENTS,
  meetingResponse,
  UNSERVED_CREATE_ELEMENTS,
  unservedEntry,
} from "./meeting-responses.js";
import { mimeToData, replaceFromMime } from "./mime-content.js";
import { ITEM_ELEMENTS, itemFromXml } from "./parse-item.js";
import { RESPONSE_OBJECT_ELEMENTS, responseObjectData } from "./response-objects.js";
import { sendSaved, submit } from "./send.js";
import { settleTask } from "./task-state.js";

export { findItem } from "./find-item.js";

export const getItem: Operation = {
  messageName: "GetItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    const shape = parseItemShape(child(request, "ItemShape"));
    return perEntry(this, itemRefsIn(child(request, "ItemIds")), ({ kind, node }) => {
      const target = resolveTarget(ctx, kind, node);
      const fault = ctx.itemFault();
      if (fault === "ErrorItemNotFound")
        throw new EwsResponseError(fault, "The specified object was not found in the store.");
      if (fault === "ErrorCorruptData") throw new EwsResponseError(fault, "The item is corrupt.");
      return successMessage(this.messageName, `<m:Items>${render(ctx, target, shape, "get")}</m:Items>`);
    });
  },
};

const DEFAULT_FOLDER: Record<string, string> = {
  Message: "drafts",
  CalendarItem: "calendar",
  Contact: "contacts",
  Task: "tasks",
  PostItem: "inbox",
  Item: "drafts",
};

/** Item elements and response objects (replies, forwards) a CreateItem may carry. */
const CREATE_ELEMENTS = [
  ...ITEM_ELEMENTS,
  ...RESPONSE_OBJECT_ELEMENTS,
  ...MEETING_RESPONSE_ELEMENTS,
  ...UNSERVED_CREATE_ELEMENTS,
];

export const createItem: Operation = {
  messageName: "CreateItemResponseMessage",
  entries: { container: "Items", names: CREATE_ELEMENTS },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    const disposition = attr(request, "MessageDisposition") ?? "SaveOnly";
    const saved = child(request, "SavedItemFolderId");
    const folder = saved === undefined ? undefined : singleFolder(ctx, saved);
    const items = child(request, "Items");
    const entries = inDocumentOrder(
      CREATE_ELEMENTS.flatMap((element) => children(items, element).map((node) => ({ element, node }))),
    );
    return perEntry(this, entries, ({ element, node }) => {
      if (UNSERVED_CREATE_ELEMENTS.includes(element)) unservedEntry(element);
      if (MEETING_RESPONSE_ELEMENTS.includes(element)) {
        meetingResponse(ctx, element, node);
        return successMessage(this.messageName, "<m:Items/>");
      }
      let data = RESPONSE_OBJECT_ELEMENTS.includes(element)
        ? responseObjectData(ctx, element, node)
        : settleTask(itemData(ctx, element, node));
      const send = disposition === "SendOnly" || disposition === "SendAndSaveCopy";
      if (send) data = submit(ctx, data);
      // A message saved unsent is a draft, unless the request set PidTagMessageFlags itself.
      else if (data.itemClass.startsWith("IPM.Note") && storedUnsent(data) === undefined)
        data = withUnsent(data, true);
      const target =
        disposition === "SendAndSaveCopy" && folder === undefined
          ? ctx.store.distinguishedFolder(ctx.mailbox, "sentitems")
          : (folder ?? ctx.store.distinguishedFolder(ctx.mailbox, DEFAULT_FOLDER[element] ?? "drafts"));
      if (disposition === "SendOnly") return successMessage(this.messageName, "<m:Items/>");
      const record = ctx.store.addItem(target, { data });
      // Exchange answers a send (SendOnly and SendAndSaveCopy alike) without the item's id.
      if (send) return successMessage(this.messageName, "<m:Items/>");
      return successMessage(this.messageName, `<m:Items>${createdXml(ctx, record)}</m:Items>`);
    });
  },
};

/** A typed item element (or its MimeContent) as the data CreateItem stores. */
function itemData(ctx: OperationContext, element: string, node: XmlNode): MockItemData {
  const mime = text(node, "MimeContent");
  if (mime === undefined)
    return itemFromXml(element, node, { name: ctx.mailbox.displayName, email: ctx.mailbox.smtpAddress });
  // Explicit properties next to MimeContent win over the MIME (Exchange applies them after).
  const data = mimeToData(ctx, mime);
  const isRead = text(node, "IsRead");
  return isRead === undefined ? data : { ...data, isRead: xsBoolean(isRead) === true };
}

export const updateItem: Operation = {
  messageName: "UpdateItemResponseMessage",
  entries: { container: "ItemChanges", names: ["ItemChange"] },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    const resolution = attr(request, "ConflictResolution") ?? "AutoResolve";
    // Messages only: SaveOnly (the default) or a send after the update.
    const disposition = attr(request, "MessageDisposition") ?? "SaveOnly";
    const saved = child(request, "SavedItemFolderId");
    const savedFolder = () =>
      saved === undefined
        ? ctx.store.distinguishedFolder(ctx.mailbox, "sentitems")
        : singleFolder(ctx, saved);
    const changes = children(child(request, "ItemChanges"), "ItemChange");
    return perEntry(this, changes, (change) => {
      const ref = itemRefsIn(change)[0];
      if (ref === undefined) throw new EwsResponseError("ErrorInvalidIdEmpty", "Id is empty.");
      const idNode = ref.node;
      const target = resolveTarget(ctx, ref.kind, idNode);
      const record = target.record;
      const given = attr(idNode, "ChangeKey");
      if (
        given !== undefined &&
        resolution === "NeverOverwrite" &&
        given !== changeKey("item", record.folder.mailbox.guid, record.lastSeq)
      ) {
        throw new EwsResponseError(
          "ErrorIrresolvableConflict",
          "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.",
        );
      }
      const master = ctx.store.itemData(record);
      const occurrence = target.occurrence;
      let data = occurrence === undefined ? master : occurrenceData(master, occurrence);
      const updates = child(change, "Updates");
      let readOnly = true;
      for (const kind of ["SetItemField", "AppendToItemField", "DeleteItemField"] as const) {
        for (const update of children(updates, kind)) {
          const field = attr(child(update, "FieldURI"), "FieldURI")?.toLowerCase();
          data =
            kind === "SetItemField" && field === "item:mimecontent"
              ? replaceFromMime(ctx, data, update)
              : applyUpdate(data, update, kind);
          const uri = attr(child(update, "FieldURI"), "FieldURI");
          if (uri?.toLowerCase() !== "message:isread") readOnly = false;
        }
      }
      data = settleTask(data, occurrence === undefined ? master : undefined);
      ctx.store.updateItem(
        record,
        occurrence === undefined ? data : withException(master, occurrence, data),
        readOnly,
      );
      const conflicts = "<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>";
      if (disposition === "SendOnly" || disposition === "SendAndSaveCopy") {
        // The updated message is submitted like a SendItem of it; Exchange answers without an id.
        sendSaved(ctx, record, disposition === "SendAndSaveCopy" ? savedFolder() : undefined);
        return successMessage(this.messageName, `<m:Items/>${conflicts}`);
      }
      return successMessage(this.messageName, `<m:Items>${targetIdOnly(ctx, target)}</m:Items>${conflicts}`);
    });
  },
};

export const deleteItem: Operation = {
  messageName: "DeleteItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  run(request, ctx) {
    const type = attr(request, "DeleteType") ?? "HardDelete";
    // Read receipts are never sent by this server; the flag is still validated as an xs:boolean.
    boolAttr(request, "SuppressReadReceipts");
    return perEntry(this, itemRefsIn(child(request, "ItemIds")), ({ kind, node }) => {
      const { record, occurrence } = resolveTarget(ctx, kind, node);
      if (occurrence !== undefined) {
        // Deleting an occurrence removes it from its series, whatever the DeleteType.
        ctx.store.updateItem(record, withoutOccurrence(ctx.store.itemData(record), occurrence));
        return successMessage(this.messageName);
      }
      const mailbox = record.folder.mailbox;
      if (type === "SoftDelete") {
        ctx.store.transferItem(
          record,
          ctx.store.distinguishedFolder(mailbox, "recoverableitemsdeletions"),
          false,
        );
      } else if (type === "MoveToDeletedItems") {
        // From Deleted Items itself, Exchange soft-deletes into Recoverable Items.
        const target =
          record.folder.distinguishedName === "deleteditems" ? "recoverableitemsdeletions" : "deleteditems";
        ctx.store.transferItem(record, ctx.store.distinguishedFolder(mailbox, target), false);
      } else {
        ctx.store.removeItem(record);
      }
      return successMessage(this.messageName);
    });
  },
};

function transfer(op: Operation, request: XmlNode, ctx: OperationContext, keep: boolean): string {
  const target: FolderRecord = singleFolder(ctx, child(request, "ToFolderId"));
  // Exchange 2010 SP1+: ReturnNewItemIds false answers without the new ids.
  const returnIds = boolText(request, "ReturnNewItemIds") ?? true;
  return perEntry(op, itemRefsIn(child(request, "ItemIds")), ({ kind, node }) => {
    const { record, occurrence } = resolveTarget(ctx, kind, node);
    if (occurrence !== undefined)
      throw new EwsResponseError(
        "ErrorCalendarCannotMoveOrCopyOccurrence",
        "Cannot move or copy an occurrence of a recurring calendar item.",
      );
    const moved = ctx.store.transferItem(record, target, keep);
    return successMessage(
      op.messageName,
      returnIds ? `<m:Items>${idOnly(ctx, moved)}</m:Items>` : "<m:Items/>",
    );
  });
}

export const moveItem: Operation = {
  messageName: "MoveItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    return transfer(this, request, ctx, false);
  },
};

export const copyItem: Operation = {
  messageName: "CopyItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    return transfer(this, request, ctx, true);
  },
};

export const syncFolderItems: Operation = {
  messageName: "SyncFolderItemsResponseMessage",
  run(request, ctx) {
    const shapeNode = child(request, "ItemShape");
    const shape = parseItemShape(shapeNode);
    // The view as the request spelled it: equal text, equal rendering (server/render-cache.ts).
    const view = JSON.stringify(shapeNode ?? null);
    const folder = singleFolder(ctx, child(request, "SyncFolderId"));
    const mailbox = folder.mailbox;
    const maxText = text(request, "MaxChangesReturned");
    const max = Number(maxText);
    if (maxText === undefined || !Number.isInteger(max) || max < 1 || max > 512) {
      throw new EwsResponseError("ErrorInvalidArgument", "MaxChangesReturned must be between 1 and 512.");
    }
    const associated = text(request, "SyncScope") === "NormalAndAssociatedItems";
    const ignore = new Set(itemIdsIn(child(request, "Ignore")).map((n) => attr(n, "Id") ?? ""));
    const stateText = text(request, "SyncState");
    const state =
      stateText === undefined || stateText.trim() === ""
        ? { base: 0, cursor: 0 }
        : decodeSyncState(ctx.syncKey, stateText, {
            kind: "items",
            mailboxGuid: mailbox.guid,
            folderSerial: folder.serial,
            currentSeq: mailbox.seq,
          });
    const { base, cursor } = state;
    // Ids are made only for the changes on this page (a folder's every change is looked at).
    interface Change {
      seq: number;
      id: () => string;
      xml: () => string;
    }
    const changes: Change[] = [];
    for (const record of ctx.store.folderItems(folder)) {
      if (record.isAssociated && !associated) continue;
      if (record.lastSeq <= cursor) continue;
      if (record.createdSeq > base) {
        changes.push({
          seq: record.lastSeq,
          id: () => ctx.store.itemIdOf(record),
          xml: () =>
            `<t:Create>${ctx.renderedItems.rendered(record, view, () => render(ctx, record, shape, "find"))}</t:Create>`,
        });
      } else if (record.lastContentSeq > base) {
        changes.push({
          seq: record.lastSeq,
          id: () => ctx.store.itemIdOf(record),
          xml: () =>
            `<t:Update>${ctx.renderedItems.rendered(record, view, () => render(ctx, record, shape, "find"))}</t:Update>`,
        });
      } else if (record.lastReadSeq > base) {
        changes.push({
          seq: record.lastSeq,
          id: () => ctx.store.itemIdOf(record),
          xml: () =>
            `<t:ReadFlagChange>${itemIdXml(ctx.store, record)}${el("t:IsRead", ctx.store.itemData(record).isRead)}</t:ReadFlagChange>`,
        });
      }
    }
    for (const tomb of folder.tombstones) {
      if (tomb.isAssociated && !associated) continue;
      if (tomb.deletedSeq > cursor && tomb.createdSeq <= base) {
        const id = ctx.store.itemIdOf({ folder, serial: tomb.serial } as ItemRecord);
        changes.push({
          seq: tomb.deletedSeq,
          id: () => id,
          xml: () => `<t:Delete><t:ItemId Id="${esc(id)}"/></t:Delete>`,
        });
      }
    }
    changes.sort((a, b) => a.seq - b.seq);
    const page = changes.slice(0, max);
    const last = page.length === changes.length;
    const newCursor = last ? mailbox.seq : page[page.length - 1]!.seq;
    const xml = page
      .filter((c) => ignore.size === 0 || !ignore.has(c.id()))
      .map((c) => c.xml())
      .join("");
    const next = encodeSyncState(ctx.syncKey, {
      kind: "items",
      mailboxGuid: mailbox.guid,
      folderSerial: folder.serial,
      base: last ? newCursor : base,
      cursor: newCursor,
      associated,
    });
    return successMessage(
      this.messageName,
      `${el("m:SyncState", next)}${el("m:IncludesLastItemInRange", last)}<m:Changes>${xml}</m:Changes>`,
    );
  },
};
