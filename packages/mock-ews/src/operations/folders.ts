// Folder operations: GetFolder, FindFolder, CreateFolder, DeleteFolder, SyncFolderHierarchy.
import { EwsResponseError } from "../errors.js";
import { folderIdXml, renderFolder } from "../server/render-folder.js";
import type { FolderRecord } from "../store/records.js";
import { decodeSyncState, encodeSyncState } from "../store/sync-state.js";
import { attr, child, children, el, esc, text, type XmlNode } from "../xml.js";
import {
  folderIdsIn,
  indexedPage,
  type Operation,
  parseFolderShape,
  perEntry,
  resolveFolderNode,
  singleFolder,
  successMessage,
} from "./common.js";
import { folderPathResolver } from "./folder-fields.js";
import { compileRestriction } from "./restrictions.js";

export const getFolder: Operation = {
  messageName: "GetFolderResponseMessage",
  entries: { container: "FolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const parsed = parseFolderShape(child(request, "FolderShape"));
    // Exchange returns the permission set with AllProperties or when named (GetFolder only).
    const shape = {
      ...parsed,
      permissionSet: parsed.base === "AllProperties" || parsed.additional.has("folder:permissionset"),
    };
    return perEntry(this, folderIdsIn(child(request, "FolderIds")), ({ kind, node }) => {
      const folder = resolveFolderNode(ctx, kind, node);
      return successMessage(
        this.messageName,
        `<m:Folders>${renderFolder(ctx.store, folder, shape)}</m:Folders>`,
      );
    });
  },
};

export const findFolder: Operation = {
  messageName: "FindFolderResponseMessage",
  entries: { container: "ParentFolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const shape = parseFolderShape(child(request, "FolderShape"));
    const deep = attr(request, "Traversal") === "Deep";
    const view = child(request, "IndexedPageFolderView");
    const restriction = child(request, "Restriction");
    const matches =
      restriction === undefined ? () => true : compileRestriction(restriction, folderPathResolver(ctx.store));
    return perEntry(this, folderIdsIn(child(request, "ParentFolderIds")), ({ kind, node }) => {
      const parent = resolveFolderNode(ctx, kind, node);
      const all = (deep ? ctx.store.descendants(parent) : parent.children.filter((c) => !c.deleted)).filter(
        matches,
      );
      const { page, attrs } = indexedPage(view, all);
      const folders = page.map((f) => renderFolder(ctx.store, f, shape)).join("");
      return successMessage(
        this.messageName,
        `<m:RootFolder ${attrs}><t:Folders>${folders}</t:Folders></m:RootFolder>`,
      );
    });
  },
};

export const createFolder: Operation = {
  messageName: "CreateFolderResponseMessage",
  entries: {
    container: "Folders",
    names: ["Folder", "CalendarFolder", "ContactsFolder", "TasksFolder", "SearchFolder"],
  },
  run(request, ctx) {
    const parent = singleFolder(ctx, child(request, "ParentFolderId"));
    const folders = child(request, "Folders");
    const specs: { element: string; node: XmlNode }[] = [];
    for (const element of ["Folder", "CalendarFolder", "ContactsFolder", "TasksFolder", "SearchFolder"]) {
      for (const node of children(folders, element)) specs.push({ element, node });
    }
    return perEntry(this, specs, ({ element, node }) => {
      const name = text(node, "DisplayName");
      if (name === undefined || name === "")
        throw new EwsResponseError("ErrorInvalidRequest", "DisplayName is required.");
      // A generic Folder created without FolderClass has none in Exchange (clients such as
      // exchangelib then see a plain folder); the typed elements imply theirs.
      const defaults: Record<string, string | undefined> = {
        CalendarFolder: "IPF.Appointment",
        ContactsFolder: "IPF.Contact",
        TasksFolder: "IPF.Task",
        Folder: undefined,
      };
      const folder = ctx.store.createFolder(parent, name, text(node, "FolderClass") ?? defaults[element]);
      return successMessage(
        this.messageName,
        `<m:Folders><t:${element === "SearchFolder" ? "Folder" : element}>${folderIdXml(ctx.store, folder)}</t:${element === "SearchFolder" ? "Folder" : element}></m:Folders>`,
      );
    });
  },
};

export const deleteFolder: Operation = {
  messageName: "DeleteFolderResponseMessage",
  entries: { container: "FolderIds", names: ["FolderId", "DistinguishedFolderId"] },
  run(request, ctx) {
    const type = attr(request, "DeleteType") ?? "HardDelete";
    return perEntry(this, folderIdsIn(child(request, "FolderIds")), ({ kind, node }) => {
      const folder = resolveFolderNode(ctx, kind, node);
      if (type === "MoveToDeletedItems") {
        ctx.store.moveFolder(folder, ctx.store.distinguishedFolder(folder.mailbox, "deleteditems"));
      } else {
        ctx.store.deleteFolder(folder);
      }
      return successMessage(this.messageName);
    });
  },
};

export const syncFolderHierarchy: Operation = {
  messageName: "SyncFolderHierarchyResponseMessage",
  run(request, ctx) {
    const shape = parseFolderShape(child(request, "FolderShape"));
    const syncFolderIds = child(request, "SyncFolderId");
    const root =
      syncFolderIds === undefined
        ? ctx.store.distinguishedFolder(ctx.mailbox, "msgfolderroot")
        : singleFolder(ctx, syncFolderIds);
    const mailbox = root.mailbox;
    const stateText = text(request, "SyncState");
    const base =
      stateText === undefined || stateText.trim() === ""
        ? 0
        : decodeSyncState(ctx.syncKey, stateText, {
            kind: "hierarchy",
            mailboxGuid: mailbox.guid,
            folderSerial: root.serial,
            currentSeq: mailbox.seq,
          }).cursor;
    let changes = "";
    for (const folder of ctx.store.descendants(root)) {
      if (folder.createdSeq > base)
        changes += `<t:Create>${renderFolder(ctx.store, folder, shape)}</t:Create>`;
      else if (folder.lastSeq > base)
        changes += `<t:Update>${renderFolder(ctx.store, folder, shape)}</t:Update>`;
    }
    for (const tomb of mailbox.folderTombstones) {
      if (tomb.deletedSeq > base && tomb.createdSeq <= base) {
        changes += `<t:Delete><t:FolderId Id="${esc(ctx.store.folderIdOf({ mailbox, serial: tomb.serial } as FolderRecord))}"/></t:Delete>`;
      }
    }
    const state = encodeSyncState(ctx.syncKey, {
      kind: "hierarchy",
      mailboxGuid: mailbox.guid,
      folderSerial: root.serial,
      base: mailbox.seq,
      cursor: mailbox.seq,
      associated: false,
    });
    return successMessage(
      this.messageName,
      `${el("m:SyncState", state)}<m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange><m:Changes>${changes}</m:Changes>`,
    );
  },
};
