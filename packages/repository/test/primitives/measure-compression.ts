// Measures the candidate blob codecs (brotli quality 1, zstd at a few levels) the way the write
// path uses them: each item export split by the real content-defined chunker, each chunk
// compressed on its own under compressBlob's rules (entropy pre-check, stored unless it saves
// 1/16). Reports stored/raw size and compress and decompress speed in CPU time. Run through
// benchmarks/chunker/compression.ts; docs/repository-crypto.md quotes its output.

import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  zstdCompressSync,
  zstdDecompressSync,
} from "node:zlib";
import { createChunker, DEFAULT_CHUNKER_PARAMS } from "../../src/chunker/index.js";
import { looksIncompressible } from "../../src/compress/index.js";
import { randomKey } from "../../src/crypto/index.js";
import { syntheticExports } from "./mail-corpus.js";
import { mockExports } from "./mock-corpus.js";

const MiB = 1024 * 1024;

export interface Codec {
  readonly name: string;
  readonly compress: (data: Uint8Array) => Uint8Array;
  readonly decompress: (data: Uint8Array) => Uint8Array;
}

const zstd = (level: number): Codec => ({
  name: `zstd level ${level}`,
  compress: (data) => zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: level } }),
  decompress: (data) => zstdDecompressSync(data),
});

export const CODECS: readonly Codec[] = [
  {
    name: "brotli quality 1",
    compress: (data) =>
      brotliCompressSync(data, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      }),
    decompress: (data) => brotliDecompressSync(data),
  },
  // Not negative levels: Node's params take them as 0, zstd's "default" (level 3).
  zstd(1),
  zstd(2),
  zstd(3),
];

export interface CodecResult {
  readonly corpus: string;
  readonly codec: string;
  readonly rawBytes: number;
  /** Sum of header + payload over all chunks, stored ones included. */
  readonly storedBytes: number;
  readonly chunks: number;
  readonly compressedChunks: number;
  /** Best of `rounds`, ms of CPU per MiB of input. */
  readonly compressMsPerMiB: number;
  readonly decompressMsPerMiB: number;
}

function cpuMs(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Chunks of every export, split per item like the write path does. */
export function chunksOf(exports: readonly Uint8Array[]): Uint8Array[] {
  const chunker = createChunker(DEFAULT_CHUNKER_PARAMS, randomKey());
  return exports.flatMap((item) => chunker.split(item));
}

export function measureCodec(
  corpus: string,
  chunks: readonly Uint8Array[],
  codec: Codec,
  rounds = 3,
): CodecResult {
  const rawBytes = chunks.reduce((n, c) => n + c.length, 0);
  const candidates = chunks.filter((c) => c.length >= 64 && !looksIncompressible(c));
  let outputs: (Uint8Array | undefined)[] = [];
  let compressMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    compressMs = Math.min(
      compressMs,
      cpuMs(() => {
        outputs = candidates.map((c) => {
          const out = codec.compress(c);
          return out.length + 1 <= c.length - (c.length >>> 4) ? out : undefined;
        });
      }),
    );
  }
  let storedBytes = chunks.length; // one header byte each
  let kept = 0;
  let storedRaw = rawBytes;
  for (let i = 0; i < candidates.length; i++) {
    const out = outputs[i];
    if (out === undefined) continue;
    kept += 1;
    storedBytes += out.length;
    storedRaw -= (candidates[i] as Uint8Array).length;
  }
  storedBytes += storedRaw;
  const compressed = outputs.filter((o): o is Uint8Array => o !== undefined);
  const compressedRaw = candidates.reduce((n, c, i) => n + (outputs[i] === undefined ? 0 : c.length), 0);
  let decompressMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    decompressMs = Math.min(
      decompressMs,
      cpuMs(() => {
        for (const o of compressed) codec.decompress(o);
      }),
    );
  }
  return {
    corpus,
    codec: codec.name,
    rawBytes,
    storedBytes,
    chunks: chunks.length,
    compressedChunks: kept,
    compressMsPerMiB: compressMs / (rawBytes / MiB),
    decompressMsPerMiB: decompressMs / Math.max(compressedRaw / MiB, 1e-9),
  };
}

export interface CompressionOptions {
  readonly quick?: boolean;
  readonly rounds?: number;
  readonly onLine?: (line: string) => void;
}

export function measureCompression(options: CompressionOptions = {}): CodecResult[] {
  const emit = options.onLine ?? (() => undefined);
  const out = (line = "") => emit(line);
  const quick = options.quick ?? false;
  const mock = mockExports(1, quick ? 2 : 4, quick ? 200 : 400);
  const synthetic = syntheticExports(1, quick ? 300 : 1500);
  const corpora: [string, Uint8Array[]][] = [
    [`mock-ews generator, ${mock.exports.length} items (${mock.codec})`, chunksOf(mock.exports)],
    [`synthetic mail corpus, ${synthetic.exports.length} items`, chunksOf(synthetic.exports)],
  ];
  const results: CodecResult[] = [];
  out(`## Blob compression on chunker chunks (${process.version}, best of ${options.rounds ?? 3}, CPU time)`);
  out();
  out("| corpus | codec | stored/raw | compressed chunks | compress ms/MiB | decompress ms/MiB |");
  out("| --- | --- | --- | --- | --- | --- |");
  for (const [corpus, chunks] of corpora) {
    for (const codec of CODECS) {
      const r = measureCodec(corpus, chunks, codec, options.rounds ?? 3);
      results.push(r);
      out(
        `| ${corpus}, ${(r.rawBytes / MiB).toFixed(1)} MiB | ${r.codec} | ${(r.storedBytes / r.rawBytes).toFixed(4)} | ` +
          `${r.compressedChunks}/${r.chunks} | ${r.compressMsPerMiB.toFixed(2)} | ${r.decompressMsPerMiB.toFixed(2)} |`,
      );
    }
  }
  return results;
}
