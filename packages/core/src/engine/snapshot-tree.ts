// How a mailbox is laid out inside a snapshot (engine tree format v1; see docs/snapshot-tree.md).
//
// The snapshot's root tree lists the mailbox's top folders; each folder tree carries its
// metadata, the ids of its child folder trees, and its item list as a data blob (JSON lines,
// sorted by item id, content-defined-chunked like any data). An unchanged folder therefore
// serialises to the same bytes, gets the same tree id and costs nothing new; a folder with one
// changed item rewrites only the chunk of its item list around that item.
import { EwsVaultError } from "../errors.js";
import type { HierarchyRootName, IndexedFolder, IndexedItem } from "../index/index.js";
import type { DistinguishedFolderName } from "../mailbox/types.js";
import type { EngineRepository, EngineWriter } from "./repository-port.js";

export const SNAPSHOT_TREE_VERSION = 1;

/** One item as recorded in a snapshot's item list. */
export interface SnapshotItem {
  readonly itemId: string;
  readonly changeKey: string;
  readonly itemClass?: string;
  readonly subject?: string;
  readonly from?: string;
  readonly to?: readonly string[];
  readonly receivedAt?: string;
  readonly size?: number;
  readonly hasAttachments?: boolean;
  readonly isRead?: boolean;
  readonly isAssociated?: boolean;
  readonly internetMessageId?: string;
  readonly searchKey?: string;
  readonly blobIds: readonly string[];
  readonly dataSize: number;
  readonly mimeBlobIds?: readonly string[];
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
  /** Blob ids of the item list (JSON lines of SnapshotItem); empty when there are no items. */
  readonly items: readonly string[];
  readonly children: readonly string[];
}

export interface MailboxTree {
  readonly kind: "mailbox";
  readonly v: number;
  readonly mailbox: string;
  readonly folders: readonly string[];
}

export function toSnapshotItem(item: IndexedItem): SnapshotItem {
  const {
    folderId: _folderId,
    parentFolderId: _parent,
    ...rest
  } = item as IndexedItem & { parentFolderId?: string };
  // Fixed key order keeps the serialisation, and so the tree id, stable across runs.
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(rest).sort()) {
    const value = (rest as Record<string, unknown>)[key];
    if (value !== undefined) ordered[key] = value;
  }
  return ordered as unknown as SnapshotItem;
}

export interface TreeBuildResult {
  readonly rootTreeId: string;
  readonly folders: number;
  readonly items: number;
  readonly itemBytes: number;
}

/**
 * Writes the tree of one mailbox from its index state. `itemsOf` yields a folder's items in
 * item id order (the index's natural order).
 */
export async function writeMailboxTree(
  writer: EngineWriter,
  mailbox: string,
  folders: readonly IndexedFolder[],
  isSelected: (folder: IndexedFolder) => boolean,
  itemsOf: (folderId: string) => AsyncIterable<SnapshotItem>,
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

  const writeFolder = async (folder: IndexedFolder): Promise<string> => {
    const childIds: string[] = [];
    for (const child of (children.get(folder.folder.folderId) ?? []).sort(order)) {
      childIds.push(await writeFolder(child));
    }
    const selected = isSelected(folder);
    let itemCount = 0;
    let itemBytes = 0;
    let itemBlobIds: readonly string[] = [];
    if (selected) {
      const lines: string[] = [];
      for await (const item of itemsOf(folder.folder.folderId)) {
        lines.push(JSON.stringify(item));
        itemCount++;
        itemBytes += item.dataSize;
      }
      if (lines.length > 0) {
        itemBlobIds = (await writer.saveData(new TextEncoder().encode(`${lines.join("\n")}\n`))).blobIds;
      }
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
      items: itemBlobIds,
      children: childIds,
    };
    return writer.saveTree(tree);
  };

  const topIds: string[] = [];
  for (const top of tops.sort(order)) topIds.push(await writeFolder(top));
  const root: MailboxTree = { kind: "mailbox", v: SNAPSHOT_TREE_VERSION, mailbox, folders: topIds };
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

export async function loadMailboxTree(
  repository: EngineRepository,
  rootTreeId: string,
): Promise<MailboxTree> {
  const root = (await repository.loadTree(rootTreeId)) as MailboxTree;
  if (root?.kind !== "mailbox" || !Array.isArray(root.folders)) throw corrupt("root is not a mailbox tree");
  if (root.v !== SNAPSHOT_TREE_VERSION) {
    throw new EwsVaultError("SNAPSHOT_TREE_VERSION", `snapshot tree version ${root.v} is not supported`);
  }
  return root;
}

/** Every folder of a snapshot, parents before children. */
export async function* walkSnapshotFolders(
  repository: EngineRepository,
  rootTreeId: string,
): AsyncIterable<SnapshotFolder> {
  const root = await loadMailboxTree(repository, rootTreeId);
  const queue: Array<{ id: string; path: readonly string[]; parentFolderId?: string }> = root.folders.map(
    (id) => ({
      id,
      path: [],
    }),
  );
  while (queue.length > 0) {
    const next = queue.shift()!;
    const tree = (await repository.loadTree(next.id)) as FolderTree;
    if (tree?.kind !== "folder" || !Array.isArray(tree.children)) throw corrupt("folder node");
    const path = [...next.path, tree.displayName];
    yield {
      tree,
      path,
      ...(next.parentFolderId === undefined ? {} : { parentFolderId: next.parentFolderId }),
    };
    for (const child of tree.children) queue.push({ id: child, path, parentFolderId: tree.folderId });
  }
}

export async function loadSnapshotItems(
  repository: EngineRepository,
  tree: FolderTree,
): Promise<SnapshotItem[]> {
  if (tree.items.length === 0) return [];
  const text = new TextDecoder().decode(await repository.loadData(tree.items));
  const items: SnapshotItem[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      items.push(JSON.parse(line) as SnapshotItem);
    } catch (cause) {
      throw new EwsVaultError("SNAPSHOT_TREE_INVALID", "snapshot item list is malformed", { cause });
    }
  }
  return items;
}
