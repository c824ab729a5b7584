// The mailbox store: folders, per-item state and per-folder change history for every mailbox
// the generator invents plus the public folder tree they share. Item content is NOT kept: an
// item remembers where the generator made it and is regenerated on demand (generated-items.ts),
// until something modifies it through the API (then the modified MockItemData is kept). Every
// change bumps the mailbox's sequence number; SyncFolderItems/SyncFolderHierarchy compute changes
// from those sequence numbers and the tombstones of removed objects. The record shapes are in
// records.ts, the initial folder trees in mailbox-layout.ts.
import { EwsResponseError } from "../errors.js";
import { associatedItemsFor } from "../generator/associated-items.js";
import { seedSharedFolders } from "../generator/settings-generator.js";
import type { MailboxGenerator, MockItemData } from "../model.js";
import { GeneratedItems } from "./generated-items.js";
import { decodeId, deriveSearchKey, deterministicGuid, folderId, itemId } from "./ids.js";
import {
  addSkeleton,
  addSkeletonFolders,
  displayPath,
  liveDescendants,
  newFolder,
  placeGenerated,
  reserveItems,
} from "./mailbox-layout.js";
import { mirrorSeededDelegates } from "./mailbox-settings.js";
import {
  type FolderRecord,
  type ItemOrigin,
  type ItemRecord,
  type MailboxState,
  type MailboxStore,
  PUBLIC_MAILBOX_INDEX,
} from "./records.js";

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class Store implements MailboxStore {
  readonly mailboxes: MailboxState[] = [];
  readonly publicFolders: MailboxState;
  readonly #bySmtp = new Map<string, MailboxState>();
  readonly #byGuid = new Map<string, MailboxState>();
  readonly #generator: MailboxGenerator;
  readonly #generated: GeneratedItems;
  readonly #itemChangeListeners: ((record: ItemRecord) => void)[] = [];

  /**
   * `options.associatedItems`: seed each mailbox's Inbox and Calendar with the folder-associated
   * items Outlook keeps there (generator/associated-items.ts); default true, because a real
   * Exchange mailbox always has them; false gives folders without any (tests of an empty set).
   */
  constructor(generator: MailboxGenerator, options: { readonly associatedItems?: boolean } = {}) {
    this.#generator = generator;
    this.#generated = new GeneratedItems(generator);
    generator.mailboxes().forEach((spec, index) => {
      const mailbox = this.#newMailbox(index, spec.smtpAddress, spec.displayName, spec.hasArchive);
      addSkeletonFolders(mailbox, spec.hasArchive);
      const msgRoot = mailbox.distinguished.get("msgfolderroot")!;
      generator.folders(index).forEach((folder, folderIndex) => {
        const record = placeGenerated(
          mailbox,
          msgRoot,
          folder.path,
          folder.folderClass,
          folder.distinguishedName,
        );
        reserveItems(mailbox, record, folderIndex, generator.itemCount(index, folderIndex));
      });
      if (options.associatedItems !== false) this.#seedAssociatedItems(mailbox);
      this.mailboxes.push(mailbox);
      this.#bySmtp.set(spec.smtpAddress.toLowerCase(), mailbox);
    });
    const pub = this.#newMailbox(PUBLIC_MAILBOX_INDEX, "publicfolders@mock.invalid", "Public Folders", false);
    addSkeleton(pub, { name: "publicfoldersroot", displayName: "IPM_SUBTREE" });
    const pubRoot = pub.distinguished.get("publicfoldersroot")!;
    generator.publicFolders().forEach((folder, folderIndex) => {
      const record = placeGenerated(pub, pubRoot, folder.path, folder.folderClass, undefined);
      reserveItems(pub, record, folderIndex, generator.publicItemCount(folderIndex));
    });
    this.publicFolders = pub;
    seedSharedFolders(this);
    mirrorSeededDelegates(this);
  }

  /** Body characters regenerated since the server last reset it (drives collectSoon). */
  get generatedChars(): number {
    return this.#generated.generatedChars;
  }

  set generatedChars(chars: number) {
    this.#generated.generatedChars = chars;
  }

  /**
   * `listener` hears of every change to an item record's content or flags (updateItem) and of
   * its removal (removeItem, moves included), after the fact: what was derived from the item
   * (server/export-cache.ts) is stale from then on.
   */
  onItemChange(listener: (record: ItemRecord) => void): void {
    this.#itemChangeListeners.push(listener);
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

  /**
   * Seeds the mailbox's folder-associated items without materialising its generated ones: they
   * get serials after every reserved item, so a folder's records stay in serial order once
   * materialize() puts the generated ones first.
   */
  #seedAssociatedItems(mailbox: MailboxState): void {
    const owner = { name: mailbox.displayName, email: mailbox.smtpAddress };
    for (const { folder: name, data } of associatedItemsFor(this.#generator.seed, mailbox.index, owner)) {
      const folder = mailbox.distinguished.get(name);
      if (folder === undefined) continue;
      const record = this.#newRecord(folder, true, data.dateTimeCreated);
      record.data = data;
      record.itemClass = data.itemClass;
      folder.items.set(record.serial, record);
      mailbox.items.set(record.serial, record);
    }
  }

  /** Creates the per-item records of a folder's generated items (ids and change numbers only). */
  materialize(folder: FolderRecord): void {
    const pending = folder.pending;
    if (pending === undefined) return;
    folder.pending = undefined;
    // Records present before (seeded associated items) have later serials: keep them last.
    const seeded = [...folder.items.values()];
    folder.items.clear();
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
    for (const record of seeded) folder.items.set(record.serial, record);
  }

  /** All live items of a folder, oldest serial first. */
  folderItems(folder: FolderRecord): ItemRecord[] {
    this.materialize(folder);
    return [...folder.items.values()];
  }

  itemCount(folder: FolderRecord, associated = false): number {
    let n = folder.pending !== undefined && !associated ? folder.pending.count : 0;
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
    return record.data ?? this.#generated.item(record.origin!);
  }

  itemClassOf(record: ItemRecord): string {
    if (record.data !== undefined) return record.data.itemClass;
    if (record.itemClass === undefined) record.itemClass = this.itemData(record).itemClass;
    return record.itemClass;
  }

  searchKey(record: ItemRecord): Uint8Array {
    return record.searchKey ?? deriveSearchKey(record.folder.mailbox.guid, record.serial);
  }

  /** A new item's record with the mailbox's next serial and change number (not yet in its folder). */
  #newRecord(folder: FolderRecord, isAssociated: boolean, lastModifiedTime: string): ItemRecord {
    const seq = ++folder.mailbox.seq;
    return {
      serial: folder.mailbox.nextSerial++,
      folder,
      createdSeq: seq,
      lastSeq: seq,
      lastContentSeq: seq,
      lastReadSeq: 0,
      isAssociated,
      lastModifiedTime,
    };
  }

  /** Adds a new item (CreateItem, UploadItems CreateNew, copy/move target). */
  addItem(
    folder: FolderRecord,
    content: { data?: MockItemData; origin?: ItemOrigin; searchKey?: Uint8Array; isAssociated?: boolean },
  ): ItemRecord {
    this.materialize(folder);
    const mailbox = folder.mailbox;
    const record = this.#newRecord(folder, content.isAssociated ?? false, nowIso());
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
    for (const listener of this.#itemChangeListeners) listener(record);
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
    for (const listener of this.#itemChangeListeners) listener(record);
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
    const folder = newFolder(parent.mailbox, parent, displayName, folderClass, undefined);
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
    return liveDescendants(folder);
  }

  /** The display-name path from the mailbox's msgfolderroot (or public root). */
  folderPath(folder: FolderRecord): string[] {
    return displayPath(folder);
  }
}
