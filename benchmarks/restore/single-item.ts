// The measured process of bench:restore's single-item case: a new process with no cache
// directory opens the repository, finds one item among all the mailbox's items in the latest
// snapshot (through the snapshot's item index), and restores it through the EWS client into the
// mock. Prints one JSON line.

import { openRepository, planRestore, resolveSnapshot, restore } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";

const config = JSON.parse(process.argv[2]!) as {
  url: string;
  username: string;
  repoDir: string;
  mailbox: string;
  toMailbox: string;
  itemId: string;
  /** Another item, restored afterwards in the same (now warm) process to split the cold cost. */
  secondItemId: string;
};
const started = performance.now();
const repository = await openRepository({
  destination: createFsDestination({ root: config.repoDir }),
  password: process.env.BENCH_REPO_PASSWORD!,
});
const opened = performance.now();
const client = createEwsClient({
  url: config.url,
  allowInsecureAuth: true,
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
// Warm figures: the same work again in this process, to tell what the first restore spent on
// reading the repository (trees, index) from what it spent on EWS round trips.
const snapshot = await resolveSnapshot(repository, config.mailbox, "latest");
const planStarted = performance.now();
const plan = await planRestore(repository, snapshot, { itemIds: [config.secondItemId] });
const planMs = performance.now() - planStarted;
// What a snapshot without the item index costs: the walk over every folder's item pages (a
// search that matches nothing reads exactly what the old by-id plan read).
const walkStarted = performance.now();
const walked = await planRestore(repository, snapshot, { search: { subject: "\u0000matches nothing" } });
const walkMs = performance.now() - walkStarted;
if (walked.items !== 0) throw new Error("the walk matched items");
const warmStarted = performance.now();
const second = await restore({
  repository,
  target: client,
  mailbox: config.mailbox,
  toMailbox: config.toMailbox,
  itemIds: [config.secondItemId],
  intoFolder: "Restored single item",
});
const warmRestoreMs = performance.now() - warmStarted;
if (second.restored !== 1 || plan === undefined) throw new Error("the warm restore did not restore its item");
await client.close();
await repository.close();
process.stdout.write(
  `${JSON.stringify({ restored: report.restored, failed: report.failed, openMs: opened - started, restoreMs: done - opened, totalMs: done - started, warmPlanMs: planMs, warmWalkMs: walkMs, warmRestoreMs })}\n`,
);
