// pnpm bench:incremental — what a rerun costs: with no change (wall time and new stored bytes),
// and after 1% of the items were modified (new stored bytes against the full run's).
//
//   tsx --conditions=source benchmarks/incremental/run.ts [--quick] [--out dir]
import { join } from "node:path";
import { MailboxIndex, mailboxIndexDirectory } from "@ewsvault/core";
import { type MeasuredBackup, measuredBackup } from "../lib/backup-run.js";
import { BenchReport, KiB, MiB, parseBenchArgs, round } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import {
  benchPassword,
  createBenchRepository,
  describeCounts,
  openBenchRepository,
  scratchDirectory,
  treeBytes,
} from "../lib/setup.js";

const args = parseBenchArgs();
const report = new BenchReport("incremental", args);
const MAILBOXES = args.quick ? 2 : 8;
const ITEMS = args.quick ? 60 : 500;
const LATENCY_MS = 30;

const work = await scratchDirectory("incremental");
// The mock runs in its own process: its CPU work would otherwise slow the full run down and
// flatter the reruns' share of it.
const server = await startMockProcess({
  seed: 31337,
  mailboxes: MAILBOXES,
  itemsPerMailbox: ITEMS,
  latencyMs: LATENCY_MS,
});
try {
  report.line(`mock: ${MAILBOXES} mailboxes x ${ITEMS} items, ${LATENCY_MS} ms per request; engine 4 x 4`);
  const repoDir = join(work.dir, "repo");
  const password = benchPassword();
  await (await createBenchRepository(repoDir, password)).close();
  const run = async (): Promise<MeasuredBackup & { newBytes: number }> => {
    const before = await treeBytes(repoDir);
    const measured = await measuredBackup({
      server,
      workDir: work.dir,
      mailboxes: server.mailboxes,
      mailboxConcurrency: 4,
      itemConcurrency: 4,
      existing: { dir: repoDir, password },
    });
    return { ...measured, newBytes: measured.repositoryBytes - before };
  };

  const full = await run();
  report.line(
    `full: ${full.items} items, ${(full.bytesRead / MiB).toFixed(1)} MiB read, ${(full.newBytes / MiB).toFixed(1)} MiB stored in ${full.seconds.toFixed(2)} s (${full.counters.totalRequests} requests)`,
  );

  const noChange = await run();
  const noChangeWallShare = noChange.seconds / full.seconds;
  const noChangeBytesPerMailbox = noChange.newBytes / MAILBOXES;
  const foldersSynced = (m: MeasuredBackup) => m.report.mailboxes.reduce((n, r) => n + r.foldersSynced, 0);
  const folders = (m: MeasuredBackup) => m.report.mailboxes.reduce((n, r) => n + r.folders, 0);
  report.line(
    `no change: ${noChange.seconds.toFixed(2)} s, ${noChange.items} items exported, ${noChange.newBytes} new bytes, ${foldersSynced(noChange)} of ${folders(noChange)} folders synced; requests ${describeCounts(noChange.counters)}`,
  );

  // Modify 1% of the items, spread over every mailbox and folder (a new subject: a new change key
  // and a slightly different export stream, as when a user edits or categorises a message).
  const itemIds: Array<{ mailbox: string; itemId: string }> = [];
  const repository = await openBenchRepository(repoDir, password);
  const cacheKey = repository.cacheKey();
  await repository.close();
  for (const mailbox of server.mailboxes) {
    const directory = mailboxIndexDirectory(join(work.dir, "index"), mailbox, cacheKey);
    const index = await MailboxIndex.open(directory, mailbox, cacheKey);
    try {
      for await (const item of index.allItems()) itemIds.push({ mailbox, itemId: item.itemId });
    } finally {
      await index.close();
    }
  }
  const toModify = Math.max(1, Math.round(itemIds.length / 100));
  const step = itemIds.length / toModify;
  const edited: string[] = [];
  for (let i = 0; i < toModify; i++) edited.push(itemIds[Math.floor(i * step)]!.itemId);
  await server.editItems(edited);
  const changed = await run();
  const changedShare = changed.newBytes / full.newBytes;
  report.line(
    `1% modified (${toModify} of ${itemIds.length} items): ${changed.items} exported, ${changed.newBytes} new bytes in ${changed.seconds.toFixed(2)} s, ${foldersSynced(changed)} of ${folders(changed)} folders synced; requests ${describeCounts(changed.counters)}`,
  );

  // The rerun's floor: per mailbox two round trips it cannot avoid (GetFolder of the
  // distinguished folders, then SyncFolderHierarchy alongside the folder probe), every
  // mailbox checked at once (4 x 4 = 16 may be), with no CPU or disk time at all.
  const waves = Math.ceil(MAILBOXES / 16);
  const floorSeconds = (waves * 2 * LATENCY_MS) / 1000;
  report.line(
    `no-change floor: ${waves} x 2 round trips x ${LATENCY_MS} ms = ${floorSeconds.toFixed(2)} s = ${((floorSeconds / full.seconds) * 100).toFixed(1)}% of this full run (${noChange.counters.totalRequests} requests)`,
  );
  report.check("no-change rerun wall time / full run", noChangeWallShare * 100, "<=", 3, "%");
  report.check("no-change new stored bytes per mailbox", noChangeBytesPerMailbox / KiB, "<=", 64, "KiB");
  report.check("1%-modified new stored bytes / full run", changedShare * 100, "<=", 3, "%");
  report.finish(
    {
      fullSeconds: round(full.seconds),
      fullStoredBytes: full.newBytes,
      noChangeSeconds: round(noChange.seconds),
      noChangeWallShare: round(noChangeWallShare, 4),
      noChangeNewBytesPerMailbox: Math.round(noChangeBytesPerMailbox),
      modifiedItems: toModify,
      modifiedNewBytes: changed.newBytes,
      modifiedStoredShare: round(changedShare, 4),
    },
    [
      {
        title: "wall time",
        bars: [
          { label: "full run", value: full.seconds, unit: "s" },
          {
            label: "no-change rerun",
            value: noChange.seconds,
            unit: "s",
            target: 0.03 * full.seconds,
            pass: noChangeWallShare <= 0.03,
          },
          { label: "after 1% modified", value: changed.seconds, unit: "s" },
        ],
      },
      {
        title: "new stored bytes (KiB)",
        bars: [
          { label: "full run", value: full.newBytes / KiB, unit: "KiB" },
          {
            label: "no change, per mailbox",
            value: noChangeBytesPerMailbox / KiB,
            unit: "KiB",
            target: 64,
            pass: noChangeBytesPerMailbox <= 64 * KiB,
          },
          {
            label: "after 1% modified",
            value: changed.newBytes / KiB,
            unit: "KiB",
            target: (0.03 * full.newBytes) / KiB,
            pass: changedShare <= 0.03,
          },
        ],
      },
    ],
    {
      mailboxes: MAILBOXES,
      itemsPerMailbox: ITEMS,
      latencyMs: LATENCY_MS,
      fullItems: full.items,
      fullBytesRead: full.bytesRead,
      noChangeRequests: noChange.counters.requests,
      noChangeFoldersSynced: foldersSynced(noChange),
      folders: folders(noChange),
      noChangeFloorSeconds: round(floorSeconds),
      modifiedRun: {
        seconds: round(changed.seconds),
        items: changed.items,
        requests: changed.counters.requests,
        foldersSynced: foldersSynced(changed),
      },
    },
  );
} finally {
  await server.stop();
  await work.remove();
}
