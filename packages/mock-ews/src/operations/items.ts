// Item operations: FindItem, GetItem, CreateItem, UpdateItem, DeleteItem, MoveItem, CopyItem
// and SyncFolderItems.
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import { itemElementName, itemIdXml, type ItemShape, renderItem } from "../server/render.js";
import { changeKey } from "../store/ids.js";
import type { FolderRecord, ItemRecord } from "../store/index.js";
import { decodeSyncState, encodeSyncState } from "../store/sync-state.js";
import { attr, child, childNames, children, el, esc, text, xsBoolean, type XmlNode } from "../xml.js";
import {
  indexedPage,
  itemIdsIn,
  type Operation,
  type OperationContext,
  parseItemShape,
  perEntry,
  resolveFolderNode,
  resolveItem,
  folderIdsIn,
  singleFolder,
  successMessage,
} from "./common.js";
import { applyFieldUpdate, ITEM_ELEMENTS, itemFromXml } from "./parse-item.js";

export function render(
  ctx: OperationContext,
  record: ItemRecord,
  shape: ItemShape,
  mode: "get" | "find",
): string {
  if (
    shape.base === "IdOnly" &&
    shape.additional.size === 0 &&
    shape.extended.length === 0 &&
    !shape.includeMime
  ) {
    return idOnly(ctx, record);
  }
  const data = ctx.store.itemData(record);
  return renderItem(
    {
      store: ctx.store,
      record,
      data,
      mode,
      mime:
        shape.includeMime || shape.additional.has("item:mimecontent")
          ? () => ctx.codecs.toMime(data)
          : undefined,
    },
    shape,
  );
}

function idOnly(ctx: OperationContext, record: ItemRecord): string {
  const element = itemElementName(ctx.store.itemClassOf(record));
  return `<t:${element}>${itemIdXml(ctx.store, record)}</t:${element}>`;
}

type FieldGetter = (d: MockItemData) => string | number | boolean;

const FIELDS: Record<string, FieldGetter> = {
  "item:subject": (d) => d.subject,
  "item:datetimereceived": (d) => Date.parse(d.dateTimeReceived),
  "item:datetimesent": (d) => Date.parse(d.dateTimeSent),
  "item:datetimecreated": (d) => Date.parse(d.dateTimeCreated),
  "item:itemclass": (d) => d.itemClass,
  "item:importance": (d) => d.importance,
  "message:isread": (d) => d.isRead,
  "item:hasattachments": (d) => d.attachments.length > 0,
  "calendar:start": (d) => (d.calendar ? Date.parse(d.calendar.start) : 0),
  "calendar:end": (d) => (d.calendar ? Date.parse(d.calendar.end) : 0),
};

function fieldOf(node: XmlNode | undefined): FieldGetter {
  const uri = attr(child(node, "FieldURI"), "FieldURI")?.toLowerCase() ?? "";
  const getter = FIELDS[uri];
  if (getter === undefined)
    throw new EwsResponseError(
      "ErrorUnsupportedPathForQuery",
      `The property ${uri} is not supported in restrictions.`,
    );
  return getter;
}

function constantOf(node: XmlNode, sample: string | number | boolean): string | number | boolean {
  const raw =
    attr(child(child(node, "FieldURIOrConstant"), "Constant"), "Value") ??
    attr(child(node, "Constant"), "Value") ??
    "";
  if (typeof sample === "number") return Date.parse(raw) || Number(raw);
  if (typeof sample === "boolean") return xsBoolean(raw) === true;
  return raw;
}

/** Compiles a restriction into a predicate (IsEqualTo, IsNotEqualTo, IsGreaterThan(OrEqualTo), IsLessThan(OrEqualTo), Contains, And, Or, Not). */
function compile(node: XmlNode): (d: MockItemData) => boolean {
  const preds: ((d: MockItemData) => boolean)[] = [];
  for (const name of childNames(node)) {
    for (const part of children(node, name)) {
      switch (name) {
        case "And":
          preds.push(compile(part));
          break;
        case "Or": {
          const alts = childNames(part).flatMap((n) => children(part, n).map((c) => compile({ [n]: c })));
          preds.push((d) => alts.some((p) => p(d)));
          break;
        }
        case "Not": {
          const inner = compile(part);
          preds.push((d) => !inner(d));
          break;
        }
        case "Contains": {
          const get = fieldOf(part);
          const needle = (attr(child(part, "Constant"), "Value") ?? "").toLowerCase();
          const exact = attr(part, "ContainmentComparison") === "Exact";
          const mode = attr(part, "ContainmentMode") ?? "Substring";
          preds.push((d) => {
            const hay = exact ? String(get(d)) : String(get(d)).toLowerCase();
            const n = exact ? (attr(child(part, "Constant"), "Value") ?? "") : needle;
            if (mode === "FullString") return hay === n;
            if (mode === "Prefixed") return hay.startsWith(n);
            return hay.includes(n);
          });
          break;
        }
        case "IsEqualTo":
        case "IsNotEqualTo":
        case "IsGreaterThan":
        case "IsGreaterThanOrEqualTo":
        case "IsLessThan":
        case "IsLessThanOrEqualTo": {
          const get = fieldOf(part);
          preds.push((d) => {
            const v = get(d);
            const c = constantOf(part, v);
            switch (name) {
              case "IsEqualTo":
                return v === c;
              case "IsNotEqualTo":
                return v !== c;
              case "IsGreaterThan":
                return v > c;
              case "IsGreaterThanOrEqualTo":
                return v >= c;
              case "IsLessThan":
                return v < c;
              default:
                return v <= c;
            }
          });
          break;
        }
        default:
          throw new EwsResponseError("ErrorUnsupportedPathForQuery", `Restriction ${name} is not supported.`);
      }
    }
  }
  return (d) => preds.every((p) => p(d));
}

export const findItem: Operation = {
  messageName: "FindItemResponseMessage",
  entries: { container: "ParentFolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const shape = parseItemShape(child(request, "ItemShape"));
    const associated = attr(request, "Traversal") === "Associated";
    const restriction = child(request, "Restriction");
    const predicate = restriction === undefined ? undefined : compile(restriction);
    const sort = children(child(request, "SortOrder"), "FieldOrder");
    return perEntry(this, folderIdsIn(child(request, "ParentFolderIds")), ({ kind, node }) => {
      const folder = resolveFolderNode(ctx, kind, node);
      let all = ctx.store.folderItems(folder).filter((r) => r.isAssociated === associated);
      if (predicate !== undefined) all = all.filter((r) => predicate(ctx.store.itemData(r)));
      if (sort.length > 0) {
        const keys = sort.map((f) => ({ get: fieldOf(f), desc: attr(f, "Order") === "Descending" }));
        const decorated = all.map((r) => ({ r, v: keys.map((k) => k.get(ctx.store.itemData(r))) }));
        decorated.sort((a, b) => {
          for (let i = 0; i < keys.length; i++) {
            const x = a.v[i]!;
            const y = b.v[i]!;
            if (x !== y) return (x < y ? -1 : 1) * (keys[i]!.desc ? -1 : 1);
          }
          return a.r.serial - b.r.serial;
        });
        all = decorated.map((e) => e.r);
      }
      const { page, attrs } = indexedPage(child(request, "IndexedPageItemView"), all);
      const items = page.map((r) => render(ctx, r, shape, "find")).join("");
      return successMessage(
        this.messageName,
        `<m:RootFolder ${attrs}><t:Items>${items}</t:Items></m:RootFolder>`,
      );
    });
  },
};

export const getItem: Operation = {
  messageName: "GetItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    const shape = parseItemShape(child(request, "ItemShape"));
    return perEntry(this, itemIdsIn(child(request, "ItemIds")), (node) => {
      const record = resolveItem(ctx, node);
      const fault = ctx.itemFault();
      if (fault === "ErrorItemNotFound")
        throw new EwsResponseError(fault, "The specified object was not found in the store.");
      if (fault === "ErrorCorruptData") throw new EwsResponseError(fault, "The item is corrupt.");
      return successMessage(this.messageName, `<m:Items>${render(ctx, record, shape, "get")}</m:Items>`);
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

function mimeToData(ctx: OperationContext, base64: string): MockItemData {
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

/** Sending: recipients that are mailboxes of this server get an unread copy in their Inbox. */
function deliver(ctx: OperationContext, data: MockItemData): void {
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

export const createItem: Operation = {
  messageName: "CreateItemResponseMessage",
  entries: { container: "Items", names: ITEM_ELEMENTS },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    const disposition = attr(request, "MessageDisposition") ?? "SaveOnly";
    const saved = child(request, "SavedItemFolderId");
    const folder = saved === undefined ? undefined : singleFolder(ctx, saved);
    const entries: { element: string; node: XmlNode }[] = [];
    const items = child(request, "Items");
    for (const element of ITEM_ELEMENTS)
      for (const node of children(items, element)) entries.push({ element, node });
    return perEntry(this, entries, ({ element, node }) => {
      const mime = text(node, "MimeContent");
      let data =
        mime === undefined
          ? itemFromXml(element, node, { name: ctx.mailbox.displayName, email: ctx.mailbox.smtpAddress })
          : mimeToData(ctx, mime);
      if (mime !== undefined) {
        // Explicit properties next to MimeContent win over the MIME (Exchange applies them after).
        const isRead = text(node, "IsRead");
        if (isRead !== undefined) data = { ...data, isRead: xsBoolean(isRead) === true };
      }
      if (disposition === "SendOnly" || disposition === "SendAndSaveCopy") deliver(ctx, data);
      if (disposition === "SendOnly") return successMessage(this.messageName, "<m:Items/>");
      const target =
        disposition === "SendAndSaveCopy" && folder === undefined
          ? ctx.store.distinguishedFolder(ctx.mailbox, "sentitems")
          : (folder ?? ctx.store.distinguishedFolder(ctx.mailbox, DEFAULT_FOLDER[element] ?? "drafts"));
      const record = ctx.store.addItem(target, { data });
      return successMessage(this.messageName, `<m:Items>${idOnly(ctx, record)}</m:Items>`);
    });
  },
};

export const updateItem: Operation = {
  messageName: "UpdateItemResponseMessage",
  entries: { container: "ItemChanges", names: ["ItemChange"] },
  errorTail: "<m:Items/>",
  run(request, ctx) {
    const resolution = attr(request, "ConflictResolution") ?? "AutoResolve";
    const changes = children(child(request, "ItemChanges"), "ItemChange");
    return perEntry(this, changes, (change) => {
      const idNode = child(change, "ItemId");
      if (idNode === undefined) throw new EwsResponseError("ErrorInvalidIdEmpty", "Id is empty.");
      const record = resolveItem(ctx, idNode);
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
      let data = ctx.store.itemData(record);
      const updates = child(change, "Updates");
      let readOnly = true;
      for (const kind of ["SetItemField", "AppendToItemField", "DeleteItemField"]) {
        for (const update of children(updates, kind)) {
          const uri =
            attr(child(update, "FieldURI"), "FieldURI") ?? attr(child(update, "IndexedFieldURI"), "FieldURI");
          if (uri === undefined)
            throw new EwsResponseError(
              "ErrorInvalidPropertySet",
              "Extended and indexed properties cannot be set by this server.",
            );
          const source =
            kind === "DeleteItemField"
              ? undefined
              : ITEM_ELEMENTS.map((e) => child(update, e)).find((n) => n !== undefined);
          if (kind !== "DeleteItemField" && source === undefined)
            throw new EwsResponseError(
              "ErrorIncorrectUpdatePropertyCount",
              "An object within a change description must contain one and only one property to modify.",
            );
          data = applyFieldUpdate(data, uri, source);
          if (uri.toLowerCase() !== "message:isread") readOnly = false;
        }
      }
      ctx.store.updateItem(record, data, readOnly);
      return successMessage(
        this.messageName,
        `<m:Items>${idOnly(ctx, record)}</m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>`,
      );
    });
  },
};

export const deleteItem: Operation = {
  messageName: "DeleteItemResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"] },
  run(request, ctx) {
    const type = attr(request, "DeleteType") ?? "HardDelete";
    return perEntry(this, itemIdsIn(child(request, "ItemIds")), (node) => {
      const record = resolveItem(ctx, node);
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
  return perEntry(op, itemIdsIn(child(request, "ItemIds")), (node) => {
    const record = resolveItem(ctx, node);
    const moved = ctx.store.transferItem(record, target, keep);
    return successMessage(op.messageName, `<m:Items>${idOnly(ctx, moved)}</m:Items>`);
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
    const shape = parseItemShape(child(request, "ItemShape"));
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
    interface Change {
      seq: number;
      id: string;
      xml: () => string;
    }
    const changes: Change[] = [];
    for (const record of ctx.store.folderItems(folder)) {
      if (record.isAssociated && !associated) continue;
      if (record.lastSeq <= cursor) continue;
      if (record.createdSeq > base) {
        changes.push({
          seq: record.lastSeq,
          id: ctx.store.itemIdOf(record),
          xml: () => `<t:Create>${render(ctx, record, shape, "find")}</t:Create>`,
        });
      } else if (record.lastContentSeq > base) {
        changes.push({
          seq: record.lastSeq,
          id: ctx.store.itemIdOf(record),
          xml: () => `<t:Update>${render(ctx, record, shape, "find")}</t:Update>`,
        });
      } else if (record.lastReadSeq > base) {
        changes.push({
          seq: record.lastSeq,
          id: ctx.store.itemIdOf(record),
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
          id,
          xml: () => `<t:Delete><t:ItemId Id="${esc(id)}"/></t:Delete>`,
        });
      }
    }
    changes.sort((a, b) => a.seq - b.seq);
    const page = changes.slice(0, max);
    const last = page.length === changes.length;
    const newCursor = last ? mailbox.seq : page[page.length - 1]!.seq;
    const xml = page
      .filter((c) => !ignore.has(c.id))
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
