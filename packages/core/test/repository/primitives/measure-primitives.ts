// Measures the repository primitives on this machine as a Markdown report: chunker throughput
// (keyed and unkeyed), dedupe and storage cost of candidate chunker parameters on a synthetic
// mail corpus, AES-256-GCM node vs noble, keyed ids, compression. Run through
// benchmarks/chunker/primitives.ts; docs/repository-crypto.md quotes its output.

import { createHmac, randomBytes } from "node:crypto";
import { brotliCompressSync, constants, deflateSync } from "node:zlib";
import { blake3 } from "@noble/hashes/blake3.js";
import { DEFAULT_CHUNKER_PARAMS, createChunker } from "../../../src/repository/chunker/index.js";
import { compressBlob } from "../../../src/repository/compress/index.js";
import { createAeadCipher, keyedBlobId, randomKey } from "../../../src/repository/crypto/index.js";
import { measureDedupe } from "./dedupe-measure.js";
import { createMailCorpus, encodeItem } from "./mail-corpus.js";

const MiB = 1024 * 1024;

function bestOf(runs: number, bytes: number, fn: () => void): number {
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    fn();
    const seconds = (performance.now() - t) / 1000;
    best = Math.max(best, bytes / MiB / seconds);
  }
  return best;
}

const fmt = (n: number): string => n.toFixed(0);

export interface MeasureOptions {
  /** Smaller inputs (seconds instead of a minute). */
  readonly quick?: boolean;
  /** Mail corpus size; default 2000 (300 when quick). */
  readonly items?: number;
  /** Called with each report line as it is ready. */
  readonly onLine?: (line: string) => void;
}

/** Runs every measurement and returns the Markdown report, line by line. */
export function measurePrimitives(options: MeasureOptions = {}): string[] {
  const quick = options.quick ?? false;
  const items = options.items ?? (quick ? 300 : 2000);
  const lines: string[] = [];
  const out = (line = ""): void => {
    lines.push(line);
    options.onLine?.(line);
  };

  out(`# Repository primitives on ${process.platform}/${process.arch}, node ${process.version}`);
  out();

  // --- chunker throughput
  const random = new Uint8Array(randomBytes(quick ? 32 * MiB : 128 * MiB));
  const corpus = createMailCorpus(1, items);
  const mailStream = new Uint8Array(corpus.items.reduce((n, item) => n + encodeItem(item).length, 0));
  {
    let offset = 0;
    for (const item of corpus.items) {
      const bytes = encodeItem(item);
      mailStream.set(bytes, offset);
      offset += bytes.length;
    }
  }
  const unkeyed = createChunker(DEFAULT_CHUNKER_PARAMS);
  const keyed = createChunker(DEFAULT_CHUNKER_PARAMS, randomKey());
  out("## Chunker throughput (best of 5, MiB/s of input)");
  out();
  out("| input | unkeyed | keyed |");
  out("| --- | --- | --- |");
  for (const [name, data] of [
    ["random", random],
    ["mail corpus", mailStream],
  ] as const) {
    const u = bestOf(5, data.length, () => unkeyed.split(data));
    const k = bestOf(5, data.length, () => keyed.split(data));
    out(`| ${name} (${fmt(data.length / MiB)} MiB) | ${fmt(u)} | ${fmt(k)} |`);
  }
  out();

  // --- dedupe of candidate parameters
  const KiB = 1024;
  const candidates = [
    { minSize: 4 * KiB, avgSize: 16 * KiB, maxSize: 64 * KiB },
    { minSize: 8 * KiB, avgSize: 32 * KiB, maxSize: 128 * KiB },
    { minSize: 8 * KiB, avgSize: 64 * KiB, maxSize: 256 * KiB },
    { minSize: 16 * KiB, avgSize: 64 * KiB, maxSize: 256 * KiB },
    { minSize: 32 * KiB, avgSize: 64 * KiB, maxSize: 256 * KiB },
    { minSize: 32 * KiB, avgSize: 128 * KiB, maxSize: 512 * KiB },
    { minSize: 64 * KiB, avgSize: 256 * KiB, maxSize: 1024 * KiB },
    { minSize: 256 * KiB, avgSize: 1024 * KiB, maxSize: 4096 * KiB },
  ];
  out(`## Chunker parameters on ${items} synthetic mail items (${fmt(mailStream.length / MiB)} MiB raw)`);
  out();
  out("stored = unique chunks after brotli-1 + 77 bytes per chunk (AEAD framing + index entry);");
  out("incremental = bytes stored for re-exports of 10% of the items after one property changed.");
  out();
  out(
    "| min/avg/max KiB | chunks | whole items | stored MiB | stored/raw | incremental KiB | incr/raw modified | MiB/s |",
  );
  out("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const params of candidates) {
    const chunker = createChunker(params);
    const speed = bestOf(3, mailStream.length, () => chunker.split(mailStream));
    const r = measureDedupe(corpus, params);
    out(
      `| ${params.minSize / KiB}/${params.avgSize / KiB}/${params.maxSize / KiB} | ${r.chunks} | ${(
        (100 * r.wholeItems) / corpus.items.length
      ).toFixed(
        0,
      )}% | ${(r.storedBytes / MiB).toFixed(1)} | ${((100 * r.storedBytes) / r.rawBytes).toFixed(1)}% | ${fmt(
        r.incrementalStoredBytes / KiB,
      )} | ${((100 * r.incrementalStoredBytes) / r.modifiedRawBytes).toFixed(1)}% | ${fmt(speed)} |`,
    );
  }
  out();

  // --- AEAD
  const key = randomKey();
  const node = createAeadCipher(key, "node");
  const noble = createAeadCipher(key, "noble");
  out("## AES-256-GCM (best of 5, MiB/s)");
  out();
  out("| blob size | node seal | node open | noble seal | noble open |");
  out("| --- | --- | --- | --- | --- |");
  for (const size of [4 * KiB, 64 * KiB, 1024 * KiB]) {
    const count = Math.max(1, Math.floor((quick ? 8 : 32) * MiB) / size);
    const blob = new Uint8Array(randomBytes(size));
    const total = count * size;
    const sealedNode = node.seal(blob);
    const nobleCount = Math.max(1, Math.floor(count / 8));
    const ns = bestOf(5, total, () => {
      for (let i = 0; i < count; i++) node.seal(blob);
    });
    const no = bestOf(5, total, () => {
      for (let i = 0; i < count; i++) node.open(sealedNode);
    });
    const bs = bestOf(3, nobleCount * size, () => {
      for (let i = 0; i < nobleCount; i++) noble.seal(blob);
    });
    const bo = bestOf(3, nobleCount * size, () => {
      for (let i = 0; i < nobleCount; i++) noble.open(sealedNode);
    });
    out(`| ${size / KiB} KiB | ${fmt(ns)} | ${fmt(no)} | ${fmt(bs)} | ${fmt(bo)} |`);
  }
  out();

  // --- ids
  const idKey = randomKey();
  const chunk = new Uint8Array(randomBytes(64 * KiB));
  const idCount = quick ? 256 : 1024;
  out("## Keyed chunk ids, 64 KiB chunks (best of 5, MiB/s)");
  out();
  out(
    `| HMAC-SHA256 (node) | ${fmt(
      bestOf(5, idCount * chunk.length, () => {
        for (let i = 0; i < idCount; i++) keyedBlobId(idKey, chunk);
      }),
    )} |`,
  );
  out("| --- | --- |");
  out(
    `| keyed BLAKE3 (@noble/hashes) | ${fmt(
      bestOf(3, (idCount / 8) * chunk.length, () => {
        for (let i = 0; i < idCount / 8; i++) blake3(chunk, { key: idKey });
      }),
    )} |`,
  );
  out(
    `| plain HMAC via createHmac, 4 KiB chunks | ${fmt(
      bestOf(5, idCount * 4 * KiB, () => {
        const small = chunk.subarray(0, 4 * KiB);
        for (let i = 0; i < idCount; i++) createHmac("sha256", idKey).update(small).digest();
      }),
    )} |`,
  );
  out();

  // --- compression
  const text = mailStream.subarray(0, Math.min(mailStream.length, quick ? 16 * MiB : 64 * MiB));
  const textSample: Uint8Array[] = createChunker(DEFAULT_CHUNKER_PARAMS).split(text);
  let compressedSize = 0;
  const cSpeed = bestOf(3, text.length, () => {
    compressedSize = 0;
    for (const c of textSample) compressedSize += compressBlob(c).length;
  });
  const rSpeed = bestOf(3, random.length / 4, () => {
    for (const c of createChunker(DEFAULT_CHUNKER_PARAMS).split(random.subarray(0, random.length / 4)))
      compressBlob(c);
  });
  const brotli1 = bestOf(3, text.length, () => {
    brotliCompressSync(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
  });
  const deflate1 = bestOf(3, text.length, () => {
    deflateSync(text, { level: 1 });
  });
  out("## Compression (best of 3, MiB/s of input)");
  out();
  out("| what | MiB/s | output/input |");
  out("| --- | --- | --- |");
  out(
    `| compressBlob on mail corpus chunks | ${fmt(cSpeed)} | ${((100 * compressedSize) / text.length).toFixed(1)}% |`,
  );
  out(`| compressBlob on random chunks (stored) | ${fmt(rSpeed)} | 100% + 1 byte |`);
  out(`| brotli q1, one stream | ${fmt(brotli1)} | |`);
  out(`| deflate level 1, one stream | ${fmt(deflate1)} | |`);
  return lines;
}
