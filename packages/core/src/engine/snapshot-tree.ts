// How a mailbox is laid out inside a snapshot (engine tree format v1; see docs/snapshot-tree.md).
//
// The snapshot's root tree lists the mailbox's top folders; each folder tree carries its
// metadata, its child folder trees and its items in pages (tree blobs too). References use the
// repository's two reserved keys — `subtree` for a tree id and `content` for data blob ids — so
// verify and prune can follow them without knowing this schema. Items are sorted by id and a page
// ends after an item whose id hashes to 0 mod PAGE_DIVISOR: page boundaries depend on content,
// not position, so inserting one item rewrites one page, and an unchanged folder serialises to
// the same bytes, gets the same tree id and costs nothing new. The root also names the
// snapshot's item lookup (snapshot-item-lookup.ts), so finding one item does not mean reading
// every page.

import type { DistinguishedFolderName, ItemSummary } from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import pLimit from "p-limit";
import type { HierarchyRootName, IndexedFolder, IndexedItem } from "../mailbox-index/index.js";
import type { EngineRepository, EngineWriter } from "./repository-port.js";
import { ItemLookupBuilder, itemIdHash, lastAtOrBefore } from "./snapshot-item-lookup.js";
export const SNAPSHOT_TREE_VERSION = 1;
/** Average items per page of a folder's item list. */
const PAGE_DIVISOR = 64;
/** Hard cap so a run of unlucky ids cannot make one huge page. */
const MAX_PAGE_ITEMS = 1024;

/**
 * One item as recorded in a snapshot's item list: the server's summary (minus the parent, which
 * the folder tree gives) plus where its data lives.
 */
export interface SnapshotItem extends Omit<ItemSummary, "parentFolderId"> {
  /** Data blob ids whose concatenation is the item's export stream. */
  readonly content: readonly string[];
  readonly dataSize: number;
  /** RFC 822 MIME when captured at backup. */
  readonly mime?: { readonly content: readonly string[] };
  /**
   * Keyed MAC of content, mime.content and dataSize bound to itemId (item-binding.ts); absent
   * in items stored before bindings existed.
   */
  readonly binding?: string;
}

export interface ItemPageTree {
  readonly kind: "items";
  readonly v: number;
  readonly items: readonly SnapshotItem[];
}

export interface TreeRef {
  readonly subtree: string;
}

/** A page of a folder's item list; `first` (absent in older snapshots) is its first item id. */
export interface ItemPageRef extends TreeRef {
  readonly first?: string;
}

export interface FolderTree {
  readonly kind: "folder";
  readonly v: number;
  readonly folderId: string;
  readonly displayName: string;
  readonly folderClass?: string;
  readonly distinguishedName?: DistinguishedFolderName;
  readonly root: HierarchyRootName;
  /** False for a folder kept only for the shape of the tree (excluded by the selection). */
  readonly selected: boolean;
  readonly itemCount: number;
  readonly itemBytes: number;
  /** Pages of the item list (ItemPageTree), in item id order. */
  readonly itemPages: readonly ItemPageRef[];
  readonly children: readonly TreeRef[];
}

export interface MailboxTree {
  readonly kind: "mailbox";
  readonly v: number;
  readonly mailbox: string;
  readonly folders: readonly TreeRef[];
  /** The snapshot's item lookup (ItemLookupTree); absent in snapshots written before it existed. */
  readonly itemIndex?: TreeRef;
  /**
   * The mailbox's settings (SettingsTree, docs/settings-document.md); absent in snapshots
   * written before settings were backed up, or without them.
   */
  readonly settings?: TreeRef;
}

export function toSnapshotItem(item: IndexedItem): SnapshotItem {
  const {
    folderId: _folderId,
    parentFolderId: _parent,
    blobIds,
    mimeBlobIds,
    ...rest
  } = item as IndexedItem & { parentFolderId?: string };
  const full: Record<string, unknown> = {
    ...rest,
    content: blobIds,
    ...(mimeBlobIds === undefined ? {} : { mime: { content: mimeBlobIds } }),
  };
  // Fixed key order keeps the serialisation, and so the tree id, stable across runs.
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(full).sort()) if (full[key] !== undefined) ordered[key] = full[key];
  return ordered as unknown as SnapshotItem;
}

/** The index record for a snapshot item (inverse of toSnapshotItem). */
export function fromSnapshotItem(item: SnapshotItem, folderId: string): IndexedItem {
  const { content, mime, ...rest } = item;
  return {
    ...rest,
    folderId,
    blobIds: content,
    ...(mime === undefined ? {} : { mimeBlobIds: mime.content }),
  };
}

/** `hash` is itemIdHash(itemId): a page ends after an item whose hash says so. */
function endsPage(hash: Buffer, pageLength: number): boolean {
  if (pageLength >= MAX_PAGE_ITEMS) return true;
  return hash.readUInt32BE(0) % PAGE_DIVISOR === 0;
}

export interface TreeBuildResult {
  readonly rootTreeId: string;
  readonly folders: number;
  readonly items: number;
  readonly itemBytes: number;
}

/**
 * Writes the tree of one mailbox from its index state. `itemsOf` yields a folder's items in
 * item id order (JavaScript string order; MailboxIndex.items() sorts, its keys are hashes).
 */
export async function writeMailboxTree(
  writer: EngineWriter,
  mailbox: string,
  folders: readonly IndexedFolder[],
  isSelected: (folder: IndexedFolder) => boolean,
  itemsOf: (folderId: string) => AsyncIterable<SnapshotItem>,
  settings?: TreeRef,
): Promise<TreeBuildResult> {
  const byId = new Map(folders.map((f) => [f.folder.folderId, f]));
  const children = new Map<string, IndexedFolder[]>();
  const tops: IndexedFolder[] = [];
  for (const folder of folders) {
    const parent = folder.folder.parentFolderId;
    if (byId.has(parent) && parent !== folder.folder.folderId) {
      const list = children.get(parent) ?? [];
      list.push(folder);
      children.set(parent, list);
    } else {
      tops.push(folder);
    }
  }
  const order = (a: IndexedFolder, b: IndexedFolder) =>
    a.folder.folderId < b.folder.folderId ? -1 : a.folder.folderId > b.folder.folderId ? 1 : 0;
  let totalItems = 0;
  let totalBytes = 0;
  const itemLookup = new ItemLookupBuilder();

  const writeFolder = async (folder: IndexedFolder): Promise<string> => {
    const childIds: TreeRef[] = [];
    for (const child of (children.get(folder.folder.folderId) ?? []).sort(order)) {
      childIds.push({ subtree: await writeFolder(child) });
    }
    const selected = isSelected(folder);
    let itemCount = 0;
    let itemBytes = 0;
    const itemPages: ItemPageRef[] = [];
    if (selected) {
      let page: SnapshotItem[] = [];
      const flush = async () => {
        const tree: ItemPageTree = { kind: "items", v: SNAPSHOT_TREE_VERSION, items: page };
        itemPages.push({ first: page[0]!.itemId, subtree: await writer.saveTree(tree) });
        page = [];
      };
      for await (const item of itemsOf(folder.folder.folderId)) {
        const hash = itemIdHash(item.itemId);
        itemLookup.add(item.itemId, folder.folder.folderId, hash);
        page.push(item);
        itemCount++;
        itemBytes += item.dataSize;
        if (endsPage(hash, page.length)) await flush();
      }
      if (page.length > 0) await flush();
    }
    totalItems += itemCount;
    totalBytes += itemBytes;
    const tree: FolderTree = {
      kind: "folder",
      v: SNAPSHOT_TREE_VERSION,
      folderId: folder.folder.folderId,
      displayName: folder.folder.displayName,
      ...(folder.folder.folderClass === undefined ? {} : { folderClass: folder.folder.folderClass }),
      ...(folder.folder.distinguishedName === undefined
        ? {}
        : { distinguishedName: folder.folder.distinguishedName }),
      root: folder.root,
      selected,
      itemCount,
      itemBytes,
      itemPages,
      children: childIds,
    };
    return writer.saveTree(tree);
  };

  const topIds: TreeRef[] = [];
  for (const top of tops.sort(order)) topIds.push({ subtree: await writeFolder(top) });
  const root: MailboxTree = {
    kind: "mailbox",
    v: SNAPSHOT_TREE_VERSION,
    mailbox,
    folders: topIds,
    itemIndex: { subtree: await itemLookup.write(writer) },
    ...(settings === undefined ? {} : { settings }),
  };
  return {
    rootTreeId: await writer.saveTree(root),
    folders: folders.length,
    items: totalItems,
    itemBytes: totalBytes,
  };
}

/** A folder of a snapshot, with its '/'-joined display-name path. */
export interface SnapshotFolder {
  readonly tree: FolderTree;
  readonly path: readonly string[];
  readonly parentFolderId?: string;
}

function corrupt(what: string): EwsVaultError {
  return new EwsVaultError("SNAPSHOT_TREE_INVALID", `snapshot tree is malformed: ${what}`);
}

/** What reading a snapshot's trees needs of the repository. */
export type SnapshotTreeReader = Pick<EngineRepository, "loadTree">;

export async function loadMailboxTree(
  repository: SnapshotTreeReader,
  rootTreeId: string,
): Promise<MailboxTree> {
  const root = (await repository.loadTree(rootTreeId)) as MailboxTree;
  if (root?.kind !== "mailbox" || !Array.isArray(root.folders)) throw corrupt("root is not a mailbox tree");
  if (root.v !== SNAPSHOT_TREE_VERSION) {
    throw new EwsVaultError("SNAPSHOT_TREE_VERSION", `snapshot tree version ${root.v} is not supported`);
  }
  if (root.itemIndex !== undefined && typeof root.itemIndex?.subtree !== "string")
    throw corrupt("root's item index reference");
  if (root.settings !== undefined && typeof root.settings?.subtree !== "string")
    throw corrupt("root's settings reference");
  return root;
}

/** Folder trees loaded at once while walking one level of the hierarchy. */
const WALK_CONCURRENCY = 8;

/**
 * Every folder of a snapshot, parents before children (level by level, each level in tree
 * order). `root` is the root tree's id, or the root itself when the caller has loaded it.
 */
export async function* walkSnapshotFolders(
  repository: SnapshotTreeReader,
  root: string | MailboxTree,
): AsyncIterable<SnapshotFolder> {
  const mailbox = typeof root === "string" ? await loadMailboxTree(repository, root) : root;
  const limit = pLimit(WALK_CONCURRENCY);
  let level: Array<{ id: string; path: readonly string[]; parentFolderId?: string }> = mailbox.folders.map(
    (ref) => ({ id: ref.subtree, path: [] }),
  );
  while (level.length > 0) {
    // Loading a level concurrently hides the destination's latency (a ranged read per tree).
    const trees = await Promise.all(
      level.map((node) =>
        limit(async () => {
          const tree = (await repository.loadTree(node.id)) as FolderTree;
          if (tree?.kind !== "folder" || !Array.isArray(tree.children)) throw corrupt("folder node");
          return tree;
        }),
      ),
    );
    const next: typeof level = [];
    for (const [index, node] of level.entries()) {
      const tree = trees[index]!;
      const path = [...node.path, tree.displayName];
      yield {
        tree,
        path,
        ...(node.parentFolderId === undefined ? {} : { parentFolderId: node.parentFolderId }),
      };
      for (const child of tree.children)
        next.push({ id: child.subtree, path, parentFolderId: tree.folderId });
    }
    level = next;
  }
}

async function loadPage(repository: SnapshotTreeReader, ref: TreeRef): Promise<ItemPageTree> {
  const page = (await repository.loadTree(ref.subtree)) as ItemPageTree;
  if (page?.kind !== "items" || !Array.isArray(page.items)) throw corrupt("item page");
  return page;
}

export async function loadSnapshotItems(
  repository: SnapshotTreeReader,
  tree: FolderTree,
): Promise<SnapshotItem[]> {
  const items: SnapshotItem[] = [];
  for (const ref of tree.itemPages) items.push(...(await loadPage(repository, ref)).items);
  return items;
}

/**
 * The items of a folder whose ids are in `itemIds`, in page order. Reads only the pages that can
 * hold them when the page references carry `first` ids; otherwise (older snapshots), or when an
 * id is not where the order says (snapshots written from mailbox index format 2 sorted by UTF-8
 * byte order, which JavaScript string order matches only for the ASCII ids EWS uses), it reads
 * every page.
 */
export async function loadSnapshotItemsById(
  repository: SnapshotTreeReader,
  tree: FolderTree,
  itemIds: ReadonlySet<string>,
): Promise<SnapshotItem[]> {
  const all = async () => (await loadSnapshotItems(repository, tree)).filter((i) => itemIds.has(i.itemId));
  if (!tree.itemPages.every((ref) => typeof ref.first === "string")) return all();
  const pages = new Set<number>();
  for (const itemId of itemIds) {
    const page = lastAtOrBefore(tree.itemPages, itemId);
    if (page < 0) return all();
    pages.add(page);
  }
  const loaded = await Promise.all(
    [...pages].sort((a, b) => a - b).map((page) => loadPage(repository, tree.itemPages[page]!)),
  );
  const items = loaded.flatMap((page) => page.items.filter((item) => itemIds.has(item.itemId)));
  return items.length === itemIds.size ? items : all();
}
