// The mailbox store: folders, per-item state and per-folder change history for every mailbox
// the generator invents plus the public folder tree they share. Item content is NOT kept: an
// item remembers where the generator made it and is regenerated on demand, until something
// modifies it through the API (then the modified MockItemData is kept). Every change bumps the
// mailbox's sequence number; SyncFolderItems/SyncFolderHierarchy compute changes from those
// sequence numbers and the tombstones of removed objects.
import { EwsResponseError } from "../errors.js";
import type { MailboxGenerator, MockFolderClass, MockItemData } from "../model.js";
import { seedSharedFolders } from "../generator/settings-generator.js";
import { decodeId, deriveSearchKey, deterministicGuid, folderId, itemId } from "./ids.js";

export interface ItemOrigin {
  /** Generator mailbox index, or -1 for the public folders. */
  readonly mailbox: number;
  readonly folderIndex: number;
  readonly itemIndex: number;
}

export interface ItemRecord {
  serial: number;
  folder: FolderRecord;
  createdSeq: number;
  /** Last change of any kind (drives the change key). */
  lastSeq: number;
  /** Last change other than the read flag. */
  lastContentSeq: number;
  lastReadSeq: number;
  isAssociated: boolean;
  origin?: ItemOrigin;
  data?: MockItemData;
  /** Explicit PR_SEARCH_KEY when it cannot be derived from (mailbox, serial): moved, copied, uploaded. */
  searchKey?: Uint8Array;
  lastModifiedTime: string;
  /** Cached item class, so IdOnly views need not regenerate the item. */
  itemClass?: string;
}

export interface Tombstone {
  readonly serial: number;
  readonly createdSeq: number;
  readonly deletedSeq: number;
  readonly isAssociated: boolean;
}

export interface FolderRecord {
  serial: number;
  mailbox: MailboxState;
  parent: FolderRecord | undefined;
  displayName: string;
  folderClass: string | undefined;
  distinguishedName: string | undefined;
  createdSeq: number;
  lastSeq: number;
  children: FolderRecord[];
  /** Generated items not materialised yet. */
  pending: { folderIndex: number; count: number; seqBase: number; serialBase: number } | undefined;
  items: Map<number, ItemRecord>;
  tombstones: Tombstone[];
  deleted: boolean;
  /** Unread normal items, computed on first use and then maintained (undefined: not computed yet). */
  unread: number | undefined;
  /**
   * PidTagLocalCommitTimeMax (0x670A) in ms since the epoch: the last item change in this folder
   * (create, modify, move in or out, delete), strictly increasing so that a change is never
   * hidden behind an equal timestamp. A change of the read flag alone does not move it (Exchange
   * is not guaranteed to either); UnreadCount reflects those.
   */
  commitTimeMax: number;
  /** PidTagDeletedCountTotal (0x670B): items ever removed from this folder (deleted or moved out). */
  deletedCountTotal: number;
}

export interface MailboxState {
  readonly index: number;
  readonly smtpAddress: string;
  readonly displayName: string;
  readonly guid: string;
  readonly hasArchive: boolean;
  seq: number;
  nextSerial: number;
  readonly folders: Map<number, FolderRecord>;
  readonly items: Map<number, ItemRecord>;
  readonly distinguished: Map<string, FolderRecord>;
  readonly folderTombstones: {
    serial: number;
    parentSerial: number;
    createdSeq: number;
    deletedSeq: number;
  }[];
}

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

export const PUBLIC_MAILBOX_INDEX = -1;

const CACHE_ITEMS = 16;
/** Commit time of folders and generated items that no API call changed yet. */
const GENERATED_COMMIT_TIME = Date.parse("2024-01-01T00:00:00Z");
const CACHE_MAX_BODY_CHARS = 128 * 1024;

export interface MailboxStore {
  readonly mailboxes: readonly MailboxState[];
  readonly publicFolders: MailboxState;
  mailboxBySmtp(smtp: string): MailboxState | undefined;
  mailboxByGuid(guid: string): MailboxState | undefined;
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class Store implements MailboxStore {
  readonly mailboxes: MailboxState[] = [];
  readonly publicFolders: MailboxState;
  readonly #bySmtp = new Map<string, MailboxState>();
  readonly #byGuid = new Map<string, MailboxState>();
  readonly #generator: MailboxGenerator;
  // Regenerating an item is cheap but not free; a small cache serves paging loops that touch the same items.
  readonly #cache = new Map<string, MockItemData>();
  /** Body characters regenerated since the server last reset it (drives collectSoon). */
  generatedChars = 0;

  constructor(generator: MailboxGenerator) {
    this.#generator = generator;
    generator.mailboxes().forEach((spec, index) => {
      const mailbox = this.#newMailbox(index, spec.smtpAddress, spec.displayName, spec.hasArchive);
      for (const skeleton of MAILBOX_SKELETON) this.#addSkeleton(mailbox, skeleton);
      if (spec.hasArchive) for (const skeleton of ARCHIVE_SKELETON) this.#addSkeleton(mailbox, skeleton);
      const msgRoot = mailbox.distinguished.get("msgfolderroot")!;
      generator.folders(index).forEach((folder, folderIndex) => {
        const record = this.#placeGenerated(
          mailbox,
          msgRoot,
          folder.path,
          folder.folderClass,
          folder.distinguishedName,
        );
        this.#reserveItems(mailbox, record, folderIndex, generator.itemCount(index, folderIndex));
      });
      this.mailboxes.push(mailbox);
      this.#bySmtp.set(spec.smtpAddress.toLowerCase(), mailbox);
    });
    const pub = this.#newMailbox(PUBLIC_MAILBOX_INDEX, "publicfolders@mock.invalid", "Public Folders", false);
    this.#addSkeleton(pub, { name: "publicfoldersroot", displayName: "IPM_SUBTREE" });
    const pubRoot = pub.distinguished.get("publicfoldersroot")!;
    generator.publicFolders().forEach((folder, folderIndex) => {
      const record = this.#placeGenerated(pub, pubRoot, folder.path, folder.folderClass, undefined);
      this.#reserveItems(pub, record, folderIndex, generator.publicItemCount(folderIndex));
    });
    this.publicFolders = pub;
    seedSharedFolders(this);
  }

  /** The generator's seed (seeds the mailbox settings' own PRNG stream, store/settings.ts). */
  get seed(): number {
    return this.#generator.seed;
  }

  mailboxBySmtp(smtp: string): MailboxState | undefined {
    return this.#bySmtp.get(smtp.toLowerCase());
  }

  mailboxByGuid(guid: string): MailboxState | undefined {
    return this.#byGuid.get(guid);
  }

  #newMailbox(index: number, smtp: string, displayName: string, hasArchive: boolean): MailboxState {
    const mailbox: MailboxState = {
      index,
      smtpAddress: smtp,
      displayName,
      guid: deterministicGuid("mailbox", this.#generator.seed, smtp.toLowerCase()),
      hasArchive,
      seq: 0,
      nextSerial: 1,
      folders: new Map(),
      items: new Map(),
      distinguished: new Map(),
      folderTombstones: [],
    };
    this.#byGuid.set(mailbox.guid, mailbox);
    return mailbox;
  }

  #addSkeleton(mailbox: MailboxState, skeleton: SkeletonFolder): void {
    const parent = skeleton.parent === undefined ? undefined : mailbox.distinguished.get(skeleton.parent);
    const folder = this.#newFolder(
      mailbox,
      parent,
      skeleton.displayName,
      skeleton.folderClass,
      skeleton.name,
    );
    mailbox.distinguished.set(skeleton.name, folder);
  }

  #newFolder(
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

  #placeGenerated(
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
      current = this.#newFolder(
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

  #reserveItems(mailbox: MailboxState, folder: FolderRecord, folderIndex: number, count: number): void {
    if (count <= 0) return;
    folder.pending = { folderIndex, count, seqBase: mailbox.seq, serialBase: mailbox.nextSerial };
    mailbox.seq += count;
    mailbox.nextSerial += count;
  }

  /** Creates the per-item records of a folder's generated items (ids and change numbers only). */
  materialize(folder: FolderRecord): void {
    const pending = folder.pending;
    if (pending === undefined) return;
    folder.pending = undefined;
    const created = "2024-01-01T00:00:00Z";
    for (let i = 0; i < pending.count; i++) {
      const seq = pending.seqBase + i + 1;
      const record: ItemRecord = {
        serial: pending.serialBase + i,
        folder,
        createdSeq: seq,
        lastSeq: seq,
        lastContentSeq: seq,
        lastReadSeq: 0,
        isAssociated: false,
        origin: { mailbox: folder.mailbox.index, folderIndex: pending.folderIndex, itemIndex: i },
        lastModifiedTime: created,
      };
      folder.items.set(record.serial, record);
      folder.mailbox.items.set(record.serial, record);
    }
  }

  /** All live items of a folder, oldest serial first. */
  folderItems(folder: FolderRecord): ItemRecord[] {
    this.materialize(folder);
    return [...folder.items.values()];
  }

  itemCount(folder: FolderRecord, associated = false): number {
    if (folder.pending !== undefined && !associated) return folder.pending.count + folder.items.size;
    let n = 0;
    for (const item of folder.items.values()) if (item.isAssociated === associated) n++;
    return n;
  }

  /** MUST throw ErrorItemNotFound for an id of no live item, ErrorInvalidIdMalformed for garbage. */
  findItem(id: string): ItemRecord {
    const decoded = decodeId(id);
    if (decoded === undefined || decoded.kind !== "item") {
      throw new EwsResponseError("ErrorInvalidIdMalformed", "Id is malformed.");
    }
    const mailbox = this.mailboxByGuid(decoded.mailboxGuid);
    if (mailbox === undefined)
      throw new EwsResponseError("ErrorItemNotFound", "The specified object was not found in the store.");
    let record = mailbox.items.get(decoded.serial);
    if (record === undefined) {
      for (const folder of mailbox.folders.values()) {
        const p = folder.pending;
        if (p !== undefined && decoded.serial >= p.serialBase && decoded.serial < p.serialBase + p.count) {
          this.materialize(folder);
          record = mailbox.items.get(decoded.serial);
          break;
        }
      }
    }
    if (record === undefined || record.folder.deleted) {
      throw new EwsResponseError("ErrorItemNotFound", "The specified object was not found in the store.");
    }
    return record;
  }

  /** MUST throw ErrorFolderNotFound for an id of no live folder, ErrorInvalidIdMalformed for garbage. */
  findFolder(id: string): FolderRecord {
    const decoded = decodeId(id);
    if (decoded === undefined || decoded.kind !== "folder") {
      throw new EwsResponseError("ErrorInvalidIdMalformed", "Id is malformed.");
    }
    const folder = this.mailboxByGuid(decoded.mailboxGuid)?.folders.get(decoded.serial);
    if (folder === undefined || folder.deleted) {
      throw new EwsResponseError(
        "ErrorFolderNotFound",
        "The specified folder could not be found in the store.",
      );
    }
    return folder;
  }

  distinguishedFolder(mailbox: MailboxState, name: string): FolderRecord {
    const lower = name.toLowerCase();
    if (lower === "publicfoldersroot") return this.publicFolders.distinguished.get("publicfoldersroot")!;
    const folder = mailbox.distinguished.get(lower);
    if (folder === undefined || folder.deleted) {
      throw new EwsResponseError(
        "ErrorFolderNotFound",
        "The specified folder could not be found in the store.",
      );
    }
    return folder;
  }

  itemIdOf(record: ItemRecord): string {
    return itemId(record.folder.mailbox.guid, record.serial);
  }

  folderIdOf(folder: FolderRecord): string {
    return folderId(folder.mailbox.guid, folder.serial);
  }

  /** The item's current content: kept data when modified, else regenerated. */
  itemData(record: ItemRecord): MockItemData {
    if (record.data !== undefined) return record.data;
    const origin = record.origin!;
    const key = `${origin.mailbox}/${origin.folderIndex}/${origin.itemIndex}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const data =
      origin.mailbox === PUBLIC_MAILBOX_INDEX
        ? this.#generator.publicItem(origin.folderIndex, origin.itemIndex)
        : this.#generator.item(origin.mailbox, origin.folderIndex, origin.itemIndex);
    this.generatedChars += data.body.content.length;
    // Keep only small items: a few multi-MB bodies held here would dominate the server's memory.
    if (data.body.content.length <= CACHE_MAX_BODY_CHARS) {
      this.#cache.set(key, data);
      if (this.#cache.size > CACHE_ITEMS) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    return data;
  }

  itemClassOf(record: ItemRecord): string {
    if (record.data !== undefined) return record.data.itemClass;
    if (record.itemClass === undefined) record.itemClass = this.itemData(record).itemClass;
    return record.itemClass;
  }

  searchKey(record: ItemRecord): Uint8Array {
    return record.searchKey ?? deriveSearchKey(record.folder.mailbox.guid, record.serial);
  }

  /** Adds a new item (CreateItem, UploadItems CreateNew, copy/move target). */
  addItem(
    folder: FolderRecord,
    content: { data?: MockItemData; origin?: ItemOrigin; searchKey?: Uint8Array; isAssociated?: boolean },
  ): ItemRecord {
    this.materialize(folder);
    const mailbox = folder.mailbox;
    const seq = ++mailbox.seq;
    const record: ItemRecord = {
      serial: mailbox.nextSerial++,
      folder,
      createdSeq: seq,
      lastSeq: seq,
      lastContentSeq: seq,
      lastReadSeq: 0,
      isAssociated: content.isAssociated ?? false,
      lastModifiedTime: nowIso(),
    };
    if (content.data !== undefined) record.data = content.data;
    if (content.origin !== undefined) record.origin = content.origin;
    if (content.searchKey !== undefined) record.searchKey = content.searchKey;
    folder.items.set(record.serial, record);
    mailbox.items.set(record.serial, record);
    if (folder.unread !== undefined && !record.isAssociated && !this.itemData(record).isRead) folder.unread++;
    this.#committed(folder);
    return record;
  }

  /** Unread normal items of a folder (the first call regenerates the folder's items once). */
  unreadCount(folder: FolderRecord): number {
    if (folder.unread === undefined) {
      let unread = 0;
      for (const item of this.folderItems(folder))
        if (!item.isAssociated && !this.itemData(item).isRead) unread++;
      folder.unread = unread;
    }
    return folder.unread;
  }

  /** Replaces an item's content; `readOnly` marks a change of the read flag alone (ReadFlagChange). */
  updateItem(record: ItemRecord, data: MockItemData, readOnly = false): void {
    const folder = record.folder;
    if (folder.unread !== undefined && !record.isAssociated) {
      folder.unread += (data.isRead ? 0 : 1) - (this.itemData(record).isRead ? 0 : 1);
    }
    const seq = ++record.folder.mailbox.seq;
    record.data = data;
    record.lastSeq = seq;
    if (readOnly) record.lastReadSeq = seq;
    else {
      record.lastContentSeq = seq;
      this.#committed(folder);
    }
    record.lastModifiedTime = nowIso();
  }

  removeItem(record: ItemRecord): void {
    const folder = record.folder;
    if (folder.unread !== undefined && !record.isAssociated && !this.itemData(record).isRead) folder.unread--;
    const seq = ++folder.mailbox.seq;
    folder.items.delete(record.serial);
    folder.mailbox.items.delete(record.serial);
    folder.tombstones.push({
      serial: record.serial,
      createdSeq: record.createdSeq,
      deletedSeq: seq,
      isAssociated: record.isAssociated,
    });
    folder.deletedCountTotal++;
    this.#committed(folder);
  }

  /** Advances a folder's PidTagLocalCommitTimeMax past every value it reported before. */
  #committed(folder: FolderRecord): void {
    folder.commitTimeMax = Math.max(Date.now(), folder.commitTimeMax + 1);
  }

  /** Moves or copies an item; the result always has a new id (Exchange gives moved items new ids). */
  transferItem(record: ItemRecord, target: FolderRecord, keepSource: boolean): ItemRecord {
    const content: {
      data?: MockItemData;
      origin?: ItemOrigin;
      searchKey: Uint8Array;
      isAssociated: boolean;
    } = {
      searchKey: this.searchKey(record),
      isAssociated: record.isAssociated,
    };
    if (record.data !== undefined) content.data = record.data;
    if (record.origin !== undefined) content.origin = record.origin;
    if (!keepSource) this.removeItem(record);
    return this.addItem(target, content);
  }

  createFolder(parent: FolderRecord, displayName: string, folderClass: string | undefined): FolderRecord {
    if (
      parent.children.some((c) => !c.deleted && c.displayName.toLowerCase() === displayName.toLowerCase())
    ) {
      throw new EwsResponseError("ErrorFolderExists", "A folder with the specified name already exists.");
    }
    const folder = this.#newFolder(parent.mailbox, parent, displayName, folderClass, undefined);
    this.#committed(folder);
    return folder;
  }

  /** Deletes a folder and its subtree (tombstones for SyncFolderHierarchy). */
  deleteFolder(folder: FolderRecord): void {
    if (folder.distinguishedName !== undefined || folder.parent === undefined) {
      throw new EwsResponseError(
        "ErrorDeleteDistinguishedFolder",
        "Distinguished folders cannot be deleted.",
      );
    }
    const mailbox = folder.mailbox;
    const visit = (f: FolderRecord): void => {
      for (const c of f.children) if (!c.deleted) visit(c);
      f.deleted = true;
      this.materialize(f);
      for (const item of f.items.values()) mailbox.items.delete(item.serial);
      mailbox.folderTombstones.push({
        serial: f.serial,
        parentSerial: f.parent?.serial ?? 0,
        createdSeq: f.createdSeq,
        deletedSeq: ++mailbox.seq,
      });
    };
    visit(folder);
    folder.parent.children = folder.parent.children.filter((c) => c !== folder);
  }

  renameFolder(folder: FolderRecord, displayName: string): void {
    folder.displayName = displayName;
    folder.lastSeq = ++folder.mailbox.seq;
  }

  moveFolder(folder: FolderRecord, target: FolderRecord): void {
    if (folder.parent === undefined || folder.distinguishedName !== undefined) {
      throw new EwsResponseError("ErrorMoveDistinguishedFolder", "Distinguished folders cannot be moved.");
    }
    for (let f: FolderRecord | undefined = target; f !== undefined; f = f.parent) {
      if (f === folder)
        throw new EwsResponseError("ErrorMoveCopyFailed", "Cannot move a folder below itself.");
    }
    folder.parent.children = folder.parent.children.filter((c) => c !== folder);
    folder.parent = target;
    target.children.push(folder);
    folder.lastSeq = ++folder.mailbox.seq;
  }

  /** Live folders below `folder` (depth-first, parents before children). */
  descendants(folder: FolderRecord): FolderRecord[] {
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
  folderPath(folder: FolderRecord): string[] {
    const path: string[] = [];
    for (let f: FolderRecord | undefined = folder; f?.parent !== undefined; f = f.parent) {
      if (f.distinguishedName === "msgfolderroot" || f.distinguishedName === "publicfoldersroot") break;
      path.unshift(f.displayName);
    }
    return path;
  }
}
