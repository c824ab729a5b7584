// Example: find one item by subject in the latest snapshot and restore only that item into
// another mailbox — the help-desk case ("please bring back that one message").
//   pnpm exec tsx --conditions=source examples/restore-one-item.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  backup,
  initRepository,
  loadSnapshotItems,
  resolveSnapshot,
  restore,
  walkSnapshotFolders,
} from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";

const server = await startMockEwsServer({ seed: 5, mailboxes: 2, itemsPerMailbox: 30 });
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
const [owner, helpdesk] = server.mailboxes as [string, string];
try {
  await backup({ repository, source: ews, mailboxes: [owner], indexDirectory: join(work, "index") });

  // Browse the snapshot without touching the server: folders and item metadata live in trees.
  const snapshot = await resolveSnapshot(repository, owner, "latest");
  let wanted: { itemId: string; subject?: string; folder: string } | undefined;
  for await (const folder of walkSnapshotFolders(repository, snapshot.tree)) {
    const item = (await loadSnapshotItems(repository, folder.tree)).find((i) => i.itemClass === "IPM.Note");
    if (item) {
      wanted = {
        itemId: item.itemId,
        ...(item.subject ? { subject: item.subject } : {}),
        folder: folder.path.join("/"),
      };
      break;
    }
  }
  if (!wanted) throw new Error("no mail item in the snapshot");
  console.log(`restoring "${wanted.subject}" from ${owner}/${wanted.folder} into ${helpdesk}`);

  const report = await restore({
    repository,
    target: ews,
    mailbox: owner,
    toMailbox: helpdesk,
    itemIds: [wanted.itemId],
    intoFolder: `Restored for ${owner}`,
  });
  const [item] = report.items;
  console.log(`${item?.status}: new item id ${item?.targetItemId}`);
  if (report.restored !== 1) process.exitCode = 1;
} finally {
  await repository.close();
  await ews.close();
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
