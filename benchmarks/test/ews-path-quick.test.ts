// Smoke run of bench:ews-path (--quick, results into a scratch directory): the scenario must keep
// working as the engine, the client and the mock change, and print the figures the issue asks
// for (CPU per MiB both ways, their ratio, CPU per 16 KiB item, the mock's CPU per item, restic's
// CPU per file on the same small items and the ratio to it).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "ewsvault-bench-ews-path-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

it("ews-path --quick prints CPU per MiB through EWS and the pipeline, their ratio and per-item figures", async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--conditions=source", join(root, "ews-path", "run.ts"), "--quick", "--out", out],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, text) => (error ? reject(error) : resolve(text)),
    );
  });
  const figures = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, number>;
  for (const key of [
    "ewsCpuMsPerMiB",
    "pipelineCpuMsPerMiB",
    "overheadRatio",
    "small16KiBEwsCpuMsPerItem",
    "mockCpuMsPerItem",
    "resticCpuMsPerSmallFile",
    "resticRatio",
    "mockShareOfSmallItem",
  ]) {
    expect(figures[key], key).toBeGreaterThan(0);
  }
  // The EWS path stores the same bytes through the same pipeline, so it cannot cost less.
  expect(figures.ewsCpuMsPerMiB).toBeGreaterThan(figures.pipelineCpuMsPerMiB as number);
  const stored = JSON.parse(readFileSync(join(out, "ews-path.json"), "utf8")) as { scenario: string };
  expect(stored.scenario).toBe("ews-path");
}, 180_000);
