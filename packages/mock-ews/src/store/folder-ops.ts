// Folder-level store changes beyond create/rename/move/delete (those live in the Store itself):
// copying a folder tree, emptying a folder and marking everything in it read. Each goes through
// the Store's item primitives, so sync states, change keys, tombstones and the folder change
// markers (PidTagLocalCommitTimeMax, PidTagDeletedCountTotal) stay right.
import { EwsResponseError } from "../errors.js";
import { copyFolderPermissions } from "./folder-permissions.js";
import type { Store } from "./mailbox-store.js";
import type { FolderRecord } from "./records.js";

export type DisposalType = "HardDelete" | "SoftDelete" | "MoveToDeletedItems";

/** True when `folder` is `ancestor` or lies below it. */
export function isWithin(folder: FolderRecord, ancestor: FolderRecord): boolean {
  for (let f: FolderRecord | undefined = folder; f !== undefined; f = f.parent)
    if (f === ancestor) return true;
  return false;
}

/**
 * Copies `folder` with its items and subfolders below `target`; returns the copy (new ids; a
 * copy is never a distinguished folder). MUST throw ErrorMoveCopyFailed for a copy into the
 * folder itself or below it, ErrorCrossMailboxMoveCopy across mailboxes, ErrorFolderExists when
 * the target has a folder of that name.
 */
export function copyFolderTree(store: Store, folder: FolderRecord, target: FolderRecord): FolderRecord {
  if (target.mailbox !== folder.mailbox)
    throw new EwsResponseError("ErrorCrossMailboxMoveCopy", "Cannot copy a folder to another mailbox.");
  if (isWithin(target, folder))
    throw new EwsResponseError("ErrorMoveCopyFailed", "Cannot copy a folder into itself or its subfolders.");
  const copy = (source: FolderRecord, parent: FolderRecord): FolderRecord => {
    const created = store.createFolder(parent, source.displayName, source.folderClass);
    copyFolderPermissions(source, created);
    for (const item of store.folderItems(source)) store.transferItem(item, created, true);
    for (const child of source.children.filter((c) => !c.deleted)) copy(child, created);
    return created;
  };
  return copy(folder, target);
}

/**
 * Moves `folder` below `target` (its id stays, as in Exchange). MUST throw
 * ErrorCrossMailboxMoveCopy across mailboxes and ErrorFolderExists for a name taken in the
 * target; the Store refuses distinguished folders and moves below the folder itself.
 */
export function moveFolderTo(store: Store, folder: FolderRecord, target: FolderRecord): void {
  if (target.mailbox !== folder.mailbox)
    throw new EwsResponseError("ErrorCrossMailboxMoveCopy", "Cannot move a folder to another mailbox.");
  if (folder.parent === undefined || folder.distinguishedName !== undefined)
    throw new EwsResponseError("ErrorMoveDistinguishedFolder", "Distinguished folders cannot be moved.");
  if (
    folder.parent !== target &&
    target.children.some(
      (c) => !c.deleted && c !== folder && c.displayName.toLowerCase() === folder.displayName.toLowerCase(),
    )
  ) {
    throw new EwsResponseError("ErrorFolderExists", "A folder with the specified name already exists.");
  }
  store.moveFolder(folder, target);
}

/** Folders Exchange will not empty: the roots of the mailbox and of the public folders. */
const NOT_EMPTIED = new Set([
  "root",
  "msgfolderroot",
  "publicfoldersroot",
  "archiveroot",
  "archivemsgfolderroot",
]);

/**
 * Empties a folder: its normal items are disposed of per `type` (SoftDelete into Recoverable
 * Items\Deletions, MoveToDeletedItems into Deleted Items — from Deleted Items itself a soft
 * delete, as DeleteItem does — HardDelete for good); with `deleteSubFolders` its
 * non-distinguished subfolders go too (moved to Deleted Items or deleted). Associated items
 * (FAI) stay, as in Exchange. MUST throw ErrorCannotEmptyFolder for the roots.
 */
export function emptyFolder(
  store: Store,
  folder: FolderRecord,
  type: DisposalType,
  deleteSubFolders: boolean,
): void {
  if (folder.distinguishedName !== undefined && NOT_EMPTIED.has(folder.distinguishedName))
    throw new EwsResponseError("ErrorCannotEmptyFolder", "This folder cannot be emptied.");
  const mailbox = folder.mailbox;
  const deletions = () => store.distinguishedFolder(mailbox, "recoverableitemsdeletions");
  for (const item of store.folderItems(folder)) {
    if (item.isAssociated) continue;
    if (type === "HardDelete") store.removeItem(item);
    else if (type === "SoftDelete" || folder.distinguishedName === "deleteditems")
      store.transferItem(item, deletions(), false);
    else store.transferItem(item, store.distinguishedFolder(mailbox, "deleteditems"), false);
  }
  if (!deleteSubFolders) return;
  for (const child of folder.children.filter((c) => !c.deleted && c.distinguishedName === undefined)) {
    if (type === "MoveToDeletedItems" && folder.distinguishedName !== "deleteditems")
      store.moveFolder(child, store.distinguishedFolder(mailbox, "deleteditems"));
    else store.deleteFolder(child);
  }
}

/** Sets the read flag of every normal item of a folder (a ReadFlagChange for sync each). */
export function markAllItemsRead(store: Store, folder: FolderRecord, isRead: boolean): number {
  let changed = 0;
  for (const item of store.folderItems(folder)) {
    if (item.isAssociated) continue;
    const data = store.itemData(item);
    if (data.isRead === isRead) continue;
    store.updateItem(item, { ...data, isRead }, true);
    changed++;
  }
  return changed;
}
