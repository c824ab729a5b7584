// pnpm bench — every scenario in turn (each in its own process, as its root script runs it),
// then BENCHMARKS.md regenerated from the result files. Also runs benchmarks/pipeline (owned by
// the repository work) and stores its JSON line as results/pipeline.json + .svg.
//
//   tsx --conditions=source benchmarks/all.ts [--quick] [--only a,b] [--skip a,b] [--report-only]
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadAverage, parseBenchArgs } from "./lib/harness.js";
import { barChartSvg } from "./lib/svg.js";
import { writeBenchmarksMarkdown } from "./report/markdown.js";

export const SCENARIOS = [
  "scheduler",
  "throttled",
  "incremental",
  "dedupe",
  "pipeline",
  "memory",
  "restore",
  "index",
  "ews-path",
  "scale-out", // needs redis-server (the testkit installs Debian's when missing)
];

const args = parseBenchArgs();
const only = args.option("--only")?.split(",");
const skip = args.option("--skip")?.split(",") ?? [];
// --report-only rewrites BENCHMARKS.md from the existing result files (after editing the notes).
const reportOnly = process.argv.includes("--report-only");
const chosen = reportOnly
  ? []
  : SCENARIOS.filter((s) => (only ? only.includes(s) : true) && !skip.includes(s));
const here = fileURLToPath(new URL(".", import.meta.url));

function runScenario(name: string): Promise<{ code: number | null; lastLine: string }> {
  const script = join(here, name, "run.ts");
  const extra =
    name === "pipeline"
      ? args.quick
        ? ["--mib", "32"]
        : []
      : [...(args.quick ? ["--quick"] : []), "--out", args.outDir];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", script, ...extra], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let lastLine = "";
    let pending = "";
    child.stdout.on("data", (d: Buffer) => {
      process.stdout.write(d);
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) lastLine = line;
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, lastLine: pending.trim() || lastLine }));
  });
}

const loadStart = loadAverage();
const started = new Date();
const failures: string[] = [];
for (const name of chosen) {
  const { code, lastLine } = await runScenario(name);
  if (code !== 0) {
    failures.push(`${name} (exit ${code})`);
    continue;
  }
  if (name === "pipeline") {
    // benchmarks/pipeline prints its JSON line only; keep it beside the other results.
    const figures = JSON.parse(lastLine) as Record<string, number>;
    mkdirSync(args.outDir, { recursive: true });
    const result = {
      scenario: "pipeline",
      date: new Date().toISOString(),
      quick: args.quick,
      command: `pnpm bench:pipeline${args.quick ? " --mib 32" : ""}`,
      figures,
      checks: [
        {
          label: "speed ewsvault / restic",
          value: figures.speedRatio,
          op: ">=",
          target: 2,
          unit: "",
          pass: (figures.speedRatio ?? 0) >= 2,
        },
        {
          label: "stored ewsvault / restic",
          value: figures.sizeRatio,
          op: "<=",
          target: 1.1,
          unit: "",
          pass: (figures.sizeRatio ?? 9) <= 1.1,
        },
      ],
    };
    writeFileSync(join(args.outDir, "pipeline.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      join(args.outDir, "pipeline.svg"),
      barChartSvg("pipeline", [
        {
          title: "write path, MiB/s",
          bars: [
            {
              label: "ewsvault",
              value: figures.ourMiBps ?? 0,
              unit: "MiB/s",
              pass: (figures.speedRatio ?? 0) >= 2,
            },
            { label: "restic", value: figures.resticMiBps ?? 0, unit: "MiB/s" },
          ],
        },
        {
          title: "stored MiB",
          bars: [
            {
              label: "ewsvault",
              value: (figures.ourStoredBytes ?? 0) / 1048576,
              unit: "MiB",
              pass: (figures.sizeRatio ?? 9) <= 1.1,
            },
            { label: "restic", value: (figures.resticStoredBytes ?? 0) / 1048576, unit: "MiB" },
          ],
        },
      ]),
    );
  }
}
// The run's own facts, kept beside the results so --report-only can restate them.
const runFile = join(args.outDir, "run.json");
const run = reportOnly
  ? (JSON.parse(readFileSync(runFile, "utf8")) as {
      command: string;
      started: string;
      ended: string;
      loadStart: string;
      loadEnd: string;
    })
  : {
      command: `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}`,
      started: started.toISOString(),
      ended: new Date().toISOString(),
      loadStart,
      loadEnd: loadAverage(),
    };
if (!reportOnly) {
  mkdirSync(args.outDir, { recursive: true });
  writeFileSync(runFile, `${JSON.stringify(run, null, 2)}\n`);
}
const markdown = writeBenchmarksMarkdown({
  resultsDir: args.outDir,
  command: run.command,
  started: new Date(run.started),
  ended: new Date(run.ended),
  loadStart: run.loadStart,
  loadEnd: run.loadEnd,
  scenarios: SCENARIOS,
  ...(args.quick ? { target: join(args.outDir, "BENCHMARKS.md") } : {}),
});
process.stdout.write(`wrote ${markdown}\n`);
if (failures.length > 0) {
  process.stdout.write(`failed: ${failures.join(", ")}\n`);
  process.exitCode = 1;
}
process.stdout.write(`${JSON.stringify({ scenarios: chosen, failed: failures })}\n`);
