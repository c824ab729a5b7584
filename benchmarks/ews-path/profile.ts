// The EWS phase of bench:ews-path alone, for profiling (node --cpu-prof on this process; the mock
// runs in its own process, BENCH_MOCK_CPU_PROF_DIR profiles it too):
//
//   node --cpu-prof --cpu-prof-dir=DIR --import tsx --conditions=source benchmarks/ews-path/profile.ts [--small] [--runs N]
//   tsx benchmarks/report/profile-summary.ts DIR
//
// Runs one warm-up backup and then the measured one; prints CPU ms per MiB and per item.
import { join } from "node:path";
import { measuredBackup } from "../lib/backup-run.js";
import { KiB, MiB } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import { scratchDirectory } from "../lib/setup.js";

const small = process.argv.includes("--small");
// More measured runs dilute the warm-up (generation, JIT) in the profiles.
const runsAt = process.argv.indexOf("--runs");
const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 1;
const work = await scratchDirectory("ews-path-profile");
const server = await startMockProcess(
  { latencyMs: 0, exportCacheBytes: 512 * MiB },
  small
    ? { seed: 1718, mailboxes: 4, itemsPerMailbox: 1000, maxItemBytes: 16 * KiB }
    : { seed: 1717, mailboxes: 4, itemsPerMailbox: 250, maxItemBytes: 4 * MiB },
);
try {
  const options = { server, mailboxes: server.mailboxes, mailboxConcurrency: 4, itemConcurrency: 4 };
  await measuredBackup({ ...options, workDir: join(work.dir, "warm") });
  for (let n = 1; n <= runs; n++) {
    const run = await measuredBackup({ ...options, workDir: join(work.dir, `measured-${n}`) });
    const mib = run.bytesRead / MiB;
    process.stdout.write(
      `${run.items} items, ${mib.toFixed(1)} MiB: ${((run.cpuSeconds * 1000) / mib).toFixed(2)} CPU ms/MiB, ${((run.cpuSeconds * 1000) / run.items).toFixed(3)} ms/item; mock ${(((run.mockCpuSeconds ?? 0) * 1000) / run.items).toFixed(3)} ms/item\n`,
    );
  }
} finally {
  await server.stop();
  await work.remove();
}
