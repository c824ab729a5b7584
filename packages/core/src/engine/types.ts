// Options, events and reports of backup() and restore(): the engine's public contract with
// the CLI and with products that embed it.

import type { MailboxSource, MailboxTarget, SettingsKind } from "@ewsvault/mailbox";
import type { HierarchyRootName } from "../mailbox-index/index.js";
import type { EngineRepository } from "./repository-port.js";

/** What to back up of each mailbox. Globs use picomatch syntax on '/'-joined folder paths. */
export interface Selection {
  /** Hierarchies to include; default ["mailbox"]. "public" = public folders (shared by all mailboxes). */
  readonly roots?: readonly HierarchyRootName[];
  /** Folder paths or distinguished names ("inbox", "Inbox/Projects/**"); default: all. */
  readonly includeFolders?: readonly string[];
  readonly excludeFolders?: readonly string[];
  /** Item classes by prefix ("IPM.Note" matches "IPM.Note.SMIME"); default: all. */
  readonly includeItemClasses?: readonly string[];
  readonly excludeItemClasses?: readonly string[];
  /** Only items received (or created) in [after, before). */
  readonly receivedAfter?: Date;
  readonly receivedBefore?: Date;
}

export interface BackupOptions {
  readonly repository: EngineRepository;
  readonly source: MailboxSource;
  readonly mailboxes: readonly string[];
  /** Directory holding one LevelDB index per mailbox. */
  readonly indexDirectory: string;
  /**
   * Mailboxes syncing folders and exporting at once; default 4. Up to mailboxConcurrency x
   * itemConcurrency mailboxes are checked for changes (lock, index, hierarchy, probe) at once,
   * so unchanged mailboxes do not wait for busy ones; requests stay within that product.
   */
  readonly mailboxConcurrency?: number;
  /** EWS requests in flight per mailbox (sync and export); default 4. */
  readonly itemConcurrency?: number;
  /** Items per ExportItems request; default 16 (the source splits further by bytes). */
  readonly exportBatchItems?: number;
  /** Memory for item data in flight across the whole run (an item counts 3x its size); default 192 MiB. */
  readonly inFlightBytes?: number;
  /** Make data durable and commit the index at least this often; default 30 s / 64 MiB. */
  readonly checkpointSeconds?: number;
  readonly checkpointBytes?: number;
  readonly selection?: Selection;
  /**
   * With a source that can probe folders (MailboxSource.probeFolders), a folder whose change
   * markers equal those stored at its last sync is not synced. Every folder is synced anyway
   * when the mailbox's last full sync is this old, as a safety valve for changes the markers
   * cannot show (a read flag set on one item and cleared on another); default 86400 (24 h),
   * 0 = every run.
   */
  readonly fullSyncIntervalSeconds?: number;
  /** Sync every folder this run, whatever the probes say; default false. */
  readonly fullSync?: boolean;
  /**
   * Trust a folder's stored markers only when its last change was at least this long before
   * they were read, so that a later change cannot carry the same timestamp (server clock
   * resolution, clock skew between server and this machine); default 60.
   */
  readonly probeSettleSeconds?: number;
  /**
   * Also back up each folder's folder-associated items (rules, views, forms: Exchange's FAI),
   * restored as associated items. Default true when `source.capabilities.associatedItems`;
   * never asked of a source without that capability.
   */
  readonly associatedItems?: boolean;
  /**
   * Also back up the mailbox's settings (inbox rules, OOF, folder permissions, delegates, user
   * configurations: every kind in `source.capabilities.settingsKinds`), one versioned document
   * per kind (docs/settings-document.md). Default true; never asked of a source without them.
   */
  readonly settings?: boolean;
  /** Also store RFC 822 MIME of mail items, for export to .eml; default false. */
  readonly captureMime?: boolean;
  readonly tags?: readonly string[];
  readonly host?: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: BackupEvent) => void;
  /**
   * Fencing: awaited right before the mailbox's index commits advanced sync states
   * ("sync-state", after the data they describe is durable) and before its snapshot is saved
   * ("snapshot"). A caller whose right to write the mailbox can lapse (a service worker whose
   * queue lease ran out while it was paused) throws here; the mailbox then fails with that
   * error and neither the sync states nor the snapshot are written.
   */
  readonly beforeCommit?: (what: "sync-state" | "snapshot") => Promise<void> | void;
}

export interface MailboxProgress {
  readonly mailbox: string;
  readonly foldersDone: number;
  readonly foldersTotal: number;
  readonly itemsDone: number;
  /** Items known to need work so far (grows while folders are being synced). */
  readonly itemsTotal: number;
  readonly itemsUnchanged: number;
  readonly bytesRead: number;
  readonly bytesNew: number;
  readonly bytesDeduplicated: number;
  readonly errors: number;
  /** Seconds left at the current rate, when it can be estimated. */
  readonly etaSeconds?: number;
}

export type BackupEvent =
  | { readonly type: "mailbox-start"; readonly mailbox: string }
  | { readonly type: "progress"; readonly progress: MailboxProgress }
  | { readonly type: "item-failed"; readonly mailbox: string; readonly failure: ItemFailure }
  | { readonly type: "checkpoint"; readonly mailbox: string }
  | { readonly type: "warning"; readonly mailbox: string; readonly warning: BackupWarning }
  | { readonly type: "mailbox-done"; readonly report: MailboxBackupReport };

export interface ItemFailure {
  readonly itemId: string;
  readonly folderPath: string;
  readonly subject?: string;
  /** Stable ewsvault code (EWS_SERVER_ERROR, ...). */
  readonly code: string;
  /** The server's own ResponseCode (ErrorCorruptData, ErrorItemNotFound, ...), when it sent one. */
  readonly responseCode?: string;
  readonly reason: string;
}

/**
 * Something the run repaired on its own, or could not, that the operator should know about: a
 * tampered index rebuilt from the repository (INDEX_AUTH_FAILED), an older version's plaintext
 * index that could not be removed (INDEX_LEGACY_NOT_REMOVED). The snapshot is complete and correct.
 */
export interface BackupWarning {
  /** Stable ewsvault code. */
  readonly code: string;
  readonly message: string;
  /** The error that caused it, when there was one. */
  readonly cause?: { readonly code: string; readonly message: string };
}

export type MailboxBackupStatus = "completed" | "completed-with-warnings" | "failed" | "skipped-locked";

export interface MailboxBackupReport {
  readonly mailbox: string;
  readonly status: MailboxBackupStatus;
  /** Failure reason for "failed" / "skipped-locked". */
  readonly error?: { readonly code: string; readonly message: string };
  readonly snapshotId?: string;
  readonly folders: number;
  readonly items: number;
  readonly itemsExported: number;
  readonly itemsUnchanged: number;
  readonly itemsDeleted: number;
  readonly failedItems: readonly ItemFailure[];
  readonly bytesRead: number;
  readonly bytesNew: number;
  readonly bytesStored: number;
  readonly durationMs: number;
  /** Folders resynced from scratch because the server refused their sync state. */
  readonly foldersResynced: number;
  /** Folders asked for item changes (SyncFolderItems, or FindItem for public folders); the rest were unchanged by their probe. */
  readonly foldersSynced: number;
  /** True when every folder was synced because a full sync was due or asked for. */
  readonly fullSync: boolean;
  /** True when the index was missing, corrupt, tampered with or of an older format and rebuilt from the latest snapshot. */
  readonly indexRebuilt: boolean;
  /** Present when the run repaired something (see BackupWarning). */
  readonly warnings?: readonly BackupWarning[];
  /** The settings backed up (absent when none were asked: option off, or a source without them). */
  readonly settings?: MailboxSettingsBackupReport;
}

/**
 * Settings of one mailbox's backup. A kind that failed does not fail the mailbox: its items are
 * in the snapshot, the failure is stored with it. A kind the server does not offer
 * (EWS_OPERATION_UNSUPPORTED) is only a warning; any other failure (EWS_ACCESS_DENIED, ...)
 * makes the mailbox "completed-with-warnings".
 */
export interface MailboxSettingsBackupReport {
  /** Kinds stored with a value. */
  readonly stored: readonly SettingsKind[];
  /** Kinds that could not be read, and entries of stored kinds that could not (kind + entry). */
  readonly failures: readonly SettingsBackupFailure[];
  /** Bytes the settings documents added to the repository (before compression); 0 when unchanged. */
  readonly bytesNew: number;
}

export interface SettingsBackupFailure {
  readonly kind: SettingsKind;
  /** The entry (a folder id of folderPermissions, ...) when only that entry failed. */
  readonly entry?: string;
  readonly code: string;
  readonly message: string;
  readonly responseCode?: string;
}

export interface BackupReport {
  readonly mailboxes: readonly MailboxBackupReport[];
  readonly durationMs: number;
}

export type ConflictPolicy = "skip" | "overwrite" | "duplicate";

export interface ItemSearch {
  /** Case-insensitive substring of the subject. */
  readonly subject?: string;
  /** Case-insensitive substring of the sender. */
  readonly from?: string;
  readonly receivedAfter?: Date;
  readonly receivedBefore?: Date;
  /** Item class prefix. */
  readonly itemClass?: string;
}

export interface RestoreOptions {
  readonly repository: EngineRepository;
  readonly target: MailboxTarget;
  /** Mailbox whose snapshot is restored. */
  readonly mailbox: string;
  /** Snapshot id, "latest" (default), or the latest snapshot at or before a time. */
  readonly snapshot?: string | Date;
  /**
   * Snapshot group "latest" and a time are chosen in (see resolveSnapshot): a group id, "any"
   * for every group, default the mailbox's whole-mailbox group (or its only group).
   */
  readonly group?: string;
  /** Mailbox restored into; default the original one. */
  readonly toMailbox?: string;
  /**
   * Restore below a new top-level folder of this name instead of into the original folders
   * (e.g. "Restored 2026-11-21 10:00"); default: original folders.
   */
  readonly intoFolder?: string;
  /** Folder paths or globs to restore; default all. */
  readonly folders?: readonly string[];
  /** Item ids (as backed up) to restore; default all. */
  readonly itemIds?: readonly string[];
  readonly search?: ItemSearch;
  /** What to do with an item already present in the target folder; default "skip". */
  readonly conflict?: ConflictPolicy;
  /** Requests to the target in flight (UploadItems, and FindItem for conflicts); default 4. */
  readonly concurrency?: number;
  /** Items per UploadItems request (also capped at 8 MiB of item data); default 16. */
  readonly uploadBatchItems?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RestoreEvent) => void;
}

export type RestoreItemStatus = "restored" | "overwritten" | "skipped-existing" | "failed";

export interface RestoredItem {
  readonly sourceItemId: string;
  readonly folderPath: string;
  readonly subject?: string;
  readonly status: RestoreItemStatus;
  readonly targetItemId?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

export type RestoreEvent =
  | { readonly type: "restore-start"; readonly snapshotId: string; readonly items: number }
  | { readonly type: "item"; readonly item: RestoredItem; readonly done: number; readonly total: number };

export interface RestoreReport {
  readonly snapshotId: string;
  readonly mailbox: string;
  readonly toMailbox: string;
  readonly foldersCreated: number;
  readonly items: readonly RestoredItem[];
  readonly restored: number;
  readonly skipped: number;
  readonly failed: number;
  readonly durationMs: number;
}
