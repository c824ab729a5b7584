// The writers of one open repository and what they share: the map of blobs in flight (so two
// writers never store one blob twice), the worker pool (started on first use), and the
// repository's settings. Each writer holds a use of the process's backup lock from start to
// close, and starts from a freshly reloaded pack index, so it never deduplicates against blobs a
// prune that finished meanwhile removed.

import type { Destination } from "@ewsvault/destination";
import type { Chunker, CutPlan } from "./chunker/index.js";
import type { CompressionMethod } from "./compress/index.js";
import type { Sealer } from "./sealer.js";
import { WritePool, type WritePoolKeys } from "./write-pool.js";
import {
  type RepositoryWriter,
  type WriterContext,
  WriterImpl,
  type WriterOptions,
  type WriterPackIndex,
} from "./writer.js";

/** What writers need of the pack index store (pack-index-store.ts). */
export interface WritersPackIndex extends WriterPackIndex {
  /** Reads pack index files written since the last reload. */
  reload(): Promise<void>;
}

/** What writers need of the lock manager (lock-manager.ts). */
export interface WritersLocks {
  /** MUST throw REPO_LOCKED while a live exclusive lock exists. */
  acquireBackupLock(): Promise<void>;
  releaseBackupLock(): Promise<void>;
  /** MUST throw REPO_LOCK_LOST once a lock of this process could not be kept fresh. */
  assertHealthy(): Promise<void>;
}

export interface WriterSettings {
  /** Pack uploads, through the repository's connection limit (limited-objects.ts). */
  readonly objects: Pick<Destination, "save">;
  readonly sealer: Sealer;
  readonly keys: WritePoolKeys;
  readonly chunker: Chunker & { readonly plan: CutPlan };
  readonly packSize: number;
  readonly compression: CompressionMethod;
  /** Worker threads of the pool; 0 does everything on the calling thread. */
  readonly workers: number;
}

export class WriterRegistry {
  /** Blob id -> the writer whose pack holds it, not yet indexed (writer.ts: WriterContext.pending). */
  readonly pending = new Map<string, WriterImpl>();
  private readonly writers = new Set<WriterImpl>();
  private readonly context: WriterContext;
  private pool: WritePool | undefined;

  constructor(
    private readonly settings: WriterSettings,
    private readonly packIndex: WritersPackIndex,
    private readonly locks: WritersLocks,
  ) {
    if (!Number.isInteger(settings.workers) || settings.workers < 0)
      throw new TypeError("workers must be an integer >= 0");
    this.context = {
      objects: settings.objects,
      sealer: settings.sealer,
      idKey: settings.keys.idKey,
      chunker: settings.chunker,
      packSize: settings.packSize,
      compression: settings.compression,
      packIndex: this.packIndex,
      pending: this.pending,
      writePool: () => this.writePool(),
      assertLocksHealthy: () => locks.assertHealthy(),
      writerClosed: (writer) => this.writerClosed(writer),
    };
  }

  private writePool(): WritePool | undefined {
    const { workers, keys, chunker, compression } = this.settings;
    if (workers === 0) return undefined;
    this.pool ??= new WritePool(keys, chunker.plan, workers, compression);
    return this.pool;
  }

  /** A new writer holding a use of the backup lock (REPO_LOCKED while prune runs). */
  async start(options: WriterOptions): Promise<RepositoryWriter> {
    await this.locks.acquireBackupLock();
    try {
      await this.packIndex.reload();
      const writer = new WriterImpl(this.context, options);
      this.writers.add(writer);
      return writer;
    } catch (error) {
      await this.locks.releaseBackupLock();
      throw error;
    }
  }

  private async writerClosed(writer: WriterImpl): Promise<void> {
    if (this.writers.delete(writer)) await this.locks.releaseBackupLock();
  }

  /**
   * Closes every writer (checkpointing it; one that fails is abandoned). Resolves with the first
   * failure instead of throwing it, so the repository can finish closing before it reports it.
   */
  async closeWriters(): Promise<unknown> {
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
    return firstError;
  }

  async closePool(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}
