// Smoke runs of three scenarios end to end (--quick, results into a scratch directory): the
// benchmarks must keep working as the engine, the client and the mock change.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "ewsvault-bench-test-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function runQuick(name: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--conditions=source", join(root, name, "run.ts"), "--quick", "--out", out],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout }),
    );
  });
}

function lastJson(stdout: string): Record<string, unknown> {
  const last = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as Record<string, unknown>;
}

function expectResultFiles(name: string): void {
  const stored = JSON.parse(readFileSync(join(out, `${name}.json`), "utf8")) as {
    scenario: string;
    quick: boolean;
  };
  expect(stored).toMatchObject({ scenario: name, quick: true });
  expect(readFileSync(join(out, `${name}.svg`), "utf8")).toMatch(
    /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
  );
}

describe("benchmarks --quick", () => {
  it("index: commits and lookups per second", async () => {
    const { code, stdout } = await runQuick("index");
    expect(code).toBe(0);
    const figures = lastJson(stdout);
    expect(Object.keys(figures)).toEqual(expect.arrayContaining(["items", "commitsPerSec", "lookupsPerSec"]));
    expect(figures.commitsPerSec).toBeGreaterThan(0);
    expect(figures.lookupsPerSec).toBeGreaterThan(0);
    expectResultFiles("index");
  }, 60_000);

  it("memory: the peak RSS of a backup of 40 MB items, every item exported", async () => {
    const { code, stdout } = await runQuick("memory");
    // The run itself refuses a backup that exported more or fewer items than the mock holds.
    expect(code).toBe(0);
    const figures = lastJson(stdout);
    expect(figures.items).toBe(4);
    expect(figures.peakRssMiB).toBeGreaterThan(0);
    expect(stdout).toMatch(/peak RSS of the backup process: .*(PASS|FAIL)/);
    expectResultFiles("memory");
  }, 120_000);

  it("throttled: throughput against the budget bound and the throttled share", async () => {
    const { code, stdout } = await runQuick("throttled");
    expect(code).toBe(0);
    const figures = lastJson(stdout);
    expect(Object.keys(figures)).toEqual(
      expect.arrayContaining(["itemsPerSec", "boundItemsPerSec", "boundRatio", "throttledShare"]),
    );
    expect(figures.itemsPerSec).toBeGreaterThan(0);
    // No client can beat the bound; a ratio above 1 would mean the bound is computed wrongly.
    expect(figures.boundRatio).toBeLessThanOrEqual(1.05);
    expect(stdout).toMatch(/boundRatio .*(PASS|FAIL)/);
    expectResultFiles("throttled");
  }, 60_000);

  it("incremental: no-change and 1%-modified reruns", async () => {
    const { code, stdout } = await runQuick("incremental");
    expect(code).toBe(0);
    const figures = lastJson(stdout);
    expect(Object.keys(figures)).toEqual(
      expect.arrayContaining([
        "fullSeconds",
        "noChangeWallShare",
        "noChangeNewBytesPerMailbox",
        "modifiedStoredShare",
      ]),
    );
    expect(figures.fullStoredBytes).toBeGreaterThan(0);
    expect(figures.modifiedItems).toBeGreaterThan(0);
    expect(existsSync(join(out, "incremental.svg"))).toBe(true);
    expectResultFiles("incremental");
  }, 60_000);
});
