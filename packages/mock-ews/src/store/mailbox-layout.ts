// The store's folder trees: the ones a new store starts with (the distinguished folders of every
// Exchange 2016 mailbox and of its archive, the public folder root, and the generator's folders
// placed below them) and the walks over them. Generated items are only reserved here (serials
// and change numbers); the Store materialises their records on first use.
import type { MockFolderClass } from "../model.js";
import type { FolderRecord, MailboxState } from "./records.js";

interface SkeletonFolder {
  readonly name: string;
  readonly displayName: string;
  readonly folderClass?: MockFolderClass | string;
  readonly parent?: string;
}

// The distinguished folders every Exchange 2016 mailbox has, parents first.
const MAILBOX_SKELETON: readonly SkeletonFolder[] = [
  { name: "root", displayName: "Root" },
  { name: "msgfolderroot", displayName: "Top of Information Store", parent: "root" },
  { name: "inbox", displayName: "Inbox", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "sentitems", displayName: "Sent Items", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "deleteditems", displayName: "Deleted Items", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "drafts", displayName: "Drafts", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "outbox", displayName: "Outbox", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "junkemail", displayName: "Junk Email", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "calendar", displayName: "Calendar", folderClass: "IPF.Appointment", parent: "msgfolderroot" },
  { name: "contacts", displayName: "Contacts", folderClass: "IPF.Contact", parent: "msgfolderroot" },
  { name: "tasks", displayName: "Tasks", folderClass: "IPF.Task", parent: "msgfolderroot" },
  { name: "notes", displayName: "Notes", folderClass: "IPF.StickyNote", parent: "msgfolderroot" },
  { name: "journal", displayName: "Journal", folderClass: "IPF.Journal", parent: "msgfolderroot" },
  {
    name: "conversationhistory",
    displayName: "Conversation History",
    folderClass: "IPF.Note",
    parent: "msgfolderroot",
  },
  { name: "archive", displayName: "Archive", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "syncissues", displayName: "Sync Issues", folderClass: "IPF.Note", parent: "msgfolderroot" },
  { name: "conflicts", displayName: "Conflicts", folderClass: "IPF.Note", parent: "syncissues" },
  { name: "localfailures", displayName: "Local Failures", folderClass: "IPF.Note", parent: "syncissues" },
  { name: "serverfailures", displayName: "Server Failures", folderClass: "IPF.Note", parent: "syncissues" },
  { name: "recoverableitemsroot", displayName: "Recoverable Items", parent: "root" },
  { name: "recoverableitemsdeletions", displayName: "Deletions", parent: "recoverableitemsroot" },
  { name: "recoverableitemspurges", displayName: "Purges", parent: "recoverableitemsroot" },
  { name: "recoverableitemsversions", displayName: "Versions", parent: "recoverableitemsroot" },
  { name: "searchfolders", displayName: "Finder", parent: "root" },
];

const ARCHIVE_SKELETON: readonly SkeletonFolder[] = [
  { name: "archiveroot", displayName: "Root" },
  { name: "archivemsgfolderroot", displayName: "Top of Information Store", parent: "archiveroot" },
  {
    name: "archivedeleteditems",
    displayName: "Deleted Items",
    folderClass: "IPF.Note",
    parent: "archivemsgfolderroot",
  },
  { name: "archiverecoverableitemsroot", displayName: "Recoverable Items", parent: "archiveroot" },
  {
    name: "archiverecoverableitemsdeletions",
    displayName: "Deletions",
    parent: "archiverecoverableitemsroot",
  },
  { name: "archiverecoverableitemspurges", displayName: "Purges", parent: "archiverecoverableitemsroot" },
  {
    name: "archiverecoverableitemsversions",
    displayName: "Versions",
    parent: "archiverecoverableitemsroot",
  },
];

/** Commit time of folders and generated items that no API call changed yet. */
export const GENERATED_COMMIT_TIME = Date.parse("2024-01-01T00:00:00Z");

/** Adds the distinguished folders of a mailbox (and of its archive when it has one). */
export function addSkeletonFolders(mailbox: MailboxState, withArchive: boolean): void {
  for (const skeleton of MAILBOX_SKELETON) addSkeleton(mailbox, skeleton);
  if (withArchive) for (const skeleton of ARCHIVE_SKELETON) addSkeleton(mailbox, skeleton);
}

/** Adds one distinguished folder below its (already present) distinguished parent. */
export function addSkeleton(mailbox: MailboxState, skeleton: SkeletonFolder): void {
  const parent = skeleton.parent === undefined ? undefined : mailbox.distinguished.get(skeleton.parent);
  const folder = newFolder(mailbox, parent, skeleton.displayName, skeleton.folderClass, skeleton.name);
  mailbox.distinguished.set(skeleton.name, folder);
}

/** A new, empty folder record below `parent`; takes the mailbox's next serial and change number. */
export function newFolder(
  mailbox: MailboxState,
  parent: FolderRecord | undefined,
  displayName: string,
  folderClass: string | undefined,
  distinguishedName: string | undefined,
): FolderRecord {
  const seq = ++mailbox.seq;
  const folder: FolderRecord = {
    serial: mailbox.nextSerial++,
    mailbox,
    parent,
    displayName,
    folderClass,
    distinguishedName,
    createdSeq: seq,
    lastSeq: seq,
    children: [],
    pending: undefined,
    items: new Map(),
    tombstones: [],
    deleted: false,
    unread: undefined,
    commitTimeMax: GENERATED_COMMIT_TIME,
    deletedCountTotal: 0,
  };
  mailbox.folders.set(folder.serial, folder);
  parent?.children.push(folder);
  return folder;
}

/**
 * The folder for a generated folder's display-name `path` below `base`, creating the missing
 * folders on the way (intermediate ones inherit their parent's class). A generated folder that
 * names a distinguished folder the skeleton has is that folder.
 */
export function placeGenerated(
  mailbox: MailboxState,
  base: FolderRecord,
  path: readonly string[],
  folderClass: string,
  distinguishedName: string | undefined,
): FolderRecord {
  if (distinguishedName !== undefined) {
    const known = mailbox.distinguished.get(distinguishedName.toLowerCase());
    if (known !== undefined) return known;
  }
  let current = base;
  path.forEach((name, depth) => {
    const existing = current.children.find((c) => c.displayName === name);
    if (existing !== undefined) {
      current = existing;
      return;
    }
    const isLeaf = depth === path.length - 1;
    current = newFolder(
      mailbox,
      current,
      name,
      isLeaf ? folderClass : current.folderClass,
      isLeaf ? distinguishedName : undefined,
    );
    if (isLeaf && distinguishedName !== undefined)
      mailbox.distinguished.set(distinguishedName.toLowerCase(), current);
  });
  return current;
}

/** Reserves serials and change numbers for a generated folder's `count` items, not yet materialised. */
export function reserveItems(
  mailbox: MailboxState,
  folder: FolderRecord,
  folderIndex: number,
  count: number,
): void {
  if (count <= 0) return;
  folder.pending = { folderIndex, count, seqBase: mailbox.seq, serialBase: mailbox.nextSerial };
  mailbox.seq += count;
  mailbox.nextSerial += count;
}

/** Live folders below `folder` (depth-first, parents before children). */
export function liveDescendants(folder: FolderRecord): FolderRecord[] {
  const out: FolderRecord[] = [];
  const visit = (f: FolderRecord): void => {
    for (const c of f.children) {
      if (c.deleted) continue;
      out.push(c);
      visit(c);
    }
  };
  visit(folder);
  return out;
}

/** The display-name path from the mailbox's msgfolderroot (or public root). */
export function displayPath(folder: FolderRecord): string[] {
  const path: string[] = [];
  for (let f: FolderRecord | undefined = folder; f?.parent !== undefined; f = f.parent) {
    if (f.distinguishedName === "msgfolderroot" || f.distinguishedName === "publicfoldersroot") break;
    path.unshift(f.displayName);
  }
  return path;
}
