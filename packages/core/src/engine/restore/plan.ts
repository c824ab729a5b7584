// Restore stage 1, plan: which snapshot a restore means (resolveSnapshot) and which of its
// folders and items it restores (planRestore: folder globs, item ids, a search). Reads the
// repository only; nothing here touches the target, so planRestore() also answers "what would
// this restore do".
import { EwsVaultError } from "@ewsvault/mailbox";
import { defaultGroup, describeSelection, groupsOf } from "@ewsvault/repository";
import type { EngineRepository, EngineSnapshot } from "../repository-port.js";
import { createFolderFilter } from "../selection.js";
import { lookupItemFolders } from "../snapshot-item-lookup.js";
import {
  loadMailboxTree,
  loadSnapshotItems,
  loadSnapshotItemsById,
  type SnapshotFolder,
  type SnapshotItem,
  type SnapshotTreeReader,
  walkSnapshotFolders,
} from "../snapshot-tree.js";
import type { ItemSearch, RestoreOptions } from "../types.js";

/** What choosing a snapshot reads of the repository. */
export type SnapshotFinder = Pick<EngineRepository, "loadSnapshot" | "listSnapshots" | "findSnapshot">;

/**
 * The snapshot a restore means. An id is taken as is. "latest" and a time are chosen within a
 * snapshot group (what was backed up): `group` when given ("any" = every group, the caller's
 * explicit choice), else the mailbox's default group (defaultGroup: whole mailbox, or the only
 * group). With several groups and none of them the whole mailbox this MUST throw
 * SNAPSHOT_GROUP_AMBIGUOUS rather than restore part of a mailbox as if it were all of it.
 */
export async function resolveSnapshot(
  repository: SnapshotFinder,
  mailbox: string,
  snapshot: string | Date | undefined,
  group?: string,
): Promise<EngineSnapshot> {
  if (snapshot !== undefined && !(snapshot instanceof Date) && snapshot !== "latest") {
    return repository.loadSnapshot(snapshot);
  }
  const at = snapshot instanceof Date ? snapshot : "latest";
  let chosen = group === "any" ? undefined : group;
  if (group === undefined) {
    const all = await repository.listSnapshots({ mailbox });
    chosen = defaultGroup(all, mailbox);
    if (chosen === undefined && all.length > 0) {
      const groups = groupsOf(all, mailbox);
      throw new EwsVaultError(
        "SNAPSHOT_GROUP_AMBIGUOUS",
        `${mailbox} has snapshots of ${groups.length} different selections and none of the whole mailbox; choose a group (${groups
          .map((g) => `${g.group}: ${describeSelection(g.latest.selection)}`)
          .join("; ")})`,
        { details: { mailbox, groups: groups.map((g) => g.group) } },
      );
    }
  }
  const found = await repository.findSnapshot({
    mailbox,
    at,
    ...(chosen === undefined ? {} : { group: chosen }),
  });
  if (found === undefined) {
    throw new EwsVaultError(
      "REPO_SNAPSHOT_NOT_FOUND",
      `no snapshot of ${mailbox} matches ${String(snapshot ?? "latest")}${chosen === undefined ? "" : ` in group ${chosen}`}`,
      { details: { mailbox, ...(chosen === undefined ? {} : { group: chosen }) } },
    );
  }
  return found;
}

function matchesSearch(item: SnapshotItem, search: ItemSearch | undefined): boolean {
  if (search === undefined) return true;
  if (
    search.subject !== undefined &&
    !(item.subject ?? "").toLowerCase().includes(search.subject.toLowerCase())
  ) {
    return false;
  }
  if (search.from !== undefined && !(item.from ?? "").toLowerCase().includes(search.from.toLowerCase()))
    return false;
  if (search.itemClass !== undefined) {
    const wanted = search.itemClass.toLowerCase();
    const actual = (item.itemClass ?? "").toLowerCase();
    if (actual !== wanted && !actual.startsWith(`${wanted}.`)) return false;
  }
  if (search.receivedAfter !== undefined || search.receivedBefore !== undefined) {
    const received = item.receivedAt === undefined ? Number.NaN : Date.parse(item.receivedAt);
    if (Number.isNaN(received)) return false;
    if (search.receivedAfter !== undefined && received < search.receivedAfter.getTime()) return false;
    if (search.receivedBefore !== undefined && received >= search.receivedBefore.getTime()) return false;
  }
  return true;
}

export interface PlannedFolder {
  readonly folder: SnapshotFolder;
  readonly items: readonly SnapshotItem[];
}

export interface RestorePlan {
  /** Folders to restore, parents before children; a folder restore keeps empty folders too. */
  readonly folders: readonly PlannedFolder[];
  /** Every folder of the snapshot by '/'-joined path (parents of selected folders included). */
  readonly allFolders: ReadonlyMap<string, SnapshotFolder>;
  readonly items: number;
}

/**
 * Folder id -> the wanted ids the snapshot's item lookup places there, or undefined when the
 * snapshot has no lookup this reader knows (older snapshots): the caller then reads every page.
 */
async function locateItems(
  repository: SnapshotTreeReader,
  lookupTreeId: string,
  wantedIds: ReadonlySet<string>,
): Promise<Map<string, Set<string>> | undefined> {
  const found = await lookupItemFolders(repository, lookupTreeId, wantedIds);
  if (found === undefined) return undefined;
  const located = new Map<string, Set<string>>();
  for (const [itemId, folderIds] of found) {
    for (const folderId of folderIds) {
      const ids = located.get(folderId) ?? new Set<string>();
      ids.add(itemId);
      located.set(folderId, ids);
    }
  }
  return located;
}

/**
 * Lists what a restore with these options would restore, without touching the target.
 * Restoring by item id reads the folder trees and, through the snapshot's item lookup, only the
 * item pages holding those ids; snapshots without a lookup (older ones) are searched page by page.
 * MUST throw SNAPSHOT_TREE_INVALID when the lookup places an item in a folder that does not hold it.
 */
export async function planRestore(
  repository: SnapshotTreeReader,
  snapshot: EngineSnapshot,
  options: Pick<RestoreOptions, "folders" | "itemIds" | "search">,
): Promise<RestorePlan> {
  const folderFilter = createFolderFilter(
    options.folders?.length ? { includeFolders: options.folders } : undefined,
  );
  const wantedIds = options.itemIds?.length ? new Set(options.itemIds) : undefined;
  const root = await loadMailboxTree(repository, snapshot.tree);
  const located =
    wantedIds !== undefined && root.itemIndex !== undefined
      ? await locateItems(repository, root.itemIndex.subtree, wantedIds)
      : undefined;
  const planned: PlannedFolder[] = [];
  const allFolders = new Map<string, SnapshotFolder>();
  const distinguishedByPath = new Map<string, string[]>();
  for await (const folder of walkSnapshotFolders(repository, root)) {
    const parentNames = distinguishedByPath.get(folder.path.slice(0, -1).join("/")) ?? [];
    const names = folder.tree.distinguishedName
      ? [...parentNames, folder.tree.distinguishedName]
      : parentNames;
    distinguishedByPath.set(folder.path.join("/"), names);
    allFolders.set(folder.path.join("/"), folder);
    if (!folder.tree.selected || !folderFilter({ path: folder.path, distinguishedNames: names })) continue;
    let candidates: SnapshotItem[];
    if (located === undefined) {
      candidates = await loadSnapshotItems(repository, folder.tree);
    } else {
      const here = located.get(folder.tree.folderId);
      if (here === undefined) continue;
      candidates = await loadSnapshotItemsById(repository, folder.tree, here);
      if (candidates.length !== here.size) {
        throw new EwsVaultError(
          "SNAPSHOT_TREE_INVALID",
          `the snapshot's item index places items in ${folder.path.join("/")} that it does not hold`,
        );
      }
    }
    const items = candidates.filter(
      (item) =>
        (wantedIds === undefined || wantedIds.has(item.itemId)) && matchesSearch(item, options.search),
    );
    if (items.length > 0 || (wantedIds === undefined && options.search === undefined))
      planned.push({ folder, items });
  }
  return { folders: planned, allFolders, items: planned.reduce((sum, p) => sum + p.items.length, 0) };
}
