// The public face of a repository: the Repository interface (what the engine, the CLI and the
// service call, with its contracts), the options of creating and opening one, and its stats.
// repository.ts implements it on top of the layers; the engine declares the part it uses in
// engine/repository-port.ts.

import type { Destination } from "@ewsvault/destination";
import type { ChunkerParams } from "./chunker/index.js";
import type { ConfigVersion, RepositoryConfig } from "./config.js";
import type { ForgetPolicy } from "./forget-policy.js";
import type { ForgetOptions, ForgetReport } from "./forget-snapshots.js";
import type { KdfParams, UnlockedKey } from "./keys/index.js";
import type { MailboxLock } from "./lock-manager.js";
import type { LockInfo } from "./lock-objects.js";
import type { PrunePlan, PruneReport } from "./plan-prune.js";
import type { PruneOptions } from "./prune.js";
import type { RepairIndexOptions, RepairIndexReport } from "./repair.js";
import type { SnapshotQuery } from "./snapshot-store.js";
import type { Snapshot, SnapshotManifest } from "./snapshots.js";
import type { VerifyOptions, VerifyReport } from "./verify.js";
import type { RepositoryWriter, WriterOptions } from "./writer.js";

export interface InitRepositoryOptions {
  readonly destination: Destination;
  readonly password: string;
  /** scrypt cost of the first password slot; default the keys module's DEFAULT_KDF_PARAMS. */
  readonly kdf?: KdfParams;
  /** Default DEFAULT_CHUNKER_PARAMS (8/32/128 KiB). Fixed for the repository's life. */
  readonly chunkerParams?: ChunkerParams;
  /** Target pack size in bytes, 4 KiB..1 GiB; default 16 MiB. */
  readonly packSize?: number;
  /**
   * Config version to create (default CONFIG_VERSION, 2: zstd blobs). 1 writes brotli blobs, so
   * ewsvault versions from before zstd can still open the repository. Fixed for its life.
   */
  readonly configVersion?: ConfigVersion;
  readonly cacheDir?: string;
  readonly lockStaleAfterMs?: number;
  readonly workers?: number;
}

export interface OpenRepositoryOptions {
  readonly destination: Destination;
  /** Either a password or an already unlocked key (escrow, recovery code). */
  readonly password?: string;
  readonly unlockedKey?: UnlockedKey;
  /**
   * Local directory for a cache of pack index files and snapshots (sealed, as stored, verified
   * by their content-hash names on every use; local-cache.ts). Default: no cache.
   */
  readonly cacheDir?: string;
  /** A lock not refreshed for this long is stale; default 30 minutes. */
  readonly lockStaleAfterMs?: number;
  /**
   * Worker threads that chunk, hash, compress and encrypt items of 8 KiB to 8 MiB for this
   * repository's writers (docs/repository-format.md, "Write path and parallelism"). Default:
   * one per core, at most 4; 0 does everything on the calling thread. Started on first use.
   */
  readonly workers?: number;
}

export interface RepositoryStats {
  readonly snapshots: number;
  /** Pack index files read (superseded ones included). */
  readonly indexFiles: number;
  readonly packs: number;
  readonly blobs: number;
  readonly dataBlobs: number;
  readonly treeBlobs: number;
  /** Sum of the indexed packs' sizes. */
  readonly storedBytes: number;
  /** Sum of the indexed blobs' plaintext sizes. */
  readonly rawBytes: number;
}

export interface Repository {
  readonly config: RepositoryConfig;
  readonly destination: Destination;
  /** Id of the key slot that opened the repository. */
  readonly keyId: string;
  /**
   * A writer (see RepositoryWriter). The first writer of a process takes a shared backup lock,
   * which MUST fail with REPO_LOCKED while a live exclusive (prune) lock exists, and reloads the
   * pack index so it never deduplicates against blobs a finished prune removed.
   */
  startWriter(options?: WriterOptions): Promise<RepositoryWriter>;
  /**
   * Concatenated plaintext of the blobs. MUST throw REPO_MISSING_BLOB for an id not in the
   * durable pack index and REPO_CORRUPT when stored bytes fail authentication or hashing.
   */
  loadData(blobIds: readonly string[]): Promise<Uint8Array>;
  /** The value given to saveTree(). Same errors as loadData. */
  loadTree(id: string): Promise<unknown>;
  /** Stores a manifest. MUST throw REPO_MISSING_BLOB unless manifest.tree is durable. */
  saveSnapshot(manifest: SnapshotManifest): Promise<Snapshot>;
  /** Readable snapshots, oldest first (unreadable ones are left out and reported by verify). */
  listSnapshots(filter?: { mailbox?: string }): Promise<Snapshot[]>;
  /** MUST throw REPO_SNAPSHOT_NOT_FOUND for an unknown id, REPO_CORRUPT for a damaged one. */
  loadSnapshot(id: string): Promise<Snapshot>;
  /**
   * Newest snapshot of the mailbox at or before `at` (default "latest") within `group` (a
   * snapshot group id, see snapshot-group.ts; default: any group), or undefined. MUST throw
   * REPO_CORRUPT instead of answering undefined when damaged snapshot objects exist (one of them
   * may be the answer; details: snapshots, the damaged ids).
   */
  findSnapshot(query: SnapshotQuery): Promise<Snapshot | undefined>;
  /**
   * Takes the per-mailbox lock (and the process's backup lock). MUST throw REPO_MAILBOX_LOCKED
   * (details: hostname, pid, refreshedAt, stale) while another holder's lock exists; a lock
   * whose holder is a dead process on this host is broken automatically, a lock stale by time
   * only through unlock().
   */
  lockMailbox(mailbox: string): Promise<MailboxLock>;
  listLocks(): Promise<LockInfo[]>;
  /** Removes stale locks (staleOnly, default) or every lock not held by this process. Returns names removed. */
  unlock(options?: { staleOnly?: boolean }): Promise<string[]>;
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  forget(policy: ForgetPolicy, options?: ForgetOptions): Promise<ForgetReport>;
  /** prune({ dryRun: true }) reports planPrune()'s plan and changes nothing. */
  prune(options?: PruneOptions): Promise<PruneReport>;
  /**
   * What prune would do, decided under the exclusive lock (REPO_LOCKED while backups run) and
   * changing nothing: its report is prune's dry-run report. Same errors as prune.
   */
  planPrune(options?: Omit<PruneOptions, "dryRun">): Promise<PrunePlan>;
  /**
   * Rebuilds the pack index from the pack headers (exclusive lock; REPO_LOCKED while backups
   * run), replacing every pack index file. The way out after verify reports damaged or missing
   * pack index files.
   */
  repairIndex(options?: RepairIndexOptions): Promise<RepairIndexReport>;
  stats(): Promise<RepositoryStats>;
  /**
   * A copy of the key local caches of this repository derive theirs from (the mailbox indexes:
   * docs/mailbox-index.md). Derived from the master key, so only someone who can open the
   * repository can read or even find its caches.
   */
  cacheKey(): Uint8Array;
  /**
   * contentBinding() under this repository's binding key: what a tree records next to a blob
   * list to bind it to its owner (the engine: every item's content to its item id), and what a
   * checker recomputes. Deterministic; needs no I/O.
   */
  contentBinding(owner: string, blobIds: readonly string[], size: number): string;
  /**
   * Brings the in-memory pack index in line with the pack index files now in the destination. A
   * repository kept open while other processes write (a service worker between jobs) calls it
   * before reading what they wrote since it was opened; startWriter() does it itself.
   */
  reloadIndex(): Promise<void>;
  /** Closes writers (checkpointing them) and releases this process's locks; does not close the destination. */
  close(): Promise<void>;
}
