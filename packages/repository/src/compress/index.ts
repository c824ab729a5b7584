// Per-blob compression. Every blob starts with one header byte naming its encoding, so the
// reader never guesses and incompressible data (already-compressed attachments: JPEG, ZIP,
// PDF) is stored as is instead of growing. Format: docs/repository-crypto.md, "Compression".

import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  zstdCompressSync,
  zstdDecompressSync,
} from "node:zlib";
import { EwsVaultError } from "@ewsvault/mailbox";
import { readZstdFrameHeader } from "./zstd-frame.js";

/** Header byte values; part of the on-disk format. 2 (zstd) needs a repository config version >= 2. */
export const COMPRESSION = Object.freeze({ stored: 0, brotli: 1, zstd: 2 });

/**
 * The codec a writer uses for compressible blobs. "zstd" is the default since config version 2;
 * "brotli" is what version 1 repositories keep getting, so ewsvault versions that know only
 * brotli can still read everything in them (see repositoryCompression in ../config.ts).
 */
export type CompressionMethod = "zstd" | "brotli";
export const DEFAULT_COMPRESSION: CompressionMethod = "zstd";

/** Brotli quality used for writing version 1 repositories: 1 is within a few % of 4 on mail text. */
export const BROTLI_QUALITY = 1;
/**
 * zstd level used for writing: on chunker chunks of mail it stores ~1-2% less than brotli
 * quality 1 for about the same compress CPU, and decompresses ~1.5x faster (measurements in
 * docs/repository-crypto.md). Level 3 saves under 1% more for ~30% more CPU.
 */
export const ZSTD_LEVEL = 1;
/**
 * Largest zstd window a reader accepts, as log2, however small the blob: 8 MiB covers every
 * level up to 19 even for frames written without a content size. Blobs larger than that get a
 * window limit of their own size (below zstd's own 2^27 default), so a hostile frame cannot make
 * the decoder reserve more memory than the blob is allowed to hold.
 */
const ZSTD_MIN_WINDOW_LOG = 23;
const ZSTD_MAX_WINDOW_LOG = 27;
/** Compressed output must save at least 1/16 of the input, or the blob is stored raw. */
const MIN_SAVING_SHIFT = 4;
/** Default decompression ceiling: a little over the largest chunk the chunker ever makes. */
export const DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024;

/**
 * Cheap guess that data is already compressed: order-0 entropy of eight 512-byte windows spread
 * over the input, above 7.6 bits per byte. Random and compressed data (JPEG, ZIP, PDF streams)
 * sample at 7.9-8.0, mail text at 4-5.5, binary records at 5-7; data above 7.6 could save a few
 * percent at most, short of the 1/16 compressBlob requires. Inputs under 8 KiB return false
 * (compressing a few KiB is as cheap as sampling). About 20x cheaper than letting the codec find out.
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
 * Returns header byte + payload: `method` (zstd by default, brotli for version 1 repositories)
 * when it saves at least 1/16 of the size, otherwise the data stored raw (header 0). Data that
 * samples as already compressed is stored without trying. Never fails for any input. Output is
 * not deterministic across Node/zstd/brotli versions; nothing may depend on compressed bytes
 * being reproducible (ids are taken before compression).
 */
export function compressBlob(data: Uint8Array, method: CompressionMethod = DEFAULT_COMPRESSION): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError("compressBlob input must be a Uint8Array");
  if (method !== "zstd" && method !== "brotli") throw new TypeError(`unknown compression method ${method}`);
  if (data.length < 64 || looksIncompressible(data)) return stored(data);
  const compressed =
    method === "zstd"
      ? zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } })
      : brotliCompressSync(data, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
            [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        });
  if (compressed.length + 1 > data.length - (data.length >>> MIN_SAVING_SHIFT)) return stored(data);
  const out = new Uint8Array(compressed.length + 1);
  out[0] = COMPRESSION[method];
  out.set(compressed, 1);
  return out;
}

function corrupt(message: string, cause?: unknown): EwsVaultError {
  return new EwsVaultError("REPO_CORRUPT", message, { cause });
}

/**
 * Reverses compressBlob(). MUST throw EwsVaultError REPO_CORRUPT for an empty blob, an unknown
 * header byte, an undecodable payload, or output larger than maxSize (default 64 MiB), which
 * also bounds the memory a malicious "zip bomb" blob can claim; a zstd frame whose header
 * claims more than maxSize is refused before decoding. Reads both brotli (1) and zstd (2) blobs
 * whatever the repository's config version. A stored blob's result is a view
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
  if (header === COMPRESSION.zstd) return decompressZstd(payload, maxSize);
  throw corrupt(`unknown compression header byte ${header}`);
}

function decompressZstd(frame: Uint8Array, maxSize: number): Uint8Array {
  const claimed = readZstdFrameHeader(frame);
  if (claimed === undefined) throw corrupt("zstd payload does not start with a zstd frame header");
  if (claimed.contentSize !== undefined && claimed.contentSize > maxSize)
    throw corrupt(`zstd frame claims ${claimed.contentSize} bytes, more than ${maxSize}`);
  const windowLog = Math.min(
    ZSTD_MAX_WINDOW_LOG,
    Math.max(ZSTD_MIN_WINDOW_LOG, Math.ceil(Math.log2(Math.max(1, maxSize)))),
  );
  let out: Buffer;
  try {
    out = zstdDecompressSync(frame, {
      maxOutputLength: Math.max(1, maxSize),
      params: { [constants.ZSTD_d_windowLogMax]: windowLog },
    });
  } catch (error) {
    throw corrupt("zstd payload cannot be decoded or exceeds the size limit", error);
  }
  if (out.length > maxSize) throw corrupt(`decompressed blob exceeds ${maxSize} bytes`);
  // Node's one-shot decoder returns what it has for a truncated frame instead of failing.
  if (claimed.contentSize !== undefined && out.length !== claimed.contentSize)
    throw corrupt(`zstd frame claims ${claimed.contentSize} bytes but holds ${out.length}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
