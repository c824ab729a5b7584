// Our side of the benchmark, run in its own process so its peak RSS is its own: reads the corpus
// files, pushes them through chunk -> keyed hash -> dedupe -> compress -> encrypt -> pack into an
// fs repository with the engine's concurrency (4 mailboxes x 4 items), then writes one tree and
// snapshot per mailbox. Prints one JSON line.
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
const files = JSON.parse(await readFile(listFile, "utf8")) as CorpusFile[];
const repo = await initRepository({
  destination: createFsDestination({ root: repoDir }),
  password: process.env.EWSVAULT_BENCH_PASSWORD ?? "bench",
  kdf: { N: 2 ** 14, r: 8, p: 1 },
  ...(workers === undefined ? {} : { workers }),
});
const started = performance.now();
const writer = await repo.startWriter();
const byMailbox = new Map<string, CorpusFile[]>();
for (const f of files) byMailbox.set(f.mailbox, [...(byMailbox.get(f.mailbox) ?? []), f]);
let bytes = 0;
await Promise.all(
  [...byMailbox].map(async ([mailbox, list]) => {
    const items: { n: number; content: string[] }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < list.length) {
          const n = next++;
          const data = new Uint8Array(await readWhole(list[n]!.path));
          const saved = await writer.saveData(data);
          bytes += data.length;
          items[n] = { n, content: saved.blobIds };
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
process.stdout.write(
  `${JSON.stringify({ bytes, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6 })}\n`,
);
