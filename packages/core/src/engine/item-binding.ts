// Item bindings: every item a backup stores records `binding`, a keyed MAC of its content blob
// list (and MIME blob list) and size bound to its item id (Repository.contentBinding()). Blob
// ids commit to the bytes and verify --read-data checks those; the binding commits the list to
// the item. Together they let a check prove that each item of a snapshot has the bytes that were
// exported for it — a snapshot that recorded another item's content (issue 11, item 5: a
// tampered cache once swapped two items' blob lists) fails here, and nobody without the key can
// make a wrong entry pass.
//
// One check, three users: the backup records bindings (itemBinding), `ewsvault verify` checks
// every snapshot's items (verifySnapshotItemBindings), and a restore checks each item before it
// reads the item's data (assertItemBinding).
import { EwsVaultError } from "@ewsvault/mailbox";
import type { EngineRepository } from "./repository-port.js";
import { loadSnapshotItems, type SnapshotItem, walkSnapshotFolders } from "./snapshot-tree.js";

/** Separates the content ids from the MIME ids in the bound list (never a blob id). */
const MIME_SEPARATOR = "mime";

const BINDING_MISMATCH_MESSAGE = "the content recorded for the item is not the content exported for it";

/** What a binding covers of an item, as the mailbox index and a snapshot item both have it. */
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

/**
 * What a snapshot item's binding says: "bound" (it matches the item's content list, size and
 * id), "unbound" (an item stored before bindings existed: nothing to check, not damage) or
 * "mismatch" (the item records content that was not exported for it).
 */
export function itemBindingStatus(
  repository: Pick<EngineRepository, "contentBinding">,
  item: SnapshotItem,
): "bound" | "unbound" | "mismatch" {
  if (item.binding === undefined) return "unbound";
  return item.binding === itemBinding(repository, bindableOf(item)) ? "bound" : "mismatch";
}

/**
 * Throws ITEM_BINDING_MISMATCH when `item` records a binding that does not match its content
 * list, size and id; an unbound item passes. Restore calls it before reading an item's data, so
 * it never writes one item's bytes as another's.
 */
export function assertItemBinding(
  repository: Pick<EngineRepository, "contentBinding">,
  item: SnapshotItem,
): void {
  if (itemBindingStatus(repository, item) !== "mismatch") return;
  throw new EwsVaultError("ITEM_BINDING_MISMATCH", BINDING_MISMATCH_MESSAGE, {
    details: { itemId: item.itemId },
  });
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

/** What checking items reads of the repository. */
export type ItemCheckRepository = Pick<EngineRepository, "loadTree" | "contentBinding">;

/**
 * Checks every item of a snapshot's tree: its binding (when it has one) matches its content list,
 * size and id; no item id appears twice in a folder; the fields a binding covers are present.
 * Reads the trees only (no data): combine with verify's read-data pass, which proves the blobs
 * match their ids. MUST throw the tree readers' errors (SNAPSHOT_TREE_INVALID, REPO_*) for a
 * tree it cannot read; problems with items are collected, never thrown.
 */
export async function checkSnapshotItems(
  repository: ItemCheckRepository,
  rootTreeId: string,
  signal?: AbortSignal,
): Promise<ItemCheckReport> {
  const problems: ItemCheckProblem[] = [];
  let items = 0;
  let bound = 0;
  for await (const { tree } of walkSnapshotFolders(repository, rootTreeId)) {
    signal?.throwIfAborted();
    const folderId = tree.folderId;
    const seen = new Set<string>();
    for (const item of await loadSnapshotItems(repository, tree)) {
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
      const status = itemBindingStatus(repository, item);
      if (status === "unbound") continue;
      bound++;
      if (status === "mismatch") problem("ITEM_BINDING_MISMATCH", BINDING_MISMATCH_MESSAGE);
    }
  }
  return { items, bound, problems };
}

/**
 * A problem verifySnapshotItemBindings() found: an item's (with folderId and itemId), or, without
 * them, a snapshot whose tree could not be read (code from the reader's error).
 */
export interface SnapshotItemProblem {
  readonly snapshotId: string;
  readonly code: string;
  readonly message: string;
  readonly folderId?: string;
  readonly itemId?: string;
}

export interface SnapshotItemBindingsReport {
  /** Items read over every distinct tree. */
  readonly items: number;
  readonly bound: number;
  /** Problems reported through onProblem. */
  readonly problems: number;
}

/**
 * Checks the items of each snapshot (checkSnapshotItems) and reports every problem through
 * `onProblem` as it is found. Snapshots that share a tree (an unchanged mailbox reuses its tree)
 * are checked once, under the first of them. A tree that cannot be read is one problem of that
 * snapshot, not an error: the check goes on with the others, so one damaged snapshot does not
 * hide the state of the rest. MUST throw only when `signal` aborts.
 */
export async function verifySnapshotItemBindings(
  repository: ItemCheckRepository,
  snapshots: Iterable<{ readonly id: string; readonly tree: string }>,
  options: { readonly onProblem: (problem: SnapshotItemProblem) => void; readonly signal?: AbortSignal },
): Promise<SnapshotItemBindingsReport> {
  const { onProblem, signal } = options;
  const seen = new Set<string>();
  let items = 0;
  let bound = 0;
  let problems = 0;
  for (const snapshot of snapshots) {
    if (seen.has(snapshot.tree)) continue;
    seen.add(snapshot.tree);
    let check: ItemCheckReport;
    try {
      check = await checkSnapshotItems(repository, snapshot.tree, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      problems++;
      const code = error instanceof Error && "code" in error ? String(error.code) : "INTERNAL";
      const message = error instanceof Error ? error.message : String(error);
      onProblem({ snapshotId: snapshot.id, code, message });
      continue;
    }
    items += check.items;
    bound += check.bound;
    for (const problem of check.problems) {
      problems++;
      onProblem({ snapshotId: snapshot.id, ...problem });
    }
  }
  return { items, bound, problems };
}
