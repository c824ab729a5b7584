// Per-stage CPU of our write path on the pipeline corpus, one stage at a time on one thread, as
// ms of CPU per MiB: what each stage costs at the least, with no threads, messages or packing
// around it. run.ts --stages prints it; the pipeline's measured CPU minus the sum of these is
// the overhead (messages, garbage collection, copies, I/O). Each stage runs `rounds` times and
// the cheapest round counts: on a shared machine a round is only ever slowed down.
//
// The stages use the same primitives and settings as the write pool's workers (write-pool.ts):
// the WebAssembly gear cutter, HMAC-SHA256 ids (OpenSSL), looksIncompressible, zstd at
// ZSTD_LEVEL (other levels and brotli quality 1 for comparison), AES-256-GCM, and SHA-256 over
// the sealed bytes as a pack id.
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, zstdCompressSync } from "node:zlib";
import { createChunker } from "@ewsvault/repository";
import {
  BROTLI_QUALITY,
  GEAR_CUT_WASM_BASE64,
  looksIncompressible,
  makeWasmCutter,
  ZSTD_LEVEL,
} from "@ewsvault/repository/stages";
import type { CorpusFile } from "./corpus.js";

const MiB = 1024 * 1024;

export interface StageRow {
  readonly stage: string;
  /** Bytes the stage processed. */
  readonly bytes: number;
  /** Cheapest round's CPU milliseconds. */
  readonly cpuMs: number;
  /** CPU ms per MiB of the whole corpus (what the stage adds to a backup of it). */
  readonly msPerCorpusMiB: number;
  /** Output bytes where the stage has any (compression). */
  readonly outBytes?: number;
}

function cpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `work` `rounds` times; the cheapest round's CPU ms and its result. */
function measure<T>(rounds: number, work: () => T): { ms: number; result: T } {
  let best = Number.POSITIVE_INFINITY;
  let result: T | undefined;
  for (let r = 0; r < rounds; r++) {
    const before = cpuMs();
    result = work();
    best = Math.min(best, cpuMs() - before);
  }
  return { ms: best, result: result as T };
}

/** `zstdLevels`: extra zstd levels to compare with ZSTD_LEVEL (CPU and output size). */
export function measureStages(
  files: readonly CorpusFile[],
  options: { rounds?: number; zstdLevels?: readonly number[] } = {},
): StageRow[] {
  const rounds = options.rounds ?? 3;
  const rows: StageRow[] = [];
  let corpus = 0;
  const add = (stage: string, bytes: number, ms: number, outBytes?: number) =>
    rows.push({
      stage,
      bytes,
      cpuMs: ms,
      msPerCorpusMiB: ms / (corpus / MiB),
      ...(outBytes === undefined ? {} : { outBytes }),
    });

  const read = measure(1, () => files.map((f) => readFileSync(f.path)));
  const items = read.result;
  corpus = items.reduce((n, d) => n + d.length, 0);
  add("read files (readFileSync)", corpus, read.ms);

  const chunker = createChunker(undefined, randomBytes(32));
  const cut = makeWasmCutter(GEAR_CUT_WASM_BASE64, chunker.plan);
  const cuts = measure(rounds, () => items.map((d) => cut(d)));
  add("content-defined chunking (wasm gear loop)", corpus, cuts.ms);

  const chunks: Uint8Array[] = [];
  items.forEach((d, k) => {
    let start = 0;
    for (const end of cuts.result[k]!) {
      chunks.push(d.subarray(start, end));
      start = end;
    }
  });
  const idKey = randomBytes(32);
  const ids = measure(rounds, () => chunks.map((c) => createHmac("sha256", idKey).update(c).digest("hex")));
  add(`HMAC-SHA256 ids (${chunks.length} chunks)`, corpus, ids.ms);

  const seen = new Set<string>();
  const fresh: Uint8Array[] = [];
  ids.result.forEach((id, i) => {
    if (!seen.has(id)) {
      seen.add(id);
      fresh.push(chunks[i]!);
    }
  });
  const freshBytes = fresh.reduce((n, c) => n + c.length, 0);
  const test = measure(rounds, () => fresh.map((c) => c.length >= 64 && !looksIncompressible(c)));
  add(`incompressibility test (${fresh.length} new chunks)`, freshBytes, test.ms);
  const compressible = fresh.filter((_, i) => test.result[i]);
  const raw = fresh.filter((_, i) => !test.result[i]);
  const compressibleBytes = compressible.reduce((n, c) => n + c.length, 0);

  const zstd = (level: number) => (c: Uint8Array) =>
    zstdCompressSync(c, { params: { [constants.ZSTD_c_compressionLevel]: level } });
  const brotli = (c: Uint8Array) =>
    brotliCompressSync(c, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: c.length,
      },
    });
  const codecs: [string, (c: Uint8Array) => Uint8Array][] = [
    [`zstd level ${ZSTD_LEVEL} (the default)`, zstd(ZSTD_LEVEL)],
    ...(options.zstdLevels ?? [])
      .filter((l) => l !== ZSTD_LEVEL)
      .map((l): [string, (c: Uint8Array) => Uint8Array] => [`zstd level ${l} (comparison)`, zstd(l)]),
    [`brotli quality ${BROTLI_QUALITY} (comparison)`, brotli],
  ];
  let sealInput: Uint8Array[] = raw;
  for (const [name, codec] of codecs) {
    const out = measure(rounds, () =>
      compressible.map((c) => {
        const z = codec(c);
        // compressBlob's rule: keep the compressed form only when it saves 1/16.
        return z.length + 1 <= c.length - (c.length >>> 4) ? z : c;
      }),
    );
    add(
      `${name} on ${compressible.length} compressible new chunks`,
      compressibleBytes,
      out.ms,
      out.result.reduce((n, z) => n + z.length, 0),
    );
    if (sealInput === raw) sealInput = [...out.result, ...raw];
  }
  const sealBytes = sealInput.reduce((n, c) => n + c.length, 0);

  const dataKey = randomBytes(32);
  const ad = randomBytes(40);
  const sealed = measure(rounds, () =>
    sealInput.map((c) => {
      const cipher = createCipheriv("aes-256-gcm", dataKey, randomBytes(12), { authTagLength: 16 });
      cipher.setAAD(ad);
      const body = cipher.update(c);
      cipher.final();
      cipher.getAuthTag();
      return body;
    }),
  );
  add(`AES-256-GCM seal (${sealInput.length} blobs)`, sealBytes, sealed.ms);
  const packHash = measure(rounds, () => {
    const h = createHash("sha256");
    for (const s of sealed.result) h.update(s);
    return h.digest("hex");
  });
  add("SHA-256 pack ids over the sealed bytes", sealBytes, packHash.ms);
  return rows;
}

/** Markdown table of measureStages() rows, with the sum of the stages of our default path. */
export function formatStages(rows: readonly StageRow[]): string {
  const lines = [
    "| stage | MiB in | CPU ms | ms per corpus MiB | MiB out |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.stage} | ${(r.bytes / MiB).toFixed(1)} | ${r.cpuMs.toFixed(0)} | ${r.msPerCorpusMiB.toFixed(3)} | ${r.outBytes === undefined ? "" : (r.outBytes / MiB).toFixed(1)} |`,
    );
  }
  const path = rows.filter((r) => !r.stage.includes("(comparison)") && !r.stage.startsWith("read"));
  const sum = path.reduce((n, r) => n + r.msPerCorpusMiB, 0);
  lines.push(`| sum of the default path without reading | | | ${sum.toFixed(3)} | |`);
  return lines.join("\n");
}
