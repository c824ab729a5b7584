// pnpm bench:ews-path — what the EWS path (HTTP, SOAP/XML parsing, base64, the mailbox index,
// trees) costs on top of the repository pipeline, in CPU per MiB: the same items backed up
// through the full engine + client against the mock, and pushed straight through the
// repository pipeline (chunk, hash, dedupe, compress, encrypt, pack), in one run.
//
//   tsx --conditions=source benchmarks/ews-path/run.ts [--quick] [--out dir]
//
// The mock runs in its own process, so its CPU (generating and encoding items) is measured
// apart and is not in the EWS figure. Each set is first backed up once unmeasured, capturing
// the exported bytes (lib/tee-source.ts; it also warms the JIT), then once more unmeasured (the
// mock now serves from its caches); the measured backup then runs into a fresh repository, and
// the captured bytes go through a fresh repository's writer the way the engine stores them (4 mailboxes x 4 batches of 16 items in flight, transfer, a tree and snapshot).
// The small items' captured bytes are also backed up by restic as files (one per item), and its
// CPU per file is printed next to ours (restic-cpu.ts: its CPU, not wall time; restic's fixed
// start-up cost per run is measured apart and left out of the per-file figure).

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { measuredBackup } from "../lib/backup-run.js";
import { BenchReport, KiB, MiB, parseBenchArgs, round } from "../lib/harness.js";
import { startMockProcess } from "../lib/mock-process.js";
import { benchPassword, createBenchRepository, scratchDirectory } from "../lib/setup.js";
import { teeSource } from "../lib/tee-source.js";
import { type ResticCpu, resticBackupCpu } from "./restic-cpu.js";

const args = parseBenchArgs();
const report = new BenchReport("ews-path", args);
const MAILBOXES = Number(args.option("--mailboxes") ?? (args.quick ? 2 : 4));
const ITEMS = Number(args.option("--items") ?? (args.quick ? 60 : 250));
const SMALL_ITEMS = Number(args.option("--small-items") ?? (args.quick ? 200 : 1000));
const CONCURRENCY = { mailboxes: 4, items: 4 };
const TARGET_RATIO = 1.25;
const MOCK_EXPORT_CACHE_BYTES = 512 * MiB;
// Every item of the set rendered in the sync views of a backup (a few hundred bytes each).
const MOCK_RENDER_CACHE_BYTES = 64 * MiB;
/** The per-item target: a third of the 0.65 ms CPU per 16 KiB item measured before. */
const TARGET_SMALL_ITEM_MS = 0.65 / 3;
/** The mock may spend at most this share of the engine's CPU per item. */
const TARGET_MOCK_SHARE = 1 / 3;

interface SetResult {
  readonly items: number;
  readonly mib: number;
  readonly ewsCpuMs: number;
  readonly pipelineCpuMs: number;
  readonly mockCpuMs: number;
  readonly restic?: ResticCpu;
}

/** The streams teeSource wrote under `dir`, per mailbox (one folder each). */
async function capturedStreams(dir: string): Promise<Map<string, Uint8Array[]>> {
  const captured = new Map<string, Uint8Array[]>();
  for (const mailbox of await readdir(dir)) {
    const files = await readdir(join(dir, mailbox));
    const buffers = await Promise.all(files.map((f) => readFile(join(dir, mailbox, f))));
    captured.set(
      mailbox,
      buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.length)),
    );
  }
  return captured;
}

/** The captured streams through a fresh repository the way the engine stores them; CPU ms. */
async function pipelineCpuMs(dir: string, captured: Map<string, Uint8Array[]>): Promise<number> {
  const repo = await createBenchRepository(dir, benchPassword());
  // Handed over as the engine hands over exported items: whole buffers, moved to the workers.
  const streams = [...captured].map(([mailbox, list]) => ({ mailbox, list }));
  const cpuBefore = process.cpuUsage();
  const writer = await repo.startWriter();
  await Promise.all(
    streams.map(async ({ mailbox, list }) => {
      const items: { n: number; content: readonly string[] }[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY.items }, async () => {
          while (next < list.length) {
            const batch = list.slice(next, next + 16).map((data, i) => ({ data, n: next + i }));
            next += batch.length;
            await Promise.all(
              batch.map(async ({ data, n }) => {
                const saved = await writer.saveData(data, { transfer: true });
                items[n] = { n, content: saved.blobIds };
              }),
            );
          }
        }),
      );
      const tree = await writer.saveTree({ mailbox, items });
      await writer.checkpoint();
      await repo.saveSnapshot({ mailbox, time: new Date(), tree });
    }),
  );
  await writer.close();
  const cpu = process.cpuUsage(cpuBefore);
  await repo.close();
  return (cpu.user + cpu.system) / 1000;
}

async function measureSet(
  label: string,
  generator: Parameters<typeof startMockProcess>[1],
  withRestic = false,
): Promise<SetResult> {
  const work = await scratchDirectory(`ews-path-${label}`);
  // The mock keeps every item's encoded export between the capture run and the measured one
  // (the mixed set's base64 is ~120 MiB, over its default cache): the measured run's mock CPU is
  // then serving items, not generating them again.
  const server = await startMockProcess(
    { latencyMs: 0, exportCacheBytes: MOCK_EXPORT_CACHE_BYTES, renderCacheBytes: MOCK_RENDER_CACHE_BYTES },
    generator,
  );
  try {
    const streamsDir = join(work.dir, "streams");
    const backupOptions = {
      server,
      mailboxes: server.mailboxes,
      mailboxConcurrency: CONCURRENCY.mailboxes,
      itemConcurrency: CONCURRENCY.items,
      // Items only: the pipeline and restic get the captured item streams, so the mailbox's
      // settings documents (read by GetInboxRules & co., not by ExportItems) stay out of both.
      engine: { settings: false },
    };
    await measuredBackup({
      ...backupOptions,
      workDir: join(work.dir, "capture"),
      wrapSource: (source) => teeSource(source, streamsDir),
    });
    const captured = await capturedStreams(streamsDir);
    // One more unmeasured run: the capture run made the mock generate and encode every item, so
    // its serving-from-cache code (and the engine's code on a warm mock) only now runs for the
    // first time. The measured run then sees both processes in their steady state.
    await measuredBackup({ ...backupOptions, workDir: join(work.dir, "steady") });
    const ews = await measuredBackup({ ...backupOptions, workDir: join(work.dir, "ews") });
    const capturedBytes = [...captured.values()].flat().reduce((sum, d) => sum + d.byteLength, 0);
    const pipelineMs = await pipelineCpuMs(join(work.dir, "pipeline"), captured);
    const restic = withRestic ? await resticBackupCpu(streamsDir, join(work.dir, "restic")) : undefined;
    if (capturedBytes !== ews.bytesRead) {
      throw new Error(`the two runs saw different bytes: ${capturedBytes} vs ${ews.bytesRead}`);
    }
    return {
      items: ews.items,
      mib: ews.bytesRead / MiB,
      ewsCpuMs: ews.cpuSeconds * 1000,
      pipelineCpuMs: pipelineMs,
      mockCpuMs: (ews.mockCpuSeconds ?? Number.NaN) * 1000,
      ...(restic === undefined ? {} : { restic }),
    };
  } finally {
    await server.stop();
    await work.remove();
  }
}

const SEED = 1717;
report.line(
  `mock in its own process, no latency; engine ${CONCURRENCY.mailboxes} mailboxes x ${CONCURRENCY.items} requests`,
);
const mixed = await measureSet("mixed", {
  seed: SEED,
  mailboxes: MAILBOXES,
  itemsPerMailbox: ITEMS,
  maxItemBytes: 4 * MiB,
});
const small = await measureSet(
  "small",
  { seed: SEED + 1, mailboxes: MAILBOXES, itemsPerMailbox: SMALL_ITEMS, maxItemBytes: 16 * KiB },
  true,
);

const ewsMsPerMiB = mixed.ewsCpuMs / mixed.mib;
const pipelineMsPerMiB = mixed.pipelineCpuMs / mixed.mib;
const overheadRatio = ewsMsPerMiB / pipelineMsPerMiB;
const smallEwsMsPerItem = small.ewsCpuMs / small.items;
const smallPipelineMsPerItem = small.pipelineCpuMs / small.items;
const restic = small.restic!;
const resticMsPerFile = ((restic.backupCpuSeconds - restic.fixedCpuSeconds) * 1000) / small.items;
const resticRatio = smallEwsMsPerItem / resticMsPerFile;
const smallMockMsPerItem = small.mockCpuMs / small.items;
report.line(
  `mixed items: ${mixed.items} items, ${mixed.mib.toFixed(1)} MiB (${((mixed.mib * 1024) / mixed.items).toFixed(1)} KiB each); EWS path ${ewsMsPerMiB.toFixed(2)} CPU ms/MiB (${(mixed.ewsCpuMs / mixed.items).toFixed(3)} ms/item), pipeline alone ${pipelineMsPerMiB.toFixed(2)} CPU ms/MiB; mock ${(mixed.mockCpuMs / mixed.items).toFixed(3)} CPU ms/item`,
);
report.line(
  `items <= 16 KiB: ${small.items} items, ${small.mib.toFixed(1)} MiB; EWS path ${smallEwsMsPerItem.toFixed(3)} CPU ms/item (${(small.ewsCpuMs / small.mib).toFixed(2)} ms/MiB), pipeline alone ${smallPipelineMsPerItem.toFixed(3)} CPU ms/item; mock ${(small.mockCpuMs / small.items).toFixed(3)} CPU ms/item`,
);
report.line(
  `restic (${restic.version}) on the same items <= 16 KiB as files: ${resticMsPerFile.toFixed(3)} CPU ms/file (${(restic.backupCpuSeconds * 1000).toFixed(0)} ms CPU for the backup, of which ${(restic.fixedCpuSeconds * 1000).toFixed(0)} ms its fixed start-up, left out); EWS path / restic ${resticRatio.toFixed(2)}`,
);
report.check("overheadRatio (EWS path / pipeline, CPU per MiB)", round(overheadRatio), "<=", TARGET_RATIO);
report.check(
  "EWS path CPU ms per item <= 16 KiB",
  round(smallEwsMsPerItem),
  "<=",
  round(TARGET_SMALL_ITEM_MS),
);
report.check(
  "resticRatio (EWS path CPU per item / restic CPU per file, <= 16 KiB)",
  round(resticRatio),
  "<=",
  1,
);
report.check(
  "mock CPU per item <= 16 KiB / EWS path CPU per item",
  round(smallMockMsPerItem / smallEwsMsPerItem),
  "<=",
  round(TARGET_MOCK_SHARE),
);
const figures = {
  ewsCpuMsPerMiB: round(ewsMsPerMiB, 2),
  pipelineCpuMsPerMiB: round(pipelineMsPerMiB, 2),
  overheadRatio: round(overheadRatio),
  ewsCpuMsPerItem: round(mixed.ewsCpuMs / mixed.items),
  small16KiBEwsCpuMsPerItem: round(smallEwsMsPerItem),
  small16KiBPipelineCpuMsPerItem: round(smallPipelineMsPerItem),
  mockCpuMsPerItem: round(mixed.mockCpuMs / mixed.items),
  mockCpuMsPerSmallItem: round(smallMockMsPerItem),
  items: mixed.items,
  mib: round(mixed.mib, 1),
  smallItems: small.items,
  resticCpuMsPerSmallFile: round(resticMsPerFile),
  resticFixedCpuMs: round(restic.fixedCpuSeconds * 1000, 1),
  resticRatio: round(resticRatio),
  mockShareOfSmallItem: round(smallMockMsPerItem / smallEwsMsPerItem),
};
report.finish(
  figures,
  [
    {
      title: "CPU ms per MiB",
      bars: [
        { label: "EWS path", value: round(ewsMsPerMiB, 2) },
        { label: "pipeline", value: round(pipelineMsPerMiB, 2) },
      ],
    },
    {
      title: "CPU ms per item <= 16 KiB",
      bars: [
        { label: "EWS path", value: round(smallEwsMsPerItem) },
        { label: "pipeline", value: round(smallPipelineMsPerItem) },
        { label: "restic (per file)", value: round(resticMsPerFile) },
        { label: "mock", value: round(smallMockMsPerItem) },
      ],
    },
  ],
  { mixed, small },
);
