// Example: embedding the engine in another product. The product owns its UI; ewsvault feeds it
// progress events and a structured report, and honours cancellation through an AbortSignal.
//   pnpm exec tsx --conditions=source examples/embed-engine.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BackupEvent, backup, initRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";

/** Stand-in for the host product's UI model: one row per mailbox. */
class ProductDashboard {
  readonly rows = new Map<string, string>();
  update(event: BackupEvent): void {
    switch (event.type) {
      case "mailbox-start":
        this.rows.set(event.mailbox, "starting");
        break;
      case "progress": {
        const p = event.progress;
        this.rows.set(
          p.mailbox,
          `${p.itemsDone}/${p.itemsTotal} items, ${(p.bytesRead / 1048576).toFixed(1)} MiB`,
        );
        break;
      }
      case "item-failed":
        console.log(
          `[alert] ${event.mailbox}: ${event.failure.folderPath} ${event.failure.code} ${event.failure.reason}`,
        );
        break;
      case "mailbox-done":
        this.rows.set(event.report.mailbox, `${event.report.status} (${event.report.items} items)`);
        break;
      default:
        break;
    }
  }
}

const server = await startMockEwsServer({
  seed: 9,
  mailboxes: 3,
  itemsPerMailbox: 30,
  latencyMs: 5,
  faults: [{ kind: "corruptData", nth: [7] }],
});
const work = await mkdtemp(join(tmpdir(), "ewsvault-example-"));
const ews = createEwsClient({
  url: server.url,
  allowInsecureAuth: true,
  auth: { kind: "basic", ...server.credentials },
});
const repository = await initRepository({
  destination: createFsDestination({ root: join(work, "repo") }),
  password: "pw",
});
const dashboard = new ProductDashboard();
const cancel = new AbortController(); // wire this to the product's "Stop" button
try {
  const report = await backup({
    repository,
    source: ews,
    mailboxes: server.mailboxes,
    indexDirectory: join(work, "index"),
    mailboxConcurrency: 2,
    itemConcurrency: 4,
    signal: cancel.signal,
    onEvent: (event) => dashboard.update(event),
  });
  for (const [mailbox, row] of dashboard.rows) console.log(`${mailbox.padEnd(34)} ${row}`);
  const warnings = report.mailboxes.flatMap((m) => m.failedItems);
  console.log(
    `${report.mailboxes.length} mailboxes in ${report.durationMs} ms; ${warnings.length} item(s) reported`,
  );
  if (report.mailboxes.some((m) => m.status === "failed")) process.exitCode = 1;
} finally {
  await repository.close();
  await ews.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
