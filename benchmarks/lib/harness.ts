// What every scenario shares: command-line flags, target checks printed as pass/fail lines, and
// the result files (benchmarks/results/<name>.json + .svg). The last stdout line of a scenario
// is always one JSON object with its figures, so scripts and tests can parse it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BarGroup, barChartSvg } from "./svg.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface BenchArgs {
  /** Smoke-run sizes: seconds instead of minutes; results go to results/quick/ unless --out says otherwise. */
  readonly quick: boolean;
  readonly outDir: string;
  option(name: string): string | undefined;
}

export const resultsDirectory = fileURLToPath(new URL("../results/", import.meta.url));

export function parseBenchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const option = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const quick = argv.includes("--quick");
  return {
    quick,
    outDir: option("--out") ?? (quick ? join(resultsDirectory, "quick") : resultsDirectory),
    option,
  };
}

export function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

export interface Check {
  readonly label: string;
  readonly value: number;
  readonly op: ">=" | "<=" | "<";
  readonly target: number;
  readonly unit: string;
  readonly pass: boolean;
}

const fmt = (n: number) =>
  Number.isInteger(n) ? n.toLocaleString("en-US") : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(3);

/** Collects a scenario's printed figures and checks, then writes its result files. */
export class BenchReport {
  readonly name: string;
  readonly args: BenchArgs;
  readonly #started = Date.now();
  readonly #loadStart = loadAverage();
  readonly #checks: Check[] = [];
  readonly #notes: string[] = [];

  constructor(name: string, args: BenchArgs) {
    this.name = name;
    this.args = args;
    this.line(`== ${name}${args.quick ? " (quick)" : ""} — load average ${this.#loadStart}`);
  }

  /** A human line on stdout, also kept as a note in the result file. */
  line(text: string): void {
    this.#notes.push(text);
    process.stdout.write(`${text}\n`);
  }

  /** Prints `label: value unit (target op target) PASS|FAIL` and records it. */
  check(label: string, value: number, op: Check["op"], target: number, unit = ""): boolean {
    const pass = op === ">=" ? value >= target : op === "<=" ? value <= target : value < target;
    this.#checks.push({ label, value, op, target, unit, pass });
    this.line(
      `${label}: ${fmt(value)}${unit ? ` ${unit}` : ""} (target ${op} ${fmt(target)}) ${pass ? "PASS" : "FAIL"}`,
    );
    return pass;
  }

  get checks(): readonly Check[] {
    return this.#checks;
  }

  /** Writes <out>/<name>.json and .svg and prints the figures as the last stdout line. */
  finish(
    figures: Record<string, unknown>,
    chart: readonly BarGroup[],
    details: Record<string, unknown> = {},
  ): void {
    mkdirSync(this.args.outDir, { recursive: true });
    const result = {
      scenario: this.name,
      date: new Date().toISOString(),
      quick: this.args.quick,
      command: `pnpm bench:${this.name}${this.args.quick ? " --quick" : ""}`,
      seconds: Math.round((Date.now() - this.#started) / 100) / 10,
      loadAverage: { start: this.#loadStart, end: loadAverage() },
      figures,
      checks: this.#checks,
      details,
      lines: this.#notes,
    };
    writeFileSync(join(this.args.outDir, `${this.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(this.args.outDir, `${this.name}.svg`), barChartSvg(`${this.name}`, chart));
    process.stdout.write(`load average at end ${result.loadAverage.end}; ${result.seconds} s\n`);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  }
}

/** Rounds for JSON output without losing the order of magnitude. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
