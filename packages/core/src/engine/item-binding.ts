// Item bindings: every item a backup stores records `binding`, a keyed MAC of its content blob
// list (and MIME blob list) and size bound to its item id (Repository.contentBinding()). Blob
// ids commit to the bytes and verify --read-data checks those; the binding commits the list to
// the item. Together they let a check prove that each item of a snapshot has the bytes that were
// exported for it — a snapshot that recorded another item's content (issue 11, item 5: a
// tampered cache once swapped two items' blob lists) fails here, and nobody without the key can
// make a wrong entry pass.
import type { EngineRepository } from "./repository-port.js";
import { loadSnapshotItems, type SnapshotItem, walkSnapshotFolders } from "./snapshot-tree.js";

/** Separates the content ids from the MIME ids in the bound list (never a blob id). */
const MIME_SEPARATOR = "mime";

/** What a binding covers of an item, as the index and a snapshot item both have it. */
export interface BindableItem {
  readonly itemId: string;
  readonly blobIds: readonly string[];
  readonly dataSize: number;
  readonly mimeBlobIds?: readonly string[];
}

export function itemBinding(
  repository: Pick<EngineRepository, "contentBinding">,
  item: BindableItem,
): string {
  const ids =
    item.mimeBlobIds === undefined ? item.blobIds : [...item.blobIds, MIME_SEPARATOR, ...item.mimeBlobIds];
  return repository.contentBinding(item.itemId, ids, item.dataSize);
}

function bindableOf(item: SnapshotItem): BindableItem {
  return {
    itemId: item.itemId,
    blobIds: item.content,
    dataSize: item.dataSize,
    ...(item.mime === undefined ? {} : { mimeBlobIds: item.mime.content }),
  };
}

export type ItemCheckProblemCode = "ITEM_BINDING_MISMATCH" | "ITEM_DUPLICATE" | "ITEM_MALFORMED";

export interface ItemCheckProblem {
  readonly code: ItemCheckProblemCode;
  readonly folderId: string;
  readonly itemId: string;
  readonly message: string;
}

export interface ItemCheckReport {
  /** Items read. */
  readonly items: number;
  /** Items that carry a binding (and so were checked); older snapshots have none. */
  readonly bound: number;
  readonly problems: readonly ItemCheckProblem[];
}

/**
 * Checks every item of a snapshot's tree: its binding (when it has one) matches its content list,
 * size and id; no item id appears twice in a folder; the fields a binding covers are present.
 * Reads the trees only (no data): combine with verify's read-data pass, which proves the blobs
 * match their ids. MUST throw the tree readers' errors (SNAPSHOT_TREE_INVALID, REPO_*) for a
 * tree it cannot read; problems with items are collected, never thrown.
 */
export async function checkSnapshotItems(
  repository: Pick<EngineRepository, "loadTree" | "contentBinding">,
  rootTreeId: string,
): Promise<ItemCheckReport> {
  const problems: ItemCheckProblem[] = [];
  let items = 0;
  let bound = 0;
  for await (const { tree } of walkSnapshotFolders(repository as EngineRepository, rootTreeId)) {
    const folderId = tree.folderId;
    const seen = new Set<string>();
    for (const item of await loadSnapshotItems(repository as EngineRepository, tree)) {
      items++;
      const itemId = typeof item?.itemId === "string" ? item.itemId : "";
      const problem = (code: ItemCheckProblemCode, message: string) =>
        problems.push({ code, folderId, itemId, message });
      if (
        itemId === "" ||
        !Array.isArray(item.content) ||
        typeof item.dataSize !== "number" ||
        (item.mime !== undefined && !Array.isArray(item.mime?.content))
      ) {
        problem("ITEM_MALFORMED", "an item lacks its id, content list or size");
        continue;
      }
      if (seen.has(itemId)) problem("ITEM_DUPLICATE", "the item appears twice in its folder");
      seen.add(itemId);
      if (item.binding === undefined) continue;
      bound++;
      if (item.binding !== itemBinding(repository, bindableOf(item))) {
        problem(
          "ITEM_BINDING_MISMATCH",
          "the content recorded for the item is not the content exported for it",
        );
      }
    }
  }
  return { items, bound, problems };
}
