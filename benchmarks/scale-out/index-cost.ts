// What a worker pays for not holding a mailbox's local index (issue 15: prefer the worker that
// already holds it "when that costs nothing"). One mailbox against the mock EWS server in a
// process of its own (EWS latency per request), one filesystem repository:
//
//   1. full: the first backup (every item exported);
//   2. warm: the next backup of the unchanged mailbox on the same worker (its index present);
//   3. cold: the same backup on another worker (no index: rebuilt from the repository's last
//      snapshot, and the folders synced from scratch, listing every item id but exporting none).
//
//   tsx --conditions=source benchmarks/scale-out/index-cost.ts [--quick] [--out dir]
//
// coldShareOfFull = cold seconds / full seconds: what moving a mailbox costs compared with
// backing it up at all. Its last stdout line is JSON with the three times and the requests.
import { join } from "node:path";
import { measuredBackup } from "../lib/backup-run.js";
import { BenchReport, parseBenchArgs, round } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import { benchPassword, createBenchRepository, describeCounts, scratchDirectory } from "../lib/setup.js";

const args = parseBenchArgs();
const report = new BenchReport("scale-out-index-cost", args);
const LATENCY_MS = 30;
const ITEMS = args.quick ? 500 : 3000;
const ENGINE = { mailboxConcurrency: 1, itemConcurrency: 4 };

const work = await scratchDirectory("index-cost");
const mock = await startMockProcess(
  { latencyMs: LATENCY_MS, throttling: { maxConcurrency: 1000 } },
  { seed: 1517, mailboxes: 1, itemsPerMailbox: ITEMS, maxItemBytes: 16 * 1024 },
);
try {
  report.line(`one mailbox of ${ITEMS} items (<= 16 KiB), mock ${LATENCY_MS} ms per request, engine 1 x 4`);
  const mailboxes = [mock.mailboxes[0] as string];
  const existing = { dir: join(work.dir, "repo"), password: benchPassword() };
  await (await createBenchRepository(existing.dir, existing.password)).close();
  // workDir names the index directory (<workDir>/index): "a" is the worker that holds it.
  const run = (workDir: string) => measuredBackup({ server: mock, workDir, mailboxes, ...ENGINE, existing });
  const full = await run(join(work.dir, "a"));
  const runs = { full, warm: await run(join(work.dir, "a")), cold: await run(join(work.dir, "b")) };
  for (const [name, r] of Object.entries(runs))
    report.line(
      `${name}: ${r.seconds.toFixed(2)} s, ${r.items} items exported, ${r.counters.totalRequests} requests (${describeCounts(r.counters)}), ${r.cpuSeconds.toFixed(2)} CPU s`,
    );
  const coldShareOfFull = runs.cold.seconds / runs.full.seconds;
  const coldOverWarm = runs.cold.seconds - runs.warm.seconds;
  report.line(
    `a missing index costs ${coldOverWarm.toFixed(2)} s over a warm backup: ${(coldShareOfFull * 100).toFixed(1)} % of a full backup`,
  );
  report.finish(
    {
      items: ITEMS,
      fullSeconds: round(runs.full.seconds, 2),
      warmSeconds: round(runs.warm.seconds, 2),
      coldSeconds: round(runs.cold.seconds, 2),
      fullRequests: runs.full.counters.totalRequests,
      warmRequests: runs.warm.counters.totalRequests,
      coldRequests: runs.cold.counters.totalRequests,
      coldShareOfFull: round(coldShareOfFull),
    },
    [],
  );
} finally {
  await mock.stop();
  await work.remove();
}
