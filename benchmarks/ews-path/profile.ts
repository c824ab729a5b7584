// The EWS phase of bench:ews-path alone, for profiling (node --cpu-prof on this process; the mock
// runs in its own process, BENCH_MOCK_CPU_PROF_DIR profiles it too):
//
//   node --cpu-prof --cpu-prof-dir=DIR --import tsx --conditions=source benchmarks/ews-path/profile.ts [--small] [--runs N]
//   tsx benchmarks/report/profile-summary.ts DIR
//
// Runs one warm-up backup and then the measured ones; prints CPU ms per MiB and per item, and the
// process's CPU by thread (Linux).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { measuredBackup } from "../lib/backup-run.js";
import { KiB, MiB } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import { scratchDirectory } from "../lib/setup.js";

/**
 * CPU ms of this process's live threads by thread name (/proc/self/task: node-MainThread,
 * node-V8Worker = V8's platform threads for GC and compiling, libuv-worker, ...). Threads that
 * ended in between (the write pool's workers close with the repository) are missing: the
 * difference to the process's CPU is theirs.
 */
function cpuByThread(): Map<string, number> {
  const byThread = new Map<string, number>();
  try {
    for (const task of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime (fields 14 and 15), in clock ticks of 10 ms.
      byThread.set(
        `${task} ${stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))}`,
        (Number(fields[11]) + Number(fields[12])) * 10,
      );
    }
  } catch {
    // Not Linux, or a thread ended while being read: the figure is then left out.
  }
  return byThread;
}

function cpuByThreadName(before: Map<string, number>, after: Map<string, number>): string {
  const byName = new Map<string, number>();
  for (const [thread, ms] of after) {
    const name = thread.slice(thread.indexOf(" ") + 1);
    byName.set(name, (byName.get(name) ?? 0) + ms - (before.get(thread) ?? 0));
  }
  return [...byName]
    .filter(([, ms]) => ms > 0)
    .map(([name, ms]) => `${name} ${ms} ms`)
    .join(", ");
}

const small = process.argv.includes("--small");
// More measured runs dilute the warm-up (generation, JIT) in the profiles.
const runsAt = process.argv.indexOf("--runs");
const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 1;
const work = await scratchDirectory("ews-path-profile");
const server = await startMockProcess(
  { latencyMs: 0, exportCacheBytes: 512 * MiB, renderCacheBytes: 64 * MiB },
  small
    ? { seed: 1718, mailboxes: 4, itemsPerMailbox: 1000, maxItemBytes: 16 * KiB }
    : { seed: 1717, mailboxes: 4, itemsPerMailbox: 250, maxItemBytes: 4 * MiB },
);
try {
  const options = { server, mailboxes: server.mailboxes, mailboxConcurrency: 4, itemConcurrency: 4 };
  await measuredBackup({ ...options, workDir: join(work.dir, "warm") });
  for (let n = 1; n <= runs; n++) {
    const threadsBefore = cpuByThread();
    const run = await measuredBackup({ ...options, workDir: join(work.dir, `measured-${n}`) });
    const threads = cpuByThreadName(threadsBefore, cpuByThread());
    const mib = run.bytesRead / MiB;
    process.stdout.write(
      `${run.items} items, ${mib.toFixed(1)} MiB: ${((run.cpuSeconds * 1000) / mib).toFixed(2)} CPU ms/MiB, ${((run.cpuSeconds * 1000) / run.items).toFixed(3)} ms/item; mock ${(((run.mockCpuSeconds ?? 0) * 1000) / run.items).toFixed(3)} ms/item\n  CPU by thread: ${threads} (the rest: the write pool's workers)\n`,
    );
  }
} finally {
  await server.stop();
  await work.remove();
}
