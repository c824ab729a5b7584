// Measures what a parameter choice costs and saves on a mail corpus: stored bytes after
// deduplication and compression, chunk count (each chunk costs an index entry and AEAD
// framing), and the bytes a "one property changed" re-export adds.

import { createHash } from "node:crypto";
import { type ChunkerParams, createChunker } from "../../../src/repository/chunker/index.js";
import { compressBlob } from "../../../src/repository/compress/index.js";
import { SEAL_OVERHEAD } from "../../../src/repository/crypto/index.js";
import { type MailCorpus, createPrng, encodeItem, modifyItem } from "./mail-corpus.js";

/** Bytes one stored chunk costs beyond its payload: AEAD framing + an index entry of ~48 bytes. */
export const PER_CHUNK_OVERHEAD = SEAL_OVERHEAD + 1 + 48;

export interface DedupeResult {
  readonly params: ChunkerParams;
  readonly rawBytes: number;
  readonly chunks: number;
  readonly uniqueChunks: number;
  /** Unique chunk bytes after compression plus per-chunk overhead. */
  readonly storedBytes: number;
  /** Items whose export is a single chunk. */
  readonly wholeItems: number;
  /** Re-export after one property changed in `modifiedItems` items. */
  readonly modifiedItems: number;
  readonly modifiedRawBytes: number;
  readonly incrementalStoredBytes: number;
}

export function measureDedupe(
  corpus: MailCorpus,
  params: ChunkerParams,
  options: { modifyFraction?: number; seed?: number; compress?: boolean } = {},
): DedupeResult {
  const chunker = createChunker(params);
  const doCompress = options.compress ?? true;
  const seen = new Set<string>();
  let rawBytes = 0;
  let chunks = 0;
  let storedBytes = 0;
  let wholeItems = 0;
  const store = (chunk: Uint8Array): number => {
    const id = createHash("sha256").update(chunk).digest("hex");
    if (seen.has(id)) return 0;
    seen.add(id);
    return (doCompress ? compressBlob(chunk).length : chunk.length + 1) + PER_CHUNK_OVERHEAD - 1;
  };
  for (const item of corpus.items) {
    const bytes = encodeItem(item);
    rawBytes += bytes.length;
    const parts = chunker.split(bytes);
    if (parts.length === 1) wholeItems++;
    chunks += parts.length;
    for (const part of parts) storedBytes += store(part);
  }
  const uniqueChunks = seen.size;
  const rand = createPrng(options.seed ?? 7);
  const fraction = options.modifyFraction ?? 0.1;
  let modifiedItems = 0;
  let modifiedRawBytes = 0;
  let incrementalStoredBytes = 0;
  for (const item of corpus.items) {
    if (rand() >= fraction) continue;
    modifiedItems++;
    const snapshot = { flag: item.flag, isRead: item.isRead, categories: [...item.categories] };
    modifyItem(item, rand);
    const bytes = encodeItem(item);
    modifiedRawBytes += bytes.length;
    for (const part of chunker.split(bytes)) incrementalStoredBytes += store(part);
    // Restore, so that every parameter set sees the same corpus.
    item.flag = snapshot.flag;
    item.isRead = snapshot.isRead;
    item.categories = snapshot.categories;
  }
  return {
    params,
    rawBytes,
    chunks,
    uniqueChunks,
    storedBytes,
    wholeItems,
    modifiedItems,
    modifiedRawBytes,
    incrementalStoredBytes,
  };
}
