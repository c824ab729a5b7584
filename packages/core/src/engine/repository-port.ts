// The part of the repository the engine uses. Keeping it as a narrow interface lets the engine
// be read (and tested) without the repository's internals, and documents exactly what a backup
// and a restore need from storage.

import type { Snapshot, SnapshotManifest } from "@ewsvault/repository";

export interface SavedData {
  /** Blob ids whose concatenation is the saved bytes. */
  readonly blobIds: readonly string[];
  readonly size: number;
  /** Bytes of chunks the repository did not have before (before compression). */
  readonly newBytes: number;
  /** Bytes actually added to the destination for them (after compression and encryption). */
  readonly storedBytes: number;
}

export interface EngineWriter {
  /**
   * With `transfer: true` the repository may take ownership of `data` (its buffer can be
   * detached afterwards); the caller MUST NOT use it again.
   */
  saveData(data: Uint8Array, options?: { readonly transfer?: boolean }): Promise<SavedData>;
  saveTree(value: unknown): Promise<string>;
  /** Resolves once everything saved so far is durable in the destination (packs, then index). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

/** The repository's own manifest and snapshot types: the engine writes exactly those. */
export type EngineSnapshotManifest = SnapshotManifest;
export type EngineSnapshot = Snapshot;

export interface EngineLock {
  release(): Promise<void>;
}

export interface EngineRepository {
  startWriter(options?: { checkpointBytes?: number; checkpointSeconds?: number }): Promise<EngineWriter>;
  loadData(blobIds: readonly string[]): Promise<Uint8Array>;
  loadTree(id: string): Promise<unknown>;
  saveSnapshot(manifest: EngineSnapshotManifest): Promise<EngineSnapshot>;
  /** Newest snapshot of the mailbox at or before `at`, within `group` when given. */
  findSnapshot(query: {
    mailbox: string;
    at?: Date | "latest";
    group?: string;
  }): Promise<EngineSnapshot | undefined>;
  /** Readable snapshots, oldest first. */
  listSnapshots(filter?: { mailbox?: string }): Promise<EngineSnapshot[]>;
  loadSnapshot(id: string): Promise<EngineSnapshot>;
  /** MUST reject with REPO_MAILBOX_LOCKED when another backup of the mailbox holds the lock. */
  lockMailbox(mailbox: string): Promise<EngineLock>;
  /** The key the mailbox indexes are sealed and named with (Repository.cacheKey()). */
  cacheKey(): Uint8Array;
  /** Binds an item's blob list to its id (Repository.contentBinding()). */
  contentBinding(owner: string, blobIds: readonly string[], size: number): string;
}
