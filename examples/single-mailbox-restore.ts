// Example: back up one mailbox and restore it into an empty folder of the same mailbox, using
// only the public library API. Runs against the embedded mock EWS server:
//   pnpm exec tsx --conditions=source examples/single-mailbox-restore.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backup, initRepository, restore } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";

const server = await startMockEwsServer({ seed: 3, mailboxes: 1, itemsPerMailbox: 40 });
const work = await mkdtemp(join(tmpdir(), "ewsvault-example-"));
const ews = createEwsClient({
  url: server.url,
  allowInsecureAuth: true,
  auth: { kind: "basic", ...server.credentials },
});
const destination = createFsDestination({ root: join(work, "repository") });
const repository = await initRepository({ destination, password: "example password" });
const mailbox = server.mailboxes[0]!;
try {
  const backedUp = await backup({
    repository,
    source: ews,
    mailboxes: [mailbox],
    indexDirectory: join(work, "index"),
  });
  const report = backedUp.mailboxes[0]!;
  console.log(
    `backed up ${report.items} items of ${mailbox}: ${report.status}, snapshot ${report.snapshotId}`,
  );

  const restored = await restore({
    repository,
    target: ews,
    mailbox,
    snapshot: "latest",
    intoFolder: "Restored example",
    onEvent: (event) => {
      if (event.type === "item" && event.done % 10 === 0)
        console.log(`  ${event.done}/${event.total} restored`);
    },
  });
  console.log(
    `restored ${restored.restored} items, ${restored.failed} failed, ${restored.foldersCreated} folders created`,
  );
  if (restored.failed > 0 || restored.restored !== report.items) process.exitCode = 1;
} finally {
  await repository.close();
  await ews.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
