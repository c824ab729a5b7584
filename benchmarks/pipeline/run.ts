// pnpm bench:pipeline — our backup pipeline against restic on the same mock-generated mail.
//
//   tsx --conditions=source benchmarks/pipeline/run.ts [--mib 512] [--rounds 3] [--workers N] [--keep]
//                                                      [--stages] [--corpus DIR]
//
// 1. Writes >= 500 MiB of mock item exports (4 mailboxes) as files (not timed).
// 2. Runs our pipeline over them in a child process (timed, peak RSS of that process).
// 3. Backs the same directory up with restic (repository version 2, default compression).
// Steps 2 and 3 alternate for --rounds rounds (default 3); speeds are the medians.
// --stages also prints the CPU of each stage of our write path on the corpus (stages.ts).
// --corpus DIR reuses (or, when DIR has none, writes and keeps) the corpus in DIR.
// Prints progress, then one JSON line: {ourMiBps, resticMiBps, speedRatio, ourStoredBytes,
// resticStoredBytes, sizeRatio, peakRssMiB, ourCpuSeconds, resticCpuSeconds}. The restic
// password is set only in restic's env.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureRestic, resticBackup } from "../lib/restic.js";
import { treeBytes } from "../lib/setup.js";
import { type CorpusFile, exportEncoder, writeCorpus } from "./corpus.js";
import { formatStages, measureStages } from "./stages.js";

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const targetMiB = Number(opt("--mib") ?? 512);
const workers = opt("--workers");
const rounds = Number(opt("--rounds") ?? 3);

/** Runs the timed child (our pipeline) and collects its stdout; its stderr is shown as it comes. */
function run(
  command: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; seconds: number; peakRssMiB?: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`${command} exited with ${code}`));
      else resolve({ stdout, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const corpusDir = opt("--corpus");
const work = await mkdtemp(join(tmpdir(), "ewsvault-bench-pipeline-"));
try {
  const source = join(corpusDir ?? work, "source");
  const listFile = join(corpusDir ?? work, "files.json");
  const t0 = performance.now();
  let files: CorpusFile[];
  if (corpusDir !== undefined && existsSync(listFile)) {
    files = JSON.parse(readFileSync(listFile, "utf8")) as CorpusFile[];
  } else {
    if (corpusDir !== undefined) await mkdir(corpusDir, { recursive: true });
    files = await writeCorpus(source, targetMiB * MiB);
    await writeFile(listFile, JSON.stringify(files));
  }
  const corpusBytes = files.reduce((n, f) => n + f.size, 0);
  console.log(
    `corpus: ${files.length} items, ${(corpusBytes / MiB).toFixed(1)} MiB (${exportEncoder().name}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const oursScript = fileURLToPath(new URL("./ours.ts", import.meta.url));
  ensureRestic();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ourRuns: number[] = [];
  const resticRuns: number[] = [];
  const rssRuns: number[] = [];
  const ourCpuRuns: number[] = [];
  const resticCpuRuns: number[] = [];
  let ourStoredBytes = 0;
  let resticStoredBytes = 0;
  // Interleaved rounds, medians: on a shared machine one run of either can be off by 2x.
  for (let round = 1; round <= rounds; round++) {
    const oursRepo = join(work, `ours-${round}`);
    const ours = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=source",
        oursScript,
        JSON.stringify({
          repoDir: oursRepo,
          listFile,
          ...(workers === undefined ? {} : { workers: Number(workers) }),
        }),
      ],
      { ...process.env, EWSVAULT_BENCH_PASSWORD: randomBytes(12).toString("hex") },
    );
    const ourResult = JSON.parse(ours.stdout.trim().split("\n").pop()!) as {
      bytes: number;
      seconds: number;
      cpuSeconds: number;
      peakRssMiB: number;
    };
    ourStoredBytes = await treeBytes(oursRepo);
    await rm(oursRepo, { recursive: true, force: true });
    ourRuns.push(ourResult.bytes / MiB / ourResult.seconds);
    ourCpuRuns.push(ourResult.cpuSeconds);
    rssRuns.push(ourResult.peakRssMiB);

    const resticWork = join(work, `restic-${round}`);
    const backup = await resticBackup(source, resticWork);
    resticStoredBytes = backup.storedBytes;
    await rm(resticWork, { recursive: true, force: true });
    resticRuns.push(corpusBytes / MiB / backup.seconds);
    if (backup.cpuSeconds !== undefined) resticCpuRuns.push(backup.cpuSeconds);
    console.log(
      `round ${round}: ours ${ourRuns.at(-1)!.toFixed(1)} MiB/s (${ourResult.cpuSeconds.toFixed(2)} CPU-s in ${ourResult.seconds.toFixed(2)} s, stored ${(ourStoredBytes / MiB).toFixed(1)} MiB, ` +
        `peak RSS ${ourResult.peakRssMiB.toFixed(0)} MiB), restic ${resticRuns.at(-1)!.toFixed(1)} MiB/s ` +
        `(${backup.cpuSeconds?.toFixed(2) ?? "?"} CPU-s in ${backup.seconds.toFixed(2)} s, stored ${(resticStoredBytes / MiB).toFixed(1)} MiB)`,
    );
  }
  const ourMiBps = median(ourRuns);
  const resticMiBps = median(resticRuns);

  const result = {
    ourMiBps: Number(ourMiBps.toFixed(1)),
    resticMiBps: Number(resticMiBps.toFixed(1)),
    speedRatio: Number((ourMiBps / resticMiBps).toFixed(2)),
    ourStoredBytes,
    resticStoredBytes,
    sizeRatio: Number((ourStoredBytes / resticStoredBytes).toFixed(3)),
    peakRssMiB: Math.round(Math.max(...rssRuns)),
    ourCpuSeconds: Number(median(ourCpuRuns).toFixed(2)),
    ...(resticCpuRuns.length === 0 ? {} : { resticCpuSeconds: Number(median(resticCpuRuns).toFixed(2)) }),
  };
  console.log("");
  console.log("| | MiB/s | stored MiB |");
  console.log("| --- | ---: | ---: |");
  console.log(`| ewsvault | ${result.ourMiBps} | ${(ourStoredBytes / MiB).toFixed(1)} |`);
  console.log(`| restic | ${result.resticMiBps} | ${(resticStoredBytes / MiB).toFixed(1)} |`);
  console.log(`| ratio | ${result.speedRatio} | ${result.sizeRatio} |`);
  if (args.includes("--stages")) {
    // After the rounds: this process then holds the whole corpus, and a child started later
    // would report that as its own peak RSS (Linux keeps the high-water mark across exec).
    console.log("");
    console.log(formatStages(measureStages(files, { zstdLevels: [-5, -1, 3] })));
  }
  console.log("");
  console.log(JSON.stringify(result));
} finally {
  if (!args.includes("--keep")) await rm(work, { recursive: true, force: true });
}
