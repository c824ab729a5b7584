// The snapshot item index: restore by item id finds items through it in every folder, follows
// moves and deletes between snapshots, reads one bucket and one item page instead of every page,
// and snapshots written before it existed (or with an index this reader does not know) still
// restore by id, search and folder through the page walk.
import {
  backup,
  EwsVaultError,
  planRestore,
  type Repository,
  resolveSnapshot,
  restore,
} from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EngineRepository } from "../../src/engine/repository-port.js";
import { lookupItemFolders } from "../../src/engine/snapshot-item-lookup.js";
import type { FolderTree, MailboxTree } from "../../src/engine/snapshot-tree.js";
import { createEngineFixture, type EngineFixture } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const TO = "helpdesk@contoso.test";
/** Enough items in one folder for dozens of item pages and several index buckets. */
const INBOX_ITEMS = 1500;

let exchange: MemoryExchange;
let fixture: EngineFixture;
let repository: Repository;
let indexDirectory: string;
let folders: Record<"inbox" | "sent" | "calendar" | "projects" | "deep", string>;

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  exchange.addMailbox(TO);
  const inbox = exchange.folderId(A, "Inbox");
  const projects = exchange.addFolder(A, inbox, "Projects").folderId;
  const deep = exchange.addFolder(A, projects, "2026").folderId;
  folders = {
    inbox,
    sent: exchange.folderId(A, "Sent Items"),
    calendar: exchange.folderId(A, "Calendar"),
    projects,
    deep,
  };
  for (let i = 0; i < INBOX_ITEMS; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  for (let i = 0; i < 20; i++) exchange.addItem(A, folders.sent, `sent ${i}`, `sent body ${i}`);
  for (let i = 0; i < 5; i++) exchange.addItem(A, folders.calendar, `meeting ${i}`, "x", "IPM.Appointment");
  for (let i = 0; i < 7; i++) exchange.addItem(A, projects, `plan ${i}`, `plan body ${i}`);
  exchange.addItem(A, deep, "deep note", "deep body");
  fixture = await createEngineFixture();
  ({ repository, indexDirectory } = fixture);
});

afterEach(() => fixture.close());

async function backUp(): Promise<string> {
  const report = await backup({ repository, source: exchange, mailboxes: [A], indexDirectory });
  const mailbox = report.mailboxes[0]!;
  expect(mailbox.status).toBe("completed");
  return mailbox.snapshotId!;
}

/** The repository, counting the trees it loads by kind. */
function counting(target: Repository): { repository: EngineRepository; loaded: Map<string, number> } {
  const loaded = new Map<string, number>();
  const port: EngineRepository = {
    startWriter: (options) => target.startWriter(options),
    loadData: (ids) => target.loadData(ids),
    loadTree: async (id) => {
      const tree = (await target.loadTree(id)) as { kind: string };
      loaded.set(tree.kind, (loaded.get(tree.kind) ?? 0) + 1);
      return tree;
    },
    saveSnapshot: (manifest) => target.saveSnapshot(manifest),
    findSnapshot: (query) => target.findSnapshot(query),
    listSnapshots: (filter) => target.listSnapshots(filter),
    loadSnapshot: (id) => target.loadSnapshot(id),
    lockMailbox: (mailbox) => target.lockMailbox(mailbox),
    cacheKey: () => target.cacheKey(),
    contentBinding: (owner, blobIds, size) => target.contentBinding(owner, blobIds, size),
  };
  return { repository: port, loaded };
}

const idsIn = (folderId: string) => exchange.itemsIn(A, folderId).map((i) => i.summary.itemId);

async function rootOf(snapshotId: string): Promise<MailboxTree> {
  return (await repository.loadTree((await repository.loadSnapshot(snapshotId)).tree)) as MailboxTree;
}

/**
 * Rewrites a snapshot as the engine wrote it before the item index: no `itemIndex` on the root
 * and no `first` on item page references (page trees are unchanged). Returns the new snapshot id.
 */
async function asOldFormat(snapshotId: string, replaceIndex?: unknown): Promise<string> {
  const snapshot = await repository.loadSnapshot(snapshotId);
  const root = (await repository.loadTree(snapshot.tree)) as MailboxTree;
  const writer = await repository.startWriter();
  const rewrite = async (id: string): Promise<string> => {
    const tree = (await repository.loadTree(id)) as FolderTree;
    const children = [];
    for (const child of tree.children) children.push({ subtree: await rewrite(child.subtree) });
    return writer.saveTree({
      ...tree,
      itemPages: tree.itemPages.map((ref) => ({ subtree: ref.subtree })),
      children,
    });
  };
  const topIds = [];
  for (const ref of root.folders) topIds.push({ subtree: await rewrite(ref.subtree) });
  const { itemIndex: _dropped, ...rest } = root;
  const oldRoot = {
    ...rest,
    folders: topIds,
    ...(replaceIndex === undefined ? {} : { itemIndex: { subtree: await writer.saveTree(replaceIndex) } }),
  };
  const treeId = await writer.saveTree(oldRoot);
  await writer.close();
  const { id: _id, tree: _tree, ...manifest } = snapshot;
  return (
    await repository.saveSnapshot({
      ...manifest,
      time: new Date(snapshot.time.getTime() + 1000),
      tree: treeId,
    })
  ).id;
}

describe("snapshot item index", () => {
  it("finds every item of every folder, nested ones included, and nothing else", async () => {
    const snapshotId = await backUp();
    const root = await rootOf(snapshotId);
    expect(root.itemIndex).toBeDefined();
    const expected = new Map<string, string[]>();
    for (const folderId of Object.values(folders))
      for (const id of idsIn(folderId)) expected.set(id, [folderId]);
    expect(expected.size).toBe(INBOX_ITEMS + 20 + 5 + 7 + 1);
    const found = await lookupItemFolders(repository, root.itemIndex!.subtree, [
      ...expected.keys(),
      "AAMkNOPE",
    ]);
    expect(found).toEqual(expected);
  });

  it("a single-item restore reads one index bucket and one item page, and restores the item", async () => {
    const snapshotId = await backUp();
    const snapshot = await repository.loadSnapshot(snapshotId);
    const wanted = idsIn(folders.inbox)[777]!;
    const { repository: port, loaded } = counting(repository);
    const plan = await planRestore(port, snapshot, { itemIds: [wanted] });
    expect(plan.items).toBe(1);
    expect(plan.folders[0]!.items[0]!.itemId).toBe(wanted);
    expect(plan.folders[0]!.folder.path).toEqual(["Inbox"]);
    expect(Object.fromEntries(loaded)).toEqual({
      mailbox: 1,
      "item-index": 1,
      "item-index-bucket": 1,
      folder: 5,
      items: 1,
    });
    // The page walk, for comparison, reads every page of every folder (~1,500 / 64 in the inbox).
    const all = counting(repository);
    await planRestore(all.repository, snapshot, { search: { subject: "mail 777" } });
    expect(all.loaded.get("items")!).toBeGreaterThan(5);

    const report = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: TO,
      itemIds: [wanted],
    });
    expect(report.restored).toBe(1);
    expect(report.items[0]).toMatchObject({ sourceItemId: wanted, folderPath: "Inbox", subject: "mail 777" });
  });

  it("restores items picked from every folder into their folders", async () => {
    const snapshotId = await backUp();
    const picked = Object.values(folders).map((folderId) => idsIn(folderId).at(-1)!);
    const report = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: TO,
      snapshot: snapshotId,
      itemIds: [...picked, "AAMkNOPE"],
      intoFolder: "Restored",
    });
    expect(report.failed).toBe(0);
    expect(report.items.map((i) => i.folderPath).sort()).toEqual(
      ["Calendar", "Inbox", "Inbox/Projects", "Inbox/Projects/2026", "Sent Items"].sort(),
    );
    const restoredInto = (name: string) => exchange.itemsIn(TO, exchange.folderId(TO, name)).length;
    expect(restoredInto("2026")).toBe(1);
    expect(restoredInto("Restored")).toBe(0);
  });

  it("follows moves, deletes and additions between snapshots; each snapshot answers for its time", async () => {
    const first = await backUp();
    const inboxIds = idsIn(folders.inbox);
    const deleted = inboxIds[10]!;
    const movedAway = inboxIds[11]!;
    const movedTo = exchange.moveItem(A, movedAway, folders.deep);
    exchange.deleteItem(A, deleted);
    const added = exchange.addItem(A, folders.sent, "new mail", "fresh");
    // A server that keeps the id when an item changes folder: the index must follow the folder.
    const kept = inboxIds[12]!;
    exchange.mailboxes.get(A)!.items.get(kept)!.folderId = folders.projects;
    const second = await backUp();

    const lookup = async (snapshotId: string) =>
      lookupItemFolders(repository, (await rootOf(snapshotId)).itemIndex!.subtree, [
        deleted,
        movedAway,
        movedTo,
        added,
        kept,
      ]);
    expect(await lookup(first)).toEqual(
      new Map([
        [deleted, [folders.inbox]],
        [movedAway, [folders.inbox]],
        [kept, [folders.inbox]],
      ]),
    );
    expect(await lookup(second)).toEqual(
      new Map([
        [movedTo, [folders.deep]],
        [added, [folders.sent]],
        [kept, [folders.projects]],
      ]),
    );
    const plan = await planRestore(repository, await repository.loadSnapshot(second), {
      itemIds: [kept, movedTo, deleted],
    });
    expect(plan.folders.map((f) => [f.folder.path.join("/"), f.items.map((i) => i.itemId)])).toEqual(
      expect.arrayContaining([
        ["Inbox/Projects", [kept]],
        ["Inbox/Projects/2026", [movedTo]],
      ]),
    );
    expect(plan.items).toBe(2);
    const old = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: TO,
      snapshot: first,
      itemIds: [deleted],
    });
    expect(old.restored).toBe(1);
    expect(old.items[0]!.folderPath).toBe("Inbox");
  });

  it("is deduplicated like the trees: a no-change backup reuses it, a small change rewrites a few buckets", async () => {
    const first = await backUp();
    const second = await backUp();
    const [root1, root2] = [await rootOf(first), await rootOf(second)];
    expect(root2.itemIndex).toEqual(root1.itemIndex);
    exchange.addItem(A, folders.inbox, "one more", "mail");
    const third = await rootOf(await backUp());
    const buckets = async (root: MailboxTree) =>
      (
        (await repository.loadTree(root.itemIndex!.subtree)) as { buckets: Array<{ subtree: string }> }
      ).buckets.map((b) => b.subtree);
    const before = await buckets(root1);
    const after = await buckets(third);
    // Ids are random, so the bucket count varies (~1,533 / 256); one new entry rewrites its own
    // bucket (two when it also starts a new one) and leaves every other bucket as it was.
    expect(after.filter((id) => !before.includes(id)).length).toBeOneOf([1, 2]);
    expect(before.filter((id) => after.includes(id))).toHaveLength(before.length - 1);
  });

  it("verify checks the index trees and prune keeps those the remaining snapshots use", async () => {
    await backUp();
    const inbox = idsIn(folders.inbox);
    for (const id of inbox.slice(0, 40)) exchange.deleteItem(A, id);
    const added = exchange.addItem(A, folders.projects, "after the first", "x");
    const latest = await backUp();
    const treesBefore = (await repository.verify()).checked.trees;
    await repository.forget({ keepLast: 1 });
    const pruned = await repository.prune();
    expect(pruned.unusedBlobs).toBeGreaterThan(0);
    const verified = await repository.verify({ readData: true });
    expect(verified.problems).toEqual([]);
    expect(verified.checked.trees).toBeLessThan(treesBefore);
    const found = await lookupItemFolders(repository, (await rootOf(latest)).itemIndex!.subtree, [
      added,
      inbox[40]!,
      inbox[0]!,
    ]);
    expect(found).toEqual(
      new Map([
        [added, [folders.projects]],
        [inbox[40]!, [folders.inbox]],
      ]),
    );
  });

  it("restores from a snapshot written before the index by id, search and folder, reading every page", async () => {
    const snapshotId = await asOldFormat(await backUp());
    const snapshot = await repository.loadSnapshot(snapshotId);
    const root = (await repository.loadTree(snapshot.tree)) as MailboxTree;
    expect(root.itemIndex).toBeUndefined();
    const wanted = idsIn(folders.inbox)[3]!;
    const { repository: port, loaded } = counting(repository);
    const plan = await planRestore(port, snapshot, { itemIds: [wanted, idsIn(folders.deep)[0]!] });
    expect(plan.items).toBe(2);
    expect(loaded.get("items")!).toBeGreaterThan(5);
    expect(loaded.has("item-index")).toBe(false);

    const byId = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: TO,
      snapshot: snapshotId,
      itemIds: [wanted],
      intoFolder: "By id",
    });
    expect(byId.restored).toBe(1);
    const bySearch = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: TO,
      snapshot: snapshotId,
      search: { subject: "deep note" },
      intoFolder: "By search",
    });
    expect(bySearch.items.map((i) => [i.folderPath, i.status])).toEqual([
      ["Inbox/Projects/2026", "restored"],
    ]);
    const byFolder = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: TO,
      snapshot: snapshotId,
      folders: ["Inbox/Projects"],
      intoFolder: "By folder",
    });
    expect(byFolder.restored).toBe(8);
  });

  it("search and folder restores on an indexed snapshot match the old format's", async () => {
    const indexed = await backUp();
    const old = await asOldFormat(indexed);
    for (const options of [
      { search: { subject: "plan" } },
      { folders: ["calendar"] },
      { folders: ["Inbox/Projects"], itemIds: [idsIn(folders.deep)[0]!, idsIn(folders.inbox)[0]!] },
      { itemIds: [idsIn(folders.sent)[4]!], search: { subject: "sent 4" } },
      { itemIds: [idsIn(folders.sent)[4]!], search: { subject: "nothing" } },
    ]) {
      const shape = async (snapshotId: string) =>
        (await planRestore(repository, await repository.loadSnapshot(snapshotId), options)).folders.map(
          (f) => [f.folder.path.join("/"), f.items.map((i) => i.itemId)],
        );
      expect(await shape(indexed)).toEqual(await shape(old));
    }
  });

  it("walks the pages when the index has a version it does not know", async () => {
    const snapshotId = await asOldFormat(await backUp(), { kind: "item-index", v: 99, buckets: "elsewhere" });
    const wanted = idsIn(folders.projects)[2]!;
    const plan = await planRestore(repository, await resolveSnapshot(repository, A, snapshotId), {
      itemIds: [wanted],
    });
    expect(plan.folders.map((f) => f.items.map((i) => i.itemId))).toEqual([[wanted]]);
  });

  it("refuses a malformed index with SNAPSHOT_TREE_INVALID", async () => {
    const snapshotId = await asOldFormat(await backUp(), { kind: "item-index", v: 1, buckets: "nope" });
    const error = await planRestore(repository, await repository.loadSnapshot(snapshotId), {
      itemIds: [idsIn(folders.inbox)[0]!],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EwsVaultError);
    expect((error as EwsVaultError).code).toBe("SNAPSHOT_TREE_INVALID");
  });
});
