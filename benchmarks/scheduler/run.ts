// pnpm bench:scheduler — how close the mailbox x item scheduler gets to the request-latency
// bound, and how it compares with the older design (one mailbox at a time, 4 requests).
//
//   tsx --conditions=source benchmarks/scheduler/run.ts [--quick] [--out dir]
//
// The bound: the mock counts every request the run needed (by operation). With C requests in
// flight and L ms per request, those R requests need at least R x L / C ms, so no scheduler can
// beat items / (R x L / C). The same bound is computed for the baseline with its own R and C = 4.
import { join } from "node:path";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { measuredBackup } from "../lib/backup-run.js";
import { BenchReport, MiB, parseBenchArgs, round } from "../lib/harness.js";
import { describeCounts, scratchDirectory } from "../lib/setup.js";

const args = parseBenchArgs();
const report = new BenchReport("scheduler", args);
const LATENCY_MS = 30;
const SEED = 4242;
const MAILBOXES = args.quick ? 4 : 16;
const ITEMS = args.quick ? 40 : 500;
const BASELINE_MAILBOXES = args.quick ? 2 : 4;
const CONCURRENCY = { mailboxes: 4, items: 4 };

const work = await scratchDirectory("scheduler");
try {
  const serverOptions = { seed: SEED, itemsPerMailbox: ITEMS, latencyMs: LATENCY_MS };
  report.line(
    `mock: ${MAILBOXES} mailboxes x ${ITEMS} items, ${LATENCY_MS} ms per request; engine ${CONCURRENCY.mailboxes} mailboxes x ${CONCURRENCY.items} requests`,
  );

  // Warm-up (JIT, generator caches) so neither measured run pays for it.
  {
    const server = await startMockEwsServer({
      seed: SEED + 1,
      mailboxes: 1,
      itemsPerMailbox: 60,
      latencyMs: 1,
    });
    try {
      await measuredBackup({
        server,
        workDir: join(work.dir, "warmup"),
        mailboxes: server.mailboxes,
        mailboxConcurrency: 1,
        itemConcurrency: 4,
      });
    } finally {
      await server.stop();
    }
  }

  const server = await startMockEwsServer({ ...serverOptions, mailboxes: MAILBOXES });
  let main: Awaited<ReturnType<typeof measuredBackup>>;
  try {
    main = await measuredBackup({
      server,
      workDir: join(work.dir, "main"),
      mailboxes: server.mailboxes,
      mailboxConcurrency: CONCURRENCY.mailboxes,
      itemConcurrency: CONCURRENCY.items,
    });
  } finally {
    await server.stop();
  }
  const inFlight = CONCURRENCY.mailboxes * CONCURRENCY.items;
  const R = main.counters.totalRequests;
  const boundSeconds = (R * LATENCY_MS) / inFlight / 1000;
  const itemsPerSec = main.items / main.seconds;
  const boundItemsPerSec = main.items / boundSeconds;
  report.line(
    `scheduler: ${main.items} items, ${(main.bytesRead / MiB).toFixed(1)} MiB in ${main.seconds.toFixed(2)} s; ${R} requests (${describeCounts(main.counters)}); ${(main.items / (main.counters.requests.ExportItems ?? 1)).toFixed(1)} items per ExportItems`,
  );
  report.line(
    `bound: ${R} requests x ${LATENCY_MS} ms / ${inFlight} in flight = ${boundSeconds.toFixed(2)} s -> ${boundItemsPerSec.toFixed(0)} items/s`,
  );

  const baseServer = await startMockEwsServer({ ...serverOptions, mailboxes: BASELINE_MAILBOXES });
  let base: Awaited<ReturnType<typeof measuredBackup>>;
  try {
    base = await measuredBackup({
      server: baseServer,
      workDir: join(work.dir, "baseline"),
      mailboxes: baseServer.mailboxes,
      mailboxConcurrency: 1,
      itemConcurrency: 4,
    });
  } finally {
    await baseServer.stop();
  }
  const baselineItemsPerSec = base.items / base.seconds;
  const baseBoundSeconds = (base.counters.totalRequests * LATENCY_MS) / 4 / 1000;
  report.line(
    `baseline (1 mailbox x 4 requests, ${BASELINE_MAILBOXES} mailboxes): ${base.items} items in ${base.seconds.toFixed(2)} s = ${baselineItemsPerSec.toFixed(0)} items/s; its own bound ${(base.items / baseBoundSeconds).toFixed(0)} items/s (${base.counters.totalRequests} requests)`,
  );
  report.line(
    `scheduler: ${itemsPerSec.toFixed(0)} items/s, ${(main.bytesRead / MiB / main.seconds).toFixed(1)} MiB/s`,
  );
  const boundRatio = itemsPerSec / boundItemsPerSec;
  const baselineRatio = itemsPerSec / baselineItemsPerSec;
  report.check("boundRatio (items/s / bound)", boundRatio, ">=", 0.9);
  report.check("baselineRatio (items/s / baseline items/s)", baselineRatio, ">=", 3.5);
  const figures = {
    itemsPerSec: round(itemsPerSec, 1),
    boundItemsPerSec: round(boundItemsPerSec, 1),
    boundRatio: round(boundRatio),
    baselineItemsPerSec: round(baselineItemsPerSec, 1),
    baselineRatio: round(baselineRatio),
  };
  report.finish(
    figures,
    [
      {
        title: "items per second",
        bars: [
          { label: "bound (requests x 30 ms / 16)", value: boundItemsPerSec, unit: "items/s" },
          {
            label: "scheduler 4 x 4",
            value: itemsPerSec,
            unit: "items/s",
            target: 0.9 * boundItemsPerSec,
            pass: boundRatio >= 0.9,
          },
          { label: "baseline 1 x 4", value: baselineItemsPerSec, unit: "items/s" },
        ],
      },
      {
        title: "ratios",
        bars: [
          { label: "boundRatio", value: boundRatio, target: 0.9, pass: boundRatio >= 0.9 },
          { label: "baselineRatio", value: baselineRatio, target: 3.5, pass: baselineRatio >= 3.5 },
        ],
      },
    ],
    {
      mailboxes: MAILBOXES,
      itemsPerMailbox: ITEMS,
      latencyMs: LATENCY_MS,
      items: main.items,
      bytesRead: main.bytesRead,
      seconds: round(main.seconds),
      requests: main.counters.requests,
      totalRequests: R,
      boundSeconds: round(boundSeconds),
      baseline: {
        mailboxes: BASELINE_MAILBOXES,
        items: base.items,
        seconds: round(base.seconds),
        requests: base.counters.requests,
      },
    },
  );
} finally {
  await work.remove();
}
