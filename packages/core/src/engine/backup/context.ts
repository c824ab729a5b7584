// What every stage of one mailbox's backup is handed (the mailbox, its options resolved to
// limits, the source and repository, the request limiter), plus the two small shared types the
// stages pass between them: an item to export and the latch that stops a mailbox's folder syncs
// once one of them failed.

import type { ItemSummary, MailboxSource } from "@ewsvault/mailbox";
import type { HierarchyRootName, IndexedFolder } from "../../mailbox-index/index.js";
import type { BackupLimits } from "../limits.js";
import type { EngineRepository } from "../repository-port.js";
import type { FolderRef } from "../selection.js";
import type { BackupOptions } from "../types.js";

/** One mailbox's run, as its stages see it. Read-only: stages keep their own state. */
export interface MailboxRun {
  readonly mailbox: string;
  readonly options: BackupOptions;
  readonly limits: BackupLimits;
  readonly source: MailboxSource;
  readonly repository: EngineRepository;
  readonly signal: AbortSignal | undefined;
  /** Hierarchies this run backs up (options.selection.roots, default ["mailbox"]). */
  readonly roots: readonly HierarchyRootName[];
  /** When the mailbox's run began: the snapshot's time, the full-sync clock, the item rate. */
  readonly started: number;
  /**
   * Every source request of the mailbox goes through here: at most limits.itemsPerMailbox of
   * this mailbox and mailboxes x itemsPerMailbox of the whole run are in flight.
   */
  readonly request: <T>(send: () => Promise<T>) => Promise<T>;
  /** The selection's folder filter (built, and so validated, before the mailbox starts). */
  readonly isFolderRefSelected: (folder: FolderRef) => boolean;
  /** Whether folders sync their folder-associated items too (options and source capability). */
  readonly associatedItems: boolean;
  /** The selection's item filter (item class, received time). */
  readonly isItemSelected: (item: ItemSummary) => boolean;
}

/** An item the folder sync found new or changed, on its way to export. */
export interface ExportCandidate {
  readonly summary: ItemSummary;
  readonly folder: IndexedFolder;
}

/** Thrown by a folder sync that stops because another folder failed the mailbox (never reported). */
export class FolderSyncStopped extends Error {}

/**
 * Once one folder failed, the mailbox fails: the other folder syncs and the exports queued
 * behind the limiter ask the server for nothing more. What they already stored stays in the
 * index (made durable by the final checkpoint), and each folder keeps the sync state of its last
 * complete page, so the next run redoes no export.
 */
export class FolderFailureLatch {
  #error: unknown;
  #failed = false;

  /** Records the first failure; later ones are consequences or duplicates. */
  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
  }

  /** The first failure (undefined until one happened). */
  get error(): unknown {
    return this.#error;
  }

  throwIfFailed(): void {
    if (this.#failed) throw new FolderSyncStopped();
  }
}
