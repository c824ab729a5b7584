// pnpm bench:throttled — throughput under Exchange-like throttling (EWSMaxConcurrency and a
// burst/recharge request budget) against the budget's theoretical maximum, and the share of
// requests the server refused.
//
//   tsx --conditions=source benchmarks/throttled/run.ts [--quick] [--out dir]
//
// The bound: the run needed R requests that were served (refused ones excluded). The budget lets
// `burst` of them through at once and then `recharge` per second; the concurrency limit lets at
// most maxConcurrency be in flight for L ms each. So no client finishes sooner than
// max((R - burst) / recharge, R x L / maxConcurrency) seconds; items / that is the bound. (It
// leaves out the engine's own chain of requests — hierarchy before folders before exports — and
// all CPU time, so it is a lower bound on time no client can beat, not a target it can reach.)
//
// The mock answers like Exchange: a request over EWSMaxConcurrency gets ErrorExceededConnectionCount
// (no backoff hint), one over the budget ErrorServerBusy with BackOffMilliseconds; the run prints
// both counts (counters().throttledBy) and what the client learnt (its gate's ceiling and pacer).
import { join } from "node:path";
import { measuredBackup } from "../lib/backup-run.js";
import { BenchReport, parseBenchArgs, round } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import { describeCounts, scratchDirectory } from "../lib/setup.js";

const args = parseBenchArgs();
const report = new BenchReport("throttled", args);
const LATENCY_MS = 30;
const THROTTLING = { maxConcurrency: 6, burst: 40, rechargePerSecond: args.quick ? 40 : 20 };
const MAILBOXES = args.quick ? 2 : 4;
const ITEMS = args.quick ? 40 : 250;

const work = await scratchDirectory("throttled");
try {
  // Items capped at 16 KiB: the request budget, not this 2-core machine's CPU, must be what
  // limits the run, or the ratio would measure the CPU instead of the client's pacing. The mock
  // runs in its own process for the same reason.
  const server = await startMockProcess(
    { latencyMs: LATENCY_MS, throttling: THROTTLING },
    { seed: 777, mailboxes: MAILBOXES, itemsPerMailbox: ITEMS, maxItemBytes: 16 * 1024 },
  );
  report.line(
    `mock: ${MAILBOXES} mailboxes x ${ITEMS} items (<= 16 KiB each), ${LATENCY_MS} ms per request; throttling maxConcurrency ${THROTTLING.maxConcurrency}, burst ${THROTTLING.burst}, recharge ${THROTTLING.rechargePerSecond}/s; engine 4 mailboxes x 4 requests (client ceiling 16)`,
  );
  let run: Awaited<ReturnType<typeof measuredBackup>>;
  try {
    run = await measuredBackup({
      server,
      workDir: join(work.dir, "run"),
      mailboxes: server.mailboxes,
      mailboxConcurrency: 4,
      itemConcurrency: 4,
    });
  } finally {
    await server.stop();
  }
  const { counters } = run;
  const served = counters.totalRequests - counters.throttled;
  const budgetSeconds = Math.max(0, served - THROTTLING.burst) / THROTTLING.rechargePerSecond;
  const concurrencySeconds = (served * LATENCY_MS) / THROTTLING.maxConcurrency / 1000;
  const boundSeconds = Math.max(budgetSeconds, concurrencySeconds);
  const itemsPerSec = run.items / run.seconds;
  const boundItemsPerSec = run.items / boundSeconds;
  const boundRatio = itemsPerSec / boundItemsPerSec;
  const throttledShare = counters.throttled / counters.totalRequests;
  report.line(
    `${run.items} items in ${run.seconds.toFixed(2)} s; ${counters.totalRequests} requests (${describeCounts(counters)}), ${counters.throttled} throttled (${counters.throttledBy.concurrency} over EWSMaxConcurrency: ErrorExceededConnectionCount, ${counters.throttledBy.budget} over the budget: ErrorServerBusy)`,
  );
  report.line(
    `bound: ${served} served requests: budget ${budgetSeconds.toFixed(2)} s, concurrency ${concurrencySeconds.toFixed(2)} s -> ${boundItemsPerSec.toFixed(1)} items/s; measured ${itemsPerSec.toFixed(1)} items/s`,
  );
  const { stats, gate } = run.client;
  report.line(
    `client: ${stats.requests} requests, ${stats.attempts} attempts, ${stats.retries} retries, ${stats.throttled} throttled answers (concurrency ${gate.throttledBy.concurrency}, budget ${gate.throttledBy.budget}, unknown ${gate.throttledBy.unknown}); gate ${gate.cuts} cuts, limit at the end ${gate.limit.toFixed(1)} of ${gate.max} under a learnt ceiling of ${gate.ceiling}`,
  );
  const { pacer } = gate;
  report.line(
    `pacer: ${pacer.rate === undefined ? "not pacing" : `pacing at ${pacer.rate.toFixed(1)} requests/s`}; learnt sustainable rate ${pacer.estimatedRate === undefined ? "none" : `${pacer.estimatedRate.toFixed(1)} requests/s`} from ${pacer.refusals} budget refusals (the mock recharges ${THROTTLING.rechargePerSecond}/s)`,
  );
  report.check("boundRatio (items/s / budget bound)", boundRatio, ">=", 0.85);
  report.check("throttled share of requests", throttledShare * 100, "<", 2, "%");
  report.finish(
    {
      itemsPerSec: round(itemsPerSec, 2),
      boundItemsPerSec: round(boundItemsPerSec, 2),
      boundRatio: round(boundRatio),
      requests: counters.totalRequests,
      throttledRequests: counters.throttled,
      throttledConcurrency: counters.throttledBy.concurrency,
      throttledBudget: counters.throttledBy.budget,
      throttledShare: round(throttledShare, 4),
    },
    [
      {
        title: "items per second",
        bars: [
          { label: "budget bound", value: boundItemsPerSec, unit: "items/s" },
          {
            label: "measured",
            value: itemsPerSec,
            unit: "items/s",
            target: 0.85 * boundItemsPerSec,
            pass: boundRatio >= 0.85,
          },
        ],
      },
      {
        title: "throttled requests",
        bars: [
          {
            label: "throttled share",
            value: throttledShare * 100,
            unit: "%",
            target: 2,
            pass: throttledShare < 0.02,
          },
        ],
      },
    ],
    {
      mailboxes: MAILBOXES,
      itemsPerMailbox: ITEMS,
      latencyMs: LATENCY_MS,
      throttling: THROTTLING,
      seconds: round(run.seconds),
      requests: counters.requests,
      servedRequests: served,
      client: run.client,
      boundSeconds: round(boundSeconds),
    },
  );
} finally {
  await work.remove();
}
