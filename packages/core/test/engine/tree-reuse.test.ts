// A run that changed nothing gives its snapshot the previous snapshot's tree instead of
// writing it again; any index change since that tree (even one committed by a run that then
// failed before its snapshot) makes the next run write the tree anew. Index format 3 refuses
// older (plaintext) and newer databases.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  backup,
  MAILBOX_INDEX_FORMAT_VERSION,
  MailboxIndex,
  mailboxIndexDirectory,
  restore,
} from "@ewsvault/core";
import { Level } from "level";
import { describe, expect, it } from "vitest";
import { useEngineTest } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const FRESH = "fresh@contoso.test";

const t = useEngineTest((exchange) => {
  exchange.addMailbox(A);
  exchange.addMailbox(FRESH);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 12; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i} `.repeat(50));
});

const run = (extra: Partial<Parameters<typeof backup>[0]> = {}) =>
  backup({
    repository: t.repository,
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
    ...extra,
  });

async function treeOf(snapshotId: string | undefined): Promise<string> {
  expect(snapshotId).toBeDefined();
  return (await t.repository.loadSnapshot(snapshotId!)).tree;
}

function contents(mailbox: string): string[] {
  return [...t.exchange.mailboxes.get(mailbox)!.items.values()]
    .map((i) => `${i.summary.subject}=${new TextDecoder().decode(i.data)}`)
    .sort();
}

describe("snapshot tree reuse", () => {
  it("reuses the tree when nothing changed and writes it anew after a change, even one a failed run committed", async () => {
    const first = (await run()).mailboxes[0]!;
    const second = (await run()).mailboxes[0]!;
    expect(second.status).toBe("completed");
    expect(second.snapshotId).not.toBe(first.snapshotId);
    expect(await treeOf(second.snapshotId)).toBe(await treeOf(first.snapshotId));
    expect(second.items).toBe(12);

    // A run exports a change, commits it to the index, then fails to save its snapshot.
    const inbox = t.exchange.folderId(A, "Inbox");
    t.exchange.modifyItem(A, t.exchange.itemsIn(A, inbox)[0]!.summary.itemId, "edited body");
    const saveSnapshot = t.repository.saveSnapshot.bind(t.repository);
    t.repository.saveSnapshot = async () => {
      throw new Error("destination went away");
    };
    const failed = (await run()).mailboxes[0]!;
    t.repository.saveSnapshot = saveSnapshot;
    expect(failed.status).toBe("failed");
    expect(failed.itemsExported).toBe(1);

    // Nothing new on the server now, but the index differs from the last tree: it is rewritten.
    const third = (await run()).mailboxes[0]!;
    expect(third).toMatchObject({ status: "completed", itemsExported: 0 });
    expect(await treeOf(third.snapshotId)).not.toBe(await treeOf(second.snapshotId));
    await restore({ repository: t.repository, target: t.exchange, mailbox: A, toMailbox: FRESH });
    expect(contents(FRESH)).toEqual(contents(A));

    // And unchanged again: reused again.
    const fourth = (await run()).mailboxes[0]!;
    expect(await treeOf(fourth.snapshotId)).toBe(await treeOf(third.snapshotId));
  });

  it("a different selection writes its own tree", async () => {
    const all = (await run()).mailboxes[0]!;
    const inboxOnly = (await run({ selection: { includeFolders: ["inbox"] } })).mailboxes[0]!;
    expect(await treeOf(inboxOnly.snapshotId)).not.toBe(await treeOf(all.snapshotId));
    const again = (await run()).mailboxes[0]!;
    expect(await treeOf(again.snapshotId)).toBe(await treeOf(all.snapshotId));
  });
});

describe("mailbox index format 3", () => {
  it("refuses a version-1 or version-2 database and a newer one with INDEX_VERSION", async () => {
    expect(MAILBOX_INDEX_FORMAT_VERSION).toBe(3);
    const directory = mailboxIndexDirectory(t.work.path, A, t.repository.cacheKey());
    const writeOld = async (formatVersion: number) => {
      const db = new Level<string, unknown>(directory, { valueEncoding: "json" });
      await db.open();
      await db.put("m", { formatVersion, mailbox: A, hierarchyStates: { mailbox: "H" } });
      await db.close();
    };
    for (const old of [1, 2]) {
      await writeOld(old);
      await expect(MailboxIndex.open(directory, A, t.repository.cacheKey())).rejects.toMatchObject({
        code: "INDEX_VERSION",
      });
      await rm(directory, { recursive: true });
    }
    const created = await MailboxIndex.open(directory, A, t.repository.cacheKey());
    await created.close();
    const db = new Level<string, string>(directory);
    await db.open();
    await db.put("v", "4");
    await db.close();
    await expect(MailboxIndex.open(join(directory), A, t.repository.cacheKey())).rejects.toMatchObject({
      code: "INDEX_VERSION",
    });
  });
});
