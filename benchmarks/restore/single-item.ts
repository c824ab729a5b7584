// The measured process of bench:restore's single-item case: a new process with no cache
// directory opens the repository, finds one item among all the mailbox's items in the latest
// snapshot, and restores it through the EWS client into the mock. Prints one JSON line.
import { restore } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";
import { openRepository } from "@ewsvault/core";

const config = JSON.parse(process.argv[2]!) as {
  url: string;
  username: string;
  repoDir: string;
  mailbox: string;
  toMailbox: string;
  itemId: string;
};
const started = performance.now();
const repository = await openRepository({
  destination: createFsDestination({ root: config.repoDir }),
  password: process.env.BENCH_REPO_PASSWORD!,
});
const opened = performance.now();
const client = createEwsClient({
  url: config.url,
  auth: { kind: "basic", username: config.username, password: process.env.BENCH_EWS_PASSWORD! },
});
const report = await restore({
  repository,
  target: client,
  mailbox: config.mailbox,
  toMailbox: config.toMailbox,
  itemIds: [config.itemId],
  intoFolder: "Restored single item",
});
const done = performance.now();
await client.close();
await repository.close();
process.stdout.write(
  `${JSON.stringify({ restored: report.restored, failed: report.failed, openMs: opened - started, restoreMs: done - opened, totalMs: done - started })}\n`,
);
