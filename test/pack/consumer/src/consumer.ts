// A program outside the workspace, built against the packed and installed @ewsvault/* tarballs:
// it starts the mock EWS server, backs one mailbox up into a filesystem repository, restores it
// into another mailbox and compares every restored item with its original, property by property.
// It prints one JSON line (PackConsumerResult) and exits 0; pack.test.ts asserts the numbers.
// Usage: node dist/consumer.js WORK_DIR (an empty directory the caller removes afterwards).
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type BackupEvent, backup, initRepository, openRepository, restore } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, type MockItemData, startMockEwsServer } from "@ewsvault/mock-ews";

export interface PackConsumerResult {
  readonly backedUp: number;
  /** Normal items of the source mailbox. */
  readonly originals: number;
  /** Folder-associated items of the source (rules, views, configuration in Inbox and Calendar). */
  readonly associated: number;
  /** Folder-associated items restored below the restore folder's Inbox and Calendar. */
  readonly restoredAssociated: number;
  readonly restored: number;
  readonly restoreFailed: number;
  readonly identical: number;
  readonly events: number;
}

const RESTORED_FOLDER = "Restored from tarballs";

const work = process.argv[2];
if (work === undefined) throw new Error("usage: consumer.js WORK_DIR");
const server = await startMockEwsServer({ seed: 11, mailboxes: 2, itemsPerMailbox: 24 });
const ews = createEwsClient({
  url: server.url,
  // The packed mock serves plain http on loopback: Basic over http is allowed explicitly.
  allowInsecureAuth: true,
  auth: { kind: "basic", ...server.credentials },
});
const [source, target] = server.mailboxes;
if (source === undefined || target === undefined) throw new Error("the mock served fewer than 2 mailboxes");
const password = "pack test repository password";
try {
  const destination = createFsDestination({ root: join(work, "repository") });
  const created = await initRepository({ destination, password });
  let events = 0;
  const report = await backup({
    repository: created,
    source: ews,
    mailboxes: [source],
    indexDirectory: join(work, "index"),
    onEvent: (_event: BackupEvent) => {
      events++;
    },
  });
  await created.close();
  const mailboxReport = report.mailboxes[0];
  if (mailboxReport?.status !== "completed") throw new Error(`backup ended ${mailboxReport?.status}`);

  // Reopen, as a later restore run would, so the repository is read back from disk.
  const repository = await openRepository({ destination, password });
  try {
    const restored = await restore({
      repository,
      target: ews,
      mailbox: source,
      toMailbox: target,
      snapshot: "latest",
      intoFolder: RESTORED_FOLDER,
    });
    const originals = await itemsBelow(server, ews, source, undefined);
    const copies = await itemsBelow(server, ews, target, RESTORED_FOLDER);
    const unmatched = [...originals];
    let identical = 0;
    for (const copy of copies) {
      const at = unmatched.findIndex((original) => isDeepStrictEqual(original, copy));
      if (at >= 0) {
        unmatched.splice(at, 1);
        identical++;
      }
    }
    const faiOf = (mailbox: string, prefix: string) =>
      ["Inbox", "Calendar"].reduce(
        (n, folder) => n + server.listAssociatedItems(mailbox, `${prefix}${folder}`).length,
        0,
      );
    const result: PackConsumerResult = {
      backedUp: mailboxReport.items,
      originals: originals.length,
      associated: faiOf(source, ""),
      restoredAssociated: faiOf(target, `${RESTORED_FOLDER}/`),
      restored: restored.restored,
      restoreFailed: restored.failed,
      identical,
      events,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await repository.close();
  }
} finally {
  await ews.close();
  await server.stop();
}

/** The mock's record of every item in `mailbox`, or only below its top-level folder `topFolder`. */
async function itemsBelow(
  mock: MockEwsServer,
  client: EwsClient,
  mailbox: string,
  topFolder: string | undefined,
): Promise<MockItemData[]> {
  const info = await client.getMailboxInfo(mailbox);
  const root = info.distinguishedFolders.msgfolderroot;
  if (root === undefined) throw new Error(`${mailbox} has no msgfolderroot`);
  const folders = await client.findFolders(mailbox, root);
  const top = folders.find((f) => f.parentFolderId === root && f.displayName === topFolder);
  const below = new Set<string>();
  if (top !== undefined) below.add(top.folderId);
  for (let grew = top !== undefined; grew; ) {
    grew = false;
    for (const folder of folders) {
      if (!below.has(folder.folderId) && below.has(folder.parentFolderId)) {
        below.add(folder.folderId);
        grew = true;
      }
    }
  }
  const wanted = folders.filter((f) =>
    topFolder === undefined ? f.displayName !== RESTORED_FOLDER : below.has(f.folderId),
  );
  const items: MockItemData[] = [];
  for (const folder of wanted) {
    for (const item of await client.findItems(mailbox, folder.folderId))
      items.push(mock.getItem(item.itemId));
  }
  return items;
}
