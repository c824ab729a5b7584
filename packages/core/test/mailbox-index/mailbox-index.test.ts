import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomKey } from "@ewsvault/repository";
import { tempDir } from "@ewsvault/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { MailboxIndex } from "../../src/mailbox-index/index.js";

/** A repository's cache key (Repository.cacheKey()). */
const KEY = randomKey();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function dir(): Promise<string> {
  const d = await tempDir();
  cleanups.push(d.cleanup);
  return d.path;
}

const folder = (id: string) => ({
  folder: { folderId: id, changeKey: "ck", parentFolderId: "root", displayName: `F ${id}` },
  root: "mailbox" as const,
});
const item = (folderId: string, itemId: string) => ({
  folderId,
  itemId,
  changeKey: `ck-${itemId}`,
  blobIds: ["a".repeat(64)],
  dataSize: 10,
});

describe("MailboxIndex", () => {
  it("commits folders, items and states atomically and reads them back after reopen", async () => {
    const path = await dir();
    const index = await MailboxIndex.open(path, "a@contoso.test", KEY);
    await index
      .batch()
      .putFolder(folder("F1"))
      .putFolder({ ...folder("F2"), syncState: "S2" })
      .putItem(item("F1", "I1"))
      .putItem(item("F1", "I2"))
      .putItem(item("F2", "I3"))
      .setHierarchyState("mailbox", "H1")
      .commit();
    await index.close();

    const reopened = await MailboxIndex.open(path, "a@contoso.test", KEY);
    expect(reopened.meta.hierarchyStates.mailbox).toBe("H1");
    expect((await reopened.listFolders()).map((f) => f.folder.folderId).sort()).toEqual(["F1", "F2"]);
    expect((await reopened.getFolder("F2"))?.syncState).toBe("S2");
    const f1: string[] = [];
    for await (const i of reopened.items("F1")) f1.push(i.itemId);
    expect(f1).toEqual(["I1", "I2"]);
    expect(await reopened.countItems()).toBe(3);
    await reopened.close();
  });

  it("item lookups and itemIdsNotIn see every commit (lookups answer from the item key set)", async () => {
    const path = await dir();
    const index = await MailboxIndex.open(path, "a@contoso.test", KEY);
    expect(await index.getItem("F1", "I1")).toBeUndefined(); // loads the (empty) key set
    await index
      .batch()
      .putItem(item("F1", "I1"))
      .putItem(item("F1", "I2"))
      .putItem(item("F2", "I3"))
      .commit();
    expect((await index.getItem("F1", "I2"))?.itemId).toBe("I2");
    expect(await index.getItem("F2", "I1")).toBeUndefined(); // same id, other folder
    await index.batch().putItem(item("F1", "I4")).deleteItem("F1", "I1").commit();
    expect((await index.getItem("F1", "I4"))?.itemId).toBe("I4");
    expect(await index.getItem("F1", "I1")).toBeUndefined();
    expect((await index.itemIdsNotIn("F1", new Set(["I2"]))).sort()).toEqual(["I4"]);
    expect(await index.itemIdsNotIn("F1", new Set(["I2", "I4", "gone"]))).toEqual([]);
    expect(await index.itemIdsNotIn("F2", new Set())).toEqual(["I3"]);
    await index.batch().deleteFolder("F2").commit();
    expect(await index.getItem("F2", "I3")).toBeUndefined();
    expect(await index.itemIdsNotIn("F2", new Set())).toEqual([]);
    await index.close();

    const reopened = await MailboxIndex.open(path, "a@contoso.test", KEY);
    expect((await reopened.getItem("F1", "I4"))?.changeKey).toBe("ck-I4");
    expect(await reopened.getItem("F1", "I1")).toBeUndefined();
    await reopened.close();
  });

  it("deleting a folder removes its items and nothing else", async () => {
    const index = await MailboxIndex.open(await dir(), "a@contoso.test", KEY);
    await index
      .batch()
      .putFolder(folder("F1"))
      .putFolder(folder("F10"))
      .putItem(item("F1", "I1"))
      .putItem(item("F10", "I2"))
      .commit();
    await index.batch().deleteFolder("F1").commit();
    expect(await index.getFolder("F1")).toBeUndefined();
    expect(await index.getItem("F1", "I1")).toBeUndefined();
    expect(await index.getItem("F10", "I2")).toBeDefined();
    await index.close();
  });

  it("an uncommitted batch changes nothing", async () => {
    const index = await MailboxIndex.open(await dir(), "a@contoso.test", KEY);
    index.batch().putItem(item("F1", "I1")).setLastSnapshot("s1");
    expect(await index.getItem("F1", "I1")).toBeUndefined();
    expect(index.meta.lastSnapshotId).toBeUndefined();
    await index.close();
  });

  it("refuses another mailbox's index: its header is sealed under that mailbox's key (INDEX_AUTH_FAILED)", async () => {
    const path = await dir();
    await (await MailboxIndex.open(path, "a@contoso.test", KEY)).close();
    await expect(MailboxIndex.open(path, "b@contoso.test", KEY)).rejects.toMatchObject({
      code: "INDEX_AUTH_FAILED",
    });
  });

  it("reports a corrupted database as INDEX_CORRUPT", async () => {
    const path = await dir();
    const index = await MailboxIndex.open(path, "a@contoso.test", KEY);
    await index.batch().putItem(item("F1", "I1")).commit();
    await index.close();
    for (const name of await readdir(path)) {
      if (name.startsWith("MANIFEST") || name === "CURRENT") await writeFile(join(path, name), "garbage\n");
    }
    await expect(MailboxIndex.open(path, "a@contoso.test", KEY)).rejects.toMatchObject({
      code: "INDEX_CORRUPT",
    });
  });
});
