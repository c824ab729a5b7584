// pnpm bench:scale-out — workers in processes of their own (as on machines of their own), each
// running the engine with 4 mailboxes x 4 requests, against the mock EWS server in a third
// process and a real redis-server (Debian's, installed by the testkit when missing).
//
//   tsx --conditions=source benchmarks/scale-out/run.ts [--quick] [--out dir]
//
// 1. Scaling: items/s of 1, 2 and 3 workers against a latency-bound mock (no throttling, every
//    request 1 s): scaleRatio = items/s of 3 workers / items/s of 1 (target >= 2.7). Each
//    worker throttles on its own here; the point is that workers add throughput when EWS latency,
//    not the account, is the limit. 1 s keeps the three workers and the mock at ~0.2 cores
//    together (printed per run), so the scenario stays latency-bound on a 2-core machine busy
//    with other work; at 300 ms it needed ~0.4 and lost to the other work's CPU (2.59, 1.63).
// 2. Shared throttling: 3 workers whose clients share one gate through Redis (ceiling 16, the
//    client's), against the mock with EWSMaxConcurrency 6 and a budget (burst 40, 20 requests/s):
//    refusedShare = refused / all requests (target < 2 %), boundRatio = the budget/concurrency
//    bound's time / the measured time (target >= 0.85), with the bound computed as in
//    bench:throttled from the requests the server served.
//
// Its last stdout line is JSON with scaleRatio, refusedShare and boundRatio.
import { fork } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedisServer } from "@ewsvault/testkit";
import { BenchReport, parseBenchArgs, round } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import { describeCounts, scratchDirectory } from "../lib/setup.js";
import type { WorkerChildOptions } from "./worker-child.js";

const args = parseBenchArgs();
const report = new BenchReport("scale-out", args);
const SCALE_LATENCY_MS = 1000;
const SCALE_MAILBOXES_PER_WORKER = args.quick ? 2 : 4;
const SCALE_ITEMS = args.quick ? 40 : 120;
const SCALE_ITEM_BYTES = 16 * 1024;
const THROTTLING = { maxConcurrency: 6, burst: 40, rechargePerSecond: 20 };
const THROTTLED_LATENCY_MS = 30;
const THROTTLED_MAILBOXES_PER_WORKER = args.quick ? 1 : 2;
const THROTTLED_ITEMS = args.quick ? 60 : 400;
const ENGINE = { mailboxConcurrency: 4, itemConcurrency: 4, clientConcurrency: 16 };

interface WorkerResult {
  readonly name: string;
  readonly items: number;
  readonly failed: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly stats: { requests: number; attempts: number; throttled: number };
  readonly gate: { limit: number; ceiling: number; pacer: { rate?: number } };
}

/** Starts one child per mailbox share, starts them at once, resolves with wall time and results. */
async function runWorkers(
  base: Omit<WorkerChildOptions, "name" | "workDir" | "mailboxes">,
  shares: readonly (readonly string[])[],
  workDir: string,
): Promise<{ seconds: number; results: WorkerResult[] }> {
  const script = fileURLToPath(new URL("./worker-child.ts", import.meta.url));
  const children = shares.map((mailboxes, i) => {
    const options: WorkerChildOptions = {
      ...base,
      name: `w${i + 1}`,
      workDir: join(workDir, `w${i + 1}`),
      mailboxes,
    };
    const child = fork(script, [JSON.stringify(options)], {
      execArgv: ["--import", "tsx", "--conditions=source"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const messages: Record<string, unknown>[] = [];
    const waiters: Array<() => void> = [];
    child.on("message", (m: Record<string, unknown>) => {
      messages.push(m);
      for (const w of waiters.splice(0)) w();
    });
    const waitFor = (type: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const check = () => {
          const found = messages.find((m) => m.type === type);
          if (found) resolve(found);
          else if (child.exitCode !== null)
            reject(new Error(`worker ${options.name} exited (${child.exitCode})`));
          else waiters.push(check);
        };
        child.once("exit", check);
        check();
      });
    return { child, waitFor };
  });
  await Promise.all(children.map((c) => c.waitFor("ready")));
  const started = performance.now();
  for (const c of children) c.child.send({ type: "go" });
  const results = (await Promise.all(children.map((c) => c.waitFor("done")))) as unknown as WorkerResult[];
  const seconds = (performance.now() - started) / 1000;
  for (const result of results)
    if (result.failed > 0) throw new Error(`worker ${result.name}: ${result.failed} failures`);
  return { seconds, results };
}

function split<T>(list: readonly T[], parts: number, each: number): T[][] {
  return Array.from({ length: parts }, (_, i) => list.slice(i * each, (i + 1) * each));
}

const work = await scratchDirectory("scale-out");
const redis = await startRedisServer();
try {
  // 1. Scaling against a latency-bound mock.
  const latencyMock = await startMockProcess(
    { latencyMs: SCALE_LATENCY_MS, throttling: { maxConcurrency: 1000 } },
    {
      seed: 1515,
      mailboxes: 3 * SCALE_MAILBOXES_PER_WORKER,
      itemsPerMailbox: SCALE_ITEMS,
      maxItemBytes: SCALE_ITEM_BYTES,
    },
  );
  report.line(
    `scaling: mock ${SCALE_LATENCY_MS} ms per request, no throttling; each worker ${SCALE_MAILBOXES_PER_WORKER} mailboxes x ${SCALE_ITEMS} items (<= ${SCALE_ITEM_BYTES / 1024} KiB), engine 4 x 4, own gate of 16`,
  );
  const itemsPerSec: number[] = [];
  /** CPU the run needed (workers and mock) per second of wall time. */
  const cores: number[] = [];
  try {
    for (const workers of [1, 2, 3]) {
      const shares = split(latencyMock.mailboxes, workers, SCALE_MAILBOXES_PER_WORKER);
      await latencyMock.resetCounters();
      const run = await runWorkers(
        { ...ENGINE, mock: latencyMock },
        shares,
        join(work.dir, `scale-${workers}`),
      );
      const mockCpu = (await latencyMock.counters()).cpuSeconds ?? 0;
      const workersCpu = run.results.reduce((sum, r) => sum + r.cpuSeconds, 0);
      const items = run.results.reduce((sum, r) => sum + r.items, 0);
      itemsPerSec.push(items / run.seconds);
      cores.push((workersCpu + mockCpu) / run.seconds);
      report.line(
        `${workers} worker(s): ${items} items in ${run.seconds.toFixed(2)} s = ${(items / run.seconds).toFixed(1)} items/s; CPU ${workersCpu.toFixed(2)} s workers + ${mockCpu.toFixed(2)} s mock = ${(cores.at(-1) ?? 0).toFixed(2)} cores`,
      );
    }
  } finally {
    await latencyMock.stop();
  }
  const scaleRatio = (itemsPerSec[2] ?? 0) / (itemsPerSec[0] ?? 1);

  // 2. Shared throttling against EWSMaxConcurrency 6 and a budget.
  const throttledMock = await startMockProcess(
    { latencyMs: THROTTLED_LATENCY_MS, throttling: THROTTLING },
    {
      seed: 1516,
      mailboxes: 3 * THROTTLED_MAILBOXES_PER_WORKER,
      itemsPerMailbox: THROTTLED_ITEMS,
      maxItemBytes: 16 * 1024,
    },
  );
  report.line(
    `shared throttling: mock EWSMaxConcurrency ${THROTTLING.maxConcurrency}, burst ${THROTTLING.burst}, recharge ${THROTTLING.rechargePerSecond}/s, ${THROTTLED_LATENCY_MS} ms per request; 3 workers x ${THROTTLED_MAILBOXES_PER_WORKER} mailboxes x ${THROTTLED_ITEMS} items, engine 4 x 4, one gate of 16 shared through Redis`,
  );
  let shared: Awaited<ReturnType<typeof runWorkers>>;
  let counters: Awaited<ReturnType<typeof throttledMock.counters>>;
  try {
    await throttledMock.resetCounters();
    shared = await runWorkers(
      { ...ENGINE, mock: throttledMock, shared: { url: redis.url, prefix: "bench-scale-out" } },
      split(throttledMock.mailboxes, 3, THROTTLED_MAILBOXES_PER_WORKER),
      join(work.dir, "shared"),
    );
    counters = await throttledMock.counters();
  } finally {
    await throttledMock.stop();
  }
  const items = shared.results.reduce((sum, r) => sum + r.items, 0);
  const served = counters.totalRequests - counters.throttled;
  const budgetSeconds = Math.max(0, served - THROTTLING.burst) / THROTTLING.rechargePerSecond;
  const concurrencySeconds = (served * THROTTLED_LATENCY_MS) / THROTTLING.maxConcurrency / 1000;
  const boundSeconds = Math.max(budgetSeconds, concurrencySeconds);
  const boundRatio = boundSeconds / shared.seconds;
  const refusedShare = counters.throttled / counters.totalRequests;
  report.line(
    `${items} items in ${shared.seconds.toFixed(2)} s = ${(items / shared.seconds).toFixed(1)} items/s; ${counters.totalRequests} requests (${describeCounts(counters)}), ${counters.throttled} refused (${counters.throttledBy.concurrency} over EWSMaxConcurrency, ${counters.throttledBy.budget} over the budget)`,
  );
  report.line(
    `bound: ${served} served requests: budget ${budgetSeconds.toFixed(2)} s, concurrency ${concurrencySeconds.toFixed(2)} s -> ${(items / boundSeconds).toFixed(1)} items/s`,
  );
  for (const r of shared.results)
    report.line(
      `${r.name}: ${r.items} items, ${r.stats.requests} requests, ${r.stats.throttled} throttled answers; shared limit ${r.gate.limit.toFixed(1)}, ceiling ${r.gate.ceiling}, pace ${r.gate.pacer.rate === undefined ? "none" : `${r.gate.pacer.rate.toFixed(1)}/s`}`,
    );
  report.check("scaleRatio (3 workers / 1 worker, latency-bound)", scaleRatio, ">=", 2.7);
  report.check("refused share of requests (shared throttling)", refusedShare * 100, "<", 2, "%");
  report.check("boundRatio (shared throttling)", boundRatio, ">=", 0.85);
  report.finish(
    {
      itemsPerSec1: round(itemsPerSec[0] ?? 0, 2),
      itemsPerSec2: round(itemsPerSec[1] ?? 0, 2),
      itemsPerSec3: round(itemsPerSec[2] ?? 0, 2),
      scaleRatio: round(scaleRatio),
      cores3: round(cores[2] ?? 0, 2),
      sharedItemsPerSec: round(items / shared.seconds, 2),
      requests: counters.totalRequests,
      refused: counters.throttled,
      refusedShare: round(refusedShare, 4),
      boundRatio: round(boundRatio),
    },
    [
      {
        title: "items per second, latency-bound mock",
        bars: [1, 2, 3].map((n) => ({
          label: `${n} worker(s)`,
          value: itemsPerSec[n - 1] ?? 0,
          unit: "items/s",
        })),
      },
    ],
  );
} finally {
  await redis.stop();
  await work.remove();
}
