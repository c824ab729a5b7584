// Item sync of the folders a run must sync: pages of SyncFolderItems from each folder's stored
// state (public folders: one FindItem listing), deletions, and the changed items handed to the
// export stage. A folder's sync state is recorded after each page whose items were handed on,
// and its probe markers only once the sync reached the end of the folder (see
// docs/mailbox-index.md). One folder's failure stops the others before their next request.
import type { ItemChange, ItemSummary } from "@ewsvault/mailbox";
import type { IndexedFolder, StoredFolderProbe } from "../../mailbox-index/index.js";
import { changeBudget, SyncProgressGuard } from "../sync-progress.js";
import { decideItem, readFlagExport, sameSyncScope } from "./change-detection.js";
import type { ExportCandidate, FolderFailureLatch, MailboxRun } from "./context.js";
import type { Durability } from "./durability.js";
import type { ExportStore } from "./export-store.js";
import type { IndexSession } from "./index-session.js";
import type { BackupProgress } from "./progress.js";
import { syncAllPages } from "./sync-pages.js";

/** What this stage uses of the others. */
export interface FolderSyncStages {
  readonly session: Pick<
    IndexSession,
    "folders" | "getItem" | "putItem" | "deleteItem" | "putFolder" | "itemsNotIn" | "folderPath"
  >;
  readonly exports: Pick<ExportStore, "export">;
  readonly durability: Pick<Durability, "maybeCheckpoint">;
  readonly progress: Pick<BackupProgress, "stats" | "progress">;
  readonly failure: FolderFailureLatch;
}

export class FolderSync {
  readonly #run: MailboxRun;
  readonly #stages: FolderSyncStages;

  constructor(run: MailboxRun, stages: FolderSyncStages) {
    this.#run = run;
    this.#stages = stages;
  }

  /**
   * Syncs every folder of `folders` concurrently. A failure of one fails the mailbox only once
   * every folder sync has settled (they stop before their next request), so the caller's
   * checkpoint keeps everything they stored; the first failure is then thrown.
   */
  async syncAll(
    folders: readonly IndexedFolder[],
    probes: ReadonlyMap<string, StoredFolderProbe>,
  ): Promise<void> {
    const synced = await Promise.allSettled(
      folders.map((folder) => this.#syncFolder(folder, probes.get(folder.folder.folderId))),
    );
    if (synced.some((outcome) => outcome.status === "rejected")) throw this.#stages.failure.error;
  }

  async #syncFolder(folder: IndexedFolder, probe: StoredFolderProbe | undefined): Promise<void> {
    const { progress, failure } = this.#stages;
    progress.stats.foldersSynced++;
    try {
      if (folder.root === "public") await this.#syncPublicFolder(folder);
      else await this.#syncFolderItems(folder, probe);
    } catch (error) {
      failure.fail(error);
      throw error;
    }
    progress.stats.foldersDone++;
    progress.progress();
  }

  async #syncFolderItems(initial: IndexedFolder, probe: StoredFolderProbe | undefined): Promise<void> {
    const { session, exports, durability, progress, failure } = this.#stages;
    const run = this.#run;
    const folderId = initial.folder.folderId;
    const associated = run.associatedItems;
    // A state of the other scope (FAI included or not) is not resumed: Exchange would answer
    // in the scope it was made with, so the folder starts over (unchanged items keep their
    // change keys and are not exported again; FAI no longer asked for are deleted as unseen).
    const startState = sameSyncScope(initial, associated) ? initial.syncState : undefined;
    const scope = associated ? { associated: true } : {};
    let seen: Set<string> | undefined = startState === undefined ? new Set() : undefined;
    const result = await syncAllPages({
      syncState: startState,
      signal: run.signal,
      guard: () =>
        new SyncProgressGuard(
          `folder ${session.folderPath(initial)}`,
          { mailbox: run.mailbox, folderId },
          changeBudget({
            ...(initial.folder.totalCount === undefined ? {} : { totalCount: initial.folder.totalCount }),
            ...probe,
          }),
        ),
      beforeRequest: () => failure.throwIfFailed(),
      request: (syncState) =>
        run.request(() => {
          // Queued behind the limiter: a folder that failed meanwhile stops this one here.
          failure.throwIfFailed();
          return run.source.syncFolderItems(run.mailbox, folderId, {
            ...(syncState === undefined ? {} : { syncState }),
            ...(associated ? { includeAssociated: true } : {}),
            ...(run.signal === undefined ? {} : { signal: run.signal }),
          });
        }),
      view: (page) => ({
        syncState: page.syncState,
        ids: page.changes.map(changedItemId),
        last: page.includesLastItemInRange,
      }),
      restart: () => {
        // Start over for this folder; unchanged items keep their change keys, so nothing is re-exported.
        progress.stats.foldersResynced++;
        seen = new Set();
      },
      apply: async (page) => {
        const folder = session.folders.get(folderId) ?? initial;
        await exports.export(await this.#candidatesOf(folder, page.changes, seen));
        const latest = session.folders.get(folderId);
        if (latest === undefined) return "stop"; // deleted while we were syncing it
        // Markers are stored only with the state that reached the end of the folder (below):
        // a state in the middle of a folder next to equal markers would hide the rest for good.
        const { probe: _stale, associated: _scope, ...withoutProbe } = latest;
        session.putFolder({ ...withoutProbe, syncState: page.syncState, ...scope });
        await durability.maybeCheckpoint();
        return undefined;
      },
    });
    if (result.stopped) return;
    if (seen !== undefined) await this.#deleteUnseen(folderId, seen);
    const latest = session.folders.get(folderId);
    if (probe !== undefined && latest !== undefined) session.putFolder({ ...latest, probe });
  }

  /** Applies a page's deletions and returns the items it makes to export. */
  async #candidatesOf(
    folder: IndexedFolder,
    changes: readonly ItemChange[],
    seen: Set<string> | undefined,
  ): Promise<ExportCandidate[]> {
    const { session, progress } = this.#stages;
    const folderId = folder.folder.folderId;
    const candidates: ExportCandidate[] = [];
    // A page that names one item twice (a server bug or a hostile one) exports it once.
    const onPage = new Set<string>();
    for (const change of changes) {
      const changedId = changedItemId(change);
      if (change.kind !== "delete" && onPage.has(changedId)) continue;
      onPage.add(changedId);
      if (change.kind === "delete") {
        if (await session.getItem(folderId, change.itemId)) {
          session.deleteItem(folderId, change.itemId);
          progress.stats.itemsDeleted++;
        }
        continue;
      }
      if (change.kind === "readFlag") {
        const summary = readFlagExport(await session.getItem(folderId, change.itemId), change.isRead);
        if (summary !== undefined) {
          seen?.add(change.itemId);
          progress.stats.itemsTotal++;
          candidates.push({ summary, folder });
        }
        continue;
      }
      seen?.add(change.item.itemId);
      await this.#considerItem(folder, change.item, candidates);
    }
    return candidates;
  }

  async #syncPublicFolder(folder: IndexedFolder): Promise<void> {
    const { exports, durability, failure } = this.#stages;
    const run = this.#run;
    failure.throwIfFailed();
    const folderId = folder.folder.folderId;
    const items = await run.request(() => run.source.findItems(run.mailbox, folderId, run.signal));
    const seen = new Set<string>();
    const candidates: ExportCandidate[] = [];
    for (const item of items) {
      seen.add(item.itemId);
      await this.#considerItem(folder, item, candidates);
    }
    await exports.export(candidates);
    await this.#deleteUnseen(folderId, seen);
    await durability.maybeCheckpoint();
  }

  async #considerItem(
    folder: IndexedFolder,
    summary: ItemSummary,
    candidates: ExportCandidate[],
  ): Promise<void> {
    const { session, progress } = this.#stages;
    const folderId = folder.folder.folderId;
    const existing = await session.getItem(folderId, summary.itemId);
    const decision = decideItem(existing, summary, this.#run.isItemSelected(summary));
    switch (decision.kind) {
      case "ignore":
        return;
      case "forget":
        session.deleteItem(folderId, summary.itemId);
        return;
      case "unchanged":
        progress.stats.itemsUnchanged++;
        if (existing !== undefined && decision.isRead !== undefined) {
          session.putItem({ ...existing, isRead: decision.isRead });
        }
        return;
      case "export":
        progress.stats.itemsTotal++;
        candidates.push({ summary, folder });
        return;
    }
  }

  /** Removes the folder's items a sync from scratch did not report (deleted meanwhile). */
  async #deleteUnseen(folderId: string, seen: ReadonlySet<string>): Promise<void> {
    const { session, progress } = this.#stages;
    for (const itemId of await session.itemsNotIn(folderId, seen)) {
      if (await session.getItem(folderId, itemId)) {
        session.deleteItem(folderId, itemId);
        progress.stats.itemsDeleted++;
      }
    }
  }
}

function changedItemId(change: ItemChange): string {
  return "item" in change ? change.item.itemId : change.itemId;
}
