// The repository the engine, CLI and service talk to: creating and opening one (unlock, config),
// and a thin facade over its layers, each in a file of its own and each given only the small
// interface it declares of the layers below:
//   limited-objects   the destination behind one connection limit
//   local-cache       optional on-disk cache of pack index files and snapshots
//   pack-index-store  the pack index: which pack holds which blob
//   lock-manager      backup, mailbox and exclusive locks
//   writer-registry   writers (writer.ts) and what they share
//   blob-reader       authenticated reads of blobs
//   snapshot-store    snapshots and forget records
// and the operations over them: verify, forget-snapshots, prune (plan-prune, execute-prune),
// repair. Nothing here imports engine code.

import { randomBytes } from "node:crypto";
import { type Destination, isDestinationError } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { BlobReader } from "./blob-reader.js";
import {
  type Chunker,
  type CutPlan,
  createChunker,
  DEFAULT_CHUNKER_PARAMS,
  validateChunkerParams,
} from "./chunker/index.js";
import {
  blobCompression,
  CONFIG_VERSION,
  decodeConfig,
  encodeConfig,
  type RepositoryConfig,
} from "./config.js";
import { contentBinding, deriveRepositoryKeys, type RepositoryKeys } from "./crypto/index.js";
import type { ForgetPolicy } from "./forget-policy.js";
import { type ForgetOptions, type ForgetReport, forgetSnapshots } from "./forget-snapshots.js";
import { CONFIG_NAME, DEFAULT_PACK_SIZE, MAX_PACK_SIZE, MIN_PACK_SIZE } from "./format.js";
import { initKeys, unlockWithPassword } from "./keys/index.js";
import { limitedObjects, type RepositoryObjects } from "./limited-objects.js";
import { openLocalCache } from "./local-cache.js";
import { LockManager, type MailboxLock } from "./lock-manager.js";
import { DEFAULT_LOCK_STALE_AFTER_MS, type LockInfo } from "./lock-objects.js";
import { PackIndexStore } from "./pack-index-store.js";
import type { PrunePlan, PruneReport } from "./plan-prune.js";
import { type PruneOptions, type PruneTarget, planRepositoryPrune, pruneRepository } from "./prune.js";
import {
  type RepairIndexOptions,
  type RepairIndexReport,
  type RepairTarget,
  repairRepositoryIndex,
} from "./repair.js";
import type {
  InitRepositoryOptions,
  OpenRepositoryOptions,
  Repository,
  RepositoryStats,
} from "./repository-types.js";
import { createSealer, type Sealer } from "./sealer.js";
import { type SnapshotQuery, SnapshotStore } from "./snapshot-store.js";
import type { Snapshot, SnapshotManifest } from "./snapshots.js";
import { type VerifyOptions, type VerifyReport, verifyRepository } from "./verify.js";
import { defaultWriteWorkers } from "./write-pool.js";
import type { RepositoryWriter, WriterOptions } from "./writer.js";
import { WriterRegistry } from "./writer-registry.js";

function checkPackSize(packSize: number): void {
  if (!Number.isInteger(packSize) || packSize < MIN_PACK_SIZE || packSize > MAX_PACK_SIZE) {
    throw new TypeError(`packSize must be an integer in [${MIN_PACK_SIZE}, ${MAX_PACK_SIZE}]`);
  }
}

function alreadyExists(destination: Destination): EwsVaultError {
  return new EwsVaultError("REPO_ALREADY_EXISTS", `${destination.description} already holds a repository`);
}

async function loadConfigBytes(destination: Destination): Promise<Uint8Array> {
  try {
    return await destination.load(CONFIG_NAME);
  } catch (error) {
    if (isDestinationError(error, "DEST_NOT_FOUND")) {
      throw new EwsVaultError("REPO_NOT_FOUND", `no repository at ${destination.description}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Creates a repository: first key slot, then the config (exclusive). MUST throw
 * REPO_ALREADY_EXISTS when the destination already holds a config or key files.
 */
export async function initRepository(options: InitRepositoryOptions): Promise<Repository> {
  const { destination } = options;
  const chunkerParams = options.chunkerParams ?? DEFAULT_CHUNKER_PARAMS;
  validateChunkerParams(chunkerParams);
  const packSize = options.packSize ?? DEFAULT_PACK_SIZE;
  checkPackSize(packSize);
  const version = options.configVersion ?? CONFIG_VERSION;
  if (version !== 1 && version !== 2) throw new TypeError("configVersion must be 1 or 2");
  try {
    await destination.stat(CONFIG_NAME);
    throw alreadyExists(destination);
  } catch (error) {
    if (!isDestinationError(error, "DEST_NOT_FOUND")) throw error;
  }
  const unlocked = await initKeys(destination, options.password, options.kdf ? { kdf: options.kdf } : {});
  const keys = deriveRepositoryKeys(unlocked.masterKey);
  const config: RepositoryConfig = {
    version,
    id: randomBytes(32).toString("hex"),
    chunkerParams: { ...chunkerParams },
    packSize,
    createdAt: new Date().toISOString(),
  };
  try {
    await destination.save(CONFIG_NAME, encodeConfig(config, createSealer(keys.dataKey)), {
      exclusive: true,
    });
  } catch (error) {
    if (isDestinationError(error, "DEST_ALREADY_EXISTS")) throw alreadyExists(destination);
    throw error;
  }
  return openRepository({
    destination,
    unlockedKey: unlocked,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.lockStaleAfterMs === undefined ? {} : { lockStaleAfterMs: options.lockStaleAfterMs }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
}

/**
 * Unlocks and opens a repository; reads only (nothing is written until a writer or lock is
 * started). MUST throw CRYPTO_WRONG_PASSWORD for a wrong password, REPO_NOT_FOUND when there is
 * no repository, REPO_CORRUPT when the config fails authentication. Unreadable pack index files
 * do not fail opening: they are reported by verify and make prune refuse.
 */
export async function openRepository(options: OpenRepositoryOptions): Promise<Repository> {
  const { destination } = options;
  let unlocked = options.unlockedKey;
  if (unlocked === undefined) {
    if (typeof options.password !== "string")
      throw new TypeError("openRepository needs password or unlockedKey");
    unlocked = await unlockWithPassword(destination, options.password);
  }
  const keys = deriveRepositoryKeys(unlocked.masterKey);
  const sealer = createSealer(keys.dataKey);
  const config = decodeConfig(await loadConfigBytes(destination), sealer);
  const repo = new RepositoryImpl(destination, config, keys, sealer, unlocked.keyId, options);
  await repo.reloadIndex();
  return repo;
}

export class RepositoryImpl implements Repository {
  readonly chunker: Chunker & { readonly plan: CutPlan };
  readonly idKey: Uint8Array;
  readonly packIndex: PackIndexStore;
  private readonly objects: RepositoryObjects;
  private readonly locks: LockManager;
  private readonly writers: WriterRegistry;
  private readonly blobs: BlobReader;
  private readonly snapshots: SnapshotStore;
  private closed = false;

  constructor(
    readonly destination: Destination,
    readonly config: RepositoryConfig,
    private readonly keys: RepositoryKeys,
    readonly sealer: Sealer,
    readonly keyId: string,
    options: OpenRepositoryOptions,
  ) {
    this.chunker = createChunker(config.chunkerParams, keys.chunkerKey);
    this.idKey = keys.idKey;
    this.objects = limitedObjects(destination);
    const cache = openLocalCache(options.cacheDir, config.id);
    const packIndex = new PackIndexStore(this.objects, sealer, cache.index);
    this.packIndex = packIndex;
    this.locks = new LockManager(
      destination,
      sealer,
      keys.idKey,
      options.lockStaleAfterMs ?? DEFAULT_LOCK_STALE_AFTER_MS,
    );
    const writers = new WriterRegistry(
      {
        objects: this.objects,
        sealer,
        keys,
        chunker: this.chunker,
        packSize: config.packSize,
        compression: blobCompression(config),
        workers: options.workers ?? defaultWriteWorkers(),
      },
      packIndex,
      this.locks,
    );
    this.writers = writers;
    const isPending = (id: string) => writers.pending.has(id);
    this.blobs = new BlobReader(this.objects, sealer, keys.idKey, {
      locate: (id) => packIndex.locate(id),
      isPending,
    });
    const trees = {
      isDurableTree: (id: string) => packIndex.locate(id)?.type === "tree",
      isPending,
      reload: () => packIndex.reload(),
    };
    this.snapshots = new SnapshotStore(this.objects, sealer, cache.snapshots, trees, this.locks);
  }

  private assertOpen(): void {
    if (this.closed) throw new EwsVaultError("REPO_CLOSED", "the repository is closed");
  }

  /** The layers prune and repair work on (each declares the part it uses). */
  private maintenanceTarget(): PruneTarget & RepairTarget {
    return {
      objects: this.objects,
      sealer: this.sealer,
      idKey: this.idKey,
      packSize: this.config.packSize,
      locks: this.locks,
      packIndex: this.packIndex,
      snapshots: this.snapshots,
      blobs: this.blobs,
    };
  }

  reloadIndex(): Promise<void> {
    return this.packIndex.reload();
  }

  mailboxLockName(mailbox: string): string {
    return this.locks.mailboxLockName(mailbox);
  }

  async startWriter(options: WriterOptions = {}): Promise<RepositoryWriter> {
    this.assertOpen();
    return this.writers.start(options);
  }

  loadData(blobIds: readonly string[]): Promise<Uint8Array> {
    this.assertOpen();
    return this.blobs.loadData(blobIds);
  }

  loadTree(id: string): Promise<unknown> {
    this.assertOpen();
    return this.blobs.loadTree(id);
  }

  saveSnapshot(manifest: SnapshotManifest): Promise<Snapshot> {
    this.assertOpen();
    return this.snapshots.save(manifest);
  }

  listSnapshots(filter: { mailbox?: string } = {}): Promise<Snapshot[]> {
    this.assertOpen();
    return this.snapshots.list(filter);
  }

  loadSnapshot(id: string): Promise<Snapshot> {
    this.assertOpen();
    return this.snapshots.load(id);
  }

  findSnapshot(query: SnapshotQuery): Promise<Snapshot | undefined> {
    this.assertOpen();
    return this.snapshots.find(query);
  }

  async forget(policy: ForgetPolicy, options: ForgetOptions = {}): Promise<ForgetReport> {
    this.assertOpen();
    if (options.exclusive === undefined) return forgetSnapshots(this.snapshots, policy, options);
    const { waitMs, pollMs } = options.exclusive;
    const lock = await this.locks.acquireExclusiveLock(waitMs ?? 0, pollMs ?? 1000);
    try {
      return await forgetSnapshots(this.snapshots, policy, options);
    } finally {
      await lock.release();
    }
  }

  async lockMailbox(mailbox: string): Promise<MailboxLock> {
    this.assertOpen();
    if (typeof mailbox !== "string" || mailbox === "")
      throw new TypeError("mailbox must be a non-empty string");
    return this.locks.lockMailbox(mailbox);
  }

  listLocks(): Promise<LockInfo[]> {
    this.assertOpen();
    return this.locks.listLocks();
  }

  unlock(options: { staleOnly?: boolean } = {}): Promise<string[]> {
    this.assertOpen();
    return this.locks.unlock(options);
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    this.assertOpen();
    if (options.exclusive === undefined) return verifyRepository(this, options);
    const { waitMs, pollMs } = options.exclusive;
    const lock = await this.locks.acquireExclusiveLock(waitMs ?? 0, pollMs ?? 1000);
    try {
      return await verifyRepository(this, options);
    } finally {
      await lock.release();
    }
  }

  prune(options: PruneOptions = {}): Promise<PruneReport> {
    this.assertOpen();
    return pruneRepository(this.maintenanceTarget(), options);
  }

  planPrune(options: Omit<PruneOptions, "dryRun"> = {}): Promise<PrunePlan> {
    this.assertOpen();
    return planRepositoryPrune(this.maintenanceTarget(), options);
  }

  repairIndex(options: RepairIndexOptions = {}): Promise<RepairIndexReport> {
    this.assertOpen();
    return repairRepositoryIndex(this.maintenanceTarget(), options);
  }

  cacheKey(): Uint8Array {
    return Uint8Array.from(this.keys.cacheKey);
  }

  contentBinding(owner: string, blobIds: readonly string[], size: number): string {
    return contentBinding(this.keys.bindingKey, owner, blobIds, size);
  }

  async stats(): Promise<RepositoryStats> {
    this.assertOpen();
    const { index } = this.packIndex;
    let storedBytes = 0;
    let rawBytes = 0;
    let dataBlobs = 0;
    for (const pack of index.packs.values()) storedBytes += pack.size;
    for (const loc of index.blobs.values()) {
      rawBytes += loc.rawLength;
      if (loc.type === "data") dataBlobs++;
    }
    return {
      snapshots: (await this.snapshots.listIds()).length,
      indexFiles: index.files.size,
      packs: index.packs.size,
      blobs: index.blobs.size,
      dataBlobs,
      treeBlobs: index.blobs.size - dataBlobs,
      storedBytes,
      rawBytes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const failure = await this.writers.closeWriters();
    await this.locks.releaseMailboxLocks();
    this.closed = true;
    await this.writers.closePool();
    if (failure !== undefined) throw failure;
  }
}
