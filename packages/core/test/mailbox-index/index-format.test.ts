// Mailbox index format 3 (docs/mailbox-index.md): golden vectors pin the key derivation, the keyed
// names and the sealing of an entry; every way of changing, swapping or moving an entry fails
// authentication; the directory and its files are 0700/0600 whatever the umask.
import { createHmac, hkdfSync } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { deriveRepositoryKeys, randomKey, sealWithNonce } from "@ewsvault/repository";
import { tempDir } from "@ewsvault/testkit";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import {
  type IndexedItem,
  MAILBOX_INDEX_FORMAT_VERSION,
  MailboxIndex,
} from "../../src/mailbox-index/index.js";
import {
  deriveIndexEntryKeys,
  IndexEntryCipher,
  indexDirectoryName,
} from "../../src/mailbox-index/index-crypto.js";

const MASTER_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const CACHE_KEY = deriveRepositoryKeys(MASTER_KEY).cacheKey;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const MAILBOX = "ann@contoso.test";
const FOLDER_ID = "AAMkAGFolder1=";
const ITEM_ID = "AAMkAGItem1=";
const ITEM = {
  itemId: ITEM_ID,
  changeKey: "CQAAAA==",
  folderId: FOLDER_ID,
  subject: "Budget",
  blobIds: ["ab".repeat(32)],
  dataSize: 42,
};
const NONCE = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);

const GOLDEN = {
  cacheKey: "b1dd474964279416a1c745b5881849703f548cd2674323c70c9373eb20194834",
  directory: "v3-344c2bff9f5716c568b453488fb98ae1",
  entryKey: "42a798d0d12c3e74cdd7bd2e3907785fb6d2dc8a75e67c589be07cfe810263cf",
  keyHashKey: "1acaaf969d07accd02cbcc5ceda99b1e2062a567b45885922d1f18545fde8e70",
  itemKey: "i!56bf17ce1fdf25c89f05f82a42ec3deb!848bc2c1fb5e2181dfe9d6b80d3480ea",
  sealedItem:
    "a0a1a2a3a4a5a6a7a8a9aaab62115738e75a1d728662942afeaac480e45d982a819887f0fe0e5311763104ffc501ae977d4e9b006d5ab7eae44b6d5a667c5b6e14fdafcc47357c9434f5012fda58839f399a05d9102f0a93b5f54404b823b25d735c5d6de285ee75a75f02fe38b026adf7cffcd0e9fed8c0e078224380a724cbeb720b11fcaad85da41895eff107095a3a8a62f8f1e4d22c0a0da4d95b45b292345bb0d6d646da69ed3ffddf63c52871be0748edebcfbd0a3d361a3935c7103c7fd826fdc71e47b1f97cbb7bbdc34969e460d56341098588",
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});
async function dir(): Promise<string> {
  const d = await tempDir();
  cleanups.push(d.cleanup);
  return join(d.path, "index");
}

describe("mailbox index format 3: golden vectors", () => {
  it("derives the cache key, the directory name and the entry keys as the spec says", () => {
    expect(MAILBOX_INDEX_FORMAT_VERSION).toBe(3);
    // Recomputed here from the spec's words with node:crypto alone, then pinned.
    const hkdf = (ikm: Uint8Array, salt: string, info: string) =>
      Buffer.from(hkdfSync("sha256", ikm, salt, info, 32)).toString("hex");
    const cacheKey = hkdf(MASTER_KEY, "ewsvault/v1/repository-keys", "ewsvault/v1/cache-key");
    expect(cacheKey).toBe(GOLDEN.cacheKey);
    expect(hex(CACHE_KEY)).toBe(GOLDEN.cacheKey);

    const nameKey = Buffer.from(hkdf(CACHE_KEY, "ewsvault/v3/mailbox-index", "directory-name"), "hex");
    const name = `v3-${createHmac("sha256", nameKey).update(MAILBOX).digest("hex").slice(0, 32)}`;
    expect(name).toBe(GOLDEN.directory);
    // The address is trimmed and lower-cased first.
    expect(indexDirectoryName(CACHE_KEY, " ANN@contoso.TEST")).toBe(GOLDEN.directory);

    const keys = deriveIndexEntryKeys(CACHE_KEY, "Ann@Contoso.test");
    expect(hkdf(CACHE_KEY, "ewsvault/v3/mailbox-index", `entry-key\n${MAILBOX}`)).toBe(GOLDEN.entryKey);
    expect(hkdf(CACHE_KEY, "ewsvault/v3/mailbox-index", `key-hash-key\n${MAILBOX}`)).toBe(GOLDEN.keyHashKey);
    expect(hex(keys.entryKey)).toBe(GOLDEN.entryKey);
    expect(hex(keys.keyHashKey)).toBe(GOLDEN.keyHashKey);
  });

  it("names database keys by keyed hashes of the ids and seals a value bound to its key", () => {
    const keyHashKey = Buffer.from(GOLDEN.keyHashKey, "hex");
    const tag = (text: string) => createHmac("sha256", keyHashKey).update(text).digest("hex").slice(0, 32);
    const cipher = new IndexEntryCipher(CACHE_KEY, MAILBOX);
    expect(`i!${cipher.folderTag(FOLDER_ID)}!${cipher.itemTag(ITEM_ID)}`).toBe(GOLDEN.itemKey);
    expect(`i!${tag(`f\n${FOLDER_ID}`)}!${tag(`i\n${ITEM_ID}`)}`).toBe(GOLDEN.itemKey);

    const sealed = sealWithNonce(
      Buffer.from(GOLDEN.entryKey, "hex"),
      NONCE,
      Buffer.from(JSON.stringify(ITEM), "utf8"),
      Buffer.from(GOLDEN.itemKey, "utf8"),
    );
    expect(hex(sealed)).toBe(GOLDEN.sealedItem);
    expect(cipher.open(GOLDEN.itemKey, Buffer.from(GOLDEN.sealedItem, "hex"))).toEqual(ITEM);
    // seal() draws a fresh nonce each time: two seals differ, both open.
    const a = cipher.seal(GOLDEN.itemKey, ITEM);
    const b = cipher.seal(GOLDEN.itemKey, ITEM);
    expect(hex(a)).not.toBe(hex(b));
    expect(cipher.open(GOLDEN.itemKey, a)).toEqual(ITEM);
    // Nonces come from a pool refilled every 512: never one twice, across refills too.
    const nonces = new Set<string>();
    for (let i = 0; i < 2000; i++) nonces.add(hex(cipher.seal(GOLDEN.itemKey, ITEM).subarray(0, 12)));
    expect(nonces.size).toBe(2000);
  });
});

describe("mailbox index format 3: entries are authenticated and bound", () => {
  const sealed = Buffer.from(GOLDEN.sealedItem, "hex");
  const cipher = new IndexEntryCipher(CACHE_KEY, MAILBOX);

  it("refuses a changed byte anywhere, a truncation and garbage with INDEX_AUTH_FAILED", () => {
    for (let position = 0; position < sealed.length; position++) {
      const changed = Buffer.from(sealed);
      changed[position]! ^= 0x01;
      expect(() => cipher.open(GOLDEN.itemKey, changed)).toThrowError(
        expect.objectContaining({ code: "INDEX_AUTH_FAILED" }),
      );
    }
    for (const length of [0, 1, 27, 28, sealed.length - 1]) {
      expect(() => cipher.open(GOLDEN.itemKey, sealed.subarray(0, length))).toThrowError(
        expect.objectContaining({ code: "INDEX_AUTH_FAILED" }),
      );
    }
    expect(() => cipher.open(GOLDEN.itemKey, Buffer.from(JSON.stringify(ITEM)))).toThrowError(
      expect.objectContaining({ code: "INDEX_AUTH_FAILED" }),
    );
  });

  it("refuses an entry under another key (a swap), of another mailbox or another repository", () => {
    const otherKey = `i!${cipher.folderTag(FOLDER_ID)}!${cipher.itemTag("AAMkAGItem2=")}`;
    expect(() => cipher.open(otherKey, sealed)).toThrowError(
      expect.objectContaining({ code: "INDEX_AUTH_FAILED" }),
    );
    const bob = new IndexEntryCipher(CACHE_KEY, "bob@contoso.test");
    expect(() => bob.open(GOLDEN.itemKey, sealed)).toThrowError(
      expect.objectContaining({ code: "INDEX_AUTH_FAILED" }),
    );
    const otherRepository = new IndexEntryCipher(randomKey(), MAILBOX);
    expect(() => otherRepository.open(GOLDEN.itemKey, sealed)).toThrowError(
      expect.objectContaining({ code: "INDEX_AUTH_FAILED" }),
    );
  });

  it("a swapped, edited or garbage entry in the database fails every read that meets it", async () => {
    const path = await dir();
    const item = (itemId: string): IndexedItem => ({ ...ITEM, itemId, blobIds: [itemId.padEnd(64, "0")] });
    const index = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    await index
      .batch()
      .putFolder({
        folder: { folderId: FOLDER_ID, changeKey: "c", parentFolderId: "r", displayName: "Inbox" },
        root: "mailbox",
      })
      .putItem(item("a1"))
      .putItem(item("b2"))
      .putItem(item("c3"))
      .commit();
    await index.close();

    const raw = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
    await raw.open();
    const keys: string[] = [];
    for await (const key of raw.keys({ gte: "i!", lt: 'i"' })) keys.push(key);
    expect(keys).toHaveLength(3);
    const [k1, k2] = keys as [string, string];
    const [v1, v2] = (await raw.getMany([k1, k2])) as [Uint8Array, Uint8Array];
    await raw.batch([
      { type: "put", key: k1, value: v2 },
      { type: "put", key: k2, value: v1 },
    ]);
    await raw.close();

    const reopened = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    const read = async () => {
      const items: string[] = [];
      for await (const i of reopened.items(FOLDER_ID)) items.push(i.itemId);
      return items;
    };
    await expect(read()).rejects.toMatchObject({ code: "INDEX_AUTH_FAILED" });
    const results = await Promise.allSettled(["a1", "b2", "c3"].map((id) => reopened.getItem(FOLDER_ID, id)));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(2);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    await reopened.close();

    // An edited byte in the header: the index does not open.
    const edit = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
    await edit.open();
    const header = Buffer.from((await edit.get("m"))!);
    header[header.length - 1]! ^= 0x80;
    await edit.put("m", header);
    await edit.close();
    await expect(MailboxIndex.open(path, MAILBOX, CACHE_KEY)).rejects.toMatchObject({
      code: "INDEX_AUTH_FAILED",
    });
  });
});

describe("mailbox index format 3: the item set", () => {
  const entry = (folderId: string, itemId: string): IndexedItem => ({ ...ITEM, folderId, itemId });

  it("follows puts, re-puts, deletes and folder deletions, and catches a removed or re-added entry", async () => {
    const path = await dir();
    const index = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    await index
      .batch()
      .putItem(entry("F1", "a"))
      .putItem(entry("F1", "b"))
      .putItem(entry("F2", "c"))
      .commit();
    await index
      .batch()
      .putItem(entry("F1", "a")) // replaces: no change to the set
      .deleteItem("F2", "c")
      .deleteItem("F2", "missing") // deletes nothing
      .putItem(entry("F2", "d"))
      .commit();
    await index.batch().deleteFolder("F1").putItem(entry("F1", "b")).putItem(entry("F3", "e")).commit();
    // Concurrent commits are applied one after the other.
    await Promise.all([
      index.batch().putItem(entry("F3", "f")).commit(),
      index.batch().deleteItem("F3", "e").commit(),
    ]);
    expect(index.meta.itemSet.count).toBe(3);
    expect(await index.countItems()).toBe(3);
    await index.verifyItemSet();
    await index.close();

    const raw = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
    await raw.open();
    const [first] = await raw.keys({ gte: "i!", lt: 'i"', limit: 1 }).all();
    const saved = (await raw.get(first!))!;
    await raw.del(first!);
    await raw.close();
    const removed = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    await expect(removed.verifyItemSet()).rejects.toMatchObject({ code: "INDEX_AUTH_FAILED" });
    await removed.close();

    // Put back (authentic bytes under their own key): the set matches again...
    const back = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
    await back.open();
    await back.put(first!, saved);
    await back.close();
    const restored = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    await restored.verifyItemSet();
    // ...but an entry ewsvault deleted, put back from an older copy, does not.
    const victim = (await restored.getItem("F3", "f"))!;
    await restored.batch().deleteItem(victim.folderId, victim.itemId).commit();
    await restored.close();
    const cipher = new IndexEntryCipher(CACHE_KEY, MAILBOX);
    const victimKey = `i!${cipher.folderTag("F3")}!${cipher.itemTag("f")}`;
    const old = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
    await old.open();
    await old.put(victimKey, cipher.seal(victimKey, victim));
    await old.close();
    const readded = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    await expect(readded.verifyItemSet()).rejects.toMatchObject({ code: "INDEX_AUTH_FAILED" });
    // Authentic on its own, but item lookups answer from the checked key set: the first fails too.
    await expect(readded.getItem("F3", "f")).rejects.toMatchObject({ code: "INDEX_AUTH_FAILED" });
    await readded.close();
  });
});

describe("mailbox index format 3: storage", () => {
  it("creates its directory 0700 and leaves every file 0600", async () => {
    const path = await dir();
    const previous = process.umask(0o022);
    try {
      const index = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
      await index.batch().putItem(ITEM).commit();
      await index.close();
    } finally {
      process.umask(previous);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o700);
    const names = await readdir(path);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(((await stat(join(path, name))).mode & 0o777).toString(8)).toBe("600");
  });

  it("yields a folder's items in item id order, small folders and large ones alike", async () => {
    const path = await dir();
    const index = await MailboxIndex.open(path, MAILBOX, CACHE_KEY);
    const ids = (count: number, prefix: string) =>
      Array.from(
        { length: count },
        (_, n) => `${prefix}${((n * 7919) % count).toString(36).padStart(4, "0")}`,
      );
    const small = ids(50, "S");
    const large = ids(5000, "L"); // above the in-memory sort limit: ids first, values read again
    for (const [folderId, list] of [
      ["F-small", small],
      ["F-large", large],
    ] as const) {
      for (let start = 0; start < list.length; start += 1000) {
        const batch = index.batch();
        for (const itemId of list.slice(start, start + 1000)) batch.putItem({ ...ITEM, folderId, itemId });
        await batch.commit();
      }
    }
    for (const [folderId, list] of [
      ["F-small", small],
      ["F-large", large],
    ] as const) {
      const seen: string[] = [];
      for await (const item of index.items(folderId)) {
        expect(item.folderId).toBe(folderId);
        seen.push(item.itemId);
      }
      expect(seen).toEqual([...list].sort());
    }
    expect(await index.countItems()).toBe(5050);
    await index.close();
  });
});
