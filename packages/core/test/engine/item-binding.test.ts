// Item bindings (issue 11, item 5): every item a backup stores records a keyed MAC binding its
// content list and size to its id, and checkSnapshotItems() proves a snapshot's items carry the
// content exported for them: a snapshot that records another item's content is reported.
import { createHmac, hkdfSync } from "node:crypto";
import {
  backup,
  checkSnapshotItems,
  contentBinding,
  deriveRepositoryKeys,
  type FolderTree,
  type ItemPageTree,
  type MailboxTree,
  type Repository,
  restore,
  type SnapshotItemProblem,
  verifySnapshotItemBindings,
} from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngineFixture, type EngineFixture } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const MASTER = Uint8Array.from({ length: 32 }, (_, i) => i);
let exchange: MemoryExchange;
let fixture: EngineFixture;
let repository: Repository;
let indexDirectory: string;

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 8; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i} `.repeat(300));
  exchange.addItem(A, exchange.folderId(A, "Calendar"), "standup", "daily", "IPM.Appointment");
  fixture = await createEngineFixture({ workers: 0 });
  ({ repository, indexDirectory } = fixture);
});

afterEach(() => fixture.close());

async function latestRoot(): Promise<string> {
  return (await repository.findSnapshot({ mailbox: A }))!.tree;
}

/** A copy of the latest snapshot whose Inbox page was changed by `edit` (what a tampered cache once caused). */
async function forgeSnapshot(
  edit: (items: ItemPageTree["items"][number][]) => void,
  scope: "first" | "all" = "first",
): Promise<string> {
  const root = (await repository.loadTree(await latestRoot())) as MailboxTree;
  const writer = await repository.startWriter();
  const folders = [];
  for (const ref of root.folders) {
    const folder = (await repository.loadTree(ref.subtree)) as FolderTree;
    if (folder.displayName !== "Inbox") {
      folders.push(ref);
      continue;
    }
    const pages = [];
    // Inbox's items may fall on one page or more (page cuts are content-defined under the
    // repository's random key): forge one page, the first with two items or more, or all.
    let edited = false;
    for (const pageRef of folder.itemPages) {
      const page = (await repository.loadTree(pageRef.subtree)) as ItemPageTree;
      const items = page.items.map((item) => ({ ...item }));
      if (scope === "all" || (!edited && items.length >= 2)) {
        edit(items);
        edited = true;
      }
      pages.push({ ...pageRef, subtree: await writer.saveTree({ ...page, items }) });
    }
    folders.push({ subtree: await writer.saveTree({ ...folder, itemPages: pages }) });
  }
  const tree = await writer.saveTree({ ...root, folders });
  await writer.close();
  return tree;
}

describe("item bindings", () => {
  it("pins the binding function (part of the snapshot item format)", () => {
    const keys = deriveRepositoryKeys(MASTER);
    // HKDF-SHA256(master, "ewsvault/v1/repository-keys", "ewsvault/v1/binding-key"), recomputed by the spec's words.
    const expectedKey = hkdfSync(
      "sha256",
      MASTER,
      "ewsvault/v1/repository-keys",
      "ewsvault/v1/binding-key",
      32,
    );
    expect(Buffer.from(keys.bindingKey).toString("hex")).toBe(Buffer.from(expectedKey).toString("hex"));
    expect(Buffer.from(keys.bindingKey).toString("hex")).toBe(
      "67292b7691a8d39c397d3a46303335260fe490edda6bd9611ae90756423eb77c",
    );
    const ids = ["aa".repeat(32), "bb".repeat(32)];
    const binding = contentBinding(keys.bindingKey, "AAMkItem=", ids, 1234);
    const mac = createHmac("sha256", keys.bindingKey)
      .update(`ewsvault/v1/content-binding\nAAMkItem=\n1234\n${ids.join(",")}`)
      .digest("hex")
      .slice(0, 32);
    expect(binding).toBe(mac);
    expect(binding).toBe("ae6abb54fe9599e3d91b3e0041eccb1b");
    expect(contentBinding(keys.bindingKey, "AAMkOther=", ids, 1234)).not.toBe(binding);
    expect(contentBinding(keys.bindingKey, "AAMkItem=", [...ids].reverse(), 1234)).not.toBe(binding);
    expect(contentBinding(keys.bindingKey, "AAMkItem=", ids, 1235)).not.toBe(binding);
  });

  it("a backup binds every item (MIME included) and its snapshot checks clean", async () => {
    const report = await backup({
      repository,
      source: exchange,
      mailboxes: [A],
      indexDirectory,
      captureMime: true,
    });
    expect(report.mailboxes[0]!.status).toBe("completed");
    const check = await checkSnapshotItems(repository, await latestRoot());
    expect(check).toEqual({ items: 9, bound: 9, problems: [] });
    // A rerun that rebuilds its index from the snapshot keeps the bindings.
    const { rm } = await import("node:fs/promises");
    await rm(indexDirectory, { recursive: true, force: true });
    exchange.addItem(A, exchange.folderId(A, "Inbox"), "one more", "text");
    await backup({ repository, source: exchange, mailboxes: [A], indexDirectory, captureMime: true });
    expect(await checkSnapshotItems(repository, await latestRoot())).toEqual({
      items: 10,
      bound: 10,
      problems: [],
    });
  });

  it("reports items whose content lists were swapped, a duplicate, and counts unbound items without failing them", async () => {
    await backup({ repository, source: exchange, mailboxes: [A], indexDirectory });
    const swapped = await forgeSnapshot((items) => {
      const [a, b] = [items[0]!, items[1]!];
      items[0] = { ...a, content: b.content, dataSize: b.dataSize };
      items[1] = { ...b, content: a.content, dataSize: a.dataSize };
    });
    const check = await checkSnapshotItems(repository, swapped);
    expect(check.items).toBe(9);
    expect(check.problems.map((p) => p.code)).toEqual(["ITEM_BINDING_MISMATCH", "ITEM_BINDING_MISMATCH"]);

    const duplicated = await forgeSnapshot((items) => {
      items.push({ ...items[0]! });
    });
    expect((await checkSnapshotItems(repository, duplicated)).problems.map((p) => p.code)).toEqual([
      "ITEM_DUPLICATE",
    ]);

    const unbound = await forgeSnapshot((items) => {
      for (const item of items) delete (item as { binding?: string }).binding;
    }, "all");
    expect(await checkSnapshotItems(repository, unbound)).toEqual({ items: 9, bound: 1, problems: [] });
  });

  it("verifySnapshotItemBindings checks each distinct tree once, reports problems per snapshot and goes on past an unreadable tree", async () => {
    await backup({ repository, source: exchange, mailboxes: [A], indexDirectory });
    const clean = await latestRoot();
    const swapped = await forgeSnapshot((items) => {
      const [a, b] = [items[0]!, items[1]!];
      items[0] = { ...a, content: b.content, dataSize: b.dataSize };
      items[1] = { ...b, content: a.content, dataSize: a.dataSize };
    });
    const problems: SnapshotItemProblem[] = [];
    const report = await verifySnapshotItemBindings(
      repository,
      [
        { id: "s-clean", tree: clean },
        { id: "s-same-tree", tree: clean },
        { id: "s-swapped", tree: swapped },
        { id: "s-missing", tree: "00".repeat(32) },
      ],
      { onProblem: (problem) => problems.push(problem) },
    );
    expect(report).toEqual({ items: 18, bound: 18, problems: 3 });
    expect(problems.map((p) => [p.snapshotId, p.code, p.itemId === undefined])).toEqual([
      ["s-swapped", "ITEM_BINDING_MISMATCH", false],
      ["s-swapped", "ITEM_BINDING_MISMATCH", false],
      ["s-missing", problems[2]!.code, true],
    ]);
    expect(problems[2]!.code).toMatch(/^[A-Z_]+$/);

    const aborted = new AbortController();
    aborted.abort();
    await expect(
      verifySnapshotItemBindings(repository, [{ id: "s-clean", tree: clean }], {
        onProblem: () => {},
        signal: aborted.signal,
      }),
    ).rejects.toThrow();
  });

  it("restore fails the items whose binding does not match, uploads none of their bytes, and restores the rest", async () => {
    const FRESH = "fresh@contoso.test";
    exchange.addMailbox(FRESH);
    await backup({ repository, source: exchange, mailboxes: [A], indexDirectory });
    const latest = (await repository.findSnapshot({ mailbox: A }))!;
    const swappedIds: string[] = [];
    const tree = await forgeSnapshot((items) => {
      const [a, b] = [items[0]!, items[1]!];
      swappedIds.push(a.itemId, b.itemId);
      items[0] = { ...a, content: b.content, dataSize: b.dataSize };
      items[1] = { ...b, content: a.content, dataSize: a.dataSize };
    });
    const forged = await repository.saveSnapshot({ mailbox: A, time: new Date(), tree, parent: latest.id });
    const report = await restore({
      repository,
      target: exchange,
      mailbox: A,
      snapshot: forged.id,
      toMailbox: FRESH,
    });
    expect(report).toMatchObject({ restored: 7, failed: 2, skipped: 0 });
    const failed = report.items.filter((i) => i.status === "failed");
    expect(failed.map((i) => [i.sourceItemId, i.error?.code]).sort()).toEqual(
      swappedIds.map((id) => [id, "ITEM_BINDING_MISMATCH"]).sort(),
    );
    // Nothing of the two swapped items reached the target: each restored item is its own.
    const subjects = [...exchange.mailboxes.get(FRESH)!.items.values()].map((i) => i.summary.subject);
    expect(subjects).toHaveLength(7);
    for (const item of exchange.mailboxes.get(FRESH)!.items.values()) {
      const source = [...exchange.mailboxes.get(A)!.items.values()].find(
        (s) => s.summary.subject === item.summary.subject,
      );
      expect(Buffer.from(item.data).equals(Buffer.from(source!.data))).toBe(true);
    }
  });
});
