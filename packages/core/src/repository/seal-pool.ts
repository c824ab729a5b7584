// Worker threads for the CPU-heavy half of the write path (compress + seal). Chunking and keyed
// ids stay on the main thread because deduplication needs the shared index there; everything
// after the dedupe decision is independent per blob and parallelises across cores.
//
// The worker is an eval'd CommonJS script using only node:zlib and node:crypto, so it runs the
// same from TypeScript sources (tests, tsx) and from the built package without a loader. It
// produces exactly the stored form of compressBlob() + AEAD seal (header byte 0 stored / 1
// brotli, nonce || ciphertext || tag); tests open worker output with the primitives to prove it.

import { Worker } from "node:worker_threads";
import { EwsVaultError } from "../errors.js";
import { BROTLI_QUALITY, COMPRESSION } from "./compress/index.js";
import { NONCE_BYTES, TAG_BYTES } from "./crypto/index.js";
import { BLOB_AD_PREFIX, BLOB_TYPE_CODE, type BlobType } from "./format.js";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createCipheriv, randomBytes } = require("node:crypto");
const { brotliCompressSync, constants } = require("node:zlib");
const key = Buffer.from(workerData.key);
const { stored, brotli, quality, nonceBytes, tagBytes } = workerData;
const adPrefix = Buffer.from(workerData.adPrefix);
function blobAd(type, id) {
  const ad = Buffer.allocUnsafe(adPrefix.length + 33);
  adPrefix.copy(ad, 0);
  ad[adPrefix.length] = type;
  ad.write(id, adPrefix.length + 1, "hex");
  return ad;
}
function compress(data) {
  if (data.length >= 64) {
    const c = brotliCompressSync(data, { params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    } });
    if (c.length + 1 <= data.length - (data.length >>> 4)) {
      const out = Buffer.allocUnsafe(c.length + 1);
      out[0] = brotli;
      c.copy(out, 1);
      return out;
    }
  }
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = stored;
  out.set(data, 1);
  return out;
}
function seal(plain, ad) {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(ad);
  const body = cipher.update(plain);
  cipher.final();
  const out = new Uint8Array(nonceBytes + body.length + tagBytes);
  out.set(nonce, 0);
  out.set(body, nonceBytes);
  out.set(cipher.getAuthTag(), nonceBytes + body.length);
  return out;
}
parentPort.on("message", ({ job, data, lengths, types, ids }) => {
  try {
    let at = 0;
    const parts = lengths.map((length, i) => {
      const chunk = data.subarray(at, at + length);
      at += length;
      return seal(compress(chunk), blobAd(types[i], ids[i]));
    });
    // One buffer back, not one per blob: each transferred buffer costs the main thread.
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    const sizes = [];
    at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
      sizes.push(p.length);
    }
    parentPort.postMessage({ job, out, sizes }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ job, error: String(error && error.stack || error) });
  }
});
`;

/** Upper bound of one batched message (see seal()). */
const BATCH_BYTES = 4 * 1024 * 1024;

export interface SealJobItem {
  readonly data: Uint8Array;
  readonly type: BlobType;
  readonly id: string;
}

interface Pending {
  resolve(sealed: Uint8Array[]): void;
  reject(error: unknown): void;
}

/**
 * A fixed set of workers; jobs go to the least busy one. An idle worker is unref'd, so a pool
 * that is never closed does not keep a process alive; a busy one is ref'd until it answers.
 */
export class SealPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextJob = 1;
  private broken: unknown;

  constructor(dataKey: Uint8Array, size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          key: Uint8Array.from(dataKey),
          stored: COMPRESSION.stored,
          brotli: COMPRESSION.brotli,
          quality: BROTLI_QUALITY,
          nonceBytes: NONCE_BYTES,
          tagBytes: TAG_BYTES,
          adPrefix: BLOB_AD_PREFIX,
        },
      });
      const slot = { worker, busy: 0 };
      worker.on("message", (message: { job: number; out?: Uint8Array; sizes?: number[]; error?: string }) => {
        slot.busy--;
        if (slot.busy === 0) worker.unref();
        const p = this.pending.get(message.job);
        this.pending.delete(message.job);
        if (p === undefined) return;
        if (message.out !== undefined && message.sizes !== undefined) {
          const sealed: Uint8Array[] = [];
          let at = 0;
          for (const size of message.sizes) {
            sealed.push(message.out.subarray(at, at + size));
            at += size;
          }
          p.resolve(sealed);
        } else p.reject(new EwsVaultError("REPO_WRITE_FAILED", `seal worker failed: ${message.error}`));
      });
      worker.on("error", (error) => this.breakAll(error));
      worker.on("exit", (code) => {
        if (this.pending.size > 0) {
          this.breakAll(new EwsVaultError("REPO_WRITE_FAILED", `seal worker exited (code ${code})`));
        }
      });
      worker.unref();
      this.workers.push(slot);
    }
  }

  private breakAll(error: unknown): void {
    this.broken ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private queue: {
    items: readonly SealJobItem[];
    resolve(s: Uint8Array[]): void;
    reject(e: unknown): void;
  }[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;

  /**
   * Compresses and seals each item; resolves with the stored forms in order. Calls made in the
   * same turn of the event loop travel as one message (up to BATCH_BYTES): per-message cost, not
   * bytes, is what a worker round trip is expensive in.
   */
  seal(items: readonly SealJobItem[]): Promise<Uint8Array[]> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queuedBytes += items.reduce((n, item) => n + item.data.length, 0);
      if (this.queuedBytes >= BATCH_BYTES) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedBytes = 0;
    this.post(batch.flatMap((b) => b.items)).then(
      (sealed) => {
        let at = 0;
        for (const b of batch) {
          b.resolve(sealed.slice(at, at + b.items.length));
          at += b.items.length;
        }
      },
      (error: unknown) => {
        for (const b of batch) b.reject(error);
      },
    );
  }

  private post(items: readonly SealJobItem[]): Promise<Uint8Array[]> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const job = this.nextJob++;
    // Referenced while it owes an answer: an idle process waiting only on a worker must not exit.
    if (slot.busy++ === 0) slot.worker.ref();
    // One contiguous copy, transferred: posting subarray views would clone each view's whole
    // underlying buffer (the full item) once per chunk.
    const lengths = items.map((item) => item.data.length);
    const data = new Uint8Array(lengths.reduce((n, l) => n + l, 0));
    let at = 0;
    for (const item of items) {
      data.set(item.data, at);
      at += item.data.length;
    }
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      // Ids travel as strings and the worker builds each blob's associated data (the same bytes
      // as blobAd()): many tiny typed arrays are the slowest thing to structured-clone.
      slot.worker.postMessage(
        {
          job,
          data,
          lengths,
          types: items.map((item) => BLOB_TYPE_CODE[item.type]),
          ids: items.map((item) => item.id),
        },
        [data.buffer],
      );
    });
  }

  async close(): Promise<void> {
    this.breakAll(new EwsVaultError("REPO_CLOSED", "the repository is closed"));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
