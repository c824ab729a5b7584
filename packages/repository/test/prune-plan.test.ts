// prune as plan then execute: the plan is decided from fakes of the small interfaces it declares
// (no repository needed), planPrune() changes nothing and is exactly prune's dry run, and
// executing does what the plan said.

import { describe, expect, it } from "vitest";
import type { Snapshot } from "../src/index.js";
import { PackIndex } from "../src/pack-index.js";
import type { IndexedPack } from "../src/pack-index-file.js";
import { type PrunePlanSource, planPrune, resolvePlanOptions } from "../src/plan-prune.js";
import { names, newRepository, SMALL_CHUNKS, seededBytes } from "./helpers.js";

const id = (n: number): string => n.toString(16).padStart(64, "0");

/** A pack of `blobs` data blobs of `length` bytes each, `size` bytes in all. */
function pack(packId: string, blobs: readonly string[], length: number, size: number): IndexedPack {
  return {
    packId,
    size,
    entries: blobs.map((blob, i) => ({
      type: "data",
      id: blob,
      offset: i * length,
      length,
      rawLength: length,
    })),
  };
}

/** The snapshot's one tree, in a pack of its own with no waste. */
const TREE = id(800);
const TREE_PACK: IndexedPack = {
  packId: id(801),
  size: 300,
  entries: [{ type: "tree", id: TREE, offset: 0, length: 300, rawLength: 300 }],
};

/** One snapshot whose tree references `used`; the packs in one pack index file; `listed` in data/. */
function fakeSource(packs: readonly IndexedPack[], used: readonly string[], listed: readonly string[]) {
  const index = new PackIndex();
  index.add(id(900), { supersedes: [], packs: [...packs, TREE_PACK] });
  const source: PrunePlanSource = {
    packSize: 1000,
    objects: {
      async *list() {
        for (const packId of listed)
          yield { name: `data/${packId.slice(0, 2)}/${packId}`, size: 1, modifiedAt: new Date(0) };
      },
    },
    packIndex: { index, problems: new Map(), reload: async () => undefined },
    snapshots: { listIds: async () => ["s1"], read: async () => ({ tree: TREE }) },
    blobs: { loadTree: async () => ({ items: [{ content: used }] }) },
  };
  return source;
}

describe("planPrune over fakes of the interfaces it declares", () => {
  it("deletes unused packs, repacks wasteful and small ones, keeps the rest reduced to used blobs", async () => {
    const packs = [
      pack(id(1), [id(11), id(12)], 100, 1000), // nothing used: delete
      pack(id(2), [id(21), id(22)], 400, 1000), // 60 % unused: repack (its used blob only)
      pack(id(3), [id(31), id(32), id(33), id(34), id(35)], 200, 1000), // 20 % unused, not more: keep
      pack(id(4), [id(41), id(42)], 100, 200), // small, all used ...
      pack(id(5), [id(51)], 200, 200), // ... and small: merged
    ];
    const used = [id(21), id(31), id(32), id(33), id(34), id(41), id(42), id(51)];
    const source = fakeSource(packs, used, [id(1), id(2), id(3), id(4), id(5), id(6)]);
    const plan = await planPrune(source, resolvePlanOptions({ unindexedGraceMs: 0 }), ["locks/backup-x"]);

    expect(plan.deletePacks.map((p) => p.packId)).toEqual([id(1)]);
    expect(plan.repackPacks.map((p) => p.packId)).toEqual([id(2), id(4), id(5)]);
    expect(plan.repackPacks[0]!.entries.map((e) => e.id)).toEqual([id(21)]);
    expect(plan.keepPacks.map((p) => p.packId)).toEqual([id(3), id(801)]);
    expect(plan.keepPacks[0]!.entries.map((e) => e.id)).toEqual([id(31), id(32), id(33), id(34)]);
    expect(plan.unindexedPacks).toEqual([id(6)]);
    expect(plan.packIndexFiles).toEqual([id(900)]);
    expect(plan.report).toMatchObject({
      dryRun: true,
      snapshots: 1,
      usedBlobs: used.length + 1,
      unusedBlobs: 4,
      packsDeleted: 1,
      packsRepacked: 3,
      packsWritten: 0,
      unindexedPacksDeleted: 1,
      indexFilesReplaced: 0,
      // removed 1000 + 1000 + 200 + 200; copied 400 + 200 + 200
      bytesFreed: 2400 - 800,
      // pack 3 keeps 1000 - 4 * 200 bytes nobody uses
      bytesUnreferenced: 200,
      staleLocksRemoved: 1,
    });
  });

  it("keeps a lone small pack, and refuses while a pack index file is unreadable", async () => {
    // 10 % unused, so not repacked for waste; small, but alone
    const blobs = Array.from({ length: 10 }, (_, i) => id(0x400 + i));
    const source = fakeSource([pack(id(4), blobs, 10, 100)], blobs.slice(0, 9), []);
    const plan = await planPrune(source, resolvePlanOptions({}), []);
    expect(plan.repackPacks).toEqual([]);
    expect(plan.keepPacks.find((p) => p.packId === id(4))!.entries.map((e) => e.id)).toEqual(
      blobs.slice(0, 9),
    );

    const damaged = {
      ...source,
      packIndex: { ...source.packIndex, problems: new Map([[id(7), new Error()]]) },
    };
    await expect(planPrune(damaged, resolvePlanOptions({}), [])).rejects.toMatchObject({
      code: "REPO_CORRUPT",
    });
    expect(() => resolvePlanOptions({ repackThreshold: 2 })).toThrow(TypeError);
  });
});

describe("planPrune on a repository", () => {
  it("changes nothing, is prune's dry run, and prune then does what it planned", async () => {
    const { repo, destination } = await newRepository({ packSize: 8 * 1024, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter();
    const snapshots: Snapshot[] = [];
    for (let i = 0; i < 6; i++) {
      const { blobIds } = await writer.saveData(seededBytes(700 + i, 12_000));
      const tree = await writer.saveTree({ n: i, items: [{ content: blobIds }] });
      await writer.checkpoint();
      snapshots.push(
        await repo.saveSnapshot({ mailbox: "m@example.com", time: new Date(Date.UTC(2026, 0, 1 + i)), tree }),
      );
    }
    await writer.close();
    await repo.forget({ keepLast: 2 });

    const before = await names(destination);
    const plan = await repo.planPrune({ unindexedGraceMs: 0 });
    expect(await names(destination)).toEqual(before);
    expect(plan.report.dryRun).toBe(true);
    expect(plan.deletePacks.length + plan.repackPacks.length).toBeGreaterThan(0);
    expect(await repo.prune({ dryRun: true, unindexedGraceMs: 0 })).toEqual(plan.report);

    const report = await repo.prune({ unindexedGraceMs: 0 });
    expect(report).toMatchObject({
      dryRun: false,
      snapshots: plan.report.snapshots,
      usedBlobs: plan.report.usedBlobs,
      packsDeleted: plan.deletePacks.length,
      packsRepacked: plan.repackPacks.length,
      indexFilesReplaced: plan.packIndexFiles.length,
    });
    const after = new Set(await names(destination, "data/"));
    for (const p of [...plan.deletePacks, ...plan.repackPacks])
      expect(after.has(`data/${p.packId.slice(0, 2)}/${p.packId}`)).toBe(false);
    for (const s of snapshots.slice(4)) expect((await repo.loadSnapshot(s.id)).tree).toBe(s.tree);
    expect((await repo.verify({ readData: true })).ok).toBe(true);
    await repo.close();
  });
});
