import { createMemoryDestination } from "@ewsvault/destination";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { initRepository, openRepository } from "../src/index.js";
import {
  concat,
  digest,
  FAST_KDF,
  mailText,
  newRepository,
  PASSWORD,
  SMALL_CHUNKS,
  seededBytes,
} from "./helpers.js";

describe("repository round trip", () => {
  it("stores and loads random and mail-like data byte for byte", async () => {
    const { repo } = await newRepository({ packSize: 64 * 1024, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter();
    const inputs = [
      new Uint8Array(0),
      seededBytes(1, 10),
      seededBytes(2, 300_000),
      mailText(3, 500_000),
      concat(mailText(4, 20_000), seededBytes(5, 70_000)),
    ];
    const saved = await Promise.all(inputs.map((b) => writer.saveData(b)));
    await writer.checkpoint();
    for (const [i, s] of saved.entries()) {
      expect(s.size).toBe(inputs[i]!.length);
      expect(digest(await repo.loadData(s.blobIds))).toBe(digest(inputs[i]!));
    }
    // mail text compresses: stored bytes well under the input
    expect(saved[3]!.storedBytes).toBeLessThan(saved[3]!.size / 2);
    await writer.close();
    await repo.close();
  });

  it("stores a shared attachment once across 50 items", async () => {
    const { repo } = await newRepository({ packSize: 256 * 1024, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter();
    const attachment = seededBytes(99, 200_000); // incompressible, like a PDF
    const first = await writer.saveData(concat(mailText(1000, 3000), attachment));
    let laterNew = 0;
    let laterStored = 0;
    const results = await Promise.all(
      Array.from({ length: 49 }, (_, i) => writer.saveData(concat(mailText(1001 + i, 3000), attachment))),
    );
    for (const r of results) {
      laterNew += r.newBytes;
      laterStored += r.storedBytes;
    }
    await writer.close();
    // the attachment is stored by the first item; later items add only about their own text
    expect(first.storedBytes).toBeGreaterThan(200_000);
    expect(laterNew).toBeLessThan(49 * (3000 + 2 * SMALL_CHUNKS.maxSize));
    const stats = await repo.stats();
    expect(stats.storedBytes).toBeLessThan(200_000 + 49 * 40_000);
    // without dedupe 50 copies would be stored; each later item adds at most its text plus the
    // chunk spanning text and attachment start (chunk cuts depend on the repository's chunker key)
    expect(stats.storedBytes).toBeLessThan(50 * 200_000 * 0.15);
    expect(laterStored).toBeLessThan(49 * (3000 + SMALL_CHUNKS.maxSize));
    for (const [i, r] of results.entries()) {
      expect(digest(await repo.loadData(r.blobIds))).toBe(
        digest(concat(mailText(1001 + i, 3000), attachment)),
      );
    }
    await repo.close();
  });

  it("an unchanged tree costs no new bytes and snapshots resolve by point in time", async () => {
    const { repo, destination } = await newRepository();
    const writer = await repo.startWriter();
    const item = await writer.saveData(mailText(7, 10_000));
    const folder = { name: "Inbox", items: [{ id: "a", content: item.blobIds }] };
    const folderId = await writer.saveTree(folder);
    const root = await writer.saveTree({ folders: [{ subtree: folderId }] });
    await writer.checkpoint();
    let before = 0;
    for await (const o of destination.list("data/")) before += o.size;
    // same values again, key order shuffled: canonical JSON gives the same ids
    expect(await writer.saveTree({ items: [{ content: item.blobIds, id: "a" }], name: "Inbox" })).toBe(
      folderId,
    );
    expect(await writer.saveTree({ folders: [{ subtree: folderId }] })).toBe(root);
    await writer.checkpoint();
    let after = 0;
    for await (const o of destination.list("data/")) after += o.size;
    expect(after).toBe(before);
    expect(await repo.loadTree(folderId)).toEqual(folder);

    const t1 = new Date("2026-01-01T10:00:00Z");
    const t2 = new Date("2026-01-02T10:00:00Z");
    const s1 = await repo.saveSnapshot({
      mailbox: "alice@example.com",
      time: t1,
      tree: root,
      tags: ["daily"],
    });
    const s2 = await repo.saveSnapshot({ mailbox: "alice@example.com", time: t2, tree: root, parent: s1.id });
    await repo.saveSnapshot({ mailbox: "bob@example.com", time: t2, tree: root });
    expect((await repo.findSnapshot({ mailbox: "alice@example.com" }))?.id).toBe(s2.id);
    expect(
      (await repo.findSnapshot({ mailbox: "alice@example.com", at: new Date("2026-01-01T23:00:00Z") }))?.id,
    ).toBe(s1.id);
    expect((await repo.findSnapshot({ mailbox: "alice@example.com", at: t1 }))?.id).toBe(s1.id);
    expect(
      await repo.findSnapshot({ mailbox: "alice@example.com", at: new Date("2025-12-31T00:00:00Z") }),
    ).toBeUndefined();
    expect((await repo.listSnapshots({ mailbox: "alice@example.com" })).map((s) => s.id)).toEqual([
      s1.id,
      s2.id,
    ]);
    const loaded = await repo.loadSnapshot(s2.id);
    expect(loaded).toMatchObject({ mailbox: "alice@example.com", tree: root, parent: s1.id });
    expect(loaded.time.toISOString()).toBe(t2.toISOString());
    await writer.close();
    await repo.close();
  });

  it("refuses a snapshot whose tree is not durable, and a tree with unknown references", async () => {
    const { repo } = await newRepository();
    const writer = await repo.startWriter({ checkpointSeconds: 0 });
    const tree = await writer.saveTree({ hello: "world" });
    await expect(repo.saveSnapshot({ mailbox: "m", time: new Date(), tree })).rejects.toMatchObject({
      code: "REPO_MISSING_BLOB",
    });
    await expect(writer.saveTree({ content: ["0".repeat(64)] })).rejects.toMatchObject({
      code: "REPO_MISSING_BLOB",
    });
    await writer.checkpoint();
    await expect(repo.saveSnapshot({ mailbox: "m", time: new Date(), tree })).resolves.toMatchObject({
      tree,
    });
    await expect(repo.loadData(["f".repeat(64)])).rejects.toSatisfy((e: unknown) =>
      isEwsVaultError(e, "REPO_MISSING_BLOB"),
    );
    await writer.close();
    await repo.close();
  });

  it("dedupes across two writers of one process and checkpoint covers blobs held by the other", async () => {
    const { repo } = await newRepository({ packSize: 1024 * 1024 });
    const a = await repo.startWriter({ checkpointSeconds: 0 });
    const b = await repo.startWriter({ checkpointSeconds: 0 });
    const data = seededBytes(42, 50_000);
    const ra = await a.saveData(data);
    const rb = await b.saveData(data);
    expect(ra.newBytes).toBe(50_000);
    expect(rb.newBytes).toBe(0);
    await b.checkpoint(); // must flush a's pack too, since b's item depends on it
    const tree = await b.saveTree({ content: rb.blobIds });
    await b.checkpoint();
    await expect(repo.saveSnapshot({ mailbox: "m", time: new Date(), tree })).resolves.toBeDefined();
    expect(digest(await repo.loadData(rb.blobIds))).toBe(digest(data));
    await a.close();
    await b.close();
    await repo.close();
  });

  it("inline and worker-thread sealing write the same format (either reads the other)", async () => {
    const destination = createMemoryDestination();
    const inline = await initRepository({ destination, password: PASSWORD, kdf: FAST_KDF, workers: 0 });
    const pooled = await openRepository({ destination, password: PASSWORD, workers: 2 });
    const data = [mailText(1, 400_000), seededBytes(2, 300_000)];
    const w1 = await pooled.startWriter();
    const viaPool = await Promise.all(data.map((d) => w1.saveData(d)));
    await w1.close();
    const w2 = await inline.startWriter();
    const viaInline = await w2.saveData(concat(mailText(3, 200_000), seededBytes(4, 200_000)));
    await w2.close();
    for (const [i, s] of viaPool.entries()) {
      expect(s.newBytes).toBe(data[i]!.length);
      expect(digest(await inline.loadData(s.blobIds))).toBe(digest(data[i]!));
    }
    await pooled.close();
    const reopened = await openRepository({ destination, password: PASSWORD, workers: 2 });
    expect(digest(await reopened.loadData(viaInline.blobIds))).toBe(
      digest(concat(mailText(3, 200_000), seededBytes(4, 200_000))),
    );
    expect((await reopened.verify({ readData: true })).problems).toEqual([]);
    await reopened.close();
    await inline.close();
  });
});
