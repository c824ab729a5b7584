// Every concurrency, memory, batch and timing knob of the engine, in one place: what it bounds, its
// default, and the one function that resolves it from the caller's options. Backup and restore
// read their knobs from here and nowhere else, so "which knob limits what" has one answer.
//
// Knobs of the layers below are owned there and only named here: the EWS client's request
// ceiling and response budget (EwsClientOptions.maxConcurrency / inFlightBytes /
// maxExportBatchBytes), the repository's write workers and pack size (OpenRepositoryOptions),
// a destination's connections (Destination.capabilities.maxConnections).
import type { BackupOptions, RestoreOptions } from "./types.js";

const MiB = 1024 * 1024;

export interface BackupLimits {
  /** Mailboxes syncing and exporting at once. */
  readonly mailboxes: number;
  /** Requests in flight per mailbox (sync pages, exports); mailboxes x items bounds the run's requests. */
  readonly itemsPerMailbox: number;
  /** Items per export request (the source may split further by bytes). */
  readonly exportBatchItems: number;
  /** Bytes of item data held between export and store across the whole run (one ByteBudget). */
  readonly inFlightBytes: number;
  /** An item in flight costs this times its size: base64 in the response, its string, the bytes. */
  readonly exportMemoryFactor: number;
  /** Make data durable and commit the index at least this often (seconds, bytes). */
  readonly checkpointSeconds: number;
  readonly checkpointBytes: number;
  /** Sync every folder when the mailbox's last full sync is this old (seconds; 0 = every run). */
  readonly fullSyncIntervalSeconds: number;
  /** Trust stored change markers only when the last change was this long before they were read. */
  readonly probeSettleSeconds: number;
}

export interface RestoreLimits {
  /** Upload requests in flight. */
  readonly uploads: number;
  /** Items per upload request. */
  readonly uploadBatchItems: number;
  /** Bytes of item data per upload request (an item larger than this goes alone). */
  readonly uploadBatchBytes: number;
}

export const DEFAULT_BACKUP_LIMITS: BackupLimits = Object.freeze({
  mailboxes: 4,
  itemsPerMailbox: 4,
  exportBatchItems: 16,
  inFlightBytes: 192 * MiB,
  exportMemoryFactor: 3,
  checkpointSeconds: 30,
  checkpointBytes: 64 * MiB,
  fullSyncIntervalSeconds: 86_400,
  probeSettleSeconds: 60,
});

export const DEFAULT_RESTORE_LIMITS: RestoreLimits = Object.freeze({
  uploads: 4,
  uploadBatchItems: 16,
  uploadBatchBytes: 8 * MiB,
});

export function backupLimits(options: BackupOptions): BackupLimits {
  const d = DEFAULT_BACKUP_LIMITS;
  return {
    mailboxes: positive("mailboxConcurrency", options.mailboxConcurrency ?? d.mailboxes),
    itemsPerMailbox: positive("itemConcurrency", options.itemConcurrency ?? d.itemsPerMailbox),
    exportBatchItems: positive("exportBatchItems", options.exportBatchItems ?? d.exportBatchItems),
    inFlightBytes: positive("inFlightBytes", options.inFlightBytes ?? d.inFlightBytes),
    exportMemoryFactor: d.exportMemoryFactor,
    checkpointSeconds: options.checkpointSeconds ?? d.checkpointSeconds,
    checkpointBytes: options.checkpointBytes ?? d.checkpointBytes,
    fullSyncIntervalSeconds: options.fullSyncIntervalSeconds ?? d.fullSyncIntervalSeconds,
    probeSettleSeconds: options.probeSettleSeconds ?? d.probeSettleSeconds,
  };
}

export function restoreLimits(options: RestoreOptions): RestoreLimits {
  const d = DEFAULT_RESTORE_LIMITS;
  return {
    uploads: positive("concurrency", options.concurrency ?? d.uploads),
    uploadBatchItems: positive("uploadBatchItems", options.uploadBatchItems ?? d.uploadBatchItems),
    uploadBatchBytes: d.uploadBatchBytes,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 1) throw new TypeError(`${name} must be a number >= 1`);
  return value;
}
