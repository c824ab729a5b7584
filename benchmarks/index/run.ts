// pnpm bench:index — one mailbox index (LevelDB) holding 1,000,000 items: batch commits per
// second while it fills (1,000 items per commit, as the engine's checkpoints do) and random
// getItem lookups per second once it is full.
//
//   tsx --conditions=source benchmarks/index/run.ts [--quick] [--out dir]
import { randomBytes } from "node:crypto";
import { type IndexedItem, MailboxIndex, randomKey } from "@ewsvault/core";
import { BenchReport, parseBenchArgs, round } from "../lib/harness.js";
import { scratchDirectory, treeBytes } from "../lib/setup.js";

const args = parseBenchArgs();
const report = new BenchReport("index", args);
const ITEMS = args.quick ? 20_000 : 1_000_000;
const BATCH = 1_000;
const FOLDERS = 50;
const LOOKUPS = args.quick ? 5_000 : 100_000;

// EWS-like ids: base64 of 40 random bytes; folder ids likewise.
const folderIds = Array.from({ length: FOLDERS }, () => randomBytes(40).toString("base64"));
const itemIdOf = (n: number) => `AAMk${n.toString(36).padStart(8, "0")}${"Q".repeat(100)}=`;

function item(n: number): IndexedItem {
  const folderId = folderIds[n % FOLDERS]!;
  return {
    itemId: itemIdOf(n),
    changeKey: `CQAAABYAAA${n.toString(36)}`,
    folderId,
    parentFolderId: folderId,
    itemClass: "IPM.Note",
    subject: `Quarterly review ${n} — action items and follow-ups`,
    from: "Adele Vance <adele.vance@contoso.test>",
    to: ["Megan Bowen <megan.bowen@contoso.test>"],
    receivedAt: new Date(1_700_000_000_000 + n * 60_000).toISOString(),
    size: 20_000 + (n % 50_000),
    hasAttachments: n % 7 === 0,
    isRead: n % 3 !== 0,
    internetMessageId: `<${n}.bench@contoso.test>`,
    searchKey: Buffer.from(n.toString(16).padStart(32, "0"), "hex").toString("base64"),
    blobIds: [randomBytes(32).toString("hex")],
    dataSize: 20_000 + (n % 50_000),
  };
}

const work = await scratchDirectory("index");
try {
  const index = await MailboxIndex.open(work.dir, "bench@contoso.test", randomKey());
  let commitSeconds = 0;
  const started = performance.now();
  for (let n = 0; n < ITEMS; n += BATCH) {
    const batch = index.batch();
    for (let i = n; i < Math.min(ITEMS, n + BATCH); i++) batch.putItem(item(i));
    const t = performance.now();
    await batch.commit();
    commitSeconds += (performance.now() - t) / 1000;
    if (!args.quick && n % 200_000 === 0 && n > 0)
      process.stdout.write(`  ${n.toLocaleString("en-US")} items committed\n`);
  }
  const fillSeconds = (performance.now() - started) / 1000;
  const commits = Math.ceil(ITEMS / BATCH);
  const commitsPerSec = commits / commitSeconds;
  report.line(
    `filled ${ITEMS.toLocaleString("en-US")} items in ${commits} commits of ${BATCH}: ${fillSeconds.toFixed(1)} s wall, ${commitSeconds.toFixed(1)} s in commit()`,
  );

  // Random lookups of present items, 16 at a time as the engine's workers would ask.
  let found = 0;
  const t = performance.now();
  for (let i = 0; i < LOOKUPS; i += 16) {
    const hits = await Promise.all(
      Array.from({ length: 16 }, () => {
        const n = Math.floor(Math.random() * ITEMS);
        return index.getItem(folderIds[n % FOLDERS]!, itemIdOf(n));
      }),
    );
    found += hits.filter((h) => h !== undefined).length;
  }
  const lookupSeconds = (performance.now() - t) / 1000;
  const lookups = Math.ceil(LOOKUPS / 16) * 16;
  if (found !== lookups) throw new Error(`only ${found} of ${lookups} lookups found their item`);
  const lookupsPerSec = lookups / lookupSeconds;
  await index.close();
  const diskBytes = await treeBytes(work.dir);
  report.line(
    `index on disk: ${(diskBytes / 1024 / 1024).toFixed(1)} MiB (${(diskBytes / ITEMS).toFixed(0)} bytes/item)`,
  );
  report.line(`commits: ${commitsPerSec.toFixed(1)}/s = ${(commitsPerSec * BATCH).toFixed(0)} items/s`);
  report.line(`lookups: ${lookupsPerSec.toFixed(0)}/s (${lookups} random getItem, all found)`);
  report.finish(
    {
      items: ITEMS,
      batchItems: BATCH,
      commitsPerSec: round(commitsPerSec, 1),
      itemsPerSecCommitted: Math.round(commitsPerSec * BATCH),
      lookupsPerSec: Math.round(lookupsPerSec),
      diskBytes,
    },
    [
      {
        title: "batch commits of 1,000 items per second",
        bars: [{ label: "commits/s", value: commitsPerSec }],
      },
      { title: "random getItem lookups per second", bars: [{ label: "lookups/s", value: lookupsPerSec }] },
    ],
    {
      fillSeconds: round(fillSeconds),
      commitSeconds: round(commitSeconds),
      lookupSeconds: round(lookupSeconds),
    },
  );
} finally {
  await work.remove();
}
