// pnpm bench:memory — peak RSS of a backup of 40 MB items at full concurrency (4 mailboxes x 4
// requests). The backup runs in a child process; this process runs the mock server and samples
// the child's /proc/<pid>/status (VmRSS every 50 ms; VmHWM reported by the child at its end).
//
//   tsx --conditions=source benchmarks/memory/run.ts [--quick] [--out dir]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { BenchReport, MiB, parseBenchArgs, round } from "../lib/harness.js";
import { largeItemGenerator } from "../lib/large-items.js";
import { benchPassword, scratchDirectory } from "../lib/setup.js";

const args = parseBenchArgs();
const report = new BenchReport("memory", args);
const ITEM_BYTES = 40 * 1000 * 1000;
const MAILBOXES = 4;
const ITEMS = args.quick ? 1 : 4;
const LIMIT_MIB = 512;
// Experiments only (the recorded run uses the defaults): in-flight byte budgets in MiB.
const clientBudget = args.option("--client-budget-mib");
const engineBudget = args.option("--engine-budget-mib");

function sampleRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

interface ChildResult {
  items: number;
  failed: number;
  bytesRead: number;
  seconds: number;
  vmHwmKiB: number;
  maxRssKiB: number;
  peakMiB: number;
}

/** One backup in a child process; budgets in MiB (undefined = the packages' defaults). */
async function measuredChild(
  label: string,
  budgets: { client?: number; engine?: number },
): Promise<ChildResult> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=source",
      fileURLToPath(new URL("./child.ts", import.meta.url)),
      JSON.stringify({
        url: server.url,
        username: server.credentials.username,
        workDir: join(work.dir, label),
        mailboxes: server.mailboxes,
        ...(budgets.client ? { clientInFlightBytes: budgets.client * MiB } : {}),
        ...(budgets.engine ? { engineInFlightBytes: budgets.engine * MiB } : {}),
      }),
    ],
    {
      env: {
        ...process.env,
        BENCH_EWS_PASSWORD: server.credentials.password,
        BENCH_REPO_PASSWORD: benchPassword(),
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let maxRssKiB = 0;
  const timer = setInterval(() => {
    maxRssKiB = Math.max(maxRssKiB, sampleRss(child.pid!));
  }, 50);
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`backup child exited with ${code}`);
  const result = JSON.parse(stdout.trim().split("\n").pop()!) as {
    items: number;
    failed: number;
    bytesRead: number;
    seconds: number;
    vmHwmKiB: number;
  };
  if (result.failed > 0 || result.items !== MAILBOXES * ITEMS)
    throw new Error(`backup exported ${result.items} items with ${result.failed} failures`);
  return { ...result, maxRssKiB, peakMiB: Math.max(result.vmHwmKiB, maxRssKiB) / 1024 };
}

const work = await scratchDirectory("memory");
const server = await startMockEwsServer({
  generator: largeItemGenerator({
    seed: 404,
    mailboxes: MAILBOXES,
    itemsPerMailbox: ITEMS,
    bytes: ITEM_BYTES,
  }),
  // Only the 40 MB items: the folder-associated items a mailbox has would add 24 small exports
  // to the count this run checks, and nothing to its peak.
  associatedItems: false,
});
try {
  report.line(
    `mock: ${MAILBOXES} mailboxes x ${ITEMS} items of ${ITEM_BYTES / 1e6} MB (incompressible attachment); engine 4 x 4, in-flight budgets: client ${clientBudget ?? "default 256"} MiB, engine ${engineBudget ?? "default 192"} MiB`,
  );
  const clientMiB = clientBudget === undefined ? undefined : Number(clientBudget);
  const engineMiB = engineBudget === undefined ? undefined : Number(engineBudget);
  const result = await measuredChild("main", {
    ...(clientMiB === undefined ? {} : { client: clientMiB }),
    ...(engineMiB === undefined ? {} : { engine: engineMiB }),
  });
  const maxRssKiB = result.maxRssKiB;
  const peakMiB = Math.max(result.vmHwmKiB, maxRssKiB) / 1024;
  report.line(
    `backup: ${result.items} items, ${(result.bytesRead / MiB).toFixed(0)} MiB in ${result.seconds.toFixed(1)} s (${(result.bytesRead / MiB / result.seconds).toFixed(1)} MiB/s)`,
  );
  report.line(
    `VmHWM ${(result.vmHwmKiB / 1024).toFixed(0)} MiB; highest sampled VmRSS ${(maxRssKiB / 1024).toFixed(0)} MiB`,
  );
  report.check("peak RSS of the backup process", peakMiB, "<=", LIMIT_MIB, "MiB");
  // Supplementary: the same backup with 64 MiB budgets in the client and the engine, to show how
  // far the peak follows the budgets (each in-flight item costs a multiple of its size).
  const small = await measuredChild("budget64", { client: 64, engine: 64 });
  report.line(
    `supplementary, 64 MiB client + engine budgets: peak ${small.peakMiB.toFixed(0)} MiB, ${(small.bytesRead / MiB / small.seconds).toFixed(1)} MiB/s`,
  );
  report.finish(
    {
      peakRssMiB: round(peakMiB, 1),
      vmHwmMiB: round(result.vmHwmKiB / 1024, 1),
      sampledMaxRssMiB: round(maxRssKiB / 1024, 1),
      items: result.items,
      itemBytes: ITEM_BYTES,
      seconds: round(result.seconds),
      budget64PeakRssMiB: round(small.peakMiB, 1),
    },
    [
      {
        title: "peak RSS of the backup process (MiB)",
        bars: [
          {
            label: "default budgets",
            value: peakMiB,
            unit: "MiB",
            target: LIMIT_MIB,
            pass: peakMiB <= LIMIT_MIB,
          },
          { label: "64 MiB budgets (supplementary)", value: small.peakMiB, unit: "MiB", target: LIMIT_MIB },
        ],
      },
    ],
    { mailboxes: MAILBOXES, itemsPerMailbox: ITEMS, bytesRead: result.bytesRead },
  );
} finally {
  await server.stop();
  await work.remove();
}
