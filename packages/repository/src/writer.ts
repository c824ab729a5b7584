// The write path: chunk -> keyed id -> dedupe against the durable pack index and against blobs
// still in flight -> compress -> seal -> pack -> upload -> pack index file. No lock is taken
// here; unique content-hash names make concurrent writers (in this process or others) safe.
// Durability is explicit: a blob counts as stored for other writers at once, but only
// checkpoint() promises that it (and everything this writer depends on) is in a pack index file
// in the destination. The writers of one repository share state through writer-registry.ts.

import type { Destination } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { blobId, sealBlob } from "./blob.js";
import type { Chunker } from "./chunker/index.js";
import type { CompressionMethod } from "./compress/index.js";
import { type BlobType, canonicalJson, MiB, packObjectName, utf8 } from "./format.js";
import { PackBuilder } from "./pack.js";
import type { IndexedPack, PackIndexFileContent } from "./pack-index-file.js";
import type { Sealer } from "./sealer.js";
import { collectTreeRefs } from "./tree-refs.js";
import type { WritePool } from "./write-pool.js";

export interface WriterOptions {
  /** Write a pack index file once this many bytes of packs are uploaded but not yet indexed; default 64 MiB. */
  readonly checkpointBytes?: number;
  /** Also checkpoint (flushing the open pack) this often while anything is pending; default 60 s. 0 disables. */
  readonly checkpointSeconds?: number;
}

export interface SaveDataResult {
  /** Ids of the chunks, in order; loadData(blobIds) returns the bytes again. */
  readonly blobIds: string[];
  /** Input length. */
  readonly size: number;
  /** Plaintext bytes of chunks this call stored for the first time (0 when all were known). */
  readonly newBytes: number;
  /** Sealed (compressed + encrypted) bytes added to packs by this call. */
  readonly storedBytes: number;
}

export interface SaveDataOptions {
  /**
   * The caller will not touch `bytes` again: a Uint8Array spanning its whole ArrayBuffer may be
   * moved to a worker thread instead of copied. Default false.
   */
  readonly transfer?: boolean;
}

/**
 * Saves blobs into one repository. Safe for many concurrent async callers; several writers may
 * run at once in one process and in many processes.
 */
export interface RepositoryWriter {
  /**
   * Chunks, deduplicates, compresses, encrypts and packs `bytes`. Not durable until checkpoint().
   * With `transfer: true` the writer may take ownership of `bytes` (its buffer can be detached
   * when this returns); without it `bytes` is never modified or retained.
   */
  saveData(bytes: Uint8Array, options?: SaveDataOptions): Promise<SaveDataResult>;
  /**
   * Stores a JSON value (canonical JSON, so equal values cost no new bytes) as a tree blob and
   * returns its id. References (see collectTreeRefs: `subtree`, `content`) MUST already be saved
   * or known; otherwise it throws REPO_MISSING_BLOB.
   */
  saveTree(value: unknown): Promise<string>;
  /**
   * Resolves when everything saved so far through this writer (and blobs it deduplicated against
   * other writers' unflushed packs) is durable: packs uploaded, pack index file written. Engine sync
   * states may advance only after this resolves.
   */
  checkpoint(): Promise<void>;
  /** checkpoint(), then releases the writer (and the process's backup lock when it was the last). */
  close(): Promise<void>;
}

/** What a writer needs of the pack index (pack-index-store.ts). */
export interface WriterPackIndex {
  /** True when a durable pack index file lists the blob. */
  has(blobId: string): boolean;
  /** Writes a pack index file; once it resolves its blobs are durable for every writer. */
  write(content: PackIndexFileContent): Promise<void>;
}

/** What a writer needs from its repository (writer-registry.ts, kept narrow on purpose). */
export interface WriterContext {
  /** Pack uploads, through the repository's connection limit (limited-objects.ts). */
  readonly objects: Pick<Destination, "save">;
  readonly sealer: Sealer;
  readonly idKey: Uint8Array;
  readonly chunker: Chunker;
  readonly packSize: number;
  /** Codec for compressible blobs, fixed by the config version (blobCompression). */
  readonly compression: CompressionMethod;
  readonly packIndex: WriterPackIndex;
  /** Blob id -> writer whose pack holds it and has not indexed it yet (shared by writers of one repository). */
  readonly pending: Map<string, WriterImpl>;
  /** The repository's worker pool for chunk + id + compress + seal, or undefined to do it inline. */
  writePool(): WritePool | undefined;
  /** MUST throw REPO_LOCK_LOST when this process's locks could not be kept fresh. */
  assertLocksHealthy(): Promise<void>;
  writerClosed(writer: WriterImpl): Promise<void>;
}

/**
 * Below this many bytes per call an item is chunked and sealed inline. Since a small item costs
 * one round trip to a worker (POOL_ONE_TRIP_MAX_BYTES), the message is cheaper for the calling
 * thread than compressing and sealing even a 1 KiB item there (zstd's per-call set-up alone is
 * ~14 µs). Against 8 KiB (2026-12-02, interleaved runs on a noisy 2-core machine): the main thread
 * spent 1.52-1.91 s instead of 1.73-2.09 s on 4,024 items of up to 16 KiB
 * (benchmarks/ews-path/profile.ts --small), and bench:scheduler did 873 and 727 items/s where
 * 8 KiB did 712 and 581.
 */
const POOL_MIN_BYTES = 1024;
/**
 * Above this an item is handled inline: in a worker it would exist three times at once (the
 * caller's bytes, the worker's copy, the sealed result), and a few 40 MB items at full
 * concurrency then cost ~200 MiB more peak memory (benchmarks/memory). Items this large are rare
 * in mail (p90 ~230 KiB), so the pool's speed-up is almost untouched.
 */
const POOL_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Up to this size an item is chunked and sealed in one round trip to a worker (addSealed): a
 * small item is almost always new, and a second message costs more CPU than sealing a chunk
 * that turns out to be known (benchmarks/ews-path, items <= 16 KiB).
 */
const POOL_ONE_TRIP_MAX_BYTES = 32 * 1024;

/** Packs in flight per writer: bounds memory to about (1 + this) packs. */
const MAX_UPLOADS = 2;

export class WriterImpl implements RepositoryWriter {
  private pack = new PackBuilder();
  private readonly uploads = new Set<Promise<void>>();
  private readonly sealing = new Set<Promise<void>>();
  private unindexed: IndexedPack[] = [];
  private unindexedBytes = 0;
  private readonly mine = new Set<string>();
  private readonly foreign = new Set<WriterImpl>();
  private indexing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly checkpointBytes: number;

  constructor(
    private readonly ctx: WriterContext,
    options: WriterOptions = {},
  ) {
    this.checkpointBytes = options.checkpointBytes ?? 64 * MiB;
    if (!(this.checkpointBytes > 0)) throw new TypeError("checkpointBytes must be > 0");
    const seconds = options.checkpointSeconds ?? 60;
    if (!(seconds >= 0)) throw new TypeError("checkpointSeconds must be >= 0");
    if (seconds > 0) {
      this.timer = setInterval(() => {
        if (this.mine.size > 0 && this.failure === undefined) this.flushOwn().catch(() => undefined);
      }, seconds * 1000);
      this.timer.unref();
    }
  }

  private assertUsable(): void {
    if (this.closed) throw new EwsVaultError("REPO_WRITER_CLOSED", "the repository writer is closed");
    if (this.failure !== undefined) throw this.failure;
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure =
      error instanceof Error
        ? error
        : new EwsVaultError("REPO_WRITE_FAILED", "repository write failed", { cause: error });
    // Nothing this writer holds can become durable any more: let others store those blobs again.
    for (const id of this.mine) if (this.ctx.pending.get(id) === this) this.ctx.pending.delete(id);
    this.mine.clear();
  }

  /**
   * Claims a blob for this writer. False when it is already indexed or in flight (then a
   * dependency on the holding writer is recorded so checkpoint() covers it).
   */
  private claim(id: string): boolean {
    if (this.ctx.packIndex.has(id)) return false;
    const holder = this.ctx.pending.get(id);
    if (holder !== undefined) {
      if (holder !== this) this.foreign.add(holder);
      return false;
    }
    this.ctx.pending.set(id, this);
    this.mine.add(id);
    return true;
  }

  private addSealed(type: BlobType, id: string, sealed: Uint8Array, rawLength: number): void {
    if (!this.mine.has(id)) return; // the writer failed meanwhile; nothing of it becomes durable
    this.pack.add(type, id, sealed, rawLength);
    if (this.pack.size >= this.ctx.packSize) this.sealPack();
  }

  /** Returns sealed bytes added (0 when the blob is known or in flight). */
  private store(type: BlobType, id: string, plain: Uint8Array): number {
    if (!this.claim(id)) return 0;
    const sealed = sealBlob(this.ctx.sealer, type, id, plain, this.ctx.compression);
    this.addSealed(type, id, sealed, plain.length);
    return sealed.length;
  }

  private sealPack(): void {
    if (this.pack.count === 0) return;
    const finished = this.pack.finish(this.ctx.sealer);
    this.pack = new PackBuilder();
    const upload = this.ctx.objects.save(packObjectName(finished.id), finished.bytes).then(
      () => {
        this.unindexed.push({
          packId: finished.id,
          size: finished.bytes.length,
          entries: finished.entries,
        });
        this.unindexedBytes += finished.bytes.length;
      },
      (error: unknown) => this.fail(error),
    );
    const tracked: Promise<void> = upload.finally(() => this.uploads.delete(tracked));
    this.uploads.add(tracked);
  }

  private async afterStore(): Promise<void> {
    while (this.uploads.size >= MAX_UPLOADS) await Promise.race(this.uploads);
    if (this.failure !== undefined) throw this.failure;
    if (this.unindexedBytes >= this.checkpointBytes) this.writeIndex().catch(() => undefined);
  }

  async saveData(bytes: Uint8Array, options: SaveDataOptions = {}): Promise<SaveDataResult> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("saveData expects a Uint8Array");
    this.assertUsable();
    const pooled = bytes.length >= POOL_MIN_BYTES && bytes.length <= POOL_MAX_BYTES;
    const pool = pooled ? this.ctx.writePool() : undefined;
    if (pool !== undefined) return this.saveDataPooled(pool, bytes, options.transfer === true);
    const blobIds: string[] = [];
    let newBytes = 0;
    let storedBytes = 0;
    for (const chunk of this.ctx.chunker.split(bytes)) {
      const id = blobId(this.ctx.idKey, "data", chunk);
      blobIds.push(id);
      if (this.claim(id)) {
        newBytes += chunk.length;
        const sealed = sealBlob(this.ctx.sealer, "data", id, chunk, this.ctx.compression);
        storedBytes += sealed.length;
        this.addSealed("data", id, sealed, chunk.length);
      }
    }
    await this.afterStore();
    return { blobIds, size: bytes.length, newBytes, storedBytes };
  }

  /** saveDataPooled() for a small item: the worker seals every chunk, known ones are dropped. */
  private async saveDataOneTrip(
    pool: WritePool,
    bytes: Uint8Array,
    transfer: boolean,
  ): Promise<SaveDataResult> {
    const size = bytes.length;
    // Nothing is claimed before the reply, so a failed worker fails this call, not the writer.
    const { cuts, ids, sealed } = await pool.addSealed(bytes, transfer);
    this.assertUsable();
    let newBytes = 0;
    let storedBytes = 0;
    let start = 0;
    for (let i = 0; i < ids.length; i++) {
      const end = cuts[i]!;
      if (this.claim(ids[i]!)) {
        const blob = sealed[i]!;
        newBytes += end - start;
        storedBytes += blob.length;
        this.addSealed("data", ids[i]!, blob, end - start);
      }
      start = end;
    }
    await this.afterStore();
    return { blobIds: [...ids], size, newBytes, storedBytes };
  }

  /**
   * The same steps with the CPU work in a worker: the worker chunks and derives ids, this thread
   * claims the new ones (the dedupe decision needs the shared pack index and in-flight map), the
   * worker compresses and seals exactly those.
   */
  private async saveDataPooled(
    pool: WritePool,
    bytes: Uint8Array,
    transfer: boolean,
  ): Promise<SaveDataResult> {
    const size = bytes.length;
    if (size <= POOL_ONE_TRIP_MAX_BYTES) return this.saveDataOneTrip(pool, bytes, transfer);
    const item = pool.add(bytes, transfer);
    const { cuts, ids } = await item.chunked;
    if (this.failure !== undefined || this.closed) {
      item.drop();
      this.assertUsable();
    }
    const fresh = new Uint8Array(ids.length);
    let newBytes = 0;
    let start = 0;
    for (let i = 0; i < ids.length; i++) {
      const end = cuts[i]!;
      if (this.claim(ids[i]!)) {
        fresh[i] = 1;
        newBytes += end - start;
      }
      start = end;
    }
    let storedBytes = 0;
    if (newBytes === 0) item.drop();
    else {
      // Tracked until the sealed blobs are in the pack, so checkpoint() waits for them.
      const step = item.seal(fresh).then(
        (sealed) => {
          let k = 0;
          let from = 0;
          for (let i = 0; i < ids.length; i++) {
            const end = cuts[i]!;
            if (fresh[i] === 1) {
              const blob = sealed[k++]!;
              storedBytes += blob.length;
              this.addSealed("data", ids[i]!, blob, end - from);
            }
            from = end;
          }
        },
        (error: unknown) => {
          this.fail(error);
          throw error;
        },
      );
      const tracked: Promise<void> = step.finally(() => this.sealing.delete(tracked));
      tracked.catch(() => undefined); // the failure reaches the caller through `step`
      this.sealing.add(tracked);
      await step;
    }
    await this.afterStore();
    return { blobIds: [...ids], size, newBytes, storedBytes };
  }

  async saveTree(value: unknown): Promise<string> {
    this.assertUsable();
    const json = utf8(canonicalJson(value));
    const refs = collectTreeRefs(value);
    for (const ref of [...refs.trees, ...refs.data]) {
      if (!this.ctx.packIndex.has(ref) && !this.ctx.pending.has(ref)) {
        throw new EwsVaultError("REPO_MISSING_BLOB", `tree references unknown blob ${ref}`, {
          details: { blob: ref },
        });
      }
      const holder = this.ctx.pending.get(ref);
      if (holder !== undefined && holder !== this) this.foreign.add(holder);
    }
    const id = blobId(this.ctx.idKey, "tree", json);
    this.store("tree", id, json);
    await this.afterStore();
    return id;
  }

  /** Writes one pack index file for the packs uploaded so far (serialised per writer). */
  private writeIndex(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.failure !== undefined) throw this.failure;
      if (this.unindexed.length === 0) return;
      try {
        await this.ctx.assertLocksHealthy();
      } catch (error) {
        this.fail(error);
        throw error;
      }
      const packs = this.unindexed;
      this.unindexed = [];
      this.unindexedBytes = 0;
      try {
        await this.ctx.packIndex.write({ supersedes: [], packs });
      } catch (error) {
        this.fail(error);
        throw error;
      }
      for (const pack of packs) {
        for (const e of pack.entries) {
          if (this.ctx.pending.get(e.id) === this) this.ctx.pending.delete(e.id);
          this.mine.delete(e.id);
        }
      }
    };
    this.indexing = this.indexing.catch(() => undefined).then(run);
    return this.indexing;
  }

  /** Makes this writer's own blobs durable (no recursion into other writers). */
  async flushOwn(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await Promise.allSettled([...this.sealing]);
    this.sealPack();
    await Promise.all([...this.uploads]);
    await this.writeIndex();
    if (this.failure !== undefined) throw this.failure;
  }

  async checkpoint(): Promise<void> {
    this.assertUsable();
    const others = [...this.foreign];
    this.foreign.clear();
    await Promise.all([this.flushOwn(), ...others.map((w) => w.flushOwn())]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.checkpoint();
    } finally {
      this.closed = true;
      if (this.timer !== undefined) clearInterval(this.timer);
      await this.ctx.writerClosed(this);
    }
  }

  /** Closes without checkpointing (repository close after a failure). */
  async abandon(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.fail(new EwsVaultError("REPO_WRITER_CLOSED", "the repository was closed"));
    await Promise.allSettled([...this.uploads]);
  }
}
