// Per-blob compression. Every blob starts with one header byte naming its encoding, so the
// reader never guesses and incompressible data (already-compressed attachments: JPEG, ZIP,
// PDF) is stored as is instead of growing. Format: docs/repository-crypto.md, "Compression".

import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import { EwsVaultError } from "../../errors.js";

/** Header byte values; part of the on-disk format. */
export const COMPRESSION = Object.freeze({ stored: 0, brotli: 1 });

/** Brotli quality used for writing: 1 is ~290 MiB/s on mail text here and within a few % of 4. */
export const BROTLI_QUALITY = 1;
/** Compressed output must save at least 1/16 of the input, or the blob is stored raw. */
const MIN_SAVING_SHIFT = 4;
/** Default decompression ceiling: a little over the largest chunk the chunker ever makes. */
export const DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024;

/**
 * Cheap guess that data is already compressed: order-0 entropy of eight 512-byte windows spread
 * over the input, above 7.6 bits per byte. Random and compressed data (JPEG, ZIP, PDF streams)
 * sample at 7.9-8.0, mail text at 4-5.5, binary records at 5-7; data above 7.6 could save a few
 * percent at most, short of the 1/16 compressBlob requires. Inputs under 8 KiB return false
 * (brotli on a few KiB is as cheap as sampling). About 20x cheaper than letting brotli find out.
 *
 * Self-contained on purpose (no free variables, no imports): a worker thread may embed it via
 * Function.prototype.toString and make exactly the same decision.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  const minBytes = 8192;
  const windows = 8;
  const windowBytes = 512;
  const threshold = 7.6;
  if (data.length < minBytes) return false;
  const counts = new Uint32Array(256);
  const stride = Math.floor((data.length - windowBytes) / (windows - 1));
  for (let w = 0; w < windows; w++) {
    const start = w * stride;
    const end = start + windowBytes;
    for (let i = start; i < end; i++) counts[data[i] as number] = (counts[data[i] as number] as number) + 1;
  }
  const total = windows * windowBytes;
  let entropy = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b] as number;
    if (c > 0) entropy -= (c / total) * Math.log2(c / total);
  }
  return entropy > threshold;
}

function stored(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 1);
  out[0] = COMPRESSION.stored;
  out.set(data, 1);
  return out;
}

/**
 * Returns header byte + payload: brotli when it saves at least 1/16 of the size, otherwise the
 * data stored raw (header 0). Data that samples as already compressed is stored without trying
 * brotli. Never fails for any input. Output is not deterministic across Node/brotli versions;
 * nothing may depend on compressed bytes being reproducible (ids are taken before compression).
 */
export function compressBlob(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError("compressBlob input must be a Uint8Array");
  if (data.length < 64 || looksIncompressible(data)) return stored(data);
  const compressed = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  if (compressed.length + 1 > data.length - (data.length >>> MIN_SAVING_SHIFT)) return stored(data);
  const out = new Uint8Array(compressed.length + 1);
  out[0] = COMPRESSION.brotli;
  out.set(compressed, 1);
  return out;
}

function corrupt(message: string, cause?: unknown): EwsVaultError {
  return new EwsVaultError("REPO_CORRUPT", message, { cause });
}

/**
 * Reverses compressBlob(). MUST throw EwsVaultError REPO_CORRUPT for an empty blob, an unknown
 * header byte, an undecodable payload, or output larger than maxSize (default 64 MiB), which
 * also bounds the memory a malicious "zip bomb" blob can claim. A stored blob's result is a view
 * into `blob` (no copy); copy it before reusing the input buffer.
 */
export function decompressBlob(blob: Uint8Array, maxSize: number = DEFAULT_MAX_DECOMPRESSED): Uint8Array {
  if (!(blob instanceof Uint8Array)) throw new TypeError("decompressBlob input must be a Uint8Array");
  if (!Number.isSafeInteger(maxSize) || maxSize < 0)
    throw new TypeError("maxSize must be a non-negative integer");
  if (blob.length === 0) throw corrupt("empty blob has no compression header");
  const header = blob[0];
  const payload = blob.subarray(1);
  if (header === COMPRESSION.stored) {
    if (payload.length > maxSize) throw corrupt(`stored blob of ${payload.length} bytes exceeds ${maxSize}`);
    return payload;
  }
  if (header === COMPRESSION.brotli) {
    let out: Buffer;
    try {
      out = brotliDecompressSync(payload, { maxOutputLength: Math.max(1, maxSize) });
    } catch (error) {
      throw corrupt("brotli payload cannot be decoded or exceeds the size limit", error);
    }
    if (out.length > maxSize) throw corrupt(`decompressed blob exceeds ${maxSize} bytes`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  throw corrupt(`unknown compression header byte ${header}`);
}
