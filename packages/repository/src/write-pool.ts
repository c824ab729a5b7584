// Worker threads for the CPU-heavy part of the write path. An item's bytes go to one worker,
// which chunks them (gear-cut.wat: findCut's loop in WebAssembly, twice as fast) and derives the
// keyed ids; the main thread (which owns the repository's index and the blobs in flight) decides
// which chunks are new; the same worker then compresses and seals just those and sends the
// stored forms back in one buffer. A small item (writer.ts: up to 32 KiB) takes one round trip
// instead (addSealed): every chunk sealed at once, the main thread keeps the new ones. The main
// thread is left with deduplication, packing and I/O, so on a 2-core host both cores do the
// heavy work.
//
// The worker is an eval'd CommonJS script using only node:zlib, node:crypto and WebAssembly, so
// it runs the same from TypeScript sources (tests, tsx) and from the built package without a
// loader. The WebAssembly cutter and the incompressibility test are embedded with
// Function.prototype.toString; ids are HMAC-SHA256 like keyedBlobId() and the stored form is
// compressBlob(data, method) + AEAD seal (same codec, level, pre-check and 1/16 rule). Tests
// prove worker and inline output identical (ids, cut points, compressed payload bytes) and open
// worker output with the primitives.

import { availableParallelism } from "node:os";
import { isMarkedAsUntransferable, Worker } from "node:worker_threads";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { CutPlan } from "./chunker/index.js";
import { GEAR_CUT_WASM_BASE64, makeWasmCutter } from "./chunker/wasm-cutter.js";
import {
  BROTLI_QUALITY,
  COMPRESSION,
  type CompressionMethod,
  DEFAULT_COMPRESSION,
  looksIncompressible,
  ZSTD_LEVEL,
} from "./compress/index.js";
import { NONCE_BYTES, TAG_BYTES } from "./crypto/index.js";
import { BLOB_AD_PREFIX, BLOB_TYPE_CODE } from "./format.js";

const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { createCipheriv, createHmac, randomFillSync } = require("node:crypto");
const { brotliCompressSync, constants, zstdCompressSync } = require("node:zlib");
const makeWasmCutter = (${makeWasmCutter.toString()});
const looksIncompressible = (${looksIncompressible.toString()});
const w = workerData;
const key = Buffer.from(w.key);
const idKey = Buffer.from(w.idKey);
const adPrefix = Buffer.from(w.adPrefix);
const brotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: w.quality } };
const zstdOptions = { params: { [constants.ZSTD_c_compressionLevel]: w.zstdLevel } };
// Nonces come from one random refill per 4 KiB: randomBytes per blob costs more than the AES.
const nonces = Buffer.allocUnsafe(4096);
let nonceAt = nonces.length;
function nextNonce() {
  if (nonceAt + w.nonceBytes > nonces.length) {
    randomFillSync(nonces);
    nonceAt = 0;
  }
  const n = nonces.subarray(nonceAt, nonceAt + w.nonceBytes);
  nonceAt += w.nonceBytes;
  return n;
}
const jobs = new Map();
const cutsOf = makeWasmCutter(w.wasm, w);
function chunk(data) {
  const cuts = cutsOf(data);
  const ids = [];
  let start = 0;
  for (const end of cuts) {
    ids.push(createHmac("sha256", idKey).update(data.subarray(start, end)).digest("hex"));
    start = end;
  }
  return { cuts, ids };
}
function compress(data) {
  if (data.length >= 64 && !looksIncompressible(data)) {
    let c;
    if (w.method === "zstd") {
      c = zstdCompressSync(data, zstdOptions);
    } else {
      brotliOptions.params[constants.BROTLI_PARAM_SIZE_HINT] = data.length;
      c = brotliCompressSync(data, brotliOptions);
    }
    if (c.length + 1 <= data.length - (data.length >>> 4)) return [w.header, c];
  }
  return [w.stored, data];
}
function sealInto(out, at, header, body, id) {
  const nonce = nextNonce();
  const ad = Buffer.allocUnsafe(adPrefix.length + 33);
  adPrefix.copy(ad, 0);
  ad[adPrefix.length] = w.dataType;
  ad.write(id, adPrefix.length + 1, "hex");
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: w.tagBytes });
  cipher.setAAD(ad);
  out.set(nonce, at);
  at += nonce.length;
  const h = cipher.update(Buffer.of(header));
  out.set(h, at);
  at += h.length;
  const b = cipher.update(body);
  out.set(b, at);
  at += b.length;
  const f = cipher.final();
  out.set(f, at);
  at += f.length;
  out.set(cipher.getAuthTag(), at);
  return at + w.tagBytes;
}
// The chunks of a chunked item whose fresh entry is 1 (every chunk when fresh is null).
function seal({ data, cuts, ids }, fresh) {
  const parts = [];
  let total = 0;
  let start = 0;
  for (let i = 0; i < cuts.length; i++) {
    const end = cuts[i];
    if (fresh === null || fresh[i] === 1) {
      const [header, body] = compress(data.subarray(start, end));
      parts.push({ header, body, id: ids[i] });
      total += w.nonceBytes + 1 + body.length + w.tagBytes;
    }
    start = end;
  }
  // One buffer back, not one per blob: each transferred buffer costs the main thread.
  const out = new Uint8Array(total);
  const sizes = [];
  let at = 0;
  for (const p of parts) {
    const next = sealInto(out, at, p.header, p.body, p.id);
    sizes.push(next - at);
    at = next;
  }
  return { out, sizes };
}
parentPort.on("message", (batch) => {
  const replies = [];
  const transfer = [];
  for (const r of batch) {
    try {
      if (r.op === "chunk") {
        const { cuts, ids } = chunk(r.data);
        jobs.set(r.job, { data: r.data, cuts, ids });
        replies.push({ job: r.job, cuts, ids });
      } else if (r.op === "chunkSeal") {
        const { cuts, ids } = chunk(r.data);
        const { out, sizes } = seal({ data: r.data, cuts, ids }, null);
        replies.push({ job: r.job, cuts, ids, out, sizes });
        transfer.push(out.buffer);
      } else if (r.op === "seal") {
        const item = jobs.get(r.job);
        jobs.delete(r.job);
        const { out, sizes } = seal(item, r.fresh);
        replies.push({ job: r.job, out, sizes });
        transfer.push(out.buffer);
      } else {
        jobs.delete(r.job);
      }
    } catch (error) {
      jobs.delete(r.job);
      replies.push({ job: r.job, error: String((error && error.stack) || error) });
    }
  }
  if (replies.length > 0) parentPort.postMessage(replies, transfer);
});
`;

/** Default worker count: one per core, at most 4 (beyond that packing on the main thread limits). */
export function defaultWriteWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** What the worker reports for one item: cut points (end offsets) and the keyed id of each chunk. */
export interface ChunkedItem {
  readonly cuts: readonly number[];
  readonly ids: readonly string[];
}

/** A chunked item held by one worker until seal() or drop(). */
export interface PooledItem {
  readonly chunked: Promise<ChunkedItem>;
  /**
   * Compresses and seals the chunks whose `fresh` entry is 1 and resolves with their stored
   * forms in order. Releases the item in the worker. Call at most once, after `chunked`.
   */
  seal(fresh: Uint8Array): Promise<Uint8Array[]>;
  /** Releases the item without sealing anything (every chunk was known). */
  drop(): void;
}

/** An item chunked and sealed in one round trip: every chunk's stored form, in cut order. */
export interface SealedItem extends ChunkedItem {
  readonly sealed: readonly Uint8Array[];
}

interface Slot {
  readonly worker: Worker;
  /** Requests posted and not answered yet; the worker is ref'd while this is above zero. */
  owed: number;
  /** Bytes of items handed to this worker and not sealed or dropped yet (load balancing). */
  bytes: number;
  outbox: Record<string, unknown>[];
  transfer: ArrayBuffer[];
}

interface Reply {
  readonly job?: number;
  readonly cuts?: number[];
  readonly ids?: string[];
  readonly out?: Uint8Array;
  readonly sizes?: number[];
  readonly error?: string;
}
type Waiter = (reply: Reply) => void;

export interface WritePoolKeys {
  readonly dataKey: Uint8Array;
  readonly idKey: Uint8Array;
}

/**
 * A fixed set of workers. An idle worker is unref'd, so a pool that is never closed does not
 * keep a process alive; a worker that owes an answer is ref'd until it answers. Requests made
 * before the microtask queue drains travel to a worker as one message (a microtask, not
 * setImmediate: waiting for the next loop turn left the workers idle between batches).
 */
export class WritePool {
  private readonly slots: Slot[] = [];
  private readonly waiters = new Map<number, Waiter>();
  private nextJob = 1;
  private broken: unknown;
  private flushScheduled = false;

  /** `compression`: the repository's codec (blobCompression(config)); workers write exactly it. */
  constructor(
    keys: WritePoolKeys,
    plan: CutPlan,
    size: number,
    compression: CompressionMethod = DEFAULT_COMPRESSION,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError("write pool size must be an integer >= 1");
    if (compression !== "zstd" && compression !== "brotli")
      throw new TypeError(`unknown compression method ${compression}`);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        // The script needs only node: builtins; inheriting loaders (tsx, test runners) would
        // only cost start-up time in every worker.
        execArgv: [],
        workerData: {
          key: Uint8Array.from(keys.dataKey),
          idKey: Uint8Array.from(keys.idKey),
          gear: Int32Array.from(plan.gear),
          minSize: plan.minSize,
          avgSize: plan.avgSize,
          maxSize: plan.maxSize,
          maskS: plan.maskS,
          maskL: plan.maskL,
          wasm: GEAR_CUT_WASM_BASE64,
          stored: COMPRESSION.stored,
          method: compression,
          header: COMPRESSION[compression],
          quality: BROTLI_QUALITY,
          zstdLevel: ZSTD_LEVEL,
          nonceBytes: NONCE_BYTES,
          tagBytes: TAG_BYTES,
          adPrefix: BLOB_AD_PREFIX,
          dataType: BLOB_TYPE_CODE.data,
        },
      });
      const slot: Slot = { worker, owed: 0, bytes: 0, outbox: [], transfer: [] };
      worker.on("message", (replies: (Reply & { job: number })[]) => {
        slot.owed -= replies.length;
        if (slot.owed === 0) worker.unref();
        for (const reply of replies) {
          const waiter = this.waiters.get(reply.job);
          this.waiters.delete(reply.job);
          waiter?.(reply);
        }
      });
      worker.on("error", (error) => this.breakAll(error));
      worker.on("exit", (code) => {
        this.breakAll(new EwsVaultError("REPO_WRITE_FAILED", `write worker exited (code ${code})`));
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  private breakAll(error: unknown): void {
    this.broken ??= error;
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const waiter of waiters) waiter({ error: String(error) });
  }

  private send(slot: Slot, request: Record<string, unknown>, transfer?: ArrayBuffer): void {
    slot.outbox.push(request);
    if (transfer !== undefined) slot.transfer.push(transfer);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) {
      if (slot.outbox.length === 0) continue;
      const batch = slot.outbox;
      const transfer = slot.transfer;
      slot.outbox = [];
      slot.transfer = [];
      // Counted only for requests that get an answer (drop does not).
      const owed = batch.filter((r) => r.op !== "drop").length;
      if (owed > 0 && slot.owed === 0) slot.worker.ref();
      slot.owed += owed;
      slot.worker.postMessage(batch, transfer);
    }
  }

  private request<T>(
    slot: Slot,
    job: number,
    body: Record<string, unknown>,
    transfer?: ArrayBuffer,
  ): Promise<T> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(job, (reply) => {
        if (reply.error !== undefined) {
          reject(
            this.broken ??
              new EwsVaultError("REPO_WRITE_FAILED", `write worker failed: ${reply.error.split("\n")[0]}`),
          );
        } else resolve(reply as T);
      });
      this.send(slot, { ...body, job }, transfer);
    });
  }

  /**
   * A job on the least loaded worker, its `size` bytes counted there until `release()` (which
   * counts once, however often it is called).
   */
  private assign(size: number): { slot: Slot; job: number; release: () => void } {
    const slot = this.slots.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    slot.bytes += size;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        slot.bytes -= size;
      }
    };
    return { slot, job: this.nextJob++, release };
  }

  /**
   * Hands `data` to a worker for chunking. With `transfer` and a Uint8Array that spans its whole
   * (non-shared) ArrayBuffer, the buffer moves to the worker and `data` is detached afterwards;
   * otherwise the bytes are copied first and the caller keeps its buffer.
   */
  add(data: Uint8Array, transfer = false): PooledItem {
    if (this.broken !== undefined) {
      const failed = Promise.reject(this.broken);
      failed.catch(() => undefined);
      return { chunked: failed, seal: () => failed, drop: () => undefined };
    }
    const owned = ownedBytes(data, transfer);
    const { slot, job, release } = this.assign(owned.length);
    const chunked = this.request<ChunkedItem>(
      slot,
      job,
      { op: "chunk", data: owned },
      owned.buffer as ArrayBuffer,
    );
    chunked.catch(release);
    return {
      chunked,
      seal: (fresh) => {
        const sealed = this.request<{ out: Uint8Array; sizes: number[] }>(slot, job, {
          op: "seal",
          fresh,
        }).then(({ out, sizes }) => split(out, sizes));
        sealed.then(release, release);
        return sealed;
      },
      drop: () => {
        release();
        if (this.broken === undefined) this.send(slot, { op: "drop", job });
      },
    };
  }

  /**
   * Chunks `data` and seals every chunk in one round trip (`transfer` as for add()). Cheaper in
   * CPU than add() + seal() for a small item, which is rarely a duplicate and whose second
   * message would cost more than sealing a chunk that turns out to be known; the caller drops
   * the stored forms of chunks it already has.
   */
  addSealed(data: Uint8Array, transfer = false): Promise<SealedItem> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const owned = ownedBytes(data, transfer);
    const { slot, job, release } = this.assign(owned.length);
    const reply = this.request<ChunkedItem & { out: Uint8Array; sizes: number[] }>(
      slot,
      job,
      { op: "chunkSeal", data: owned },
      owned.buffer as ArrayBuffer,
    );
    reply.then(release, release);
    return reply.then(({ cuts, ids, out, sizes }) => ({ cuts, ids, sealed: split(out, sizes) }));
  }

  async close(): Promise<void> {
    this.breakAll(new EwsVaultError("REPO_CLOSED", "the repository is closed"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * `data` itself when it may move to a worker, else a copy that may. Only a buffer that is wholly
 * ours may move: a view shares its neighbours' memory, and Node (24+) marks the ArrayBuffers
 * behind pooled Buffers untransferable, so postMessage would throw DataCloneError for them.
 */
function ownedBytes(data: Uint8Array, transfer: boolean): Uint8Array {
  const whole =
    transfer &&
    data.byteOffset === 0 &&
    data.buffer instanceof ArrayBuffer &&
    data.byteLength === data.buffer.byteLength &&
    !isMarkedAsUntransferable(data.buffer);
  // `new Uint8Array(data)` copies into a fresh ArrayBuffer. Not `data.slice()`: on a Buffer that
  // is a view of the same memory, whose (possibly pooled) ArrayBuffer would then be transferred.
  return whole ? data : new Uint8Array(data);
}

/** The worker's one reply buffer cut into the stored form of each blob. */
function split(out: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(out.subarray(at, at + n));
    at += n;
  }
  return parts;
}
