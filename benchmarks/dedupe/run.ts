// pnpm bench:dedupe — the attachment pool shared by every mailbox: stored bytes against logical
// bytes, and against restic backing up the very same exported item streams as files.
//
//   tsx --conditions=source benchmarks/dedupe/run.ts [--quick] [--out dir]
import { join } from "node:path";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { measuredBackup } from "../lib/backup-run.js";
import { BenchReport, MiB, parseBenchArgs, round } from "../lib/harness.js";
import { resticBackup } from "../lib/restic.js";
import { scratchDirectory, treeBytes } from "../lib/setup.js";
import { teeSource } from "../lib/tee-source.js";

const args = parseBenchArgs();
const report = new BenchReport("dedupe", args);
const MAILBOXES = args.quick ? 2 : 8;
const ITEMS = args.quick ? 30 : 250;

const work = await scratchDirectory("dedupe");
try {
  const server = await startMockEwsServer({ seed: 9001, mailboxes: MAILBOXES, itemsPerMailbox: ITEMS });
  const itemsDir = join(work.dir, "items");
  let run: Awaited<ReturnType<typeof measuredBackup>>;
  try {
    run = await measuredBackup({
      server,
      workDir: join(work.dir, "ours"),
      mailboxes: server.mailboxes,
      mailboxConcurrency: 4,
      itemConcurrency: 4,
      wrapSource: (source) => teeSource(source, itemsDir),
    });
  } finally {
    await server.stop();
  }
  const logicalBytes = await treeBytes(itemsDir);
  report.line(
    `ewsvault: ${MAILBOXES} mailboxes, ${run.items} items, ${(logicalBytes / MiB).toFixed(1)} MiB logical -> ${(run.repositoryBytes / MiB).toFixed(1)} MiB stored in ${run.seconds.toFixed(1)} s`,
  );
  const restic = await resticBackup(itemsDir, work.dir);
  report.line(
    `${restic.version}: same ${run.items} item files -> ${(restic.storedBytes / MiB).toFixed(1)} MiB stored in ${restic.seconds.toFixed(1)} s`,
  );
  const storedRatio = run.repositoryBytes / logicalBytes;
  const vsRestic = run.repositoryBytes / restic.storedBytes;
  report.line(
    `stored / logical: ewsvault ${storedRatio.toFixed(3)}, restic ${(restic.storedBytes / logicalBytes).toFixed(3)}`,
  );
  report.check("stored bytes ewsvault / restic", vsRestic, "<=", 1.1);
  report.finish(
    {
      logicalBytes,
      storedBytes: run.repositoryBytes,
      storedRatio: round(storedRatio, 4),
      resticStoredBytes: restic.storedBytes,
      resticStoredRatio: round(restic.storedBytes / logicalBytes, 4),
      vsRestic: round(vsRestic),
    },
    [
      {
        title: "bytes (MiB)",
        bars: [
          { label: "logical (exported streams)", value: logicalBytes / MiB, unit: "MiB" },
          { label: "ewsvault stored", value: run.repositoryBytes / MiB, unit: "MiB", pass: vsRestic <= 1.1 },
          { label: `restic stored`, value: restic.storedBytes / MiB, unit: "MiB" },
        ],
      },
    ],
    {
      mailboxes: MAILBOXES,
      itemsPerMailbox: ITEMS,
      items: run.items,
      restic: restic.version,
      oursSeconds: round(run.seconds),
      resticSeconds: round(restic.seconds),
    },
  );
} finally {
  await work.remove();
}
