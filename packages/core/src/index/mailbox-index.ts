// The per-mailbox index: one LevelDB database per mailbox, holding what the engine needs to
// run an incremental backup (folder sync states, the current version of every item) and to
// browse or search without touching the repository. It is a cache: the repository is the
// truth, and a missing or corrupt index is rebuilt from the mailbox's latest snapshot.
import { mkdir, rm } from "node:fs/promises";
import { Level } from "level";
import { EwsVaultError } from "../errors.js";
import type { FolderChangeProbe, FolderInfo, ItemSummary } from "../mailbox/types.js";

/**
 * 2 added folder change probes, lastFullSyncAt and lastTreeKey. Version 1 databases are
 * upgraded in place on open (they hold none of those); a version-1 reader refuses a version-2
 * database and rebuilds it, so it can never commit item changes next to a tree key that no
 * longer describes them.
 */
export const MAILBOX_INDEX_FORMAT_VERSION = 2;
const UPGRADABLE_FORMAT_VERSIONS: readonly number[] = [1];

/** The hierarchy a folder was synced under ("mailbox", "archive", "recoverable", "public"). */
export type HierarchyRootName = "mailbox" | "archive" | "recoverable" | "public";

export interface IndexedFolder {
  readonly folder: FolderInfo;
  readonly root: HierarchyRootName;
  /** SyncFolderItems state; absent until the folder's first sync completed durably. */
  readonly syncState?: string;
  /**
   * The folder's change markers as read just BEFORE the sync that produced syncState began,
   * stored only once that sync reached the end of the folder. Equal markers on a later run
   * mean nothing the sync state has not seen changed, so the folder need not be synced.
   */
  readonly probe?: StoredFolderProbe;
}

export interface StoredFolderProbe extends FolderChangeProbe {
  /** ISO 8601, this machine's clock when the probe was sent. */
  readonly probedAt: string;
}

/** One item's current version as backed up. */
export interface IndexedItem extends ItemSummary {
  readonly folderId: string;
  /** Repository blob ids whose concatenation is the item's export stream. */
  readonly blobIds: readonly string[];
  /** Length of the export stream in bytes. */
  readonly dataSize: number;
  /** Blob ids of the RFC 822 MIME, when captured for .eml export. */
  readonly mimeBlobIds?: readonly string[];
}

export interface MailboxIndexMeta {
  readonly formatVersion: number;
  readonly mailbox: string;
  readonly lastSnapshotId?: string;
  /** SyncFolderHierarchy state per hierarchy root. */
  readonly hierarchyStates: Readonly<Partial<Record<HierarchyRootName, string>>>;
  /** ISO 8601 start of the last run that synced every folder (no probe trusted). */
  readonly lastFullSyncAt?: string;
  /**
   * Set with lastSnapshotId when that snapshot's tree was written from exactly the items and
   * folders the index holds, under the selection and tree version this key names; cleared by
   * every commit that changes an item or a folder. While it matches, a run that changed
   * nothing may give its snapshot the same tree instead of writing it again.
   */
  readonly lastTreeKey?: string;
}

type Value = MailboxIndexMeta | IndexedFolder | IndexedItem;

const META_KEY = "m";
const folderKey = (folderId: string) => `f!${folderId}`;
const itemPrefix = (folderId: string) => `i!${folderId}!`;
const itemKey = (folderId: string, itemId: string) => `${itemPrefix(folderId)}${itemId}`;
// '!' never occurs in EWS ids (base64), and '"' sorts right after it: the upper bound of a prefix range.
const prefixEnd = (prefix: string) => `${prefix.slice(0, -1)}"`;

/**
 * A batch of index changes applied atomically by commit(). The engine builds one batch per
 * checkpoint and commits it only after the repository made the covered data durable.
 */
export class MailboxIndexBatch {
  readonly #index: MailboxIndex;
  readonly #operations: Array<{ type: "put"; key: string; value: Value } | { type: "del"; key: string }> = [];
  readonly #folderDeletes: string[] = [];
  #meta: MailboxIndexMeta;

  constructor(index: MailboxIndex, meta: MailboxIndexMeta) {
    this.#index = index;
    this.#meta = meta;
  }

  get size(): number {
    return this.#operations.length + this.#folderDeletes.length;
  }

  putFolder(folder: IndexedFolder): this {
    this.#operations.push({ type: "put", key: folderKey(folder.folder.folderId), value: folder });
    return this;
  }

  /** Removes the folder and every item indexed under it. */
  deleteFolder(folderId: string): this {
    this.#folderDeletes.push(folderId);
    return this;
  }

  putItem(item: IndexedItem): this {
    this.#operations.push({ type: "put", key: itemKey(item.folderId, item.itemId), value: item });
    return this;
  }

  deleteItem(folderId: string, itemId: string): this {
    this.#operations.push({ type: "del", key: itemKey(folderId, itemId) });
    return this;
  }

  setHierarchyState(root: HierarchyRootName, syncState: string | undefined): this {
    const hierarchyStates = { ...this.#meta.hierarchyStates };
    if (syncState === undefined) delete hierarchyStates[root];
    else hierarchyStates[root] = syncState;
    this.#meta = { ...this.#meta, hierarchyStates };
    return this;
  }

  setLastFullSync(at: Date): this {
    this.#meta = { ...this.#meta, lastFullSyncAt: at.toISOString() };
    return this;
  }

  /** `undefined` clears it (see MailboxIndexMeta.lastTreeKey). */
  setLastTreeKey(key: string | undefined): this {
    const { lastTreeKey: _old, ...rest } = this.#meta;
    this.#meta = key === undefined ? rest : { ...rest, lastTreeKey: key };
    return this;
  }

  setLastSnapshot(snapshotId: string): this {
    this.#meta = { ...this.#meta, lastSnapshotId: snapshotId };
    return this;
  }

  async commit(): Promise<void> {
    await this.#index._apply(this.#folderDeletes, this.#operations, this.#meta);
  }
}

/**
 * One mailbox's LevelDB index. Open it with openMailboxIndex(); it refuses a directory that
 * belongs to another mailbox or a newer format (INDEX_CORRUPT / INDEX_VERSION).
 */
export class MailboxIndex {
  readonly #db: Level<string, Value>;
  #meta: MailboxIndexMeta;

  private constructor(db: Level<string, Value>, meta: MailboxIndexMeta) {
    this.#db = db;
    this.#meta = meta;
  }

  static async open(directory: string, mailbox: string): Promise<MailboxIndex> {
    await mkdir(directory, { recursive: true });
    const db = new Level<string, Value>(directory, { valueEncoding: "json" });
    try {
      await db.open();
    } catch (cause) {
      throw new EwsVaultError("INDEX_CORRUPT", `the index of ${mailbox} cannot be opened`, {
        cause,
        details: { mailbox, directory },
      });
    }
    try {
      const stored = (await db.get(META_KEY)) as MailboxIndexMeta | undefined;
      if (stored === undefined) {
        const meta: MailboxIndexMeta = {
          formatVersion: MAILBOX_INDEX_FORMAT_VERSION,
          mailbox,
          hierarchyStates: {},
        };
        await db.put(META_KEY, meta);
        return new MailboxIndex(db, meta);
      }
      if (
        typeof stored !== "object" ||
        stored.mailbox !== mailbox ||
        typeof stored.formatVersion !== "number"
      ) {
        throw new EwsVaultError("INDEX_CORRUPT", `the index at ${directory} does not belong to ${mailbox}`, {
          details: { mailbox, directory },
        });
      }
      if (UPGRADABLE_FORMAT_VERSIONS.includes(stored.formatVersion)) {
        const upgraded: MailboxIndexMeta = { ...stored, formatVersion: MAILBOX_INDEX_FORMAT_VERSION };
        await db.put(META_KEY, upgraded);
        return new MailboxIndex(db, upgraded);
      }
      if (stored.formatVersion !== MAILBOX_INDEX_FORMAT_VERSION) {
        throw new EwsVaultError(
          "INDEX_VERSION",
          `the index of ${mailbox} has format ${stored.formatVersion}`,
          {
            details: { mailbox, directory },
          },
        );
      }
      return new MailboxIndex(db, stored);
    } catch (error) {
      await db.close().catch(() => {});
      if (error instanceof EwsVaultError) throw error;
      throw new EwsVaultError("INDEX_CORRUPT", `the index of ${mailbox} is unreadable`, {
        cause: error,
        details: { mailbox, directory },
      });
    }
  }

  get meta(): MailboxIndexMeta {
    return this.#meta;
  }

  batch(): MailboxIndexBatch {
    return new MailboxIndexBatch(this, this.#meta);
  }

  async getFolder(folderId: string): Promise<IndexedFolder | undefined> {
    return (await this.#db.get(folderKey(folderId))) as IndexedFolder | undefined;
  }

  async listFolders(): Promise<IndexedFolder[]> {
    const folders: IndexedFolder[] = [];
    for await (const value of this.#db.values({ gte: "f!", lt: 'f"' })) folders.push(value as IndexedFolder);
    return folders;
  }

  async getItem(folderId: string, itemId: string): Promise<IndexedItem | undefined> {
    return (await this.#db.get(itemKey(folderId, itemId))) as IndexedItem | undefined;
  }

  /** Items of one folder, in item id order. */
  async *items(folderId: string): AsyncIterable<IndexedItem> {
    const prefix = itemPrefix(folderId);
    for await (const value of this.#db.values({ gte: prefix, lt: prefixEnd(prefix) }))
      yield value as IndexedItem;
  }

  /** Every item of the mailbox, grouped by folder. */
  async *allItems(): AsyncIterable<IndexedItem> {
    for await (const value of this.#db.values({ gte: "i!", lt: 'i"' })) yield value as IndexedItem;
  }

  async countItems(): Promise<number> {
    let count = 0;
    for await (const _ of this.#db.keys({ gte: "i!", lt: 'i"' })) count++;
    return count;
  }

  /** @internal used by MailboxIndexBatch.commit */
  async _apply(
    folderDeletes: readonly string[],
    operations: ReadonlyArray<{ type: "put"; key: string; value: Value } | { type: "del"; key: string }>,
    meta: MailboxIndexMeta,
  ): Promise<void> {
    const all: Array<{ type: "put"; key: string; value: Value } | { type: "del"; key: string }> = [];
    for (const folderId of folderDeletes) {
      all.push({ type: "del", key: folderKey(folderId) });
      const prefix = itemPrefix(folderId);
      for await (const key of this.#db.keys({ gte: prefix, lt: prefixEnd(prefix) }))
        all.push({ type: "del", key });
    }
    all.push(...operations, { type: "put", key: META_KEY, value: meta });
    await this.#db.batch(all);
    this.#meta = meta;
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

/** Deletes an index directory (used before a rebuild). */
export async function destroyMailboxIndex(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}
