// The repository object the engine talks to: init/open (unlock, config, index with a local
// cache), the write path (writers), reads that always authenticate and re-hash, snapshots,
// locks, and the maintenance entry points (verify, forget, prune) implemented beside it.

import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Destination, isDestinationError } from "@ewsvault/destination";
import pLimit, { type LimitFunction } from "p-limit";
import { EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import { openBlob } from "./blob.js";
import {
  type Chunker,
  type ChunkerParams,
  type CutPlan,
  DEFAULT_CHUNKER_PARAMS,
  createChunker,
  validateChunkerParams,
} from "./chunker/index.js";
import {
  CONFIG_VERSION,
  type ConfigVersion,
  type RepositoryConfig,
  blobCompression,
  decodeConfig,
  encodeConfig,
} from "./config.js";
import type { CompressionMethod } from "./compress/index.js";
import { type RepositoryKeys, deriveRepositoryKeys } from "./crypto/index.js";
import { type ForgetPolicy, applyForgetPolicy } from "./forget-policy.js";
import { encodeForgetRecord } from "./forget-records.js";
import {
  CONFIG_NAME,
  DEFAULT_PACK_SIZE,
  MAX_PACK_SIZE,
  MIN_PACK_SIZE,
  OBJECT_PREFIX,
  fromUtf8,
  idFromName,
  indexObjectName,
  isId,
  forgottenObjectName,
  snapshotObjectName,
  utf8,
} from "./format.js";
import { type IndexFileContent, decodeIndexFile } from "./index-file.js";
import { type KdfParams, type UnlockedKey, initKeys, unlockWithPassword } from "./keys/index.js";
import {
  DEFAULT_LOCK_STALE_AFTER_MS,
  EXCLUSIVE_LOCK_NAME,
  type LockHandle,
  type LockInfo,
  backupLockName,
  createLock,
  decodeLock,
  isDeadLocalHolder,
  isStale,
  mailboxLockedError,
  readLocks,
} from "./locks.js";
import { type BlobLocation, MasterIndex } from "./master-index.js";
import { type PruneOptions, type PruneReport, pruneRepository } from "./prune.js";
import { type RepairIndexOptions, type RepairIndexReport, repairRepositoryIndex } from "./repair.js";
import { WritePool, defaultWriteWorkers } from "./write-pool.js";
import { type Sealer, createSealer } from "./sealer.js";
import {
  type Snapshot,
  type SnapshotManifest,
  decodeSnapshot,
  encodeSnapshot,
  pickSnapshot,
  validateManifest,
} from "./snapshots.js";
import { type VerifyOptions, type VerifyReport, verifyRepository } from "./verify.js";
import { type RepositoryWriter, WriterImpl, type WriterContext, type WriterOptions } from "./writer.js";
import { contentBinding, keyedBlobId } from "./crypto/index.js";

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
   * Local directory for a cache of index files and snapshots (sealed, as stored, verified by
   * their content-hash names on every use). Default: no cache.
   */
  readonly cacheDir?: string;
  /** A lock not refreshed for this long is stale; default 30 minutes. */
  readonly lockStaleAfterMs?: number;
  /**
   * Worker threads that chunk, hash, compress and encrypt items of 32 KiB and more for this
   * repository's writers (docs/repository-format.md, "Write path and parallelism"). Default:
   * one per core, at most 4; 0 does everything on the calling thread. Started on first use.
   */
  readonly workers?: number;
}

export interface SnapshotQuery {
  readonly mailbox: string;
  readonly at?: Date | "latest";
  /** Snapshot group id; default any group. */
  readonly group?: string;
}

export interface MailboxLock {
  readonly mailbox: string;
  /** Removes the lock object; idempotent. */
  release(): Promise<void>;
}

export interface ForgetOptions {
  /** Only this mailbox's snapshots; default every mailbox (each grouped on its own). */
  readonly mailbox?: string;
  /** Only this snapshot group (see snapshot-group.ts); default every group, each on its own. */
  readonly group?: string;
  /** Decide and report, remove nothing. */
  readonly dryRun?: boolean;
}

export interface ForgetReport {
  readonly keep: readonly { readonly snapshot: Snapshot; readonly reasons: readonly string[] }[];
  readonly remove: readonly Snapshot[];
  readonly dryRun: boolean;
}

export interface RepositoryStats {
  readonly snapshots: number;
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
   * index so it never deduplicates against blobs a finished prune removed.
   */
  startWriter(options?: WriterOptions): Promise<RepositoryWriter>;
  /**
   * Concatenated plaintext of the blobs. MUST throw REPO_MISSING_BLOB for an id not in the
   * durable index and REPO_CORRUPT when stored bytes fail authentication or hashing.
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
  prune(options?: PruneOptions): Promise<PruneReport>;
  /**
   * Rebuilds the index from the pack headers (exclusive lock; REPO_LOCKED while backups run),
   * replacing every index file. The way out after verify reports damaged or missing index files.
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
   * Brings the in-memory index in line with the index files now in the destination. A
   * repository kept open while other processes write (a service worker between jobs) calls it
   * before reading what they wrote since it was opened; startWriter() does it itself.
   */
  reloadIndex(): Promise<void>;
  /** Closes writers (checkpointing them) and releases this process's locks; does not close the destination. */
  close(): Promise<void>;
}

function checkPackSize(packSize: number): void {
  if (!Number.isInteger(packSize) || packSize < MIN_PACK_SIZE || packSize > MAX_PACK_SIZE) {
    throw new TypeError(`packSize must be an integer in [${MIN_PACK_SIZE}, ${MAX_PACK_SIZE}]`);
  }
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
    throw new EwsVaultError("REPO_ALREADY_EXISTS", `${destination.description} already holds a repository`);
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
    if (isDestinationError(error, "DEST_ALREADY_EXISTS")) {
      throw new EwsVaultError("REPO_ALREADY_EXISTS", `${destination.description} already holds a repository`);
    }
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
 * no repository, REPO_CORRUPT when the config fails authentication. Unreadable index files do
 * not fail opening: they are reported by verify and make prune refuse.
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

/** Writes files atomically into an optional local cache; every failure is ignored (it is a cache). */
class LocalCache {
  constructor(private readonly dir: string | undefined) {}

  async get(kind: string, id: string): Promise<Uint8Array | undefined> {
    if (this.dir === undefined) return undefined;
    try {
      return new Uint8Array(await readFile(join(this.dir, kind, id)));
    } catch {
      return undefined;
    }
  }

  async put(kind: string, id: string, bytes: Uint8Array): Promise<void> {
    if (this.dir === undefined) return;
    try {
      // Sealed bytes under content-hash names, but private all the same (0700/0600).
      await mkdir(join(this.dir, kind), { recursive: true, mode: 0o700 });
      const tmp = join(this.dir, kind, `.${id}.${randomBytes(6).toString("hex")}.tmp`);
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, join(this.dir, kind, id));
    } catch {
      // A cache that cannot be written only costs a download next time.
    }
  }

  async retain(kind: string, keep: ReadonlySet<string>): Promise<void> {
    if (this.dir === undefined) return;
    try {
      for (const name of await readdir(join(this.dir, kind))) {
        if (!keep.has(name)) await rm(join(this.dir, kind, name), { force: true });
      }
    } catch {
      // ignored: see put()
    }
  }
}

export class RepositoryImpl implements Repository, WriterContext {
  readonly index = new MasterIndex();
  readonly pending = new Map<string, WriterImpl>();
  readonly chunker: Chunker & { readonly plan: CutPlan };
  readonly packSize: number;
  readonly compression: CompressionMethod;
  readonly idKey: Uint8Array;
  readonly lockStaleAfterMs: number;
  /** Index files that exist but cannot be read (name -> error). */
  readonly indexProblems = new Map<string, EwsVaultError>();
  private readonly limit: LimitFunction;
  private readonly cache: LocalCache;
  private readonly snapshotCache = new Map<string, Snapshot>();
  /** Snapshot objects the last listSnapshots() found damaged (REPO_CORRUPT). */
  private damagedSnapshots: readonly string[] = [];
  private readonly writers = new Set<WriterImpl>();
  private readonly mailboxLocks = new Set<LockHandle>();
  private backupLock: Promise<LockHandle> | undefined;
  private backupUsers = 0;
  private closed = false;
  private readonly workerCount: number;
  private pool: WritePool | undefined;

  constructor(
    readonly destination: Destination,
    readonly config: RepositoryConfig,
    readonly keys: RepositoryKeys,
    readonly sealer: Sealer,
    readonly keyId: string,
    options: OpenRepositoryOptions,
  ) {
    this.chunker = createChunker(config.chunkerParams, keys.chunkerKey);
    this.packSize = config.packSize;
    this.compression = blobCompression(config);
    this.idKey = keys.idKey;
    this.lockStaleAfterMs = options.lockStaleAfterMs ?? DEFAULT_LOCK_STALE_AFTER_MS;
    this.workerCount = options.workers ?? defaultWriteWorkers();
    if (!Number.isInteger(this.workerCount) || this.workerCount < 0)
      throw new TypeError("workers must be an integer >= 0");
    this.limit = pLimit(Math.max(1, destination.capabilities.maxConnections));
    this.cache = new LocalCache(
      options.cacheDir === undefined ? undefined : join(options.cacheDir, config.id),
    );
  }

  writePool(): WritePool | undefined {
    if (this.workerCount === 0) return undefined;
    this.pool ??= new WritePool(this.keys, this.chunker.plan, this.workerCount, this.compression);
    return this.pool;
  }

  io<T>(fn: () => Promise<T>): Promise<T> {
    return this.limit(fn);
  }

  private assertOpen(): void {
    if (this.closed) throw new EwsVaultError("REPO_CLOSED", "the repository is closed");
  }

  /** Brings the master index in line with the index files in the destination. */
  async reloadIndex(): Promise<void> {
    const listed = new Set<string>();
    for await (const info of this.destination.list(OBJECT_PREFIX.index)) {
      const id = idFromName(info.name);
      if (id !== undefined) listed.add(id);
    }
    this.index.remove([...this.index.files.keys()].filter((id) => !listed.has(id)));
    for (const id of this.indexProblems.keys()) if (!listed.has(id)) this.indexProblems.delete(id);
    const todo = [...listed].filter((id) => !this.index.files.has(id));
    const loaded = await Promise.all(todo.map((id) => this.loadIndexFile(id)));
    for (const file of loaded) if (file !== undefined) this.index.add(file.id, file.content);
    await this.cache.retain("index", listed);
  }

  private async loadIndexFile(id: string): Promise<{ id: string; content: IndexFileContent } | undefined> {
    const cached = await this.cache.get("index", id);
    if (cached !== undefined) {
      try {
        return { id, content: decodeIndexFile(id, cached, this.sealer) };
      } catch {
        // fall through: a damaged cache entry is replaced from the destination
      }
    }
    try {
      const bytes = await this.io(() => this.destination.load(indexObjectName(id)));
      const content = decodeIndexFile(id, bytes, this.sealer);
      this.indexProblems.delete(id);
      await this.cache.put("index", id, bytes);
      return { id, content };
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) return undefined;
      if (isEwsVaultError(error, "REPO_CORRUPT")) {
        this.indexProblems.set(id, error);
        return undefined;
      }
      throw error;
    }
  }

  async indexWritten(id: string, bytes: Uint8Array, content: IndexFileContent): Promise<void> {
    this.index.add(id, content);
    await this.cache.put("index", id, bytes);
  }

  // ---------------------------------------------------------------------------------------------
  // locks

  private async exclusiveHolder(): Promise<LockInfo | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.destination.load(EXCLUSIVE_LOCK_NAME);
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) return undefined;
      throw error;
    }
    try {
      const c = decodeLock(EXCLUSIVE_LOCK_NAME, bytes, this.sealer);
      return {
        name: EXCLUSIVE_LOCK_NAME,
        kind: "exclusive",
        hostname: c.hostname,
        pid: c.pid,
        createdAt: new Date(c.createdAt),
        refreshedAt: new Date(c.refreshedAt),
        stale: isStale(c, this.lockStaleAfterMs),
      };
    } catch {
      const now = new Date();
      return {
        name: EXCLUSIVE_LOCK_NAME,
        kind: "exclusive",
        hostname: "",
        pid: 0,
        createdAt: now,
        refreshedAt: now,
        stale: false,
        unreadable: true,
      };
    }
  }

  /** Reference-counted shared lock of this process; the first user creates it. */
  private async acquireBackupLock(): Promise<void> {
    this.backupUsers++;
    if (this.backupLock === undefined) {
      this.backupLock = (async () => {
        const handle = await createLock(
          this.destination,
          this.sealer,
          backupLockName(),
          "backup",
          this.lockStaleAfterMs,
        );
        const holder = await this.exclusiveHolder();
        if (holder !== undefined && !holder.stale) {
          await handle.release();
          throw new EwsVaultError("REPO_LOCKED", "the repository is locked exclusively (prune is running)", {
            details: {
              hostname: holder.hostname,
              pid: holder.pid,
              refreshedAt: holder.refreshedAt.toISOString(),
            },
          });
        }
        return handle;
      })();
    }
    try {
      await this.backupLock;
    } catch (error) {
      this.backupUsers--;
      this.backupLock = undefined;
      throw error;
    }
  }

  private async releaseBackupLock(): Promise<void> {
    this.backupUsers--;
    if (this.backupUsers > 0 || this.backupLock === undefined) return;
    const pending = this.backupLock;
    this.backupLock = undefined;
    const handle = await pending.catch(() => undefined);
    await handle?.release();
  }

  private lockLost: EwsVaultError | undefined;

  /**
   * MUST throw REPO_LOCK_LOST once this process's backup or a mailbox lock could not be
   * refreshed for half the stale time: a prune elsewhere may then run, so nothing written from
   * here on may be trusted to reference existing blobs. Sticky for the repository's lifetime.
   */
  async assertLocksHealthy(): Promise<void> {
    if (this.lockLost !== undefined) throw this.lockLost;
    const handles = [...this.mailboxLocks];
    const backup = await this.backupLock?.catch(() => undefined);
    if (backup !== undefined) handles.push(backup);
    const lost = handles.find((h) => !h.healthy());
    if (lost !== undefined) {
      this.lockLost = new EwsVaultError(
        "REPO_LOCK_LOST",
        `lock ${lost.name} could not be refreshed; aborting`,
        {
          details: { object: lost.name },
        },
      );
      throw this.lockLost;
    }
  }

  /** Names of lock objects this process holds (never broken by unlock()). */
  async ownLockNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const h of this.mailboxLocks) names.add(h.name);
    const backup = await this.backupLock?.catch(() => undefined);
    if (backup !== undefined) names.add(backup.name);
    return names;
  }

  mailboxLockName(mailbox: string): string {
    return `locks/mailbox-${keyedBlobId(this.idKey, utf8(`ewsvault/v1/mailbox-lock\n${mailbox}`))}`;
  }

  async lockMailbox(mailbox: string): Promise<MailboxLock> {
    this.assertOpen();
    if (typeof mailbox !== "string" || mailbox === "")
      throw new TypeError("mailbox must be a non-empty string");
    await this.acquireBackupLock();
    const name = this.mailboxLockName(mailbox);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const handle = await createLock(
            this.destination,
            this.sealer,
            name,
            "mailbox",
            this.lockStaleAfterMs,
            mailbox,
          );
          this.mailboxLocks.add(handle);
          let released = false;
          return {
            mailbox,
            release: async () => {
              if (released) return;
              released = true;
              this.mailboxLocks.delete(handle);
              await handle.release();
              await this.releaseBackupLock();
            },
          };
        } catch (error) {
          if (!isDestinationError(error, "DEST_ALREADY_EXISTS") || attempt >= 3) throw error;
        }
        const holder = (await readLocks(this.destination, this.sealer, this.lockStaleAfterMs)).find(
          (l) => l.name === name,
        );
        if (holder === undefined) continue; // released meanwhile
        if (holder.unreadable || !isDeadLocalHolder(holder)) throw mailboxLockedError(holder, mailbox);
        await this.destination.remove(name);
      }
    } catch (error) {
      await this.releaseBackupLock();
      throw error;
    }
  }

  /** Held by prune: exclusive lock, only when no live lock of anyone else exists. */
  async acquireExclusiveLock(waitMs: number, pollMs: number): Promise<LockHandle> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      let handle: LockHandle | undefined;
      let holders: LockInfo[] = [];
      try {
        handle = await createLock(
          this.destination,
          this.sealer,
          EXCLUSIVE_LOCK_NAME,
          "exclusive",
          this.lockStaleAfterMs,
        );
      } catch (error) {
        if (!isDestinationError(error, "DEST_ALREADY_EXISTS")) throw error;
        const holder = await this.exclusiveHolder();
        if (holder?.stale) {
          await this.destination.remove(EXCLUSIVE_LOCK_NAME);
          continue;
        }
        if (holder !== undefined) holders = [holder];
      }
      if (handle !== undefined) {
        const locks = await readLocks(this.destination, this.sealer, this.lockStaleAfterMs);
        holders = locks.filter((l) => l.name !== EXCLUSIVE_LOCK_NAME && !l.stale);
        if (holders.length === 0) return handle;
        await handle.release();
      }
      if (Date.now() + pollMs > deadline) {
        throw new EwsVaultError("REPO_LOCKED", "the repository is in use by a backup; prune refused", {
          details: {
            holders: holders.map((h) => ({
              kind: h.kind,
              hostname: h.hostname,
              pid: h.pid,
              refreshedAt: h.refreshedAt.toISOString(),
            })),
          },
        });
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  listLocks(): Promise<LockInfo[]> {
    this.assertOpen();
    return readLocks(this.destination, this.sealer, this.lockStaleAfterMs);
  }

  async unlock(options: { staleOnly?: boolean } = {}): Promise<string[]> {
    this.assertOpen();
    const staleOnly = options.staleOnly ?? true;
    const own = await this.ownLockNames();
    const removed: string[] = [];
    for (const lock of await this.listLocks()) {
      if (own.has(lock.name) || (staleOnly && !lock.stale)) continue;
      await this.destination.remove(lock.name);
      removed.push(lock.name);
    }
    return removed;
  }

  // ---------------------------------------------------------------------------------------------
  // writing

  async startWriter(options: WriterOptions = {}): Promise<RepositoryWriter> {
    this.assertOpen();
    await this.acquireBackupLock();
    try {
      await this.reloadIndex();
      const writer = new WriterImpl(this, options);
      this.writers.add(writer);
      return writer;
    } catch (error) {
      await this.releaseBackupLock();
      throw error;
    }
  }

  async writerClosed(writer: WriterImpl): Promise<void> {
    if (this.writers.delete(writer)) await this.releaseBackupLock();
  }

  // ---------------------------------------------------------------------------------------------
  // reading

  private locate(id: string): BlobLocation {
    if (!isId(id)) throw new TypeError(`not a blob id: ${JSON.stringify(id)}`);
    const location = this.index.blobs.get(id);
    if (location === undefined) {
      throw new EwsVaultError("REPO_MISSING_BLOB", `blob ${id} is not in the repository index`, {
        details: { blob: id, pending: this.pending.has(id) },
      });
    }
    return location;
  }

  async loadData(blobIds: readonly string[]): Promise<Uint8Array> {
    this.assertOpen();
    const locations = blobIds.map((id) => this.locate(id));
    // Adjacent blobs of one pack are fetched with one ranged read.
    const runs: { packId: string; offset: number; end: number; members: number[] }[] = [];
    locations.forEach((loc, i) => {
      const last = runs[runs.length - 1];
      if (
        last !== undefined &&
        last.packId === loc.packId &&
        last.end === loc.offset &&
        last.end - last.offset < 8 * 1024 * 1024
      ) {
        last.end = loc.offset + loc.length;
        last.members.push(i);
      } else {
        runs.push({ packId: loc.packId, offset: loc.offset, end: loc.offset + loc.length, members: [i] });
      }
    });
    const parts: Uint8Array[] = new Array(blobIds.length);
    await Promise.all(
      runs.map(async (run) => {
        const name = `data/${run.packId.slice(0, 2)}/${run.packId}`;
        let bytes: Uint8Array;
        try {
          bytes = await this.io(() =>
            this.destination.load(name, { offset: run.offset, length: run.end - run.offset }),
          );
        } catch (error) {
          if (
            isDestinationError(error, "DEST_NOT_FOUND") ||
            isDestinationError(error, "DEST_RANGE_NOT_SATISFIABLE")
          ) {
            throw new EwsVaultError("REPO_MISSING_BLOB", `pack ${run.packId} is missing or too short`, {
              cause: error,
              details: { pack: run.packId },
            });
          }
          throw error;
        }
        for (const i of run.members) {
          const loc = locations[i]!;
          const id = blobIds[i]!;
          const start = loc.offset - run.offset;
          if (bytes.length < start + loc.length) {
            throw new EwsVaultError("REPO_CORRUPT", `pack ${run.packId} is shorter than its index says`, {
              details: { pack: run.packId, blob: id },
            });
          }
          parts[i] = openBlob(
            this.sealer,
            this.idKey,
            loc.type,
            id,
            bytes.subarray(start, start + loc.length),
            loc.rawLength,
            {
              object: name,
            },
          );
        }
      }),
    );
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async loadTree(id: string): Promise<unknown> {
    const location = this.locate(id);
    if (location.type !== "tree") {
      throw new EwsVaultError("REPO_MISSING_BLOB", `blob ${id} is not a tree`, { details: { blob: id } });
    }
    const bytes = await this.loadData([id]);
    return JSON.parse(fromUtf8(bytes));
  }

  // ---------------------------------------------------------------------------------------------
  // snapshots

  async saveSnapshot(manifest: SnapshotManifest): Promise<Snapshot> {
    this.assertOpen();
    validateManifest(manifest);
    if (this.index.blobs.get(manifest.tree)?.type !== "tree") {
      throw new EwsVaultError(
        "REPO_MISSING_BLOB",
        "snapshot tree is not durable; checkpoint the writer first",
        {
          details: { blob: manifest.tree, pending: this.pending.has(manifest.tree) },
        },
      );
    }
    // Held while the manifest is written: until it exists, nothing references the new trees and
    // a prune elsewhere would be free to remove them. A lock taken fresh here (no writer or
    // mailbox lock was open) means a prune may have run since the writer closed: re-check.
    const fresh = this.backupUsers === 0;
    await this.acquireBackupLock();
    let id: string;
    let bytes: Uint8Array;
    try {
      if (fresh) {
        await this.reloadIndex();
        if (this.index.blobs.get(manifest.tree)?.type !== "tree") {
          throw new EwsVaultError(
            "REPO_MISSING_BLOB",
            "snapshot tree was removed (prune ran after the writer closed)",
            {
              details: { blob: manifest.tree },
            },
          );
        }
      }
      await this.assertLocksHealthy();
      ({ id, bytes } = encodeSnapshot(manifest, this.sealer));
      await this.io(() => this.destination.save(snapshotObjectName(id), bytes));
    } finally {
      await this.releaseBackupLock();
    }
    await this.cache.put("snapshots", id, bytes);
    const snapshot = decodeSnapshot(id, bytes, this.sealer);
    this.snapshotCache.set(id, snapshot);
    return snapshot;
  }

  /** Every snapshot id in the destination. */
  async listSnapshotIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const info of this.destination.list(OBJECT_PREFIX.snapshots)) {
      const id = idFromName(info.name);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /** Loads one snapshot, bypassing caches when `fresh` (verify). */
  async readSnapshot(id: string, fresh = false): Promise<Snapshot> {
    if (!fresh) {
      const memo = this.snapshotCache.get(id);
      if (memo !== undefined) return memo;
      const cached = await this.cache.get("snapshots", id);
      if (cached !== undefined) {
        try {
          const s = decodeSnapshot(id, cached, this.sealer);
          this.snapshotCache.set(id, s);
          return s;
        } catch {
          // replaced from the destination below
        }
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.io(() => this.destination.load(snapshotObjectName(id)));
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) {
        throw new EwsVaultError("REPO_SNAPSHOT_NOT_FOUND", `no snapshot ${id}`, {
          cause: error,
          details: { snapshot: id },
        });
      }
      throw error;
    }
    const s = decodeSnapshot(id, bytes, this.sealer);
    this.snapshotCache.set(id, s);
    await this.cache.put("snapshots", id, bytes);
    return s;
  }

  async listSnapshots(filter: { mailbox?: string } = {}): Promise<Snapshot[]> {
    this.assertOpen();
    const ids = await this.listSnapshotIds();
    const live = new Set(ids);
    for (const id of this.snapshotCache.keys()) if (!live.has(id)) this.snapshotCache.delete(id);
    await this.cache.retain("snapshots", live);
    const damaged: string[] = [];
    const all = await Promise.all(
      ids.map((id) =>
        this.readSnapshot(id).catch((error: unknown) => {
          if (isEwsVaultError(error, "REPO_CORRUPT")) damaged.push(id);
          else if (!isEwsVaultError(error, "REPO_SNAPSHOT_NOT_FOUND")) throw error;
          return undefined;
        }),
      ),
    );
    this.damagedSnapshots = damaged.sort();
    return all
      .filter(
        (s): s is Snapshot =>
          s !== undefined && (filter.mailbox === undefined || s.mailbox === filter.mailbox),
      )
      .sort((a, b) => a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : 1));
  }

  loadSnapshot(id: string): Promise<Snapshot> {
    this.assertOpen();
    if (!isId(id)) throw new TypeError(`not a snapshot id: ${JSON.stringify(id)}`);
    return this.readSnapshot(id);
  }

  async findSnapshot(query: SnapshotQuery): Promise<Snapshot | undefined> {
    const at = query.at ?? "latest";
    const found = pickSnapshot(
      await this.listSnapshots({ mailbox: query.mailbox }),
      query.mailbox,
      at,
      query.group,
    );
    if (found === undefined && this.damagedSnapshots.length > 0) {
      // "Not found" would be a guess: a damaged manifest's mailbox and time cannot be read.
      throw new EwsVaultError(
        "REPO_CORRUPT",
        `no readable snapshot of ${query.mailbox} at ${String(at)}, and ${this.damagedSnapshots.length} snapshot(s) are damaged; run verify`,
        {
          details: {
            mailbox: query.mailbox,
            snapshots: [...this.damagedSnapshots],
            objects: this.damagedSnapshots.map(snapshotObjectName),
          },
        },
      );
    }
    return found;
  }

  async forget(policy: ForgetPolicy, options: ForgetOptions = {}): Promise<ForgetReport> {
    this.assertOpen();
    const snapshots = await this.listSnapshots(
      options.mailbox === undefined ? {} : { mailbox: options.mailbox },
    );
    // Policies apply per mailbox and snapshot group (what was backed up), as restic applies
    // them per host and paths: a daily partial set never pushes out the whole-mailbox backups.
    const groups = new Map<string, Snapshot[]>();
    for (const s of snapshots) {
      if (options.group !== undefined && s.group !== options.group) continue;
      const key = `${s.mailbox}\u0000${s.group}`;
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    const keep: ForgetReport["keep"][number][] = [];
    const remove: Snapshot[] = [];
    for (const group of groups.values()) {
      const decision = applyForgetPolicy(group, policy);
      keep.push(...decision.keep);
      remove.push(...decision.remove);
    }
    if (groups.size === 0) applyForgetPolicy([], policy); // validates the policy even when there is nothing
    const dryRun = options.dryRun ?? false;
    if (!dryRun && remove.length > 0) {
      // The record first: a crash after it leaves snapshots a record names (harmless); the other
      // order would leave a snapshot gone without one, which verify reports as lost.
      const record = encodeForgetRecord(
        {
          forgottenAt: new Date().toISOString(),
          snapshots: remove.map((s) => ({ id: s.id, mailbox: s.mailbox, time: s.time.toISOString() })),
        },
        this.sealer,
      );
      await this.io(() => this.destination.save(forgottenObjectName(record.id), record.bytes));
      for (const s of remove) {
        await this.io(() => this.destination.remove(snapshotObjectName(s.id)));
        this.snapshotCache.delete(s.id);
      }
    }
    return { keep, remove, dryRun };
  }

  // ---------------------------------------------------------------------------------------------
  // maintenance

  verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    this.assertOpen();
    return verifyRepository(this, options);
  }

  prune(options: PruneOptions = {}): Promise<PruneReport> {
    this.assertOpen();
    return pruneRepository(this, options);
  }

  repairIndex(options: RepairIndexOptions = {}): Promise<RepairIndexReport> {
    this.assertOpen();
    return repairRepositoryIndex(this, options);
  }

  cacheKey(): Uint8Array {
    return Uint8Array.from(this.keys.cacheKey);
  }

  contentBinding(owner: string, blobIds: readonly string[], size: number): string {
    return contentBinding(this.keys.bindingKey, owner, blobIds, size);
  }

  async stats(): Promise<RepositoryStats> {
    this.assertOpen();
    let storedBytes = 0;
    let rawBytes = 0;
    let dataBlobs = 0;
    for (const pack of this.index.packs.values()) storedBytes += pack.size;
    for (const loc of this.index.blobs.values()) {
      rawBytes += loc.rawLength;
      if (loc.type === "data") dataBlobs++;
    }
    return {
      snapshots: (await this.listSnapshotIds()).length,
      indexFiles: this.index.files.size,
      packs: this.index.packs.size,
      blobs: this.index.blobs.size,
      dataBlobs,
      treeBlobs: this.index.blobs.size - dataBlobs,
      storedBytes,
      rawBytes,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    let firstError: unknown;
    for (const writer of [...this.writers]) {
      try {
        await writer.close();
      } catch (error) {
        firstError ??= error;
        await writer.abandon();
        await this.writerClosed(writer);
      }
    }
    for (const handle of [...this.mailboxLocks]) {
      this.mailboxLocks.delete(handle);
      await handle.release().catch(() => undefined);
      await this.releaseBackupLock();
    }
    this.closed = true;
    await this.pool?.close();
    this.pool = undefined;
    if (firstError !== undefined) throw firstError;
  }
}
