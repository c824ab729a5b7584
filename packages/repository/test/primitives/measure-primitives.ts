// Measures the repository primitives on this machine as a Markdown report: chunker throughput
// (keyed and unkeyed), dedupe and storage cost of candidate chunker parameters on mail corpora,
// AES-256-GCM node vs noble, keyed ids, compression, scrypt. Run through
// benchmarks/chunker/primitives.ts; docs/repository-crypto.md quotes its output.

import { createHmac, randomBytes, scryptSync } from "node:crypto";
import { brotliCompressSync, constants, deflateSync } from "node:zlib";
import { blake3 } from "@noble/hashes/blake3.js";
import { type ChunkerParams, createChunker, DEFAULT_CHUNKER_PARAMS } from "../../src/chunker/index.js";
import { compressBlob } from "../../src/compress/index.js";
import { createAeadCipher, keyedBlobId, randomKey } from "../../src/crypto/index.js";
import { concatBytes } from "../../src/format.js";
import { type ExportCorpus, measureDedupe, PER_CHUNK_OVERHEAD } from "./dedupe-measure.js";
import { syntheticExports } from "./mail-corpus.js";
import { mockExports } from "./mock-corpus.js";

const KiB = 1024;
const MiB = 1024 * KiB;

export const CANDIDATE_PARAMS: readonly ChunkerParams[] = [
  { minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB },
  { minSize: 8 * KiB, avgSize: 32 * KiB, maxSize: 128 * KiB },
  { minSize: 16 * KiB, avgSize: 32 * KiB, maxSize: 128 * KiB },
  { minSize: 16 * KiB, avgSize: 64 * KiB, maxSize: 256 * KiB },
  { minSize: 32 * KiB, avgSize: 128 * KiB, maxSize: 512 * KiB },
  { minSize: 64 * KiB, avgSize: 256 * KiB, maxSize: 1024 * KiB },
  { minSize: 256 * KiB, avgSize: 1024 * KiB, maxSize: 4096 * KiB },
];

/**
 * Best throughput in MiB per CPU-second over `runs` runs of fn processing `bytes` bytes. CPU
 * time of this process, not wall time: every measured call is synchronous on this thread, and
 * CPU time stays meaningful on a shared, overloaded machine where wall time does not.
 */
export function bestOf(runs: number, bytes: number, fn: () => void): number {
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const before = process.cpuUsage();
    fn();
    const used = process.cpuUsage(before);
    const seconds = Math.max((used.user + used.system) / 1e6, 1e-6);
    best = Math.max(best, bytes / MiB / seconds);
  }
  return best;
}

const fmt = (n: number): string => n.toFixed(0);
const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
const label = (p: ChunkerParams): string => `${p.minSize / KiB}/${p.avgSize / KiB}/${p.maxSize / KiB}`;

export interface MeasureOptions {
  /** Smaller inputs (seconds instead of minutes). */
  readonly quick?: boolean;
  /** Called with each report line as it is ready. */
  readonly onLine?: (line: string) => void;
}

/** Runs every measurement and returns the Markdown report, line by line. */
export function measurePrimitives(options: MeasureOptions = {}): string[] {
  const quick = options.quick ?? false;
  const lines: string[] = [];
  const out = (line = ""): void => {
    lines.push(line);
    options.onLine?.(line);
  };
  out(`# Repository primitives on ${process.platform}/${process.arch}, node ${process.version}`);
  out();

  // --- corpora
  const mock = mockExports(1, quick ? 2 : 4, quick ? 200 : 400);
  const synthetic = syntheticExports(1, quick ? 300 : 1500);
  const mailStream = concatBytes(mock.exports);
  const random = new Uint8Array(randomBytes(quick ? 32 * MiB : 128 * MiB));

  // --- chunker throughput; keyed and unkeyed interleaved so machine load hits both alike
  const unkeyed = createChunker(DEFAULT_CHUNKER_PARAMS);
  const keyed = createChunker(DEFAULT_CHUNKER_PARAMS, randomKey());
  out(
    `## Chunker throughput, default parameters ${label(DEFAULT_CHUNKER_PARAMS)} KiB (best of 7, MiB per CPU-second)`,
  );
  out();
  out("| input | unkeyed | keyed |");
  out("| --- | --- | --- |");
  for (const [name, data] of [
    ["random", random],
    ["mock mailboxes", mailStream],
  ] as const) {
    let u = 0;
    let k = 0;
    for (let r = 0; r < 7; r++) {
      u = Math.max(
        u,
        bestOf(1, data.length, () => unkeyed.split(data)),
      );
      k = Math.max(
        k,
        bestOf(1, data.length, () => keyed.split(data)),
      );
    }
    out(`| ${name} (${fmt(data.length / MiB)} MiB) | ${fmt(u)} | ${fmt(k)} |`);
  }
  out();

  // --- dedupe of candidate parameters
  for (const [name, corpus] of [
    [`${mock.exports.length} mock-ews generator items (${mock.codec})`, mock],
    [`${synthetic.exports.length} synthetic mail items (test corpus)`, synthetic],
  ] as const) {
    const raw = (corpus as ExportCorpus).exports.reduce((n, b) => n + b.length, 0);
    out(`## Chunker parameters on ${name}, ${fmt(raw / MiB)} MiB raw`);
    out();
    out(
      `stored = unique chunks after compressBlob + ${PER_CHUNK_OVERHEAD} bytes each (AEAD framing + index entry); ` +
        "incremental = what re-exports of every tenth item after one property changed add.",
    );
    out();
    out(
      "| min/avg/max KiB | chunks | unique chunks | whole items | stored MiB | stored/raw | incremental/modified raw |",
    );
    out("| --- | --- | --- | --- | --- | --- | --- |");
    for (const params of CANDIDATE_PARAMS) {
      const r = measureDedupe(corpus, params);
      out(
        `| ${label(params)} | ${r.chunks} | ${r.uniqueChunks} | ${pct(r.wholeItems, r.items)} | ${(
          r.storedBytes / MiB
        ).toFixed(
          1,
        )} | ${pct(r.storedBytes, r.rawBytes)} | ${pct(r.incrementalStoredBytes, r.modifiedRawBytes)} |`,
      );
    }
    out();
  }

  // --- AEAD
  const key = randomKey();
  const node = createAeadCipher(key, "node");
  const noble = createAeadCipher(key, "noble");
  out("## AES-256-GCM (best of 5, MiB per CPU-second)");
  out();
  out("| blob size | node seal | node open | noble seal | noble open |");
  out("| --- | --- | --- | --- | --- |");
  for (const size of [4 * KiB, 32 * KiB, 1024 * KiB]) {
    const count = Math.max(1, Math.floor(((quick ? 8 : 32) * MiB) / size));
    const nobleCount = Math.max(1, Math.floor(count / 16));
    const blob = new Uint8Array(randomBytes(size));
    const sealed = node.seal(blob);
    const ns = bestOf(5, count * size, () => {
      for (let i = 0; i < count; i++) node.seal(blob);
    });
    const no = bestOf(5, count * size, () => {
      for (let i = 0; i < count; i++) node.open(sealed);
    });
    const bs = bestOf(3, nobleCount * size, () => {
      for (let i = 0; i < nobleCount; i++) noble.seal(blob);
    });
    const bo = bestOf(3, nobleCount * size, () => {
      for (let i = 0; i < nobleCount; i++) noble.open(sealed);
    });
    out(`| ${size / KiB} KiB | ${fmt(ns)} | ${fmt(no)} | ${fmt(bs)} | ${fmt(bo)} |`);
  }
  out();

  // --- ids
  const idKey = randomKey();
  const chunk = new Uint8Array(randomBytes(32 * KiB));
  const idCount = quick ? 512 : 2048;
  out("## Keyed chunk ids on 32 KiB chunks (best of 5, MiB per CPU-second)");
  out();
  out("| construction | MiB/s |");
  out("| --- | --- |");
  out(
    `| HMAC-SHA256, node:crypto (keyedBlobId) | ${fmt(
      bestOf(5, idCount * chunk.length, () => {
        for (let i = 0; i < idCount; i++) keyedBlobId(idKey, chunk);
      }),
    )} |`,
  );
  out(
    `| keyed BLAKE3, @noble/hashes | ${fmt(
      bestOf(3, (idCount / 16) * chunk.length, () => {
        for (let i = 0; i < idCount / 16; i++) blake3(chunk, { key: idKey });
      }),
    )} |`,
  );
  out(
    `| HMAC-SHA256 on 4 KiB inputs | ${fmt(
      bestOf(5, idCount * 4 * KiB, () => {
        const small = chunk.subarray(0, 4 * KiB);
        for (let i = 0; i < idCount; i++) createHmac("sha256", idKey).update(small).digest();
      }),
    )} |`,
  );
  out();

  // --- compression
  const text = mailStream.subarray(0, Math.min(mailStream.length, quick ? 16 * MiB : 64 * MiB));
  const chunks = createChunker(DEFAULT_CHUNKER_PARAMS).split(text);
  const randomChunks = createChunker(DEFAULT_CHUNKER_PARAMS).split(random.subarray(0, 16 * MiB));
  const bodies = new TextEncoder().encode(
    synthetic.exports
      .slice(0, 200)
      .map((b) => new TextDecoder().decode(b))
      .join(""),
  );
  let compressedSize = 0;
  const cSpeed = bestOf(3, text.length, () => {
    compressedSize = 0;
    for (const c of chunks) compressedSize += compressBlob(c).length;
  });
  const rSpeed = bestOf(3, 16 * MiB, () => {
    for (const c of randomChunks) compressBlob(c);
  });
  let brotliSize = 0;
  let deflateSize = 0;
  const textSample = bodies.subarray(0, Math.min(bodies.length, 8 * MiB));
  const brotli1 = bestOf(3, textSample.length, () => {
    brotliSize = brotliCompressSync(textSample, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }).length;
  });
  const deflate1 = bestOf(3, textSample.length, () => {
    deflateSize = deflateSync(textSample, { level: 1 }).length;
  });
  out("## Compression (best of 3, MiB of input per CPU-second)");
  out();
  out("| what | MiB/s | output/input |");
  out("| --- | --- | --- |");
  out(`| compressBlob, mock mailbox chunks | ${fmt(cSpeed)} | ${pct(compressedSize, text.length)} |`);
  out(`| compressBlob, random chunks (entropy pre-check, stored) | ${fmt(rSpeed)} | 100% + 1 byte |`);
  out(`| brotli quality 1, mail text stream | ${fmt(brotli1)} | ${pct(brotliSize, textSample.length)} |`);
  out(`| deflate level 1, mail text stream | ${fmt(deflate1)} | ${pct(deflateSize, textSample.length)} |`);
  out();

  // --- scrypt
  out("## scrypt (one derivation, CPU ms)");
  out();
  out("| N, r=8, p=1 | ms |");
  out("| --- | --- |");
  for (const logN of quick ? [14, 17] : [14, 15, 16, 17, 18]) {
    const N = 2 ** logN;
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      const before = process.cpuUsage();
      scryptSync("password", "salt", 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 32 * MiB });
      const used = process.cpuUsage(before);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    out(`| 2^${logN} | ${fmt(best)} |`);
  }
  return lines;
}
