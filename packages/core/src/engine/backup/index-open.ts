// Opens one mailbox's index for a run, ready to use: an index that is corrupt, of another
// version or fails authentication is removed and started afresh; an empty one is refilled from
// the latest snapshot (so nothing already in the repository is exported again); the plaintext
// index of an older version is removed. See docs/mailbox-index.md.

import type { FolderInfo } from "@ewsvault/mailbox";
import { type EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import { destroyMailboxIndex, MailboxIndex } from "../../mailbox-index/index.js";
import { removeOverwriting } from "../../mailbox-index/private-files.js";
import { legacyMailboxIndexDirectory, mailboxIndexDirectory } from "../mailbox-index-location.js";
import { fromSnapshotItem, loadSnapshotItems, walkSnapshotFolders } from "../snapshot-tree.js";
import type { MailboxRun } from "./context.js";

/** What openMailboxIndex reports besides the index. */
export interface OpenedIndex {
  readonly index: MailboxIndex;
  /** Refilled from a snapshot this run (no earlier tree describes it). */
  readonly rebuilt: boolean;
}

export interface IndexWarnings {
  warn(code: string, message: string, cause?: unknown): void;
}

/** The directory of this run's mailbox index (keyed by the repository). */
export function indexDirectoryOf(run: MailboxRun): string {
  return mailboxIndexDirectory(run.options.indexDirectory, run.mailbox, run.repository.cacheKey());
}

/** An index entry failed authentication: the index is rebuilt from the repository, and said so. */
export function warnIndexTampered(warnings: IndexWarnings, error: EwsVaultError): void {
  warnings.warn(
    "INDEX_AUTH_FAILED",
    "the mailbox index failed authentication (changed outside ewsvault); it was rebuilt from the repository",
    error,
  );
}

/**
 * Opens the index; `group` is this run's snapshot group (a rebuild prefers its snapshots). An
 * index that failed to open fully is closed again before the error is thrown: LevelDB allows
 * one handle per directory, so one left open would lock the mailbox for the rest of the process.
 */
export async function openMailboxIndex(
  run: MailboxRun,
  group: string,
  warnings: IndexWarnings,
): Promise<OpenedIndex> {
  const directory = indexDirectoryOf(run);
  const open = () => MailboxIndex.open(directory, run.mailbox, run.repository.cacheKey());
  let index: MailboxIndex;
  try {
    index = await open();
  } catch (error) {
    if (!isRebuildableIndexError(error)) throw error;
    if (isEwsVaultError(error, "INDEX_AUTH_FAILED")) warnIndexTampered(warnings, error);
    await destroyMailboxIndex(directory);
    index = await open();
  }
  let rebuilt = false;
  try {
    if (index.meta.lastSnapshotId === undefined) {
      const latest = await latestSnapshot(run, group);
      if (latest !== undefined) {
        // Refilled in a fresh database: close, remove, open, fill, commit.
        await index.close();
        await destroyMailboxIndex(directory);
        index = await open();
        await refillFromSnapshot(run, index, latest.tree, latest.id);
        rebuilt = true;
      }
    }
  } catch (error) {
    await index.close().catch(() => {});
    throw error;
  }
  await removeLegacyIndex(run, warnings);
  return { index, rebuilt };
}

/**
 * The snapshot to rebuild from: this selection's own group when it has one (another group's
 * tree may hold only part of the folders; the rest are then synced afresh, deduplicated), else
 * the mailbox's latest. A damaged snapshot (REPO_CORRUPT) must not stop backups: start afresh.
 */
async function latestSnapshot(run: MailboxRun, group: string) {
  const latestOf = (inGroup?: string) =>
    run.repository
      .findSnapshot({
        mailbox: run.mailbox,
        at: "latest",
        ...(inGroup === undefined ? {} : { group: inGroup }),
      })
      .catch((error: unknown) => {
        if (isEwsVaultError(error, "REPO_CORRUPT")) return undefined;
        throw error;
      });
  return (await latestOf(group)) ?? (await latestOf());
}

/** Fills an empty index from a snapshot: folders without sync states, items as they were. */
async function refillFromSnapshot(
  run: MailboxRun,
  index: MailboxIndex,
  rootTreeId: string,
  snapshotId: string,
): Promise<void> {
  const batch = index.batch();
  for await (const { tree, parentFolderId } of walkSnapshotFolders(run.repository, rootTreeId)) {
    const folder: FolderInfo = {
      folderId: tree.folderId,
      changeKey: "",
      parentFolderId: parentFolderId ?? "",
      displayName: tree.displayName,
      ...(tree.folderClass === undefined ? {} : { folderClass: tree.folderClass }),
      ...(tree.distinguishedName === undefined ? {} : { distinguishedName: tree.distinguishedName }),
    };
    batch.putFolder({ folder, root: tree.root });
    for (const item of await loadSnapshotItems(run.repository, tree)) {
      batch.putItem(fromSnapshotItem(item, tree.folderId));
    }
  }
  await batch.setLastSnapshot(snapshotId).commit();
}

/**
 * A format 1 or 2 index held plaintext and unauthenticated entries: it is never read (the new
 * one was rebuilt from the repository), only removed. Failing to remove it must not fail the
 * backup, but must not go unnoticed either.
 */
async function removeLegacyIndex(run: MailboxRun, warnings: IndexWarnings): Promise<void> {
  const legacy = legacyMailboxIndexDirectory(run.options.indexDirectory, run.mailbox);
  await removeOverwriting(legacy).catch((error: unknown) =>
    warnings.warn(
      "INDEX_LEGACY_NOT_REMOVED",
      `the plaintext index of an older version at ${legacy} could not be removed; remove it by hand`,
      error,
    ),
  );
}

/** Index errors after which the index is removed and rebuilt from the repository. */
function isRebuildableIndexError(error: unknown): error is EwsVaultError {
  return (
    isEwsVaultError(error, "INDEX_CORRUPT") ||
    isEwsVaultError(error, "INDEX_VERSION") ||
    isEwsVaultError(error, "INDEX_AUTH_FAILED")
  );
}
