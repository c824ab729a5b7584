import { createMemoryDestination } from "@ewsvault/destination";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { openRepository } from "../src/index.js";
import { parsePack } from "../src/pack.js";
import type { Sealer } from "../src/sealer.js";
import {
  digest,
  flipBit,
  mailText,
  names,
  newRepository,
  PASSWORD,
  SMALL_CHUNKS,
  seededBytes,
} from "./helpers.js";

async function populated() {
  const { repo, destination } = await newRepository({ packSize: 16 * 1024, chunkerParams: SMALL_CHUNKS });
  const writer = await repo.startWriter();
  const items = [seededBytes(1, 40_000), mailText(2, 60_000), seededBytes(3, 5000)];
  const saved = [];
  for (const item of items) saved.push(await writer.saveData(item));
  const tree = await writer.saveTree({ items: saved.map((s, i) => ({ i, content: s.blobIds })) });
  await writer.close();
  const snapshot = await repo.saveSnapshot({ mailbox: "alice@example.com", time: new Date(), tree });
  await repo.close();
  return { destination, items, saved, tree, snapshot };
}

/** Bit positions spread over an object: first byte, last byte and a few in between. */
const BITS = (size: number) => [0, 7, size * 4 + 3, size * 8 - 1, size * 2 + 5, size * 6 + 1];

describe("tamper detection", () => {
  it("a flipped bit in any pack is never returned as data and verify names the pack", async () => {
    const { destination, items, saved } = await populated();
    const packs = await names(destination, "data/");
    expect(packs.length).toBeGreaterThanOrEqual(3);
    for (const pack of packs) {
      const original = await destination.load(pack);
      for (const bit of BITS(original.length)) {
        await flipBit(destination, pack, bit);
        const repo = await openRepository({ destination, password: PASSWORD });
        for (const [i, s] of saved.entries()) {
          try {
            // Either the exact original bytes (the flip hit another blob or the header) or REPO_CORRUPT.
            expect(digest(await repo.loadData(s.blobIds))).toBe(digest(items[i]!));
          } catch (error) {
            expect(isEwsVaultError(error, "REPO_CORRUPT")).toBe(true);
          }
        }
        const report = await repo.verify({ readData: true });
        expect(report.ok).toBe(false);
        expect(report.problems.some((p) => p.code === "REPO_CORRUPT" && p.object === pack)).toBe(true);
        await repo.close();
        await destination.save(pack, original);
      }
    }
    const repo = await openRepository({ destination, password: PASSWORD });
    expect((await repo.verify({ readData: true })).ok).toBe(true);
  });

  it("a flipped bit in an index file is reported and its blobs are missing, not wrong", async () => {
    const { destination, saved } = await populated();
    const [indexName] = await names(destination, "index/");
    const original = await destination.load(indexName!);
    for (const bit of BITS(original.length)) {
      await flipBit(destination, indexName!, bit);
      const repo = await openRepository({ destination, password: PASSWORD });
      await expect(repo.loadData(saved[0]!.blobIds)).rejects.toMatchObject({ code: "REPO_MISSING_BLOB" });
      const report = await repo.verify();
      expect(report.problems).toContainEqual(
        expect.objectContaining({ code: "REPO_CORRUPT", object: indexName }),
      );
      await expect(repo.prune()).rejects.toMatchObject({ code: "REPO_CORRUPT" });
      await repo.close();
      await destination.save(indexName!, original);
    }
  });

  it("repairIndex rebuilds a damaged index from the pack headers", async () => {
    const { destination, items, saved } = await populated();
    for (const name of await names(destination, "index/")) await flipBit(destination, name, 100);
    const repo = await openRepository({ destination, password: PASSWORD });
    expect((await repo.verify()).ok).toBe(false);
    const report = await repo.repairIndex();
    expect(report.unreadablePacks).toEqual([]);
    expect(report.packs).toBe((await names(destination, "data/")).length);
    for (const [i, s] of saved.entries())
      expect(digest(await repo.loadData(s.blobIds))).toBe(digest(items[i]!));
    const fresh = await openRepository({ destination, password: PASSWORD });
    expect((await fresh.verify({ readData: true })).problems).toEqual([]);
    expect((await names(destination, "index/")).length).toBe(1);
  });

  it("a flipped bit in a snapshot is reported, never loaded", async () => {
    const { destination, snapshot } = await populated();
    const name = `snapshots/${snapshot.id}`;
    const original = await destination.load(name);
    for (const bit of BITS(original.length)) {
      await flipBit(destination, name, bit);
      const repo = await openRepository({ destination, password: PASSWORD });
      await expect(repo.loadSnapshot(snapshot.id)).rejects.toMatchObject({ code: "REPO_CORRUPT" });
      expect(await repo.listSnapshots()).toEqual([]);
      const report = await repo.verify();
      expect(report.problems).toContainEqual(expect.objectContaining({ code: "REPO_CORRUPT", object: name }));
      // prune cannot know what the damaged snapshot references: it must not delete anything
      await expect(repo.prune()).rejects.toMatchObject({ code: "REPO_CORRUPT" });
      await repo.close();
      await destination.save(name, original);
    }
  });

  it("a flipped bit in the config or a key file stops opening with a clear code", async () => {
    const { destination } = await populated();
    const config = await destination.load("config");
    for (const bit of BITS(config.length)) {
      await flipBit(destination, "config", bit);
      await expect(openRepository({ destination, password: PASSWORD })).rejects.toMatchObject({
        code: "REPO_CORRUPT",
      });
      await destination.save("config", config);
    }
    const [keyName] = await names(destination, "keys/");
    const key = await destination.load(keyName!);
    for (const bit of BITS(key.length)) {
      await flipBit(destination, keyName!, bit);
      const error = await openRepository({ destination, password: PASSWORD }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // A damaged password slot cannot be told from a wrong password (both fail authentication);
      // a malformed one is REPO_CORRUPT. Either way nothing is opened.
      expect(isEwsVaultError(error, "REPO_CORRUPT") || isEwsVaultError(error, "CRYPTO_WRONG_PASSWORD")).toBe(
        true,
      );
      await destination.save(keyName!, key);
    }
    const repo = await openRepository({ destination, password: PASSWORD });
    expect((await repo.verify({ readData: true })).ok).toBe(true);
  });

  it("a wrong password fails clearly and writes nothing", async () => {
    const { destination } = await populated();
    const before = await names(destination);
    const memory = destination as ReturnType<typeof createMemoryDestination>;
    const saves = memory.stats.calls.save;
    const removes = memory.stats.calls.remove;
    await expect(openRepository({ destination, password: "wrong" })).rejects.toMatchObject({
      code: "CRYPTO_WRONG_PASSWORD",
    });
    expect(memory.stats.calls.save).toBe(saves);
    expect(memory.stats.calls.remove).toBe(removes);
    expect(await names(destination)).toEqual(before);
    await expect(
      openRepository({ destination: createMemoryDestination(), password: PASSWORD }),
    ).rejects.toMatchObject({
      code: "REPO_NOT_FOUND",
    });
  });

  it("a blob copied over another blob's place is refused (ids are bound to the ciphertext)", async () => {
    const { destination } = await populated();
    const repo = await openRepository({ destination, password: PASSWORD });
    expect((await repo.verify({ readData: true })).ok).toBe(true);
    const impl = repo as unknown as { sealer: Sealer };
    // the pack with the most blobs (chunk sizes depend on the repository's random chunker key)
    let pack = "";
    let bytes = new Uint8Array(0);
    let entries: ReturnType<typeof parsePack> = [];
    for (const name of await names(destination, "data/")) {
      const candidate = Uint8Array.from(await destination.load(name));
      const parsed = parsePack(candidate, impl.sealer, name);
      if (parsed.length > entries.length) [pack, bytes, entries] = [name, candidate, parsed];
    }
    const [a, b] = entries;
    expect(b).toBeDefined();
    bytes.set(bytes.slice(b!.offset, b!.offset + Math.min(a!.length, b!.length)), a!.offset);
    await destination.save(pack, bytes);
    const fresh = await openRepository({ destination, password: PASSWORD });
    await expect(fresh.loadData([a!.id])).rejects.toMatchObject({ code: "REPO_CORRUPT" });
    expect((await fresh.verify({ readData: true })).ok).toBe(false);
  });
});
