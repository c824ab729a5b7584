// Diagnostic, not a benchmark: where a no-change rerun's wall time goes. One full run of the
// incremental scenario (8 x 500, 30 ms), then three reruns with no change; the first rerun
// times every repository, index and source call it makes (sum, mean and max per call).
//
//   tsx --conditions=source benchmarks/incremental/diag.ts
import { join } from "node:path";
import { backup, MailboxIndex } from "@ewsvault/core";
import { startMockProcess } from "../lib/mock-process.js";
import {
  benchPassword,
  createBenchRepository,
  mockClient,
  openBenchRepository,
  scratchDirectory,
} from "../lib/setup.js";

const work = await scratchDirectory("diag");
const server = await startMockProcess({ seed: 31337, mailboxes: 8, itemsPerMailbox: 500, latencyMs: 30 });
const repoDir = join(work.dir, "repo");
const password = benchPassword();
await (await createBenchRepository(repoDir, password)).close();
const timings = new Map<string, number[]>();
const wrap = <T extends object>(target: T, name: string, label: string) => {
  const original = (target as Record<string, (...a: unknown[]) => unknown>)[name]!.bind(target);
  (target as Record<string, unknown>)[name] = async (...args: unknown[]) => {
    const t = performance.now();
    try {
      return await original(...args);
    } finally {
      const list = timings.get(label) ?? [];
      list.push(performance.now() - t);
      timings.set(label, list);
    }
  };
};
for (let round = 0; round < 4; round++) {
  const repository = await openBenchRepository(repoDir, password);
  const client = mockClient(server, { maxConcurrency: 16 });
  timings.clear();
  if (round === 1) {
    for (const m of ["lockMailbox", "saveSnapshot", "findSnapshot"]) wrap(repository, m, m);
    const startWriter = repository.startWriter.bind(repository);
    (repository as { startWriter: unknown }).startWriter = async (o: unknown) => {
      const t = performance.now();
      const w = await startWriter(o as never);
      const l = timings.get("startWriter") ?? [];
      l.push(performance.now() - t);
      timings.set("startWriter", l);
      for (const m of ["saveTree", "checkpoint", "close"]) wrap(w, m, `writer.${m}`);
      return w;
    };
    const open = MailboxIndex.open.bind(MailboxIndex);
    (MailboxIndex as { open: unknown }).open = async (d: string, m: string, k: Uint8Array) => {
      const t = performance.now();
      const index = await open(d, m, k);
      const l = timings.get("index.open") ?? [];
      l.push(performance.now() - t);
      timings.set("index.open", l);
      for (const k of ["close", "listFolders"]) wrap(index, k, `index.${k}`);
      return index;
    };
    for (const m of ["getMailboxInfo", "syncFolderHierarchy", "probeFolders", "syncFolderItems"])
      wrap(client, m, m);
  }
  const events: string[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await backup({
    repository,
    source: client,
    mailboxes: server.mailboxes,
    indexDirectory: join(work.dir, "index"),
    mailboxConcurrency: 4,
    itemConcurrency: 4,
    onEvent: (e) => {
      if (e.type === "mailbox-start" || e.type === "mailbox-done")
        events.push(`${(performance.now() - t0).toFixed(0)} ${e.type}`);
    },
  });
  const total = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `round ${round}: ${total.toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, synced ${report.mailboxes.map((m) => m.foldersSynced).join(",")}, per-mailbox ${report.mailboxes.map((m) => m.durationMs).join(",")}`,
  );
  if (round === 1) {
    for (const [k, v] of timings)
      console.log(
        `  ${k}: n=${v.length} sum ${v.reduce((a, b) => a + b, 0).toFixed(0)} mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)} ms max ${Math.max(...v).toFixed(1)}`,
      );
    console.log("  " + events.join(" | "));
  }
  await client.close();
  await repository.close();
}
await server.stop();
await work.remove();
