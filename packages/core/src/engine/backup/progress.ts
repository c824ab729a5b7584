// What one mailbox's backup tells the caller while it runs and when it ends: the counters every
// stage adds to, the progress events (throttled, with an estimate of the time left), item
// failures, warnings and the final MailboxBackupReport. A listener that throws never fails the
// backup.
import { describeError } from "../describe-error.js";
import type {
  BackupEvent,
  BackupWarning,
  ItemFailure,
  MailboxBackupReport,
  MailboxProgress,
  MailboxSettingsBackupReport,
} from "../types.js";

/** Progress events closer together than this are dropped (the final one is always sent). */
const PROGRESS_INTERVAL_MS = 250;

/** The counters of one mailbox's run; the stages increment them directly. */
export interface BackupStats {
  foldersSynced: number;
  foldersDone: number;
  foldersTotal: number;
  /** Items exported and stored this run. */
  itemsDone: number;
  /** Items known to need export so far (grows while folders are synced). */
  itemsTotal: number;
  itemsUnchanged: number;
  itemsDeleted: number;
  foldersResynced: number;
  bytesRead: number;
  bytesNew: number;
  bytesStored: number;
}

export function emptyStats(): BackupStats {
  return {
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
}

/** How the run ended, besides the counters. */
export interface MailboxOutcome {
  readonly status: MailboxBackupReport["status"];
  readonly error?: unknown;
  readonly snapshotId?: string;
  readonly fullSync: boolean;
  readonly indexRebuilt: boolean;
}

/**
 * The progress event for `stats` after `elapsedSeconds`: the time left is estimated from the
 * export rate so far, and only while folders remain (the item total still grows until then).
 */
export function progressOf(
  mailbox: string,
  stats: Readonly<BackupStats>,
  errors: number,
  elapsedSeconds: number,
): MailboxProgress {
  const rate = stats.itemsDone / Math.max(elapsedSeconds, 0.001);
  const left = Math.max(0, stats.itemsTotal - stats.itemsDone);
  return {
    mailbox,
    foldersDone: stats.foldersDone,
    foldersTotal: stats.foldersTotal,
    itemsDone: stats.itemsDone,
    itemsTotal: stats.itemsTotal,
    itemsUnchanged: stats.itemsUnchanged,
    bytesRead: stats.bytesRead,
    bytesNew: stats.bytesNew,
    bytesDeduplicated: Math.max(0, stats.bytesRead - stats.bytesNew),
    errors,
    ...(rate > 0 && stats.foldersDone < stats.foldersTotal ? { etaSeconds: Math.round(left / rate) } : {}),
  };
}

export class BackupProgress {
  readonly stats: BackupStats = emptyStats();
  /** Items in the snapshot written (the whole mailbox as selected), once written. */
  snapshotItems: number | undefined;
  /** The settings stored with the snapshot (settings.ts), once stored. */
  settings: MailboxSettingsBackupReport | undefined;
  readonly #mailbox: string;
  readonly #started: number;
  readonly #listener: ((event: BackupEvent) => void) | undefined;
  readonly #failures: ItemFailure[] = [];
  readonly #warnings: BackupWarning[];
  #lastProgress = 0;

  /** `earlierWarnings`: those of a first run of the mailbox that ended in a rerun. */
  constructor(
    mailbox: string,
    started: number,
    listener: ((event: BackupEvent) => void) | undefined,
    earlierWarnings: readonly BackupWarning[] = [],
  ) {
    this.#mailbox = mailbox;
    this.#started = started;
    this.#listener = listener;
    this.#warnings = [...earlierWarnings];
  }

  get warnings(): readonly BackupWarning[] {
    return this.#warnings;
  }

  get failureCount(): number {
    return this.#failures.length;
  }

  emit(event: BackupEvent): void {
    try {
      this.#listener?.(event);
    } catch {
      // A listener's bug must not fail a backup.
    }
  }

  /** A progress event, unless one was sent in the last PROGRESS_INTERVAL_MS (or `force`). */
  progress(force = false): void {
    const now = Date.now();
    if (!force && now - this.#lastProgress < PROGRESS_INTERVAL_MS) return;
    this.#lastProgress = now;
    const elapsed = (now - this.#started) / 1000;
    this.emit({
      type: "progress",
      progress: progressOf(this.#mailbox, this.stats, this.#failures.length, elapsed),
    });
  }

  /** Bytes one saved blob sequence read, added anew and stored. */
  addBytes(read: number, fresh: number, stored: number): void {
    this.stats.bytesRead += read;
    this.stats.bytesNew += fresh;
    this.stats.bytesStored += stored;
  }

  itemFailed(failure: ItemFailure): void {
    this.#failures.push(failure);
    this.emit({ type: "item-failed", mailbox: this.#mailbox, failure });
  }

  warn(code: string, message: string, cause?: unknown): void {
    const warning: BackupWarning = {
      code,
      message,
      ...(cause === undefined ? {} : { cause: describeError(cause) }),
    };
    this.#warnings.push(warning);
    this.emit({ type: "warning", mailbox: this.#mailbox, warning });
  }

  /** The mailbox's report; sends the last progress event and mailbox-done. */
  finish(outcome: MailboxOutcome): MailboxBackupReport {
    const s = this.stats;
    const report: MailboxBackupReport = {
      mailbox: this.#mailbox,
      status: outcome.status,
      ...(outcome.error === undefined ? {} : { error: describeError(outcome.error) }),
      ...(outcome.snapshotId === undefined ? {} : { snapshotId: outcome.snapshotId }),
      folders: s.foldersTotal,
      items: this.snapshotItems ?? s.itemsDone + s.itemsUnchanged,
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
      fullSync: outcome.fullSync,
      indexRebuilt: outcome.indexRebuilt,
      ...(this.#warnings.length === 0 ? {} : { warnings: [...this.#warnings] }),
      ...(this.settings === undefined ? {} : { settings: this.settings }),
    };
    this.progress(true);
    this.emit({ type: "mailbox-done", report });
    return report;
  }
}
