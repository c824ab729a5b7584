// pnpm bench:restore — (1) whole-mailbox restore items/s against backup items/s through the EWS
// client and the mock; (2) single-item restore from a repository of 100,000 items, cold (a new
// process, no cache directory), timed through the real EWS client against the mock.
//
//   tsx --conditions=source benchmarks/restore/run.ts [--quick] [--out dir]
//
// The 100,000-item repository is built through the real engine (backup()) from an in-memory
// MailboxSource (lib/synthetic-source.ts): unique mock-generated item fields and text, plus a few
// real mock export streams — exporting 100,000 items over HTTP would take most of an hour here.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { backup, restore } from "@ewsvault/core";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { measuredBackup, summarise } from "../lib/backup-run.js";
import { BenchReport, MiB, parseBenchArgs, round } from "../lib/harness.js";
import {
  benchPassword,
  createBenchRepository,
  mockClient,
  openBenchRepository,
  scratchDirectory,
  treeBytes,
} from "../lib/setup.js";
import { syntheticMailbox } from "../lib/synthetic-source.js";

const args = parseBenchArgs();
const report = new BenchReport("restore", args);
const ITEMS = args.quick ? 60 : 500;
const LATENCY_MS = 30;
const BIG_ITEMS = args.quick ? 5_000 : 100_000;
const SINGLE_LIMIT_S = 2;

const work = await scratchDirectory("restore");
const server = await startMockEwsServer({
  seed: 6060,
  mailboxes: 2,
  itemsPerMailbox: ITEMS,
  latencyMs: LATENCY_MS,
});
try {
  const [owner, other] = server.mailboxes as [string, string];
  // (1) Back one mailbox up at 1 mailbox x 4 requests, restore it at the restore's default 4
  // requests in flight: the same concurrency both ways.
  const repoDir = join(work.dir, "whole", "repo");
  const password = benchPassword();
  await (await createBenchRepository(repoDir, password)).close();
  const backed = await measuredBackup({
    server,
    workDir: join(work.dir, "whole"),
    mailboxes: [owner],
    mailboxConcurrency: 1,
    itemConcurrency: 4,
    existing: { dir: repoDir, password },
  });
  const backupItemsPerSec = backed.items / backed.seconds;
  report.line(
    `backup of ${owner}: ${backed.items} items, ${(backed.bytesRead / MiB).toFixed(1)} MiB in ${backed.seconds.toFixed(2)} s = ${backupItemsPerSec.toFixed(1)} items/s (1 x 4 requests, ${LATENCY_MS} ms latency)`,
  );
  const repository = await openBenchRepository(repoDir, password);
  const client = mockClient(server, { maxConcurrency: 4 });
  let restoreSeconds: number;
  let restored: number;
  try {
    server.resetCounters();
    const t = performance.now();
    const result = await restore({
      repository,
      target: client,
      mailbox: owner,
      toMailbox: other,
      intoFolder: "Restored",
    });
    restoreSeconds = (performance.now() - t) / 1000;
    restored = result.restored;
    if (result.failed > 0 || restored !== backed.items)
      throw new Error(`restore: ${restored} restored, ${result.failed} failed of ${backed.items}`);
  } finally {
    await client.close();
    await repository.close();
  }
  const restoreItemsPerSec = restored / restoreSeconds;
  const counters = server.counters();
  report.line(
    `restore into ${other}: ${restored} items in ${restoreSeconds.toFixed(2)} s = ${restoreItemsPerSec.toFixed(1)} items/s (${counters.requests.UploadItems ?? 0} UploadItems, ${counters.totalRequests} requests)`,
  );
  const restoreRatio = restoreItemsPerSec / backupItemsPerSec;
  report.line(`whole-mailbox restore / backup items/s: ${restoreRatio.toFixed(2)} (no target; reported)`);

  // (2) The 100,000-item repository. A few real export streams of the owner's mailbox are
  // mixed in so the restored item is one the mock accepts.
  const exporter = mockClient(server);
  const realStreams: Uint8Array[] = [];
  try {
    const inboxItems = server.listItems(owner, "inbox").slice(0, 8);
    for await (const r of exporter.exportItems(
      owner,
      inboxItems.map((itemId) => ({ itemId })),
    )) {
      if (r.ok) realStreams.push(r.data);
    }
  } finally {
    await exporter.close();
  }
  const bigMailbox = "archive-100k@contoso.test";
  const synthetic = syntheticMailbox({ mailbox: bigMailbox, items: BIG_ITEMS, folders: 40, realStreams });
  const bigRepoDir = join(work.dir, "big", "repo");
  const bigPassword = benchPassword();
  const bigRepository = await createBenchRepository(bigRepoDir, bigPassword);
  const buildStarted = performance.now();
  let lastPrinted = 0;
  try {
    const built = await backup({
      repository: bigRepository,
      source: synthetic.source,
      mailboxes: [bigMailbox],
      indexDirectory: join(work.dir, "big", "index"),
      itemConcurrency: 8,
      exportBatchItems: 64,
      onEvent: (event) => {
        if (event.type === "progress" && !args.quick && event.progress.itemsDone - lastPrinted >= 20_000) {
          lastPrinted = event.progress.itemsDone;
          process.stdout.write(`  ${lastPrinted.toLocaleString("en-US")} items backed up\n`);
        }
      },
    });
    const { items, failed } = summarise(built);
    if (items !== BIG_ITEMS || failed > 0)
      throw new Error(`big repository: ${items} items, ${failed} failures`);
  } finally {
    await bigRepository.close();
  }
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  report.line(
    `built a ${BIG_ITEMS.toLocaleString("en-US")}-item repository (${((await treeBytes(bigRepoDir)) / MiB).toFixed(0)} MiB) through backup() from an in-memory source in ${buildSeconds.toFixed(0)} s`,
  );

  const itemId = synthetic.realItemIds[Math.floor(synthetic.realItemIds.length / 2)]!;
  const spawned = performance.now();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=source",
      fileURLToPath(new URL("./single-item.ts", import.meta.url)),
      JSON.stringify({
        url: server.url,
        username: server.credentials.username,
        repoDir: bigRepoDir,
        mailbox: bigMailbox,
        toMailbox: other,
        itemId,
        secondItemId: synthetic.realItemIds.find((id) => id !== itemId)!,
      }),
    ],
    {
      env: {
        ...process.env,
        BENCH_REPO_PASSWORD: bigPassword,
        BENCH_EWS_PASSWORD: server.credentials.password,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const processSeconds = (performance.now() - spawned) / 1000;
  if (code !== 0) throw new Error(`single-item restore exited with ${code}`);
  const single = JSON.parse(stdout.trim().split("\n").pop()!) as {
    restored: number;
    failed: number;
    openMs: number;
    restoreMs: number;
    totalMs: number;
    warmPlanMs: number;
    warmWalkMs: number;
    warmRestoreMs: number;
  };
  if (single.restored !== 1) throw new Error(`single-item restore restored ${single.restored} items`);
  const singleSeconds = single.totalMs / 1000;
  report.line(
    `single item of ${BIG_ITEMS.toLocaleString("en-US")}, cold: open ${single.openMs.toFixed(0)} ms + restore ${single.restoreMs.toFixed(0)} ms = ${single.totalMs.toFixed(0)} ms; whole process incl. node/tsx start ${processSeconds.toFixed(2)} s`,
  );
  report.line(
    `same process, warm: planRestore for one id (item index: one bucket, the folder trees, one item page) ${single.warmPlanMs.toFixed(0)} ms; a second single-item restore ${single.warmRestoreMs.toFixed(0)} ms`,
  );
  report.line(
    `same process, warm: the walk over every item page that snapshots without an item index need ${single.warmWalkMs.toFixed(0)} ms`,
  );
  report.check("single-item restore, cold (open + restore)", singleSeconds, "<=", SINGLE_LIMIT_S, "s");
  report.finish(
    {
      backupItemsPerSec: round(backupItemsPerSec, 1),
      restoreItemsPerSec: round(restoreItemsPerSec, 1),
      restoreRatio: round(restoreRatio),
      repositoryItems: BIG_ITEMS,
      singleItemSeconds: round(singleSeconds),
      singleItemProcessSeconds: round(processSeconds),
    },
    [
      {
        title: "whole mailbox, items per second (4 requests in flight)",
        bars: [
          { label: "backup", value: backupItemsPerSec, unit: "items/s" },
          { label: "restore", value: restoreItemsPerSec, unit: "items/s" },
        ],
      },
      {
        title: `single item from ${BIG_ITEMS.toLocaleString("en-US")} items, cold (s)`,
        bars: [
          {
            label: "open + restore",
            value: singleSeconds,
            unit: "s",
            target: SINGLE_LIMIT_S,
            pass: singleSeconds <= SINGLE_LIMIT_S,
          },
          { label: "whole new process", value: processSeconds, unit: "s" },
        ],
      },
    ],
    {
      itemsPerMailbox: ITEMS,
      latencyMs: LATENCY_MS,
      backupSeconds: round(backed.seconds),
      restoreSeconds: round(restoreSeconds),
      buildSeconds: round(buildSeconds),
      openMs: Math.round(single.openMs),
      restoreMs: Math.round(single.restoreMs),
      warmPlanMs: Math.round(single.warmPlanMs),
      warmWalkMs: Math.round(single.warmWalkMs),
      warmRestoreMs: Math.round(single.warmRestoreMs),
    },
  );
} finally {
  await server.stop();
  await work.remove();
}
