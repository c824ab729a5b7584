// The local cache on the backup host is not the weak side (issue 11, items 4 and 5): after real
// backups nothing under the cache directory names a mailbox, folder, subject or id; directories
// are 0700 and files 0600; an old plaintext index is removed; and an index whose entries were
// swapped, edited or replaced is detected, rebuilt from the repository with a coded warning,
// and never makes a snapshot record the wrong content.
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BackupEvent,
  backup,
  checkSnapshotItems,
  initRepository,
  MailboxIndex,
  mailboxIndexDirectory,
  type Repository,
  restore,
} from "@ewsvault/core";
import { createMemoryDestination } from "@ewsvault/destination";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { tempDir } from "@ewsvault/testkit";
import { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { legacyMailboxIndexDirectory } from "../../src/engine/mailbox-index-location.js";
import { IndexEntryCipher } from "../../src/mailbox-index/index-crypto.js";

const A = "Quentin.Marlowe@fabrikam-secret.test";
const FRESH = "fresh@contoso.test";
const SUBJECTS = ["Falcon merger term sheet", "Zebrafish lab results", "Severance package Ortega"];
const FOLDERS = ["Project Nightingale", "Litigation Holdout"];

let exchange: MemoryExchange;
let repository: Repository;
let cacheRoot: string;
let indexDirectory: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  exchange.addMailbox(FRESH);
  const inbox = exchange.folderId(A, "Inbox");
  for (const [n, name] of FOLDERS.entries()) {
    const folder = exchange.addFolder(A, inbox, name);
    for (const subject of SUBJECTS)
      exchange.addItem(A, folder.folderId, `${subject} ${n}`, `${subject} body `.repeat(40));
  }
  for (let i = 0; i < 12; i++)
    exchange.addItem(A, inbox, `${SUBJECTS[i % 3]} #${i}`, `text ${i} `.repeat(100));
  const dir = await tempDir();
  cleanup = dir.cleanup;
  cacheRoot = join(dir.path, "cache");
  repository = await initRepository({
    destination: createMemoryDestination(),
    password: "correct horse",
    kdf: { N: 1024, r: 8, p: 1 },
    cacheDir: join(cacheRoot, "repository"),
    workers: 0,
  });
  // As the CLI lays it out: <cache>/index/<repository id>/<one directory per mailbox>.
  indexDirectory = join(cacheRoot, "index", repository.config.id);
});

afterEach(async () => {
  await repository.close();
  await cleanup();
});

const run = (extra: Partial<Parameters<typeof backup>[0]> = {}) =>
  backup({ repository, source: exchange, mailboxes: [A], indexDirectory, checkpointSeconds: 0.05, ...extra });

async function walk(root: string): Promise<Array<{ path: string; isDirectory: boolean }>> {
  const out: Array<{ path: string; isDirectory: boolean }> = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    out.push({ path, isDirectory: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

/** Every string an observer of the cache must not find, in the encodings it could be stored in. */
function secrets(): string[] {
  const state = exchange.mailboxes.get(A)!;
  const plain = [
    A,
    A.toLowerCase(),
    "quentin.marlowe",
    "fabrikam-secret",
    ...FOLDERS,
    ...SUBJECTS,
    ...[...state.items.keys()],
    ...[...state.folders.keys()],
  ];
  return plain.flatMap((s) => [s, Buffer.from(s, "utf16le").toString("latin1")]);
}

async function expectNothingReadable(): Promise<void> {
  const entries = await walk(cacheRoot);
  expect(entries.filter((e) => !e.isDirectory).length).toBeGreaterThan(5);
  const needles = secrets().map((s) => s.toLowerCase());
  for (const entry of entries) {
    const name = entry.path.slice(cacheRoot.length).toLowerCase();
    for (const needle of needles) expect(name.includes(needle), `${name} names ${needle}`).toBe(false);
    if (entry.isDirectory) continue;
    const text = (await readFile(entry.path)).toString("latin1").toLowerCase();
    for (const needle of needles) expect(text.includes(needle), `${entry.path} holds ${needle}`).toBe(false);
  }
}

async function expectPrivateModes(root: string): Promise<void> {
  for (const entry of await walk(root)) {
    const mode = ((await stat(entry.path)).mode & 0o777).toString(8);
    expect(`${entry.path.slice(cacheRoot.length)} ${mode}`).toBe(
      `${entry.path.slice(cacheRoot.length)} ${entry.isDirectory ? "700" : "600"}`,
    );
  }
}

function contents(mailbox: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const item of exchange.mailboxes.get(mailbox)!.items.values())
    result.set(item.summary.subject ?? "", new TextDecoder().decode(item.data));
  return result;
}

describe("the cache holds nothing readable about the mailbox (item 4)", () => {
  it("after a full and an incremental backup: no address, folder, subject or id anywhere, 0700/0600", async () => {
    const previous = process.umask(0o022);
    try {
      expect((await run()).mailboxes[0]).toMatchObject({ status: "completed", itemsExported: 18 });
      const inbox = exchange.folderId(A, "Inbox");
      exchange.addItem(A, inbox, `${SUBJECTS[0]} again`, "more");
      exchange.modifyItem(A, exchange.itemsIn(A, inbox)[0]!.summary.itemId, "edited");
      expect((await run()).mailboxes[0]).toMatchObject({ status: "completed", itemsExported: 2 });
    } finally {
      process.umask(previous);
    }
    // The index was really used (not an empty cache that proves nothing).
    const index = await MailboxIndex.open(
      mailboxIndexDirectory(indexDirectory, A, repository.cacheKey()),
      A,
      repository.cacheKey(),
    );
    expect(await index.countItems()).toBe(19);
    await index.close();
    expect((await readdir(indexDirectory)).every((name) => /^v3-[0-9a-f]{32}$/.test(name))).toBe(true);
    await expectNothingReadable();
    await expectPrivateModes(indexDirectory);
    await expectPrivateModes(join(cacheRoot, "repository"));
  });

  it("rebuilds a version-2 (plaintext) index from the repository without exporting, and removes it", async () => {
    expect((await run()).mailboxes[0]!.status).toBe("completed");
    // What an older ewsvault left: a readable directory with the subjects in JSON.
    const legacy = legacyMailboxIndexDirectory(indexDirectory, A);
    await mkdir(legacy, { recursive: true });
    const old = new Level<string, unknown>(legacy, { valueEncoding: "json" });
    await old.open();
    await old.put("m", { formatVersion: 2, mailbox: A, hierarchyStates: {} });
    await old.put("i!F!I", { itemId: "I", subject: SUBJECTS[1], blobIds: [] });
    await old.close();
    const current = mailboxIndexDirectory(indexDirectory, A, repository.cacheKey());
    await import("node:fs/promises").then((fs) => fs.rm(current, { recursive: true }));

    const calls = exchange.calls.exportItems ?? 0;
    const report = (await run()).mailboxes[0]!;
    expect(report).toMatchObject({ status: "completed", indexRebuilt: true, itemsExported: 0 });
    expect(exchange.calls.exportItems ?? 0).toBe(calls);
    await expect(stat(legacy)).rejects.toMatchObject({ code: "ENOENT" });
    await expectNothingReadable();
  });
});

describe("an old index that cannot be removed", () => {
  it("does not fail the backup and is reported as INDEX_LEGACY_NOT_REMOVED", async () => {
    // Something the engine cannot treat as a directory stands where the old index was.
    const legacy = legacyMailboxIndexDirectory(indexDirectory, A);
    await mkdir(indexDirectory, { recursive: true });
    await writeFile(legacy, "not a directory");
    const report = (await run()).mailboxes[0]!;
    expect(report.status).toBe("completed");
    expect(report.warnings?.map((w) => w.code)).toEqual(["INDEX_LEGACY_NOT_REMOVED"]);
  });
});

describe("a tampered index never yields wrong data (item 5)", () => {
  /** Swaps the values of two item entries of one folder, or edits, replaces or deletes one. */
  async function tamper(how: "swap" | "edit" | "garbage" | "delete"): Promise<void> {
    const directory = mailboxIndexDirectory(indexDirectory, A, repository.cacheKey());
    const db = new Level<string, Uint8Array>(directory, { valueEncoding: "view" });
    await db.open();
    const byFolder = new Map<string, string[]>();
    for await (const key of db.keys({ gte: "i!", lt: 'i"' })) {
      const folder = key.split("!")[1]!;
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), key]);
    }
    const keys = [...byFolder.values()].find((list) => list.length >= 2)!;
    const [k1, k2] = keys as [string, string];
    const [v1, v2] = (await db.getMany([k1, k2])) as [Uint8Array, Uint8Array];
    if (how === "swap") {
      await db.batch([
        { type: "put", key: k1, value: v2 },
        { type: "put", key: k2, value: v1 },
      ]);
    } else if (how === "edit") {
      const edited = Buffer.from(v1);
      edited[40]! ^= 0x04;
      await db.put(k1, edited);
    } else if (how === "garbage") {
      await db.put(k1, Buffer.from(JSON.stringify({ itemId: "x", blobIds: [] })));
    } else {
      // Not an item the test then modifies (the run would simply export it again).
      const inbox = exchange.folderId(A, "Inbox");
      const cipher = new IndexEntryCipher(repository.cacheKey(), A);
      const victim = exchange.itemsIn(A, inbox)[1]!.summary.itemId;
      const key = `i!${cipher.folderTag(inbox)}!${cipher.itemTag(victim)}`;
      expect(await db.get(key)).toBeDefined();
      await db.del(key);
    }
    await db.close();
  }

  for (const how of ["swap", "edit", "garbage", "delete"] as const) {
    it(`${how}: the next incremental run detects it, rebuilds the index and records the right content`, async () => {
      expect((await run()).mailboxes[0]!.status).toBe("completed");
      await tamper(how);
      // A change in every folder makes the run read the index (and rewrite the tree).
      for (const folderId of exchange.mailboxes.get(A)!.folders.keys()) {
        const first = exchange.itemsIn(A, folderId)[0];
        if (first !== undefined) exchange.modifyItem(A, first.summary.itemId, `changed in ${folderId}`);
      }
      const events: BackupEvent[] = [];
      const report = (await run({ onEvent: (e) => events.push(e) })).mailboxes[0]!;
      expect(report).toMatchObject({ status: "completed", indexRebuilt: true });
      expect(report.warnings?.map((w) => w.code)).toEqual(["INDEX_AUTH_FAILED"]);
      expect(events.filter((e) => e.type === "warning")).toHaveLength(1);
      expect(events.filter((e) => e.type === "mailbox-done")).toHaveLength(1);
      expect(events.filter((e) => e.type === "mailbox-start")).toHaveLength(1);

      // Every item of the snapshot carries the content exported for it (bindings check clean)...
      const latest = (await repository.findSnapshot({ mailbox: A }))!;
      expect(latest.id).toBe(report.snapshotId);
      const check = await checkSnapshotItems(repository, latest.tree);
      expect(check.problems).toEqual([]);
      expect(check.bound).toBe(check.items);
      // ...and its own bytes: restore and compare.
      const restored = await restore({ repository, target: exchange, mailbox: A, toMailbox: FRESH });
      expect(restored.failed).toBe(0);
      expect(contents(FRESH)).toEqual(contents(A));
      // And the rebuilt index serves the next run normally.
      const next = (await run()).mailboxes[0]!;
      expect(next).toMatchObject({ status: "completed", indexRebuilt: false, itemsExported: 0 });
      expect(next.warnings).toBeUndefined();
    });
  }

  it("a tampered header is detected on open and rebuilt without exporting", async () => {
    expect((await run()).mailboxes[0]!.status).toBe("completed");
    const directory = mailboxIndexDirectory(indexDirectory, A, repository.cacheKey());
    const db = new Level<string, Uint8Array>(directory, { valueEncoding: "view" });
    await db.open();
    const header = Buffer.from((await db.get("m"))!);
    header[20]! ^= 0x01;
    await db.put("m", header);
    await db.close();
    const calls = exchange.calls.exportItems ?? 0;
    const report = (await run()).mailboxes[0]!;
    expect(report).toMatchObject({ status: "completed", indexRebuilt: true, itemsExported: 0 });
    expect(report.warnings?.map((w) => w.code)).toEqual(["INDEX_AUTH_FAILED"]);
    expect(exchange.calls.exportItems ?? 0).toBe(calls);
  });
});
