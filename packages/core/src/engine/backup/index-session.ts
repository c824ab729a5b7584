// The mailbox index as one run sees and changes it: the folders (kept in memory for the whole
// run), item lookups that see this run's uncommitted changes first, and the batch of changes
// waiting for the next checkpoint (durability.ts commits it, never this file). It also tracks
// whether anything a snapshot tree shows changed, which decides whether the last tree can be
// reused (snapshot-writer.ts).
import type {
  HierarchyRootName,
  IndexedFolder,
  IndexedItem,
  MailboxIndex,
  MailboxIndexBatch,
} from "../../mailbox-index/index.js";
import type { FolderRef } from "../selection.js";

/** Changes taken for one checkpoint: the batch and the overlay entries it covers. */
export interface PendingChanges {
  readonly batch: MailboxIndexBatch;
  readonly keys: ReadonlyArray<readonly [string, IndexedItem | null]>;
}

export class IndexSession {
  readonly index: MailboxIndex;
  /** Every folder of the index (all roots), updated as the run changes them. */
  readonly folders = new Map<string, IndexedFolder>();
  #pending: MailboxIndexBatch;
  #pendingKeys: Array<[string, IndexedItem | null]> = [];
  /** Item changes not yet committed to the index (null = deleted), so lookups see them. */
  readonly #overlay = new Map<string, IndexedItem | null>();
  #treeChanged: boolean;

  /**
   * `treeChanged`: the index was just rebuilt, so no earlier tree describes it. Call
   * loadFolders() before anything else.
   */
  constructor(index: MailboxIndex, treeChanged: boolean) {
    this.index = index;
    this.#pending = index.batch();
    this.#treeChanged = treeChanged;
  }

  /** Reads every folder of the index (values are authenticated as they are read). */
  async loadFolders(): Promise<void> {
    for (const folder of await this.index.listFolders()) this.folders.set(folder.folder.folderId, folder);
  }

  /** An item or a folder a snapshot tree shows changed this run: the tree must be written anew. */
  get treeChanged(): boolean {
    return this.#treeChanged;
  }

  markTreeChanged(): void {
    this.#treeChanged = true;
  }

  async getItem(folderId: string, itemId: string): Promise<IndexedItem | undefined> {
    const pending = this.#overlay.get(overlayKey(folderId, itemId));
    if (pending !== undefined) return pending ?? undefined;
    return this.index.getItem(folderId, itemId);
  }

  putItem(item: IndexedItem): void {
    this.#treeChanged = true;
    this.#overlay.set(overlayKey(item.folderId, item.itemId), item);
    this.#pendingKeys.push([overlayKey(item.folderId, item.itemId), item]);
    this.#pending.putItem(item);
  }

  deleteItem(folderId: string, itemId: string): void {
    this.#treeChanged = true;
    this.#overlay.set(overlayKey(folderId, itemId), null);
    this.#pendingKeys.push([overlayKey(folderId, itemId), null]);
    this.#pending.deleteItem(folderId, itemId);
  }

  /** Ids of the folder's items, committed or pending, that are not in `seen`. */
  async itemsNotIn(folderId: string, seen: ReadonlySet<string>): Promise<Set<string>> {
    const stale = new Set(await this.index.itemIdsNotIn(folderId, seen));
    for (const value of this.#overlay.values()) {
      if (value !== null && value.folderId === folderId && !seen.has(value.itemId)) stale.add(value.itemId);
    }
    return stale;
  }

  /** Records a folder (its sync state, probe, or what the hierarchy says of it). */
  putFolder(folder: IndexedFolder): void {
    this.folders.set(folder.folder.folderId, folder);
    this.#pending.putFolder(folder);
  }

  removeFolder(folderId: string): void {
    if (!this.folders.delete(folderId)) return;
    this.#treeChanged = true;
    this.#pending.deleteFolder(folderId);
    for (const key of [...this.#overlay.keys()])
      if (key.startsWith(`${folderId}\u0000`)) this.#overlay.delete(key);
  }

  setHierarchyState(root: HierarchyRootName, syncState: string | undefined): void {
    this.#pending.setHierarchyState(root, syncState);
  }

  /** Hands the changes so far to a checkpoint; later changes go into a new batch. */
  takePending(): PendingChanges {
    const taken = { batch: this.#pending, keys: this.#pendingKeys };
    this.#pending = this.index.batch();
    this.#pendingKeys = [];
    return taken;
  }

  /** After `taken` was committed: lookups read those items from the index again. */
  committed(taken: PendingChanges): void {
    for (const [key, value] of taken.keys) if (this.#overlay.get(key) === value) this.#overlay.delete(key);
  }

  /** The folder's path and distinguished names up to its root, as selection filters match them. */
  folderRef(folder: IndexedFolder): FolderRef {
    const path: string[] = [];
    const distinguishedNames: string[] = [];
    let current: IndexedFolder | undefined = folder;
    const seen = new Set<string>();
    while (current !== undefined && !seen.has(current.folder.folderId)) {
      seen.add(current.folder.folderId);
      path.unshift(current.folder.displayName);
      if (current.folder.distinguishedName !== undefined)
        distinguishedNames.push(current.folder.distinguishedName);
      current = this.folders.get(current.folder.parentFolderId);
    }
    return { path, distinguishedNames };
  }

  folderPath(folder: IndexedFolder): string {
    return this.folderRef(folder).path.join("/");
  }
}

function overlayKey(folderId: string, itemId: string): string {
  return `${folderId}\u0000${itemId}`;
}
