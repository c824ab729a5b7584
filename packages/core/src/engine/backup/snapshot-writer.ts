// Ends a mailbox's run with its snapshot: the mailbox tree written from the index (or the last
// snapshot's tree again when nothing it shows changed, see docs/mailbox-index.md "Reusing the
// last snapshot tree"), the snapshot saved behind the fencing hook
// (options.beforeCommit("snapshot")), and the index told which snapshot and tree it now matches.
import { hostname } from "node:os";
import { type SelectionInput, selectionGroup } from "@ewsvault/repository";
import type { HierarchyRootName, IndexedFolder } from "../../mailbox-index/index.js";
import type { EngineSnapshot } from "../repository-port.js";
import {
  SNAPSHOT_TREE_VERSION,
  type TreeBuildResult,
  type TreeRef,
  toSnapshotItem,
  writeMailboxTree,
} from "../snapshot-tree.js";
import type { Selection } from "../types.js";
import { restartsFullSyncInterval } from "./change-detection.js";
import type { MailboxRun } from "./context.js";
import type { Durability } from "./durability.js";
import type { IndexSession } from "./index-session.js";
import type { BackupProgress } from "./progress.js";
import { withSettingsRef } from "./settings-ref.js";

/** The selection as the snapshot records it: the roots actually written, every filter. */
export function recordedSelection(
  selection: Selection | undefined,
  roots: readonly HierarchyRootName[],
): SelectionInput {
  return { ...selection, roots };
}

/** Snapshot group of a run (see repository/snapshot-group.ts). */
export function snapshotGroup(run: Pick<MailboxRun, "options" | "roots">): string {
  return selectionGroup(recordedSelection(run.options.selection, run.roots));
}

/**
 * What a snapshot's tree was written under (MailboxIndexMeta.lastTreeKey): the tree format and
 * everything besides the index that decides which folders and items it holds.
 */
export function treeKey(selection: Selection | undefined, roots: readonly HierarchyRootName[]): string {
  const s = selection;
  return JSON.stringify({
    v: SNAPSHOT_TREE_VERSION,
    roots: [...roots].sort(),
    includeFolders: s?.includeFolders ?? null,
    excludeFolders: s?.excludeFolders ?? null,
    includeItemClasses: s?.includeItemClasses ?? null,
    excludeItemClasses: s?.excludeItemClasses ?? null,
    receivedAfter: s?.receivedAfter?.toISOString() ?? null,
    receivedBefore: s?.receivedBefore?.toISOString() ?? null,
  });
}

export interface SnapshotInputs {
  readonly session: Pick<IndexSession, "index" | "folders" | "treeChanged">;
  readonly durability: Pick<Durability, "writer">;
  readonly progress: Pick<BackupProgress, "stats" | "snapshotItems" | "failureCount">;
  /** The last snapshot, read while the mailbox was being checked (undefined: none, or forgotten). */
  readonly lastSnapshot: Promise<EngineSnapshot | undefined>;
  readonly isFolderSelected: (folder: IndexedFolder) => boolean;
  readonly fullSync: boolean;
  /** The settings tree stored this run (backup/settings.ts); absent: the snapshot holds no settings. */
  readonly settings?: TreeRef;
}

/** Writes the mailbox's snapshot and returns its id. */
export async function writeSnapshot(run: MailboxRun, inputs: SnapshotInputs): Promise<string> {
  const { session, progress } = inputs;
  const { roots, options, repository, mailbox } = run;
  const key = treeKey(options.selection, roots);
  let tree = await reusableTree(run, inputs, key);
  if (tree !== undefined) {
    // The items are as last time; the settings may not be (a new root names them).
    tree = await withSettingsRef(repository, inputs.durability, tree, inputs.settings);
  } else {
    // The tree is written from the index: an item entry removed outside ewsvault would be
    // left out silently, so the item set is checked first (INDEX_AUTH_FAILED: run again).
    await session.index.verifyItemSet();
    const folders = [...session.folders.values()].filter((f) => roots.includes(f.root));
    const index = session.index;
    const writer = await inputs.durability.writer();
    tree = await writeMailboxTree(
      writer,
      mailbox,
      folders,
      inputs.isFolderSelected,
      async function* (folderId) {
        for await (const item of index.items(folderId)) yield toSnapshotItem(item);
      },
      inputs.settings,
    );
    await writer.checkpoint();
  }
  const stats = progress.stats;
  // Incremental syncs report only changes, so "unchanged" is everything the snapshot holds
  // that this run did not export.
  progress.snapshotItems = tree.items;
  stats.itemsUnchanged = Math.max(0, tree.items - stats.itemsDone);
  // The parent is the newest snapshot of the same group (what was backed up), not whichever
  // selection of this mailbox ran last.
  const parent = (await repository.findSnapshot({ mailbox, at: "latest", group: snapshotGroup(run) }))?.id;
  await options.beforeCommit?.("snapshot");
  const { id: snapshotId } = await repository.saveSnapshot({
    mailbox,
    selection: recordedSelection(options.selection, roots),
    time: new Date(run.started),
    hostname: options.host ?? hostname(),
    tags: [...(options.tags ?? [])],
    tree: tree.rootTreeId,
    ...(parent === undefined ? {} : { parent }),
    counts: {
      folders: tree.folders,
      items: tree.items,
      itemsExported: stats.itemsDone,
      itemsUnchanged: stats.itemsUnchanged,
      itemsDeleted: stats.itemsDeleted,
      itemsFailed: progress.failureCount,
    },
    sizes: { items: tree.itemBytes, new: stats.bytesNew, stored: stats.bytesStored },
  });
  const finish = session.index.batch().setLastSnapshot(snapshotId).setLastTreeKey(key);
  if (restartsFullSyncInterval(inputs.fullSync, options.selection))
    finish.setLastFullSync(new Date(run.started));
  await finish.commit();
  return snapshotId;
}

/**
 * The last snapshot's tree when nothing it was written from changed since (see
 * MailboxIndexMeta.lastTreeKey) and the snapshot is still in the repository.
 */
async function reusableTree(
  run: MailboxRun,
  inputs: SnapshotInputs,
  key: string,
): Promise<TreeBuildResult | undefined> {
  const meta = inputs.session.index.meta;
  if (inputs.session.treeChanged || meta.lastTreeKey !== key || meta.lastSnapshotId === undefined)
    return undefined;
  const last = await inputs.lastSnapshot;
  if (last === undefined || last.id !== meta.lastSnapshotId) return undefined;
  const folders = last.counts?.folders;
  const items = last.counts?.items;
  const itemBytes = last.sizes?.items;
  if (last.mailbox !== run.mailbox || folders === undefined || items === undefined || itemBytes === undefined)
    return undefined;
  return { rootTreeId: last.tree, folders, items, itemBytes };
}
