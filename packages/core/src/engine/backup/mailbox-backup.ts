// One mailbox's backup, as the orchestration of its stages: ask the server, lock, open the
// index (index-open.ts), sync the hierarchy while probing the known folders (hierarchy.ts,
// probe.ts), decide which folders to sync (change-detection.ts), sync them and export what
// changed (folder-sync.ts, export-store.ts), checkpoint (durability.ts) and write the snapshot
// (snapshot-writer.ts). Never throws: the outcome is the report (progress.ts).

import type { MailboxInfo } from "@ewsvault/mailbox";
import { type ByteBudget, isEwsVaultError } from "@ewsvault/mailbox";
import type { IndexedFolder, StoredFolderProbe } from "../../mailbox-index/index.js";
import { destroyMailboxIndex } from "../../mailbox-index/index.js";
import type { EngineLock, EngineSnapshot } from "../repository-port.js";
import type { BackupWarning, MailboxBackupReport } from "../types.js";
import { isFullSyncDue, mustSyncFolder } from "./change-detection.js";
import { FolderFailureLatch, type MailboxRun } from "./context.js";
import { Durability } from "./durability.js";
import { ExportStore } from "./export-store.js";
import { FolderSync } from "./folder-sync.js";
import { syncHierarchy } from "./hierarchy.js";
import { indexDirectoryOf, openMailboxIndex, warnIndexTampered } from "./index-open.js";
import { IndexSession } from "./index-session.js";
import { probeFolders } from "./probe.js";
import { BackupProgress } from "./progress.js";
import { completeSettingsRead, readSettings, settingsNeedAttention, storeSettings } from "./settings.js";
import { snapshotGroup, writeSnapshot } from "./snapshot-writer.js";

/**
 * The mailbox's report, or: the index failed authentication and the mailbox must run again,
 * carrying the warnings so far.
 */
export type MailboxResult =
  | { readonly report: MailboxBackupReport }
  | { readonly rerun: true; readonly warnings: readonly BackupWarning[] };

/** The run-wide limiters a mailbox shares with the others. */
export interface SharedLimits {
  /** Mailboxes syncing folders and exporting at once (limits.mailboxes). */
  readonly work: <T>(task: () => Promise<T>) => Promise<T>;
}

/** Whether this run synced every folder and rebuilt its index (for the report). */
interface RunFacts {
  fullSync: boolean;
  indexRebuilt: boolean;
}

/**
 * Backs up one mailbox. An index entry that fails authentication in the middle of the run (its
 * values are read lazily) ends it without committing anything more to the index and removes
 * the index; the result then asks the caller to run the mailbox once more with the warnings so
 * far (`earlierWarnings`), which rebuilds the index from the repository, so nothing the
 * tampered entry said reaches a snapshot.
 */
export async function backupMailbox(
  run: MailboxRun,
  budget: ByteBudget,
  shared: SharedLimits,
  earlierWarnings?: readonly BackupWarning[],
): Promise<MailboxResult> {
  const isRerun = earlierWarnings !== undefined;
  const progress = new BackupProgress(run.mailbox, run.started, run.options.onEvent, earlierWarnings);
  const facts: RunFacts = { fullSync: false, indexRebuilt: false };
  const finish = (status: MailboxBackupReport["status"], error?: unknown, snapshotId?: string) => ({
    report: progress.finish({
      status,
      ...(error === undefined ? {} : { error }),
      ...(snapshotId === undefined ? {} : { snapshotId }),
      ...facts,
    }),
  });

  if (!isRerun) progress.emit({ type: "mailbox-start", mailbox: run.mailbox });
  // Ask the server first: a wrong password, an unknown mailbox or an unreachable endpoint
  // then fails the mailbox before anything is written to the repository.
  let info: MailboxInfo;
  let lock: EngineLock;
  try {
    info = await run.source.getMailboxInfo(run.mailbox, run.signal);
    lock = await run.repository.lockMailbox(run.mailbox);
  } catch (error) {
    return finish(isEwsVaultError(error, "REPO_MAILBOX_LOCKED") ? "skipped-locked" : "failed", error);
  }
  let session: IndexSession | undefined;
  let durability: Durability | undefined;
  let rerunNeeded = false;
  try {
    const opened = await openMailboxIndex(run, snapshotGroup(run), progress);
    facts.indexRebuilt = opened.rebuilt;
    const open = new IndexSession(opened.index, opened.rebuilt);
    session = open;
    durability = new Durability(run, open, () => progress.emit({ type: "checkpoint", mailbox: run.mailbox }));
    await open.loadFolders();
    const snapshotId = await syncAndSnapshot(run, info, {
      session: open,
      durability,
      progress,
      budget,
      shared,
      facts,
    });
    const warned = progress.failureCount > 0 || settingsNeedAttention(progress.settings);
    return finish(warned ? "completed-with-warnings" : "completed", undefined, snapshotId);
  } catch (error) {
    if (session !== undefined && !isRerun && isEwsVaultError(error, "INDEX_AUTH_FAILED")) {
      // Nothing more goes into this index: it is removed below and rebuilt by the next run
      // (what was exported is made durable by the writer's close and deduplicated then).
      warnIndexTampered(progress, error);
      rerunNeeded = true;
      return { rerun: true, warnings: progress.warnings };
    }
    // Keep what is already exported: make it durable and indexed so the next run resumes.
    if (durability !== undefined) await durability.checkpoint().catch(() => {});
    return finish("failed", error);
  } finally {
    await durability?.close();
    if (session !== undefined) await session.index.close().catch(() => {});
    if (rerunNeeded) await destroyMailboxIndex(indexDirectoryOf(run)).catch(() => {});
    await lock.release().catch(() => {});
  }
}

interface OpenMailbox {
  readonly session: IndexSession;
  readonly durability: Durability;
  readonly progress: BackupProgress;
  readonly budget: ByteBudget;
  readonly shared: SharedLimits;
  readonly facts: RunFacts;
}

/** With the index open: find what changed, sync and export it, write the snapshot. */
async function syncAndSnapshot(run: MailboxRun, info: MailboxInfo, open: OpenMailbox): Promise<string> {
  const { session, durability, progress, facts } = open;
  const meta = session.index.meta;
  // Forgotten meanwhile: undefined, and the tree is written, which re-saves what prune removed.
  const lastSnapshot: Promise<EngineSnapshot | undefined> =
    meta.lastTreeKey !== undefined && meta.lastSnapshotId !== undefined
      ? run.repository.loadSnapshot(meta.lastSnapshotId).catch(() => undefined)
      : Promise.resolve(undefined);
  const isFolderSelected = (folder: IndexedFolder) => run.isFolderRefSelected(session.folderRef(folder));
  facts.fullSync = isFullSyncDue({
    asked: run.options.fullSync === true,
    intervalSeconds: run.limits.fullSyncIntervalSeconds,
    lastFullSyncAt: meta.lastFullSyncAt,
    now: run.started,
    canProbe: run.source.probeFolders !== undefined,
  });

  // The probe of the folders already known runs alongside the hierarchy sync: one round
  // trip less per mailbox. Folders the hierarchy reveals get a probe of their own below.
  const known = new Set(
    [...session.folders.values()]
      .filter((f) => run.roots.includes(f.root) && f.root !== "public")
      .map((f) => f.folder.folderId),
  );
  const early = probeFolders(run, [...known]);
  // Settings are read alongside, with the permissions of the selected folders the index knows;
  // completed below for the folders the hierarchy reveals, stored just before the snapshot.
  const knownSelected = [...session.folders.values()].filter(
    (f) => run.roots.includes(f.root) && isFolderSelected(f),
  );
  const settingsStarted = readSettings(run, knownSelected);
  const hierarchy = Promise.all(run.roots.map((root) => syncHierarchy(run, session, root, info)));
  await Promise.all([early, hierarchy]);
  const selected = [...session.folders.values()].filter(
    (f) => run.roots.includes(f.root) && isFolderSelected(f),
  );
  progress.stats.foldersTotal = selected.length;
  const settingsRead = completeSettingsRead(run, settingsStarted, knownSelected, selected);
  // Kept for storeSettings: a folder sync failing meanwhile must not leave it unobserved.
  settingsRead.catch(() => undefined);
  const revealed = selected
    .filter((f) => f.root !== "public" && !known.has(f.folder.folderId))
    .map((f) => f.folder.folderId);
  const knownProbes = await early;
  const revealedProbes = revealed.length > 0 ? await probeFolders(run, revealed) : new Map();
  // A failed probe makes this run a full sync.
  if (knownProbes === undefined || revealedProbes === undefined) facts.fullSync = true;
  const probes = new Map<string, StoredFolderProbe>([...(knownProbes ?? []), ...(revealedProbes ?? [])]);
  const rules = {
    fullSync: facts.fullSync,
    probeSettleSeconds: run.limits.probeSettleSeconds,
    associatedItems: run.associatedItems,
  };
  const toSync = selected.filter((folder) =>
    mustSyncFolder(folder, probes.get(folder.folder.folderId), rules),
  );
  progress.stats.foldersDone += selected.length - toSync.length;

  const snapshot = async () => {
    const settings = await storeSettings(run, await settingsRead, () => durability.writer(), progress);
    progress.settings = settings.report;
    await durability.checkpoint();
    const { fullSync } = facts;
    return writeSnapshot(run, {
      session,
      durability,
      progress,
      lastSnapshot,
      isFolderSelected,
      fullSync,
      ...(settings.ref === undefined ? {} : { settings: settings.ref }),
    });
  };
  if (toSync.length === 0) return snapshot();
  return open.shared.work(async () => {
    await durability.writer();
    const failure = new FolderFailureLatch();
    const exports = new ExportStore(run, open.budget, session, durability, progress, failure);
    await new FolderSync(run, { session, exports, durability, progress, failure }).syncAll(toSync, probes);
    await exports.retryDeferred();
    return snapshot();
  });
}
