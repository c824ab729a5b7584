// Folder operations that change folders: UpdateFolder (display name, folder class, permission
// set, extended properties by tag), MoveFolder, CopyFolder, EmptyFolder and MarkAllItemsAsRead.
import { EwsResponseError } from "../errors.js";
import { folderElementName, folderIdXml } from "../server/render-folder.js";
import { propertyTagNumber, setFolderExtendedValue } from "../store/folder-extended.js";
import {
  copyFolderTree,
  type DisposalType,
  emptyFolder,
  markAllItemsRead,
  moveFolderTo,
} from "../store/folder-ops.js";
import { resetFolderPermissions, setFolderPermissions } from "../store/folder-permissions.js";
import type { FolderRecord } from "../store/records.js";
import { attr, boolAttr, boolText, child, childNames, children, text, type XmlNode } from "../xml.js";
import {
  folderIdsIn,
  type Operation,
  type OperationContext,
  perEntry,
  resolveFolderNode,
  singleFolder,
  successMessage,
} from "./common.js";
import { parsePermissionSet } from "./permission-xml.js";

const FOLDER_ELEMENTS = ["Folder", "CalendarFolder", "ContactsFolder", "TasksFolder", "SearchFolder"];

/** `<m:Folders><t:Folder><t:FolderId/></t:Folder></m:Folders>`, the typed element of the folder. */
function folderInfo(ctx: OperationContext, folder: FolderRecord): string {
  const element = folderElementName(folder.folderClass);
  return `<m:Folders><t:${element}>${folderIdXml(ctx.store, folder)}</t:${element}></m:Folders>`;
}

/** The folder element carried by a SetFolderField (whichever folder type the client used). */
function carriedFolder(update: XmlNode): XmlNode | undefined {
  for (const name of FOLDER_ELEMENTS) {
    const node = child(update, name);
    if (node !== undefined) return node;
  }
  return undefined;
}

function fieldOf(update: XmlNode): string {
  const uri = attr(child(update, "FieldURI"), "FieldURI");
  if (uri !== undefined) return uri.toLowerCase();
  if (child(update, "IndexedFieldURI") !== undefined)
    throw new EwsResponseError("ErrorInvalidPropertySet", "This folder property cannot be set.");
  throw new EwsResponseError("ErrorInvalidPropertySet", "The update names no property.");
}

/**
 * An ExtendedFieldURI update by PropertyTag (named properties are not kept for folders). MUST
 * throw ErrorInvalidPropertySet for a named or malformed property, ErrorIncorrectUpdatePropertyCount
 * when a set carries no single matching value. Returns false when the update names no extended field.
 */
function extendedField(folder: FolderRecord, update: XmlNode, remove: boolean): boolean {
  const uri = child(update, "ExtendedFieldURI");
  if (uri === undefined) return false;
  const tagText = attr(uri, "PropertyTag");
  const type = attr(uri, "PropertyType");
  const tag = tagText === undefined ? Number.NaN : propertyTagNumber(tagText);
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff || type === undefined)
    throw new EwsResponseError(
      "ErrorInvalidPropertySet",
      "Only extended properties named by PropertyTag can be set on a folder.",
    );
  if (remove) {
    setFolderExtendedValue(folder, tag, type, undefined);
    return true;
  }
  const property = child(carriedFolder(update), "ExtendedProperty");
  const value = text(property, "Value");
  if (property === undefined || value === undefined)
    throw new EwsResponseError(
      "ErrorIncorrectUpdatePropertyCount",
      "The update carries no extended property value.",
    );
  setFolderExtendedValue(folder, tag, type, value);
  return true;
}

function setField(ctx: OperationContext, folder: FolderRecord, update: XmlNode): void {
  if (extendedField(folder, update, false)) return;
  const field = fieldOf(update);
  const carried = carriedFolder(update);
  if (carried === undefined)
    throw new EwsResponseError("ErrorIncorrectUpdatePropertyCount", "The update carries no folder.");
  switch (field) {
    case "folder:displayname": {
      const name = text(carried, "DisplayName")?.trim();
      if (name === undefined || name === "")
        throw new EwsResponseError("ErrorInvalidPropertySet", "DisplayName must not be empty.");
      const taken = folder.parent?.children.some(
        (c) => c !== folder && !c.deleted && c.displayName.toLowerCase() === name.toLowerCase(),
      );
      if (taken === true)
        throw new EwsResponseError("ErrorFolderExists", "A folder with the specified name already exists.");
      ctx.store.renameFolder(folder, name);
      return;
    }
    case "folder:folderclass": {
      const folderClass = text(carried, "FolderClass")?.trim();
      if (folderClass === undefined || folderClass === "")
        throw new EwsResponseError("ErrorInvalidPropertySet", "FolderClass must not be empty.");
      // Exchange lets a folder class be refined (IPF.Note -> IPF.Note.Custom), not changed.
      const current = folder.folderClass;
      if (current !== undefined && folderClass !== current && !folderClass.startsWith(`${current}.`))
        throw new EwsResponseError("ErrorNoFolderClassOverride", "The folder class cannot be changed.");
      folder.folderClass = folderClass;
      folder.lastSeq = ++folder.mailbox.seq;
      return;
    }
    case "folder:permissionset": {
      const set = child(carried, "PermissionSet");
      if (set === undefined)
        throw new EwsResponseError(
          "ErrorIncorrectUpdatePropertyCount",
          "The update carries no PermissionSet.",
        );
      setFolderPermissions(folder, parsePermissionSet(ctx.store, folder, set));
      return;
    }
    default:
      throw new EwsResponseError(
        "ErrorInvalidPropertySet",
        `The property ${field} cannot be set on a folder.`,
      );
  }
}

function deleteField(folder: FolderRecord, update: XmlNode): void {
  if (extendedField(folder, update, true)) return;
  const field = fieldOf(update);
  if (field === "folder:permissionset") {
    resetFolderPermissions(folder);
    return;
  }
  throw new EwsResponseError("ErrorInvalidPropertyDelete", `The property ${field} cannot be deleted.`);
}

export const updateFolder: Operation = {
  messageName: "UpdateFolderResponseMessage",
  entries: { container: "FolderChanges", names: ["FolderChange"] },
  run(request, ctx) {
    return perEntry(this, children(child(request, "FolderChanges"), "FolderChange"), (change) => {
      const folder = singleFolder(ctx, change);
      const updates = child(change, "Updates");
      const names = childNames(updates);
      if (names.length === 0)
        throw new EwsResponseError("ErrorIncorrectUpdatePropertyCount", "The folder change has no updates.");
      for (const name of names) {
        for (const update of children(updates, name)) {
          if (name === "SetFolderField") setField(ctx, folder, update);
          else if (name === "AppendToFolderField")
            // No folder property is a list a client may append to.
            throw new EwsResponseError(
              "ErrorInvalidPropertyAppend",
              "This folder property cannot be appended to.",
            );
          else if (name === "DeleteFolderField") deleteField(folder, update);
          else throw new EwsResponseError("ErrorInvalidPropertySet", `Unknown update ${name}.`);
        }
      }
      return successMessage(this.messageName, folderInfo(ctx, folder));
    });
  },
};

export const moveFolder: Operation = {
  messageName: "MoveFolderResponseMessage",
  entries: { container: "FolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const target = singleFolder(ctx, child(request, "ToFolderId"));
    return perEntry(this, folderIdsIn(child(request, "FolderIds")), ({ kind, node }) => {
      const folder = resolveFolderNode(ctx, kind, node);
      moveFolderTo(ctx.store, folder, target);
      return successMessage(this.messageName, folderInfo(ctx, folder));
    });
  },
};

export const copyFolder: Operation = {
  messageName: "CopyFolderResponseMessage",
  entries: { container: "FolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const target = singleFolder(ctx, child(request, "ToFolderId"));
    return perEntry(this, folderIdsIn(child(request, "FolderIds")), ({ kind, node }) => {
      const folder = resolveFolderNode(ctx, kind, node);
      return successMessage(this.messageName, folderInfo(ctx, copyFolderTree(ctx.store, folder, target)));
    });
  },
};

const DISPOSALS: ReadonlySet<string> = new Set(["HardDelete", "SoftDelete", "MoveToDeletedItems"]);

export const emptyFolderOperation: Operation = {
  messageName: "EmptyFolderResponseMessage",
  entries: { container: "FolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const type = attr(request, "DeleteType");
    if (type === undefined || !DISPOSALS.has(type))
      throw new EwsResponseError(
        "ErrorInvalidRequest",
        "DeleteType must be HardDelete, SoftDelete or MoveToDeletedItems.",
      );
    const deleteSubFolders = boolAttr(request, "DeleteSubFolders");
    if (deleteSubFolders === undefined)
      throw new EwsResponseError("ErrorInvalidRequest", "DeleteSubFolders is required.");
    return perEntry(this, folderIdsIn(child(request, "FolderIds")), ({ kind, node }) => {
      emptyFolder(ctx.store, resolveFolderNode(ctx, kind, node), type as DisposalType, deleteSubFolders);
      return successMessage(this.messageName);
    });
  },
};

export const markAllItemsAsRead: Operation = {
  messageName: "MarkAllItemsAsReadResponseMessage",
  entries: { container: "FolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const readFlag = boolText(request, "ReadFlag");
    if (readFlag === undefined) throw new EwsResponseError("ErrorInvalidRequest", "ReadFlag is required.");
    // SuppressReadReceipts is accepted and has nothing to suppress: the mock sends no receipts.
    boolText(request, "SuppressReadReceipts");
    return perEntry(this, folderIdsIn(child(request, "FolderIds")), ({ kind, node }) => {
      markAllItemsRead(ctx.store, resolveFolderNode(ctx, kind, node), readFlag);
      return successMessage(this.messageName);
    });
  },
};
