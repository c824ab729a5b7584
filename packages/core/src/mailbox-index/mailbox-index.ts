// The per-mailbox index: one LevelDB database per mailbox, holding what the engine needs to
// run an incremental backup (folder sync states, the current version of every item) and to
// browse or search without touching the repository. It is a cache: the repository is the
// truth, and a missing, corrupt or tampered index is rebuilt from the mailbox's latest snapshot.
//
// Format 3 (docs/mailbox-index.md): values sealed per entry and bound to their database key,
// database keys and the directory name keyed hashes, everything 0700/0600 (index-crypto.ts,
// private-files.ts). Nothing in the directory names a mailbox, folder or item in the clear.
import { rm } from "node:fs/promises";
import type { FolderChangeProbe, FolderInfo, ItemSummary } from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import { Level } from "level";
import { IndexEntryCipher } from "./index-crypto.js";
import type { ItemKeys } from "./item-keys.js";
import { checkItemSet, EMPTY_ITEM_SET, type ItemSet, loadItemKeys, nextItemSet } from "./item-set.js";
import { ensurePrivateDirectory, restrictTree } from "./private-files.js";

/**
 * 3 sealed every value, hashed every key and renamed the directory: nothing of version 1 or 2
 * (plaintext, unauthenticated) is read any more; the engine rebuilds such an index from the
 * repository and removes the old directory. 2 added folder change probes, lastFullSyncAt and
 * lastTreeKey.
 */
export const MAILBOX_INDEX_FORMAT_VERSION = 3;

/** The hierarchy a folder was synced under ("mailbox", "archive", "recoverable", "public"). */
export type HierarchyRootName = "mailbox" | "archive" | "recoverable" | "public";

export interface IndexedFolder {
  readonly folder: FolderInfo;
  readonly root: HierarchyRootName;
  /** SyncFolderItems state; absent until the folder's first sync completed durably. */
  readonly syncState?: string;
  /**
   * True when syncState was made with the folder's associated items (SyncScope
   * NormalAndAssociatedItems). A run asking for the other scope syncs the folder from scratch.
   */
  readonly associated?: boolean;
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
  /** The item's content binding (engine item-binding.ts), recorded when it was stored. */
  readonly binding?: string;
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
  /** Count and keyed digest of the item keys (item-set.ts); kept up to date by every commit. */
  readonly itemSet: ItemSet;
}

type Value = MailboxIndexMeta | IndexedFolder | IndexedItem;
type Operation = { type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string };

/** Not sealed: says which format the database is, without a key. */
const FORMAT_KEY = "v";
const META_KEY = "m";
// Tags are lower-case hex, so '!' separates them and '"' (right after '!') bounds a prefix range.
const prefixEnd = (prefix: string) => `${prefix.slice(0, -1)}"`;
/**
 * A folder with up to this many items is sorted in memory; a larger one keeps only item ids and
 * database keys while sorting and reads the values again in order, so memory stays bounded.
 */
const IN_MEMORY_SORT_LIMIT = 4096;
const READ_AGAIN_BATCH = 256;

const byItemId = (a: { itemId: string }, b: { itemId: string }) =>
  a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0;

/**
 * A batch of index changes applied atomically by commit(). The engine builds one batch per
 * checkpoint and commits it only after the repository made the covered data durable.
 */
export class MailboxIndexBatch {
  readonly #index: MailboxIndex;
  readonly #operations: Operation[] = [];
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
    this.#operations.push(this.#index._put(this.#index._folderKey(folder.folder.folderId), folder));
    return this;
  }

  /** Removes the folder and every item indexed under it. */
  deleteFolder(folderId: string): this {
    this.#folderDeletes.push(folderId);
    return this;
  }

  putItem(item: IndexedItem): this {
    this.#operations.push(this.#index._put(this.#index._itemKey(item.folderId, item.itemId), item));
    return this;
  }

  deleteItem(folderId: string, itemId: string): this {
    this.#operations.push({ type: "del", key: this.#index._itemKey(folderId, itemId) });
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
 * One mailbox's LevelDB index. Open it with MailboxIndex.open(); it refuses a directory that
 * belongs to another mailbox (INDEX_CORRUPT), another format (INDEX_VERSION) or whose entries
 * fail authentication under this repository's cache key (INDEX_AUTH_FAILED). Every read MUST
 * throw INDEX_AUTH_FAILED for an entry that was changed, truncated or moved to another key: a
 * caller never sees an entry the engine did not write there.
 */
export class MailboxIndex {
  readonly #db: Level<string, Uint8Array>;
  readonly #cipher: IndexEntryCipher;
  readonly #directory: string;
  #meta: MailboxIndexMeta;
  #applying: Promise<void> = Promise.resolve();
  /**
   * Every item key, loaded before the first commit that touches items or the first item lookup
   * (item-set.ts): whether a put adds an entry, or whether an item is indexed at all, is then a
   * lookup, not a database read. About 100 bytes per item.
   */
  #itemKeys: ItemKeys | undefined;
  /** The load of #itemKeys queued on the commit chain (so it never sees half a commit). */
  #itemKeysLoad: Promise<ItemKeys> | undefined;

  private constructor(
    db: Level<string, Uint8Array>,
    cipher: IndexEntryCipher,
    directory: string,
    meta: MailboxIndexMeta,
  ) {
    this.#db = db;
    this.#cipher = cipher;
    this.#directory = directory;
    this.#meta = meta;
  }

  /**
   * `cacheKey` is the repository's cache key (Repository.cacheKey()): the index of a mailbox
   * can only be read, and is only found, with the key of the repository it caches.
   */
  static async open(directory: string, mailbox: string, cacheKey: Uint8Array): Promise<MailboxIndex> {
    const cipher = new IndexEntryCipher(cacheKey, mailbox);
    await ensurePrivateDirectory(directory);
    const db = new Level<string, Uint8Array>(directory, { valueEncoding: "view" });
    try {
      await db.open();
    } catch (cause) {
      throw new EwsVaultError("INDEX_CORRUPT", `the index of ${mailbox} cannot be opened`, {
        cause,
        details: { mailbox, directory },
      });
    }
    try {
      await restrictTree(directory);
      const meta = await readMeta(db, cipher, mailbox, directory);
      return new MailboxIndex(db, cipher, directory, meta);
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
    return this.#get<IndexedFolder>(this._folderKey(folderId));
  }

  /** Every folder, in no particular order (keys are hashes). */
  async listFolders(): Promise<IndexedFolder[]> {
    const folders: IndexedFolder[] = [];
    for await (const [key, value] of this.#db.iterator({ gte: "f!", lt: 'f"' }))
      folders.push(this.#cipher.open(key, value) as IndexedFolder);
    return folders;
  }

  /**
   * An item never indexed (every item of a first backup) is answered from the item key set, so
   * only items that exist cost a database read.
   */
  async getItem(folderId: string, itemId: string): Promise<IndexedItem | undefined> {
    const key = this._itemKey(folderId, itemId);
    if (!(this.#itemKeys ?? (await this.#loadItemKeys())).has(key)) return undefined;
    return this.#get<IndexedItem>(key);
  }

  /**
   * Ids of the folder's indexed items that are not in `seen`. Compares database keys (one keyed
   * hash per seen id against the item key set) and reads only the values of the items left
   * over, instead of opening every value of the folder.
   */
  async itemIdsNotIn(folderId: string, seen: ReadonlySet<string>): Promise<string[]> {
    const inFolder = (this.#itemKeys ?? (await this.#loadItemKeys())).inFolder(
      `i!${this.#cipher.folderTag(folderId)}!`,
    );
    if (inFolder.size === 0) return [];
    const seenKeys = new Set<string>();
    for (const itemId of seen) seenKeys.add(this._itemKey(folderId, itemId));
    const unseen: string[] = [];
    for (const key of inFolder) if (!seenKeys.has(key)) unseen.push(key);
    const ids: string[] = [];
    for (let start = 0; start < unseen.length; start += READ_AGAIN_BATCH) {
      const slice = unseen.slice(start, start + READ_AGAIN_BATCH);
      const values = await this.#db.getMany(slice);
      for (const [i, value] of values.entries()) {
        // Deleted since the keys were read (a commit in between): it is simply gone.
        if (value !== undefined) ids.push((this.#cipher.open(slice[i]!, value) as IndexedItem).itemId);
      }
    }
    return ids;
  }

  /**
   * Items of one folder, in item id order (JavaScript string order, which snapshot item pages
   * use). Keys are hashes, so the order is made here: see IN_MEMORY_SORT_LIMIT.
   */
  async *items(folderId: string): AsyncIterable<IndexedItem> {
    const prefix = `i!${this.#cipher.folderTag(folderId)}!`;
    let kept: IndexedItem[] | undefined = [];
    const keys: Array<{ itemId: string; key: string }> = [];
    for await (const [key, value] of this.#db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
      const item = this.#cipher.open(key, value) as IndexedItem;
      keys.push({ itemId: item.itemId, key });
      if (kept !== undefined && kept.length < IN_MEMORY_SORT_LIMIT) kept.push(item);
      else kept = undefined;
    }
    if (kept !== undefined) {
      yield* kept.sort(byItemId);
      return;
    }
    keys.sort(byItemId);
    for (let start = 0; start < keys.length; start += READ_AGAIN_BATCH) {
      const slice = keys.slice(start, start + READ_AGAIN_BATCH).map((k) => k.key);
      const values = await this.#db.getMany(slice);
      for (const [i, value] of values.entries()) {
        // Deleted since the first pass (a commit in between): it is simply gone.
        if (value !== undefined) yield this.#cipher.open(slice[i]!, value) as IndexedItem;
      }
    }
  }

  /** Every item of the mailbox, grouped by folder (in no particular order). */
  async *allItems(): AsyncIterable<IndexedItem> {
    for await (const [key, value] of this.#db.iterator({ gte: "i!", lt: 'i"' }))
      yield this.#cipher.open(key, value) as IndexedItem;
  }

  async countItems(): Promise<number> {
    let count = 0;
    for await (const _ of this.#db.keys({ gte: "i!", lt: 'i"' })) count++;
    return count;
  }

  /** @internal database key of a folder record */
  _folderKey(folderId: string): string {
    return `f!${this.#cipher.folderTag(folderId)}`;
  }

  /** @internal database key of an item record */
  _itemKey(folderId: string, itemId: string): string {
    return `i!${this.#cipher.folderTag(folderId)}!${this.#cipher.itemTag(itemId)}`;
  }

  /** @internal a sealed put, bound to its key */
  _put(key: string, value: Value): Operation {
    return { type: "put", key, value: this.#cipher.seal(key, value) };
  }

  /** @internal used by MailboxIndexBatch.commit */
  _apply(
    folderDeletes: readonly string[],
    operations: readonly Operation[],
    meta: MailboxIndexMeta,
  ): Promise<void> {
    // One commit at a time: each brings the item set of the one before up to date.
    const apply = async () => {
      const deletes: Operation[] = [];
      const deletedItems: string[] = [];
      for (const folderId of folderDeletes) {
        deletes.push({ type: "del", key: this._folderKey(folderId) });
        const prefix = `i!${this.#cipher.folderTag(folderId)}!`;
        for await (const key of this.#db.keys({ gte: prefix, lt: prefixEnd(prefix) })) {
          deletes.push({ type: "del", key });
          deletedItems.push(key);
        }
      }
      let itemSet = this.#meta.itemSet;
      let applyToKeys = () => {};
      if (deletedItems.length > 0 || operations.some((o) => o.key.startsWith("i!"))) {
        // Which item keys exist, once per open index (checked against the header on the way).
        this.#itemKeys ??= await loadItemKeys(this.#db, this.#cipher, this.#meta.itemSet);
        const next = nextItemSet(this.#cipher, itemSet, this.#itemKeys, deletedItems, operations);
        itemSet = next.itemSet;
        applyToKeys = next.apply;
      }
      const committed: MailboxIndexMeta = { ...meta, itemSet };
      await this.#db.batch([...deletes, ...operations, this._put(META_KEY, committed)]);
      applyToKeys();
      this.#meta = committed;
    };
    this.#applying = this.#applying.then(apply, apply);
    return this.#applying;
  }

  /**
   * Reads every item key and checks it against the header's item set. MUST throw
   * INDEX_AUTH_FAILED when an entry was removed (or one of an older copy put back) outside
   * ewsvault. Costs a pass over the keys: the engine calls it before writing a tree from the index.
   */
  async verifyItemSet(): Promise<void> {
    await this.#applying.catch(() => {});
    await checkItemSet(this.#db, this.#cipher, this.#meta.itemSet);
  }

  /**
   * Loads #itemKeys between two commits (queued on the commit chain): a load that read the keys
   * during a commit would compare them with the header of before it. A failed load (tampered
   * index) is tried again by the next caller, which fails the same way.
   */
  #loadItemKeys(): Promise<ItemKeys> {
    if (this.#itemKeysLoad === undefined) {
      const load = async () =>
        (this.#itemKeys ??= await loadItemKeys(this.#db, this.#cipher, this.#meta.itemSet));
      const loading = this.#applying.then(load, load);
      this.#itemKeysLoad = loading;
      loading.catch(() => {
        this.#itemKeysLoad = undefined;
      });
      this.#applying = loading.then(
        () => {},
        () => {},
      );
    }
    return this.#itemKeysLoad;
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const value = await this.#db.get(key);
    return value === undefined ? undefined : (this.#cipher.open(key, value) as T);
  }

  /** Closes the database and leaves every file it wrote 0600. */
  async close(): Promise<void> {
    await this.#db.close();
    await restrictTree(this.#directory);
  }
}

async function readMeta(
  db: Level<string, Uint8Array>,
  cipher: IndexEntryCipher,
  mailbox: string,
  directory: string,
): Promise<MailboxIndexMeta> {
  const details = { mailbox, directory };
  const [format, sealed] = await db.getMany([FORMAT_KEY, META_KEY]);
  if (format === undefined && sealed === undefined) {
    for await (const _ of db.keys({ limit: 1 })) {
      throw new EwsVaultError("INDEX_CORRUPT", `the index of ${mailbox} has entries but no header`, {
        details,
      });
    }
    const meta: MailboxIndexMeta = {
      formatVersion: MAILBOX_INDEX_FORMAT_VERSION,
      mailbox,
      hierarchyStates: {},
      itemSet: EMPTY_ITEM_SET,
    };
    await db.batch([
      { type: "put", key: FORMAT_KEY, value: Buffer.from(String(MAILBOX_INDEX_FORMAT_VERSION)) },
      { type: "put", key: META_KEY, value: cipher.seal(META_KEY, meta) },
    ]);
    return meta;
  }
  // Versions 1 and 2 had no format key and a JSON "m": older, never read (see the version note).
  const found = format === undefined ? "1 or 2" : Buffer.from(format).toString("latin1");
  if (found !== String(MAILBOX_INDEX_FORMAT_VERSION)) {
    throw new EwsVaultError("INDEX_VERSION", `the index of ${mailbox} has format ${found}`, {
      details: { ...details, formatVersion: found },
    });
  }
  if (sealed === undefined) {
    throw new EwsVaultError("INDEX_CORRUPT", `the index of ${mailbox} has no header`, { details });
  }
  const meta = cipher.open(META_KEY, sealed) as MailboxIndexMeta;
  if (typeof meta !== "object" || meta === null || meta.mailbox !== mailbox) {
    throw new EwsVaultError("INDEX_CORRUPT", `the index at ${directory} does not belong to ${mailbox}`, {
      details,
    });
  }
  if (
    meta.formatVersion !== MAILBOX_INDEX_FORMAT_VERSION ||
    typeof meta.itemSet?.count !== "number" ||
    typeof meta.itemSet?.digest !== "string"
  ) {
    throw new EwsVaultError("INDEX_CORRUPT", `the index of ${mailbox} contradicts its format`, { details });
  }
  return meta;
}

/** Deletes an index directory (used before a rebuild; its values are sealed, so no overwrite). */
export async function destroyMailboxIndex(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}
