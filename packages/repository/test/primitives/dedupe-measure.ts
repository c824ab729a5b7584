// Measures what a chunker parameter choice costs and saves on a mail corpus: stored bytes after
// deduplication and compression, chunk count (each chunk costs an index entry and AEAD
// framing), and the bytes that "one property changed" re-exports add.

import { createHash } from "node:crypto";
import { type ChunkerParams, createChunker } from "../../src/chunker/index.js";
import { compressBlob } from "../../src/compress/index.js";
import { SEAL_OVERHEAD } from "../../src/crypto/index.js";

/** Bytes one stored chunk costs beyond its payload: AEAD framing + an index entry of ~48 bytes. */
export const PER_CHUNK_OVERHEAD = SEAL_OVERHEAD + 48;

/** A corpus as the engine would see it: item exports, then re-exports of modified items. */
export interface ExportCorpus {
  readonly exports: readonly Uint8Array[];
  readonly modifiedExports: readonly Uint8Array[];
}

export interface DedupeResult {
  readonly params: ChunkerParams;
  readonly items: number;
  readonly rawBytes: number;
  readonly chunks: number;
  readonly uniqueChunks: number;
  /** Unique chunk bytes after compression plus per-chunk overhead. */
  readonly storedBytes: number;
  /** Items whose export is a single chunk. */
  readonly wholeItems: number;
  readonly modifiedRawBytes: number;
  /** What storing the modified re-exports adds. */
  readonly incrementalStoredBytes: number;
}

export function measureDedupe(corpus: ExportCorpus, params: ChunkerParams): DedupeResult {
  const chunker = createChunker(params);
  const seen = new Set<string>();
  let rawBytes = 0;
  let chunks = 0;
  let storedBytes = 0;
  let wholeItems = 0;
  const store = (chunk: Uint8Array): number => {
    const id = createHash("sha256").update(chunk).digest("hex");
    if (seen.has(id)) return 0;
    seen.add(id);
    return compressBlob(chunk).length + PER_CHUNK_OVERHEAD;
  };
  for (const bytes of corpus.exports) {
    rawBytes += bytes.length;
    const parts = chunker.split(bytes);
    if (parts.length === 1) wholeItems++;
    chunks += parts.length;
    for (const part of parts) storedBytes += store(part);
  }
  const uniqueChunks = seen.size;
  let modifiedRawBytes = 0;
  let incrementalStoredBytes = 0;
  for (const bytes of corpus.modifiedExports) {
    modifiedRawBytes += bytes.length;
    for (const part of chunker.split(bytes)) incrementalStoredBytes += store(part);
  }
  return {
    params,
    items: corpus.exports.length,
    rawBytes,
    chunks,
    uniqueChunks,
    storedBytes,
    wholeItems,
    modifiedRawBytes,
    incrementalStoredBytes,
  };
}
