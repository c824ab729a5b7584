// backup(): many mailboxes at once (mailboxConcurrency), and within each mailbox every EWS
// request (hierarchy sync, item sync, export) through one limiter of itemConcurrency, so folder
// syncs overlap exports and the connection budget stays exactly mailboxes x items.
//
// Durability rule: the index (item versions and sync states) is committed only after
// writer.checkpoint() made the data it describes durable; a killed run therefore redoes at most
// the work since the last checkpoint and never records a sync state past unsaved items.
import { hostname } from "node:os";
import pLimit, { type LimitFunction } from "p-limit";
import { ByteBudget, EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import {
  destroyMailboxIndex,
  type HierarchyRootName,
  type IndexedFolder,
  type IndexedItem,
  MailboxIndex,
  type MailboxIndexBatch,
  type StoredFolderProbe,
} from "../mailbox-index/index.js";
import type {
  DistinguishedFolderName,
  FolderChangeProbe,
  FolderInfo,
  HierarchyChange,
  ItemChange,
  ItemSummary,
  MailboxInfo,
  MailboxSource,
} from "@ewsvault/mailbox";
import { type SelectionInput, selectionGroup } from "../repository/snapshot-group.js";
import { removeOverwriting } from "../mailbox-index/private-files.js";
import { legacyMailboxIndexDirectory, mailboxIndexDirectory } from "./mailbox-index-location.js";
import { itemBinding } from "./item-binding.js";
import type { EngineRepository, EngineSnapshot, EngineWriter } from "./repository-port.js";
import { createFolderFilter, createItemFilter, type FolderRef } from "./selection.js";
import { SyncProgressGuard, changeBudget } from "./sync-progress.js";
import {
  fromSnapshotItem,
  loadSnapshotItems,
  SNAPSHOT_TREE_VERSION,
  type TreeBuildResult,
  toSnapshotItem,
  walkSnapshotFolders,
  writeMailboxTree,
} from "./snapshot-tree.js";
import type {
  BackupEvent,
  BackupOptions,
  BackupReport,
  BackupWarning,
  ItemFailure,
  MailboxBackupReport,
  MailboxProgress,
} from "./types.js";

const ROOT_FOLDERS: Record<HierarchyRootName, DistinguishedFolderName> = {
  mailbox: "msgfolderroot",
  archive: "archivemsgfolderroot",
  recoverable: "recoverableitemsroot",
  public: "publicfoldersroot",
};

const MiB = 1024 * 1024;
/** Peak memory of one exported item relative to its size (see #exportBatch). */
const EXPORT_MEMORY_FACTOR = 3;

/** Limits shared by every mailbox of one backup() call. */
interface RunLimits {
  /** Mailboxes being checked for changes at once (lock, index, hierarchy, probe). */
  readonly open: LimitFunction;
  /** Mailboxes syncing folders and exporting at once (mailboxConcurrency). */
  readonly work: LimitFunction;
  /** Source requests in flight over the whole run: mailboxConcurrency x itemConcurrency. */
  readonly requests: LimitFunction;
}

/** Backs up every mailbox of options.mailboxes; never throws for one mailbox's failure. */
export async function backup(options: BackupOptions): Promise<BackupReport> {
  const started = Date.now();
  const mailboxes = options.mailboxConcurrency ?? 4;
  const requests = mailboxes * (options.itemConcurrency ?? 4);
  // A mailbox whose probe finds nothing to sync needs no export slot: checking many mailboxes
  // at once overlaps their round trips, while the request limit keeps the connection budget
  // at mailboxes x items and only `mailboxes` of them sync and export at a time.
  const limits: RunLimits = { open: pLimit(requests), work: pLimit(mailboxes), requests: pLimit(requests) };
  const budget = new ByteBudget(options.inFlightBytes ?? 192 * MiB);
  const reports = await Promise.all(
    options.mailboxes.map((mailbox) => limits.open(() => backupMailbox(options, mailbox, budget, limits))),
  );
  return { mailboxes: reports, durationMs: Date.now() - started };
}

/**
 * One mailbox. An index entry that fails authentication in the middle of a run (its values are
 * read lazily) ends that run without committing anything to the index and removes the index;
 * the mailbox then runs once more, rebuilding its index from the repository, so nothing the
 * tampered entry said reaches a snapshot.
 */
async function backupMailbox(
  options: BackupOptions,
  mailbox: string,
  budget: ByteBudget,
  limits: RunLimits,
): Promise<MailboxBackupReport> {
  const first = new MailboxBackup(options, mailbox, budget, limits);
  const report = await first.run();
  if (report !== RERUN) return report;
  const second = new MailboxBackup(options, mailbox, budget, limits, first.warnings);
  const again = await second.run();
  if (again !== RERUN) return again;
  throw new Error("unreachable: a second run never asks for a third");
}

/** What run() returns when the index failed authentication and the mailbox must run again. */
const RERUN = Symbol("rerun");

interface ExportCandidate {
  readonly summary: ItemSummary;
  readonly folder: IndexedFolder;
}

class MailboxBackup {
  readonly #options: BackupOptions;
  readonly #mailbox: string;
  readonly #source: MailboxSource;
  readonly #repository: EngineRepository;
  readonly #budget: ByteBudget;
  readonly #limit: <T>(request: () => Promise<T>) => Promise<T>;
  readonly #limits: RunLimits;
  readonly #signal: AbortSignal | undefined;
  readonly #folderFilter: (folder: FolderRef) => boolean;
  readonly #itemFilter: (item: ItemSummary) => boolean;
  readonly #started = Date.now();

  #index!: MailboxIndex;
  /** Started when the run first saves data (a run that changed nothing may never need it). */
  #writer: EngineWriter | undefined;
  #writerStarting: Promise<EngineWriter> | undefined;
  #pending!: MailboxIndexBatch;
  #pendingKeys: Array<[string, IndexedItem | null]> = [];
  /** Item changes not yet committed to the index (null = deleted), so lookups see them. */
  readonly #overlay = new Map<string, IndexedItem | null>();
  readonly #folders = new Map<string, IndexedFolder>();
  #checkpointing: Promise<void> = Promise.resolve();
  #lastCheckpoint = Date.now();
  #bytesSinceCheckpoint = 0;
  #indexRebuilt = false;
  /** Items in the snapshot written (the whole mailbox as selected), once written. */
  #snapshotItems: number | undefined;
  #retry: ExportCandidate[] = [];
  /** The first error that failed a folder sync (and so the mailbox); see #throwIfFolderFailed. */
  #folderFailed: unknown;
  /** An item or folder of the index changed this run: the snapshot tree must be written anew. */
  #treeDirty = false;
  /** The last snapshot, read while the mailbox is being checked (see #reusableTree). */
  #lastSnapshot: Promise<EngineSnapshot | undefined> = Promise.resolve(undefined);
  readonly #failures: ItemFailure[] = [];
  readonly #warnings: BackupWarning[];
  /** Set by a second run after the first met a tampered index (see backupMailbox). */
  readonly #isRerun: boolean;
  /** The index failed authentication mid-run: remove it once closed, and run again. */
  #rerunNeeded = false;
  #lastProgress = 0;
  /** Every selected folder is synced this run (due, asked for, or no probe to trust). */
  #fullSync = false;
  readonly #stats = {
    foldersSynced: 0,
    foldersDone: 0,
    foldersTotal: 0,
    itemsDone: 0,
    itemsTotal: 0,
    itemsUnchanged: 0,
    itemsDeleted: 0,
    foldersResynced: 0,
    bytesRead: 0,
    bytesNew: 0,
    bytesStored: 0,
  };

  constructor(
    options: BackupOptions,
    mailbox: string,
    budget: ByteBudget,
    limits: RunLimits,
    earlierWarnings?: readonly BackupWarning[],
  ) {
    this.#isRerun = earlierWarnings !== undefined;
    this.#warnings = [...(earlierWarnings ?? [])];
    this.#options = options;
    this.#mailbox = mailbox;
    this.#source = options.source;
    this.#repository = options.repository;
    this.#budget = budget;
    this.#limits = limits;
    const perMailbox = pLimit(options.itemConcurrency ?? 4);
    this.#limit = (request) => perMailbox(() => limits.requests(request));
    this.#signal = options.signal;
    this.#folderFilter = createFolderFilter(options.selection);
    this.#itemFilter = createItemFilter(options.selection);
  }

  #emit(event: BackupEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A listener's bug must not fail a backup.
    }
  }

  get warnings(): readonly BackupWarning[] {
    return this.#warnings;
  }

  async run(): Promise<MailboxBackupReport | typeof RERUN> {
    if (!this.#isRerun) this.#emit({ type: "mailbox-start", mailbox: this.#mailbox });
    // Ask the server first: a wrong password, an unknown mailbox or an unreachable endpoint
    // then fails the mailbox before anything is written to the repository.
    let info: MailboxInfo;
    let lock: Awaited<ReturnType<EngineRepository["lockMailbox"]>>;
    try {
      info = await this.#source.getMailboxInfo(this.#mailbox, this.#signal);
      lock = await this.#repository.lockMailbox(this.#mailbox);
    } catch (error) {
      const status = isEwsVaultError(error, "REPO_MAILBOX_LOCKED") ? "skipped-locked" : "failed";
      return this.#finish(status, error);
    }
    let indexOpen = false;
    try {
      await this.#openIndex();
      indexOpen = true;
      this.#pending = this.#index.batch();
      const lastSnapshotId = this.#index.meta.lastSnapshotId;
      if (this.#index.meta.lastTreeKey !== undefined && lastSnapshotId !== undefined) {
        // Forgotten meanwhile: undefined, and the tree is written, which re-saves what prune removed.
        this.#lastSnapshot = this.#repository.loadSnapshot(lastSnapshotId).catch(() => undefined);
      }
      for (const folder of await this.#index.listFolders()) this.#folders.set(folder.folder.folderId, folder);

      const roots = this.#options.selection?.roots ?? ["mailbox"];
      this.#fullSync = this.#isFullSyncDue();
      // The probe of the folders already known runs alongside the hierarchy sync: one round
      // trip less per mailbox. Folders the hierarchy reveals get a probe of their own below.
      const known = new Set(
        [...this.#folders.values()]
          .filter((f) => roots.includes(f.root) && f.root !== "public")
          .map((f) => f.folder.folderId),
      );
      const early = this.#probeFolders([...known]);
      const hierarchy = Promise.all(roots.map((root) => this.#syncHierarchy(root, info)));
      await Promise.all([early, hierarchy]);
      const selected = [...this.#folders.values()].filter(
        (f) => roots.includes(f.root) && this.#isSelected(f),
      );
      this.#stats.foldersTotal = selected.length;
      const probes = await early;
      const revealed = selected
        .filter((f) => f.root !== "public" && !known.has(f.folder.folderId))
        .map((f) => f.folder.folderId);
      if (revealed.length > 0)
        for (const [id, probe] of await this.#probeFolders(revealed)) probes.set(id, probe);
      const toSync = selected.filter((folder) => this.#mustSync(folder, probes.get(folder.folder.folderId)));
      this.#stats.foldersDone += selected.length - toSync.length;
      const finish = async () => {
        await this.#checkpoint();
        return this.#writeSnapshot(roots);
      };
      const snapshotId =
        toSync.length === 0
          ? await finish()
          : await this.#limits.work(async () => {
              await this.#startWriter();
              // A failure of one folder fails the mailbox only once every folder sync has
              // settled (they stop before their next request, see #throwIfFolderFailed), so the
              // checkpoint in the catch below keeps everything they stored.
              const synced = await Promise.allSettled(
                toSync.map((folder) => this.#syncFolder(folder, probes.get(folder.folder.folderId))),
              );
              if (synced.some((outcome) => outcome.status === "rejected")) throw this.#folderFailed;
              await this.#retryDeferred();
              return finish();
            });
      return this.#finish(
        this.#failures.length > 0 ? "completed-with-warnings" : "completed",
        undefined,
        snapshotId,
      );
    } catch (error) {
      if (indexOpen && !this.#isRerun && isEwsVaultError(error, "INDEX_AUTH_FAILED")) {
        // Nothing more goes into this index: it is removed below and rebuilt by the next run
        // (what was exported is made durable by the writer's close and deduplicated then).
        this.#indexTampered(error);
        this.#rerunNeeded = true;
        return RERUN;
      }
      // Keep what is already exported: make it durable and indexed so the next run resumes.
      if (indexOpen) await this.#checkpoint().catch(() => {});
      return this.#finish("failed", error);
    } finally {
      const writer = await this.#writerStarting?.catch(() => undefined);
      await writer?.close().catch(() => {});
      if (indexOpen) await this.#index.close().catch(() => {});
      if (this.#rerunNeeded) await destroyMailboxIndex(this.#indexDirectory()).catch(() => {});
      await lock.release().catch(() => {});
    }
  }

  #finish(status: MailboxBackupReport["status"], error?: unknown, snapshotId?: string): MailboxBackupReport {
    const s = this.#stats;
    const report: MailboxBackupReport = {
      mailbox: this.#mailbox,
      status,
      ...(error === undefined ? {} : { error: describeError(error) }),
      ...(snapshotId === undefined ? {} : { snapshotId }),
      folders: s.foldersTotal,
      items: this.#snapshotItems ?? s.itemsDone + s.itemsUnchanged,
      itemsExported: s.itemsDone,
      itemsUnchanged: s.itemsUnchanged,
      itemsDeleted: s.itemsDeleted,
      failedItems: this.#failures,
      bytesRead: s.bytesRead,
      bytesNew: s.bytesNew,
      bytesStored: s.bytesStored,
      durationMs: Date.now() - this.#started,
      foldersResynced: s.foldersResynced,
      foldersSynced: s.foldersSynced,
      fullSync: this.#fullSync,
      indexRebuilt: this.#indexRebuilt,
      ...(this.#warnings.length === 0 ? {} : { warnings: [...this.#warnings] }),
    };
    this.#emitProgress(true);
    this.#emit({ type: "mailbox-done", report });
    return report;
  }

  #emitProgress(force = false): void {
    const now = Date.now();
    if (!force && now - this.#lastProgress < 250) return;
    this.#lastProgress = now;
    const s = this.#stats;
    const elapsed = (now - this.#started) / 1000;
    const rate = s.itemsDone / Math.max(elapsed, 0.001);
    const left = Math.max(0, s.itemsTotal - s.itemsDone);
    const progress: MailboxProgress = {
      mailbox: this.#mailbox,
      foldersDone: s.foldersDone,
      foldersTotal: s.foldersTotal,
      itemsDone: s.itemsDone,
      itemsTotal: s.itemsTotal,
      itemsUnchanged: s.itemsUnchanged,
      bytesRead: s.bytesRead,
      bytesNew: s.bytesNew,
      bytesDeduplicated: Math.max(0, s.bytesRead - s.bytesNew),
      errors: this.#failures.length,
      ...(rate > 0 && s.foldersDone < s.foldersTotal ? { etaSeconds: Math.round(left / rate) } : {}),
    };
    this.#emit({ type: "progress", progress });
  }

  /**
   * The mailbox's one writer, started on first use. Batches store items concurrently, so the
   * start is shared: two writers would leave one that no checkpoint() covers.
   */
  #startWriter(): Promise<EngineWriter> {
    this.#writerStarting ??= this.#repository
      .startWriter({
        ...(this.#options.checkpointBytes === undefined
          ? {}
          : { checkpointBytes: this.#options.checkpointBytes }),
        ...(this.#options.checkpointSeconds === undefined
          ? {}
          : { checkpointSeconds: this.#options.checkpointSeconds }),
      })
      .then((writer) => {
        this.#writer = writer;
        return writer;
      });
    return this.#writerStarting;
  }

  // ---- index -------------------------------------------------------------------------------

  async #openIndex(): Promise<void> {
    const directory = this.#indexDirectory();
    try {
      this.#index = await MailboxIndex.open(directory, this.#mailbox, this.#repository.cacheKey());
    } catch (error) {
      if (!isRebuildableIndexError(error)) throw error;
      if (isEwsVaultError(error, "INDEX_AUTH_FAILED")) this.#indexTampered(error);
      await destroyMailboxIndex(directory);
      this.#index = await MailboxIndex.open(directory, this.#mailbox, this.#repository.cacheKey());
    }
    try {
      await this.#prepareIndex();
    } catch (error) {
      // The caller closes only an index that opened fully; LevelDB allows one handle per
      // directory, so one left open here would lock this mailbox for the rest of the process.
      await this.#index.close().catch(() => {});
      throw error;
    }
  }

  /** Refills a new index from the latest snapshot and removes a legacy plaintext index. */
  async #prepareIndex(): Promise<void> {
    if (this.#index.meta.lastSnapshotId === undefined) {
      // Rebuild from this selection's own group when it has a snapshot: another group's tree
      // may hold only part of the folders (the rest are then synced afresh, deduplicated). A
      // damaged snapshot elsewhere (REPO_CORRUPT) must not stop backups: start afresh then.
      const latestOf = (group?: string) =>
        this.#repository
          .findSnapshot({ mailbox: this.#mailbox, at: "latest", ...(group === undefined ? {} : { group }) })
          .catch((error: unknown) => {
            if (isEwsVaultError(error, "REPO_CORRUPT")) return undefined;
            throw error;
          });
      const latest = (await latestOf(this.#group)) ?? (await latestOf());
      if (latest !== undefined) await this.#rebuildIndex(latest.tree, latest.id);
    }
    // A format 1 or 2 index held plaintext and unauthenticated entries: it is never read (the
    // new one was rebuilt from the repository above), only removed. Failing to remove it must
    // not fail the backup, but must not go unnoticed either.
    const legacy = legacyMailboxIndexDirectory(this.#options.indexDirectory, this.#mailbox);
    await removeOverwriting(legacy).catch((error: unknown) =>
      this.#warn(
        "INDEX_LEGACY_NOT_REMOVED",
        `the plaintext index of an older version at ${legacy} could not be removed; remove it by hand`,
        error,
      ),
    );
  }

  #indexDirectory(): string {
    return mailboxIndexDirectory(this.#options.indexDirectory, this.#mailbox, this.#repository.cacheKey());
  }

  /** An index entry failed authentication: the index is rebuilt from the repository, and said so. */
  #indexTampered(error: EwsVaultError): void {
    this.#warn(
      "INDEX_AUTH_FAILED",
      "the mailbox index failed authentication (changed outside ewsvault); it was rebuilt from the repository",
      error,
    );
  }

  #warn(code: string, message: string, cause?: unknown): void {
    const warning: BackupWarning = {
      code,
      message,
      ...(cause === undefined ? {} : { cause: describeError(cause) }),
    };
    this.#warnings.push(warning);
    this.#emit({ type: "warning", mailbox: this.#mailbox, warning });
  }

  /** Refills an empty index from a snapshot: folders without sync states, items as they were. */
  async #rebuildIndex(rootTreeId: string, snapshotId: string): Promise<void> {
    const directory = this.#indexDirectory();
    await this.#index.close();
    await destroyMailboxIndex(directory);
    this.#index = await MailboxIndex.open(directory, this.#mailbox, this.#repository.cacheKey());
    const batch = this.#index.batch();
    for await (const { tree, parentFolderId } of walkSnapshotFolders(this.#repository, rootTreeId)) {
      const folder: FolderInfo = {
        folderId: tree.folderId,
        changeKey: "",
        parentFolderId: parentFolderId ?? "",
        displayName: tree.displayName,
        ...(tree.folderClass === undefined ? {} : { folderClass: tree.folderClass }),
        ...(tree.distinguishedName === undefined ? {} : { distinguishedName: tree.distinguishedName }),
      };
      batch.putFolder({ folder, root: tree.root });
      for (const item of await loadSnapshotItems(this.#repository, tree)) {
        batch.putItem(fromSnapshotItem(item, tree.folderId));
      }
    }
    await batch.setLastSnapshot(snapshotId).commit();
    this.#indexRebuilt = true;
    this.#treeDirty = true;
  }

  async #getItem(folderId: string, itemId: string): Promise<IndexedItem | undefined> {
    const pending = this.#overlay.get(overlayKey(folderId, itemId));
    if (pending !== undefined) return pending ?? undefined;
    return this.#index.getItem(folderId, itemId);
  }

  #putItem(item: IndexedItem): void {
    this.#treeDirty = true;
    this.#overlay.set(overlayKey(item.folderId, item.itemId), item);
    this.#pendingKeys.push([overlayKey(item.folderId, item.itemId), item]);
    this.#pending.putItem(item);
  }

  #deleteItem(folderId: string, itemId: string): void {
    this.#treeDirty = true;
    this.#overlay.set(overlayKey(folderId, itemId), null);
    this.#pendingKeys.push([overlayKey(folderId, itemId), null]);
    this.#pending.deleteItem(folderId, itemId);
  }

  /** Makes saved data durable, then commits the index changes that describe it. Serialised. */
  #checkpoint(): Promise<void> {
    const run = async () => {
      const batch = this.#pending;
      const keys = this.#pendingKeys;
      this.#pending = this.#index.batch();
      this.#pendingKeys = [];
      this.#bytesSinceCheckpoint = 0;
      this.#lastCheckpoint = Date.now();
      // Nothing saved yet means nothing to make durable (a run that only read markers).
      await this.#writer?.checkpoint();
      // The index is about to differ from the last snapshot's tree: that tree is no longer reusable.
      if (this.#treeDirty) batch.setLastTreeKey(undefined);
      await this.#options.beforeCommit?.("sync-state");
      await batch.commit();
      for (const [key, value] of keys) if (this.#overlay.get(key) === value) this.#overlay.delete(key);
      this.#emit({ type: "checkpoint", mailbox: this.#mailbox });
    };
    this.#checkpointing = this.#checkpointing.then(run, run);
    return this.#checkpointing;
  }

  async #maybeCheckpoint(): Promise<void> {
    const seconds = this.#options.checkpointSeconds ?? 30;
    const bytes = this.#options.checkpointBytes ?? 64 * MiB;
    if (Date.now() - this.#lastCheckpoint >= seconds * 1000 || this.#bytesSinceCheckpoint >= bytes) {
      await this.#checkpoint();
    }
  }

  // ---- folders -----------------------------------------------------------------------------

  #folderRef(folder: IndexedFolder): FolderRef {
    const path: string[] = [];
    const distinguishedNames: string[] = [];
    let current: IndexedFolder | undefined = folder;
    const seen = new Set<string>();
    while (current !== undefined && !seen.has(current.folder.folderId)) {
      seen.add(current.folder.folderId);
      path.unshift(current.folder.displayName);
      if (current.folder.distinguishedName !== undefined)
        distinguishedNames.push(current.folder.distinguishedName);
      current = this.#folders.get(current.folder.parentFolderId);
    }
    return { path, distinguishedNames };
  }

  #isSelected(folder: IndexedFolder): boolean {
    return this.#folderFilter(this.#folderRef(folder));
  }

  #folderPath(folder: IndexedFolder): string {
    return this.#folderRef(folder).path.join("/");
  }

  async #syncHierarchy(root: HierarchyRootName, info: MailboxInfo): Promise<void> {
    const rootFolderId = info.distinguishedFolders[ROOT_FOLDERS[root]];
    if (rootFolderId === undefined) {
      if (root === "mailbox") {
        throw new EwsVaultError("EWS_MALFORMED_RESPONSE", `${this.#mailbox} has no msgfolderroot`);
      }
      return; // no archive / no public folders: nothing to back up there
    }
    if (root === "public") {
      const folders = await this.#limit(() =>
        this.#source.findFolders(this.#mailbox, rootFolderId, this.#signal),
      );
      this.#reconcileFolders(root, folders);
      return;
    }
    let state = this.#index.meta.hierarchyStates[root];
    let full = state === undefined;
    let seen = new Set<string>();
    const guardOf = () => new SyncProgressGuard(`the ${root} hierarchy`, { mailbox: this.#mailbox, root });
    let guard = guardOf();
    for (;;) {
      this.#signal?.throwIfAborted();
      let page: Awaited<ReturnType<MailboxSource["syncFolderHierarchy"]>>;
      try {
        page = await this.#limit(() =>
          this.#source.syncFolderHierarchy(this.#mailbox, {
            rootFolderId,
            ...(state === undefined ? {} : { syncState: state }),
            ...(this.#signal === undefined ? {} : { signal: this.#signal }),
          }),
        );
      } catch (error) {
        if (!full && isEwsVaultError(error, "EWS_INVALID_SYNC_STATE")) {
          state = undefined;
          full = true;
          seen = new Set();
          guard = guardOf();
          continue;
        }
        throw error;
      }
      guard.observe({
        sentState: state,
        syncState: page.syncState,
        ids: page.changes.map((c) => (c.kind === "delete" ? c.folderId : c.folder.folderId)),
        last: page.includesLastFolderInRange,
      });
      for (const change of page.changes) this.#applyHierarchyChange(root, change, seen);
      state = page.syncState;
      if (page.includesLastFolderInRange) break;
    }
    if (full) {
      for (const folder of [...this.#folders.values()]) {
        if (folder.root === root && !seen.has(folder.folder.folderId))
          this.#removeFolder(folder.folder.folderId);
      }
    }
    this.#pending.setHierarchyState(root, state);
  }

  #applyHierarchyChange(root: HierarchyRootName, change: HierarchyChange, seen: Set<string>): void {
    if (change.kind === "delete") {
      this.#removeFolder(change.folderId);
      return;
    }
    const existing = this.#folders.get(change.folder.folderId);
    // A rename or move changes no item: the sync state and the markers read with it stay valid.
    const entry: IndexedFolder = {
      folder: change.folder,
      root,
      ...(existing?.syncState === undefined ? {} : { syncState: existing.syncState }),
      ...(existing?.probe === undefined ? {} : { probe: existing.probe }),
    };
    seen.add(change.folder.folderId);
    if (existing === undefined || !sameTreeFolder(existing.folder, change.folder)) this.#treeDirty = true;
    this.#folders.set(change.folder.folderId, entry);
    this.#pending.putFolder(entry);
  }

  #reconcileFolders(root: HierarchyRootName, folders: readonly FolderInfo[]): void {
    const seen = new Set<string>();
    for (const folder of folders) this.#applyHierarchyChange(root, { kind: "create", folder }, seen);
    for (const folder of [...this.#folders.values()]) {
      if (folder.root === root && !seen.has(folder.folder.folderId))
        this.#removeFolder(folder.folder.folderId);
    }
  }

  #removeFolder(folderId: string): void {
    if (!this.#folders.delete(folderId)) return;
    this.#treeDirty = true;
    this.#pending.deleteFolder(folderId);
    for (const key of [...this.#overlay.keys()])
      if (key.startsWith(`${folderId}\u0000`)) this.#overlay.delete(key);
  }

  // ---- change probes -----------------------------------------------------------------------

  #isFullSyncDue(): boolean {
    const interval = (this.#options.fullSyncIntervalSeconds ?? 86_400) * 1000;
    const last = this.#index.meta.lastFullSyncAt;
    const elapsed = last === undefined ? Number.NaN : this.#started - Date.parse(last);
    // NaN (missing, unreadable) and a negative age (the clock went back) count as due.
    return (
      this.#options.fullSync === true ||
      !(elapsed >= 0 && elapsed < interval) ||
      this.#source.probeFolders === undefined
    );
  }

  /**
   * Reads the change markers of mailbox folders in one source call, BEFORE any of them is
   * synced: a change racing the sync then differs from what is stored and is caught by the
   * next run. A failed probe makes this run a full sync.
   */
  async #probeFolders(probeable: readonly string[]): Promise<Map<string, StoredFolderProbe>> {
    const probes = new Map<string, StoredFolderProbe>();
    if (this.#source.probeFolders === undefined || probeable.length === 0) return probes;
    const probedAt = new Date().toISOString();
    let answer: ReadonlyMap<string, FolderChangeProbe>;
    try {
      answer = await this.#limit(() => this.#source.probeFolders!(this.#mailbox, probeable, this.#signal));
    } catch {
      this.#signal?.throwIfAborted();
      // Without markers every folder is synced, as with a source that cannot probe; a
      // mailbox-wide failure (rights, credentials) then surfaces from the syncs themselves.
      this.#fullSync = true;
      return probes;
    }
    for (const [folderId, probe] of answer) {
      if (probe.commitTimeMax !== undefined) probes.set(folderId, { ...probe, probedAt });
    }
    return probes;
  }

  #mustSync(folder: IndexedFolder, current: StoredFolderProbe | undefined): boolean {
    if (this.#fullSync || folder.root === "public" || folder.syncState === undefined) return true;
    const stored = folder.probe;
    if (stored === undefined || current === undefined || stored.commitTimeMax === undefined) return true;
    const settleMs = (this.#options.probeSettleSeconds ?? 60) * 1000;
    // Written this way so that an unparsable time (NaN) never counts as settled.
    const age = Date.parse(stored.probedAt) - Date.parse(stored.commitTimeMax);
    if (!(age >= settleMs)) return true;
    return (
      stored.commitTimeMax !== current.commitTimeMax ||
      stored.deletedCountTotal !== current.deletedCountTotal ||
      stored.totalCount !== current.totalCount ||
      stored.unreadCount !== current.unreadCount
    );
  }

  // ---- items -------------------------------------------------------------------------------

  async #syncFolder(folder: IndexedFolder, probe: StoredFolderProbe | undefined): Promise<void> {
    this.#stats.foldersSynced++;
    try {
      if (folder.root === "public") await this.#syncPublicFolder(folder);
      else await this.#syncFolderItems(folder, probe);
    } catch (error) {
      this.#folderFailed ??= error;
      throw error;
    }
    this.#stats.foldersDone++;
    this.#emitProgress();
  }

  async #syncFolderItems(initial: IndexedFolder, probe: StoredFolderProbe | undefined): Promise<void> {
    const folderId = initial.folder.folderId;
    let state = initial.syncState;
    let seen: Set<string> | undefined = state === undefined ? new Set() : undefined;
    const guardOf = () =>
      new SyncProgressGuard(
        `folder ${this.#folderPath(initial)}`,
        { mailbox: this.#mailbox, folderId },
        changeBudget({
          ...(initial.folder.totalCount === undefined ? {} : { totalCount: initial.folder.totalCount }),
          ...probe,
        }),
      );
    let guard = guardOf();
    for (;;) {
      this.#signal?.throwIfAborted();
      this.#throwIfFolderFailed();
      let page: Awaited<ReturnType<MailboxSource["syncFolderItems"]>>;
      try {
        page = await this.#limit(() => {
          // Queued behind the limiter: a folder that failed meanwhile stops this one here.
          this.#throwIfFolderFailed();
          return this.#source.syncFolderItems(this.#mailbox, folderId, {
            ...(state === undefined ? {} : { syncState: state }),
            ...(this.#signal === undefined ? {} : { signal: this.#signal }),
          });
        });
      } catch (error) {
        if (seen === undefined && isEwsVaultError(error, "EWS_INVALID_SYNC_STATE")) {
          // Start over for this folder; unchanged items keep their change keys, so nothing is re-exported.
          this.#stats.foldersResynced++;
          state = undefined;
          seen = new Set();
          guard = guardOf();
          continue;
        }
        throw error;
      }
      guard.observe({
        sentState: state,
        syncState: page.syncState,
        ids: page.changes.map(changedItemId),
        last: page.includesLastItemInRange,
      });
      const folder = this.#folders.get(folderId) ?? initial;
      const candidates: ExportCandidate[] = [];
      // A page that names one item twice (a server bug or a hostile one) exports it once.
      const onPage = new Set<string>();
      for (const change of page.changes) {
        const changedId = changedItemId(change);
        if (change.kind !== "delete" && onPage.has(changedId)) continue;
        onPage.add(changedId);
        if (change.kind === "delete") {
          if (await this.#getItem(folderId, change.itemId)) {
            this.#deleteItem(folderId, change.itemId);
            this.#stats.itemsDeleted++;
          }
          continue;
        }
        if (change.kind === "readFlag") {
          // The read flag is part of the item's export stream, so the item is exported again;
          // content-defined chunking stores only the chunk that changed.
          const existing = await this.#getItem(folderId, change.itemId);
          if (existing !== undefined && existing.isRead !== change.isRead) {
            const { folderId: _f, blobIds: _b, dataSize: _d, mimeBlobIds: _m, ...summary } = existing;
            seen?.add(change.itemId);
            this.#stats.itemsTotal++;
            candidates.push({ summary: { ...summary, isRead: change.isRead }, folder });
          }
          continue;
        }
        seen?.add(change.item.itemId);
        await this.#considerItem(folder, change.item, candidates);
      }
      await this.#exportCandidates(candidates);
      state = page.syncState;
      const latest = this.#folders.get(folderId);
      if (latest === undefined) return; // deleted while we were syncing it
      // Markers are stored only with the state that reached the end of the folder (below):
      // a state in the middle of a folder next to equal markers would hide the rest for good.
      const { probe: _stale, ...withoutProbe } = latest;
      const updated: IndexedFolder = { ...withoutProbe, syncState: state };
      this.#folders.set(folderId, updated);
      this.#pending.putFolder(updated);
      await this.#maybeCheckpoint();
      if (page.includesLastItemInRange) break;
    }
    if (seen !== undefined) await this.#deleteUnseen(folderId, seen);
    const latest = this.#folders.get(folderId);
    if (probe !== undefined && latest !== undefined) {
      const done: IndexedFolder = { ...latest, probe };
      this.#folders.set(folderId, done);
      this.#pending.putFolder(done);
    }
  }

  /**
   * Once one folder failed, the mailbox fails: the other folder syncs ask the server for nothing
   * more. What they already stored stays in the index (made durable by the final checkpoint),
   * and each keeps the sync state of its last complete page, so the next run redoes no export.
   */
  #throwIfFolderFailed(): void {
    if (this.#folderFailed !== undefined) throw new FolderSyncStopped();
  }

  async #syncPublicFolder(folder: IndexedFolder): Promise<void> {
    this.#throwIfFolderFailed();
    const folderId = folder.folder.folderId;
    const items = await this.#limit(() => this.#source.findItems(this.#mailbox, folderId, this.#signal));
    const seen = new Set<string>();
    const candidates: ExportCandidate[] = [];
    for (const item of items) {
      seen.add(item.itemId);
      await this.#considerItem(folder, item, candidates);
    }
    await this.#exportCandidates(candidates);
    await this.#deleteUnseen(folderId, seen);
    await this.#maybeCheckpoint();
  }

  async #considerItem(
    folder: IndexedFolder,
    summary: ItemSummary,
    candidates: ExportCandidate[],
  ): Promise<void> {
    const folderId = folder.folder.folderId;
    const existing = await this.#getItem(folderId, summary.itemId);
    if (!this.#itemFilter(summary)) {
      if (existing !== undefined) this.#deleteItem(folderId, summary.itemId);
      return;
    }
    if (existing !== undefined && existing.changeKey === summary.changeKey) {
      this.#stats.itemsUnchanged++;
      if (existing.isRead !== summary.isRead && summary.isRead !== undefined) {
        this.#putItem({ ...existing, isRead: summary.isRead });
      }
      return;
    }
    this.#stats.itemsTotal++;
    candidates.push({ summary, folder });
  }

  async #deleteUnseen(folderId: string, seen: ReadonlySet<string>): Promise<void> {
    const stale = new Set<string>();
    for await (const item of this.#index.items(folderId)) if (!seen.has(item.itemId)) stale.add(item.itemId);
    for (const value of this.#overlay.values()) {
      if (value !== null && value.folderId === folderId && !seen.has(value.itemId)) stale.add(value.itemId);
    }
    for (const itemId of stale) {
      if (await this.#getItem(folderId, itemId)) {
        this.#deleteItem(folderId, itemId);
        this.#stats.itemsDeleted++;
      }
    }
  }

  #batches(candidates: readonly ExportCandidate[]): ExportCandidate[][] {
    const maxItems = this.#options.exportBatchItems ?? 16;
    const maxBytes = this.#source.capabilities.maxExportBatchBytes;
    const batches: ExportCandidate[][] = [];
    let current: ExportCandidate[] = [];
    let bytes = 0;
    for (const candidate of candidates) {
      const size = candidate.summary.size ?? maxBytes;
      if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(candidate);
      bytes += size;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  async #exportCandidates(candidates: readonly ExportCandidate[], isRetry = false): Promise<void> {
    if (candidates.length === 0) return;
    await Promise.all(this.#batches(candidates).map((batch) => this.#exportBatch(batch, isRetry)));
  }

  async #exportBatch(batch: readonly ExportCandidate[], isRetry: boolean): Promise<void> {
    this.#signal?.throwIfAborted();
    // An item in flight costs more than its size: the SOAP response holds it as base64 (4/3),
    // decoding passes through a string of that base64 (4/3 again) before the bytes exist (1).
    const estimate = EXPORT_MEMORY_FACTOR * batch.reduce((sum, c) => sum + (c.summary.size ?? 64 * 1024), 0);
    const reserved = await this.#budget.acquire(estimate, this.#signal);
    try {
      const byId = new Map(batch.map((c) => [c.summary.itemId, c]));
      const results = await this.#limit(async () => {
        // Batches queue behind the limiter; one that starts after cancellation must not run.
        this.#signal?.throwIfAborted();
        this.#throwIfFolderFailed();
        const collected = [];
        for await (const result of this.#source.exportItems(
          this.#mailbox,
          batch.map((c) => ({
            itemId: c.summary.itemId,
            ...(c.summary.size === undefined ? {} : { size: c.summary.size }),
          })),
          this.#signal,
        )) {
          collected.push(result);
        }
        return collected;
      });
      // A batch's items are stored concurrently: with the repository's write pool each store is
      // two worker round trips, and one at a time would leave the workers waiting.
      const stores: Promise<void>[] = [];
      let fatal: EwsVaultError | undefined;
      for (const result of results) {
        const candidate = byId.get(result.itemId);
        if (candidate === undefined) continue;
        if (result.ok) {
          stores.push(this.#storeItem(candidate, result.data));
          continue;
        }
        const { error } = result;
        if (error.disposition === "fatal") {
          fatal = new EwsVaultError(error.code, error.message, { details: { itemId: result.itemId } });
          break;
        }
        if (error.disposition === "retry" && !isRetry) {
          this.#retry.push(candidate);
          continue;
        }
        this.#recordFailure(candidate, error.code, error.message, error.responseCode);
      }
      const stored = await Promise.allSettled(stores);
      if (fatal !== undefined) throw fatal;
      for (const outcome of stored) if (outcome.status === "rejected") throw outcome.reason;
    } finally {
      this.#budget.release(reserved);
    }
  }

  async #storeItem(candidate: ExportCandidate, data: Uint8Array): Promise<void> {
    const { summary, folder } = candidate;
    const writer = await this.#startWriter();
    // A source that hands its bytes over lets the write pool take the buffer instead of a copy.
    const transfer = this.#source.capabilities.handsOverItemBytes === true;
    const saved = await writer.saveData(data, { transfer });
    let mimeBlobIds: readonly string[] | undefined;
    if (this.#options.captureMime && (summary.itemClass ?? "").toLowerCase().startsWith("ipm.note")) {
      try {
        const mime = await this.#limit(() =>
          this.#source.getMimeContent(this.#mailbox, summary.itemId, this.#signal),
        );
        const savedMime = await writer.saveData(mime, { transfer });
        mimeBlobIds = savedMime.blobIds;
        this.#account(savedMime.size, savedMime.newBytes, savedMime.storedBytes);
      } catch (error) {
        if (isEwsVaultError(error) && error.code === "EWS_AUTH_FAILED") throw error;
        this.#recordFailure(
          candidate,
          describeError(error).code,
          `MIME not captured: ${describeError(error).message}`,
        );
      }
    }
    const { parentFolderId: _parent, ...rest } = summary;
    const stored = {
      itemId: summary.itemId,
      blobIds: saved.blobIds,
      dataSize: saved.size,
      ...(mimeBlobIds === undefined ? {} : { mimeBlobIds }),
    };
    this.#putItem({
      ...rest,
      ...stored,
      folderId: folder.folder.folderId,
      // Bound here, where the bytes were just exported for this item id (item-binding.ts).
      binding: itemBinding(this.#repository, stored),
    } as IndexedItem);
    this.#account(saved.size, saved.newBytes, saved.storedBytes);
    this.#stats.itemsDone++;
    this.#emitProgress();
  }

  #account(read: number, fresh: number, stored: number): void {
    this.#stats.bytesRead += read;
    this.#stats.bytesNew += fresh;
    this.#stats.bytesStored += stored;
    this.#bytesSinceCheckpoint += stored;
  }

  #recordFailure(candidate: ExportCandidate, code: string, reason: string, responseCode?: string): void {
    const failure: ItemFailure = {
      itemId: candidate.summary.itemId,
      folderPath: this.#folderPath(candidate.folder),
      ...(candidate.summary.subject === undefined ? {} : { subject: candidate.summary.subject }),
      code,
      ...(responseCode === undefined ? {} : { responseCode }),
      reason,
    };
    this.#failures.push(failure);
    this.#emit({ type: "item-failed", mailbox: this.#mailbox, failure });
  }

  async #retryDeferred(): Promise<void> {
    if (this.#retry.length === 0) return;
    const deferred = this.#retry;
    this.#retry = [];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await this.#exportCandidates(deferred, true);
  }

  // ---- snapshot ----------------------------------------------------------------------------

  /**
   * What the last snapshot's tree was written under: the tree format and everything that
   * decides which folders and items it holds besides the index itself.
   */
  /** The selection as the snapshot records it: the roots actually written, every filter. */
  #recordedSelection(roots: readonly HierarchyRootName[]): SelectionInput {
    return { ...this.#options.selection, roots };
  }

  /** Snapshot group of this run (see repository/snapshot-group.ts). */
  get #group(): string {
    return selectionGroup(this.#recordedSelection(this.#options.selection?.roots ?? ["mailbox"]));
  }

  #treeKey(roots: readonly HierarchyRootName[]): string {
    const s = this.#options.selection;
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

  /**
   * The last snapshot's tree when nothing it was written from changed since (see
   * MailboxIndexMeta.lastTreeKey) and the snapshot is still in the repository.
   */
  async #reusableTree(key: string): Promise<TreeBuildResult | undefined> {
    const meta = this.#index.meta;
    if (this.#treeDirty || meta.lastTreeKey !== key || meta.lastSnapshotId === undefined) return undefined;
    const last = await this.#lastSnapshot;
    if (last === undefined || last.id !== meta.lastSnapshotId) return undefined;
    const folders = last.counts?.folders;
    const items = last.counts?.items;
    const itemBytes = last.sizes?.items;
    if (
      last.mailbox !== this.#mailbox ||
      folders === undefined ||
      items === undefined ||
      itemBytes === undefined
    )
      return undefined;
    return { rootTreeId: last.tree, folders, items, itemBytes };
  }

  async #writeSnapshot(roots: readonly HierarchyRootName[]): Promise<string> {
    const treeKey = this.#treeKey(roots);
    let tree = await this.#reusableTree(treeKey);
    if (tree === undefined) {
      // The tree is written from the index: an item entry removed outside ewsvault would be
      // left out silently, so the item set is checked first (INDEX_AUTH_FAILED: run again).
      await this.#index.verifyItemSet();
      const folders = [...this.#folders.values()].filter((f) => roots.includes(f.root));
      const index = this.#index;
      const writer = await this.#startWriter();
      tree = await writeMailboxTree(
        writer,
        this.#mailbox,
        folders,
        (folder) => this.#isSelected(folder),
        async function* (folderId) {
          for await (const item of index.items(folderId)) yield toSnapshotItem(item);
        },
      );
      await writer.checkpoint();
    }
    // Incremental syncs report only changes, so "unchanged" is everything the snapshot holds
    // that this run did not export.
    this.#snapshotItems = tree.items;
    this.#stats.itemsUnchanged = Math.max(0, tree.items - this.#stats.itemsDone);
    // The parent is the newest snapshot of the same group (what was backed up), not whichever
    // selection of this mailbox ran last.
    const parent = (
      await this.#repository.findSnapshot({ mailbox: this.#mailbox, at: "latest", group: this.#group })
    )?.id;
    await this.#options.beforeCommit?.("snapshot");
    const { id: snapshotId } = await this.#repository.saveSnapshot({
      mailbox: this.#mailbox,
      selection: this.#recordedSelection(roots),
      time: new Date(this.#started),
      hostname: this.#options.host ?? hostname(),
      tags: [...(this.#options.tags ?? [])],
      tree: tree.rootTreeId,
      ...(parent === undefined ? {} : { parent }),
      counts: {
        folders: tree.folders,
        items: tree.items,
        itemsExported: this.#stats.itemsDone,
        itemsUnchanged: this.#stats.itemsUnchanged,
        itemsDeleted: this.#stats.itemsDeleted,
        itemsFailed: this.#failures.length,
      },
      sizes: { items: tree.itemBytes, new: this.#stats.bytesNew, stored: this.#stats.bytesStored },
    });
    const finish = this.#index.batch().setLastSnapshot(snapshotId).setLastTreeKey(treeKey);
    // A full sync restarts the interval only when it covered every folder of the mailbox.
    const selection = this.#options.selection;
    if (
      this.#fullSync &&
      selection?.includeFolders === undefined &&
      selection?.excludeFolders === undefined
    ) {
      finish.setLastFullSync(new Date(this.#started));
    }
    await finish.commit();
    return snapshotId;
  }
}

/** Folder properties a snapshot tree records (see writeMailboxTree). */
function sameTreeFolder(a: FolderInfo, b: FolderInfo): boolean {
  return (
    a.folderId === b.folderId &&
    a.parentFolderId === b.parentFolderId &&
    a.displayName === b.displayName &&
    a.folderClass === b.folderClass &&
    a.distinguishedName === b.distinguishedName
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

/** Thrown by a folder sync that stops because another folder failed the mailbox (never reported). */
class FolderSyncStopped extends Error {}

function changedItemId(change: ItemChange): string {
  return "item" in change ? change.item.itemId : change.itemId;
}

function overlayKey(folderId: string, itemId: string): string {
  return `${folderId}\u0000${itemId}`;
}

export function describeError(error: unknown): { code: string; message: string } {
  if (isEwsVaultError(error)) return { code: error.code, message: error.message };
  if (error instanceof Error && error.name === "AbortError") return { code: "ABORTED", message: "cancelled" };
  if (error && typeof error === "object" && "code" in error && typeof error.code === "string") {
    return { code: error.code, message: error instanceof Error ? error.message : String(error) };
  }
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
}
