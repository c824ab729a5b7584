// benchmarks/pipeline/stages.ts on a small corpus of the pipeline's own kind: every stage of the
// write path is measured, the codecs compress the compressible chunks, and the table's sum is
// the sum of the default path's rows (comparisons and reading left out).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CorpusFile, writeCorpus } from "../pipeline/corpus.js";
import { formatStages, measureStages, type StageRow } from "../pipeline/stages.js";

let dir: string;
let files: CorpusFile[];
let rows: StageRow[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ewsvault-bench-stages-"));
  files = await writeCorpus(dir, 3 * 1024 * 1024);
  rows = measureStages(files, { rounds: 1, zstdLevels: [-5] });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pipeline stages", () => {
  it("measures every stage of the write path over the whole corpus", () => {
    const corpus = files.reduce((n, f) => n + f.size, 0);
    const stage = (prefix: string) => rows.find((r) => r.stage.startsWith(prefix));
    for (const prefix of ["read", "content-defined", "HMAC", "incompressibility", "AES", "SHA-256"]) {
      expect(stage(prefix), prefix).toBeDefined();
    }
    expect(stage("read")!.bytes).toBe(corpus);
    expect(stage("HMAC")!.bytes).toBe(corpus);
    for (const r of rows) {
      expect(r.cpuMs).toBeGreaterThanOrEqual(0);
      expect(r.msPerCorpusMiB).toBeCloseTo(r.cpuMs / (corpus / 1024 / 1024), 9);
    }
  });

  it("compresses the compressible new chunks with the default and the compared codecs", () => {
    const codecs = rows.filter((r) => r.outBytes !== undefined);
    expect(codecs.map((r) => r.stage.split(" on ")[0])).toEqual([
      "zstd level 1 (the default)",
      "zstd level -5 (comparison)",
      "brotli quality 1 (comparison)",
    ]);
    for (const r of codecs) {
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.outBytes!).toBeLessThan(r.bytes * 0.8);
    }
  });

  it("sums the default path without reading or comparisons", () => {
    const table = formatStages(rows);
    const sum = rows
      .filter((r) => !r.stage.includes("(comparison)") && !r.stage.startsWith("read"))
      .reduce((n, r) => n + r.msPerCorpusMiB, 0);
    expect(table).toContain(`| sum of the default path without reading | | | ${sum.toFixed(3)} | |`);
    expect(table.split("\n")).toHaveLength(rows.length + 3);
  });
});
