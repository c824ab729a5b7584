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

/** Below this size the entropy pre-check is skipped: brotli on a few KiB is as cheap as sampling. */
const PRECHECK_MIN_BYTES = 8 * 1024;
const SAMPLE_WINDOWS = 8;
const SAMPLE_WINDOW_BYTES = 512;
/**
 * Order-0 entropy (bits per byte) above which a sample is treated as already compressed. Random
 * and compressed data (JPEG, ZIP, PDF streams) sample at 7.9-8.0; mail text at 4-5.5; binary
 * records at 5-7. Data above 7.6 could save a few percent at most, short of the 1/16 we require.
 */
const INCOMPRESSIBLE_ENTROPY = 7.6;
const LOG2 = Array.from({ length: SAMPLE_WINDOWS * SAMPLE_WINDOW_BYTES + 1 }, (_, n) =>
  n === 0 ? 0 : Math.log2(n),
);

/**
 * Cheap guess that data is already compressed: byte entropy of eight 512-byte windows spread
 * over the input. About 20x cheaper than letting brotli discover the same on a 64 KiB chunk.
 */
export function looksIncompressible(data: Uint8Array): boolean {
  if (data.length < PRECHECK_MIN_BYTES) return false;
  const counts = new Uint32Array(256);
  const stride = Math.floor((data.length - SAMPLE_WINDOW_BYTES) / (SAMPLE_WINDOWS - 1));
  for (let w = 0; w < SAMPLE_WINDOWS; w++) {
    const start = w * stride;
    const end = start + SAMPLE_WINDOW_BYTES;
    for (let i = start; i < end; i++) counts[data[i]!]!++;
  }
  const total = SAMPLE_WINDOWS * SAMPLE_WINDOW_BYTES;
  // H = log2(total) - sum(c * log2 c) / total
  let sum = 0;
  for (let b = 0; b < 256; b++) sum += counts[b]! * LOG2[counts[b]!]!;
  return LOG2[total]! - sum / total > INCOMPRESSIBLE_ENTROPY;
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
 * also bounds the memory a malicious "zip bomb" blob can claim.
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
