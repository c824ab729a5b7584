// Bulk transfer (MS-OXWSBTRF): ExportItems returns each item as the opaque property stream of
// the export-stream codec; UploadItems takes such streams back (CreateNew, Update,
// UpdateOrCreate). PR_SEARCH_KEY travels inside the stream so it survives the round trip.
import { EwsResponseError, SoapFaultError } from "../errors.js";
import { changeKey } from "../store/ids.js";
import type { ItemRecord } from "../store/records.js";
import { attr, boolAttr, child, children, esc, text } from "../xml.js";
import {
  errorMessage,
  itemIdsIn,
  type Operation,
  perEntry,
  resolveItem,
  SPLICE,
  singleFolder,
  spliceAround,
  successMessage,
} from "./common.js";

function mItemId(ctx: { store: { itemIdOf(r: ItemRecord): string } }, record: ItemRecord): string {
  return `<m:ItemId Id="${esc(ctx.store.itemIdOf(record))}" ChangeKey="${esc(changeKey("item", record.folder.mailbox.guid, record.lastSeq))}"/>`;
}

/** The base64 of an export stream as ASCII bytes (what the response carries). */
function base64(bytes: Uint8Array): Uint8Array {
  return Buffer.from(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    "latin1",
  );
}

export const exportItems: Operation = {
  messageName: "ExportItemsResponseMessage",
  entries: { container: "ItemIds", names: ["ItemId"] },
  run(request, ctx) {
    let total = 0;
    // Pieces, not one text: each item's base64 (kept between requests by ctx.encodedExports) is
    // written to the socket as it is.
    const parts: (string | Uint8Array)[] = [];
    for (const node of itemIdsIn(child(request, "ItemIds"))) {
      try {
        const record = resolveItem(ctx, node);
        const fault = ctx.itemFault();
        if (fault === "ErrorItemNotFound")
          throw new EwsResponseError(fault, "The specified object was not found in the store.");
        if (fault === "ErrorCorruptData") throw new EwsResponseError(fault, "The item is corrupt.");
        const data = ctx.encodedExports.base64(record, () =>
          base64(ctx.codecs.encodeExport(ctx.store.itemData(record), ctx.store.searchKey(record))),
        );
        // Base64 has nothing to escape, so it skips esc() (two regex passes over every byte).
        const [head, tail] = spliceAround(
          successMessage(this.messageName, `${mItemId(ctx, record)}<m:Data>${SPLICE}</m:Data>`),
        );
        const length = head.length + data.length + tail.length;
        // The limit bounds the successful part of the response; the short error messages for the
        // items past it come on top.
        if (total + length > ctx.maxResponseBytes) {
          throw new EwsResponseError(
            "ErrorMessageSizeExceeded",
            "The response exceeds the configured maximum response size.",
          );
        }
        total += length;
        parts.push(head, data, tail);
      } catch (error) {
        if (!(error instanceof EwsResponseError)) throw error;
        parts.push(errorMessage(this.messageName, error, this.errorTail));
      }
    }
    return parts;
  },
};

export const uploadItems: Operation = {
  messageName: "UploadItemsResponseMessage",
  entries: { container: "Items", names: ["Item"] },
  run(request, ctx) {
    return perEntry(this, children(child(request, "Items"), "Item"), (node) => {
      const action = attr(node, "CreateAction") ?? "CreateNew";
      if (action !== "CreateNew" && action !== "Update" && action !== "UpdateOrCreate") {
        throw new EwsResponseError("ErrorInvalidArgument", `CreateAction ${action} is not valid.`);
      }
      const folder = singleFolder(ctx, { FolderId: child(node, "ParentFolderId") ?? {} });
      const raw = text(node, "Data");
      if (raw === undefined || raw.trim() === "")
        throw new EwsResponseError("ErrorInvalidArgument", "Data is required.");
      let decoded: ReturnType<typeof ctx.codecs.decodeExport>;
      try {
        decoded = ctx.codecs.decodeExport(new Uint8Array(Buffer.from(raw, "base64")));
      } catch (error) {
        if ((error as { code?: string }).code === "CORRUPT_EXPORT_STREAM") {
          throw new EwsResponseError("ErrorCorruptData", "The uploaded item data is corrupt.");
        }
        throw error;
      }
      const isAssociated = boolAttr(node, "IsAssociated") === true;
      // CreateNew ignores ItemId; Update and UpdateOrCreate without one are a SOAP fault
      // (MS-OXWSBTRF R242, R234). Update of an item outside ParentFolderId is ErrorItemNotFound
      // (R231); UpdateOrCreate then uploads a new copy into the folder (R235).
      let existing: ItemRecord | undefined;
      const idNode = child(node, "ItemId");
      if (action !== "CreateNew") {
        if (idNode === undefined || (attr(idNode, "Id") ?? "") === "") {
          throw new SoapFaultError("ErrorInvalidRequest", `CreateAction ${action} requires an ItemId.`);
        }
        try {
          existing = resolveItem(ctx, idNode);
          if (existing.folder !== folder) {
            existing = undefined;
            throw new EwsResponseError("ErrorItemNotFound", "The item is not in the given parent folder.");
          }
        } catch (error) {
          if (action === "Update" || !(error instanceof EwsResponseError)) throw error;
        }
      }
      let record: ItemRecord;
      if (existing !== undefined) {
        ctx.store.updateItem(existing, decoded.data);
        if (decoded.searchKey !== undefined) existing.searchKey = decoded.searchKey;
        record = existing;
      } else {
        const content: Parameters<typeof ctx.store.addItem>[1] = { data: decoded.data, isAssociated };
        if (decoded.searchKey !== undefined) content.searchKey = decoded.searchKey;
        record = ctx.store.addItem(folder, content);
      }
      return successMessage(this.messageName, mItemId(ctx, record));
    });
  },
};
