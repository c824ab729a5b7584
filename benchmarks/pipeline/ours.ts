// Our side of the benchmark, run in its own process so its peak RSS is its own: reads the corpus
// files, pushes them through chunk -> keyed hash -> dedupe -> compress -> encrypt -> pack into an
// fs repository with the engine's concurrency (4 mailboxes x 4 export batches of up to 16 items
// or 16 MiB, a batch's items stored concurrently), then writes one tree and snapshot per mailbox.
// Prints one JSON line.
import { readFile as readFileCallback } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { initRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import type { CorpusFile } from "./corpus.js";

const { repoDir, listFile, workers } = JSON.parse(process.argv[2] ?? "{}") as {
  repoDir: string;
  listFile: string;
  workers?: number;
};
// The callback readFile reads a regular file in one call; the promise version loops over 512 KiB
// reads with an await each, which costs the main thread more than the pipeline itself on small items.
const readWhole = promisify(readFileCallback);
const REQUESTS_PER_MAILBOX = 4;
const BATCH_ITEMS = 16;
const BATCH_BYTES = 16 * 1024 * 1024;
const files = JSON.parse(await readFile(listFile, "utf8")) as CorpusFile[];
// Timed from before the repository is created with the default key derivation, as restic's
// timed `backup` opens its repository (key derivation, index) before it reads a file.
const started = performance.now();
const cpuAtStart = process.cpuUsage();
const repo = await initRepository({
  destination: createFsDestination({ root: repoDir }),
  password: process.env.EWSVAULT_BENCH_PASSWORD ?? "bench",
  ...(workers === undefined ? {} : { workers }),
});
const writer = await repo.startWriter();
const byMailbox = new Map<string, CorpusFile[]>();
for (const f of files) byMailbox.set(f.mailbox, [...(byMailbox.get(f.mailbox) ?? []), f]);
let bytes = 0;
await Promise.all(
  [...byMailbox].map(async ([mailbox, list]) => {
    const items: { n: number; content: string[] }[] = [];
    let next = 0;
    // Like the engine: 4 requests in flight per mailbox, each an export batch of up to 16 items
    // or 16 MiB whose items are stored concurrently once the batch has arrived.
    await Promise.all(
      Array.from({ length: REQUESTS_PER_MAILBOX }, async () => {
        while (next < list.length) {
          const batch: number[] = [];
          let batchBytes = 0;
          while (next < list.length && batch.length < BATCH_ITEMS && batchBytes < BATCH_BYTES) {
            batchBytes += list[next]!.size;
            batch.push(next++);
          }
          const payloads = await Promise.all(batch.map((n) => readWhole(list[n]!.path)));
          await Promise.all(
            batch.map(async (n, i) => {
              const file = payloads[i]!;
              const data = new Uint8Array(file.buffer, file.byteOffset, file.length);
              const saved = await writer.saveData(data, { transfer: true });
              bytes += saved.size;
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
const seconds = (performance.now() - started) / 1000;
await repo.close();
const cpu = process.cpuUsage(cpuAtStart);
process.stdout.write(
  `${JSON.stringify({ bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
