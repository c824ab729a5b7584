import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { createMemoryDestination, type Destination } from "@ewsvault/destination";
import { tempDir } from "@ewsvault/testkit";
import { describe, expect, it } from "vitest";
import { applyForgetPolicy, type ForgetPolicy, openRepository, type Snapshot } from "../src/index.js";
import { EXCLUSIVE_LOCK_NAME, encodeLock } from "../src/lock-objects.js";
import type { RepositoryImpl } from "../src/repository.js";
import { digest, names, newRepository, PASSWORD, SMALL_CHUNKS, seededBytes } from "./helpers.js";

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "0"]);
  return child.pid ?? 999_999;
}

async function plantLock(
  repo: RepositoryImpl,
  name: string,
  content: {
    kind: "backup" | "mailbox" | "exclusive";
    hostname: string;
    pid: number;
    ageMs: number;
    mailbox?: string;
  },
): Promise<void> {
  const at = new Date(Date.now() - content.ageMs).toISOString();
  const bytes = encodeLock(
    {
      kind: content.kind,
      hostname: content.hostname,
      pid: content.pid,
      createdAt: at,
      refreshedAt: at,
      ...(content.mailbox === undefined ? {} : { mailbox: content.mailbox }),
    },
    repo.sealer,
  );
  await repo.destination.save(name, bytes);
}

describe("locks", () => {
  it("refuses a second backup of one mailbox with the holder's host, pid and time", async () => {
    const { repo, destination } = await newRepository();
    const other = await openRepository({ destination, password: PASSWORD });
    const lock = await repo.lockMailbox("alice@example.com");
    const error = await other.lockMailbox("alice@example.com").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "REPO_MAILBOX_LOCKED",
      details: { mailbox: "alice@example.com", hostname: hostname(), pid: process.pid, stale: false },
    });
    expect(typeof (error as { details: { refreshedAt: unknown } }).details.refreshedAt).toBe("string");
    const bob = await other.lockMailbox("bob@example.com"); // other mailboxes are free
    await lock.release();
    const again = await other.lockMailbox("alice@example.com");
    await again.release();
    await bob.release();
    expect(await names(destination, "locks/")).toEqual([]);
  });

  it("breaks a dead local holder automatically and a time-stale one only through unlock()", async () => {
    const { repo } = await newRepository();
    const impl = repo as unknown as RepositoryImpl;
    const mailbox = "carol@example.com";
    await plantLock(impl, impl.mailboxLockName(mailbox), {
      kind: "mailbox",
      hostname: hostname(),
      pid: deadPid(),
      ageMs: 1000,
      mailbox,
    });
    const first = await repo.lockMailbox(mailbox); // dead pid on this host: broken, taken
    await first.release();
    await plantLock(impl, impl.mailboxLockName(mailbox), {
      kind: "mailbox",
      hostname: hostname(),
      pid: deadPid(),
      ageMs: 5 * 3600_000,
      mailbox,
    });
    const second = await repo.lockMailbox(mailbox); // dead and old: still certainly dead
    await second.release();

    await plantLock(impl, impl.mailboxLockName(mailbox), {
      kind: "mailbox",
      hostname: "far-away",
      pid: 4242,
      ageMs: 2 * 3600_000,
      mailbox,
    });
    await plantLock(impl, "locks/backup-live", {
      kind: "backup",
      hostname: "far-away",
      pid: 4243,
      ageMs: 1000,
    });
    await expect(repo.lockMailbox(mailbox)).rejects.toMatchObject({
      code: "REPO_MAILBOX_LOCKED",
      details: { hostname: "far-away", pid: 4242, stale: true },
    });
    const locks = await repo.listLocks();
    expect(locks.find((l) => l.kind === "mailbox")).toMatchObject({ stale: true, mailbox });
    expect(locks.find((l) => l.name === "locks/backup-live")).toMatchObject({ stale: false });
    expect(await repo.unlock({ staleOnly: true })).toEqual([impl.mailboxLockName(mailbox)]);
    const lock = await repo.lockMailbox(mailbox);
    await lock.release();
    expect(await repo.unlock({ staleOnly: false })).toEqual(["locks/backup-live"]);
  });

  it("prune refuses or waits while a backup lock is held; backups refuse while prune holds the lock", async () => {
    const { repo, destination } = await newRepository();
    const other = await openRepository({ destination, password: PASSWORD });
    const writer = await repo.startWriter();
    await expect(other.prune()).rejects.toMatchObject({ code: "REPO_LOCKED" });
    const waiting = other.prune({ waitMs: 10_000, pollMs: 50, unindexedGraceMs: 0 });
    await new Promise((r) => setTimeout(r, 300));
    await writer.close(); // drops the backup lock
    await expect(waiting).resolves.toMatchObject({ dryRun: false });

    const impl = repo as unknown as RepositoryImpl;
    await plantLock(impl, EXCLUSIVE_LOCK_NAME, { kind: "exclusive", hostname: "far-away", pid: 1, ageMs: 0 });
    await expect(repo.startWriter()).rejects.toMatchObject({ code: "REPO_LOCKED" });
    await expect(repo.lockMailbox("a")).rejects.toMatchObject({ code: "REPO_LOCKED" });
    await destination.remove(EXCLUSIVE_LOCK_NAME);
    const w2 = await repo.startWriter();
    await w2.close();
    expect(await names(destination, "locks/")).toEqual([]);
  });
});

function snap(id: string, iso: string, tags: string[] = []): Snapshot {
  return {
    id: id.padEnd(64, "0"),
    mailbox: "m",
    time: new Date(iso),
    tree: "f".repeat(64),
    hostname: "h",
    tags,
    group: "legacy",
  };
}

describe("snapshot after prune", () => {
  it("a snapshot saved after its writer closed re-checks its tree against a prune that ran meanwhile", async () => {
    const { repo, destination } = await newRepository();
    const writer = await repo.startWriter();
    const saved = await writer.saveData(seededBytes(3, 5000));
    const tree = await writer.saveTree({ content: saved.blobIds });
    await writer.close(); // no lock held from here on
    const other = await openRepository({ destination, password: PASSWORD });
    const pruned = await other.prune();
    expect(pruned.packsDeleted).toBeGreaterThan(0); // nothing referenced the tree yet
    await expect(repo.saveSnapshot({ mailbox: "m", time: new Date(), tree })).rejects.toMatchObject({
      code: "REPO_MISSING_BLOB",
    });
    expect(await names(destination, "snapshots/")).toEqual([]);
    expect(await names(destination, "locks/")).toEqual([]);
  });
});

describe("writers after a prune elsewhere", () => {
  it("a writer started after another process pruned does not dedupe against removed blobs", async () => {
    const { repo, destination } = await newRepository();
    const first = await repo.startWriter();
    const orphan = seededBytes(77, 9000); // saved, never referenced by a snapshot
    await first.saveData(orphan);
    await first.close();
    const pruner = await openRepository({ destination, password: PASSWORD });
    expect((await pruner.prune()).packsDeleted).toBeGreaterThan(0);
    // `repo` still has the old index in memory; its next writer must reload it
    const second = await repo.startWriter();
    const again = await second.saveData(orphan);
    expect(again.newBytes).toBe(orphan.length);
    const tree = await second.saveTree({ content: again.blobIds });
    await second.close();
    const snapshot = await repo.saveSnapshot({ mailbox: "m", time: new Date(), tree });
    const fresh = await openRepository({ destination, password: PASSWORD });
    expect((await fresh.verify({ readData: true })).problems).toEqual([]);
    const loaded = (await fresh.loadTree((await fresh.loadSnapshot(snapshot.id)).tree)) as {
      content: string[];
    };
    expect(digest(await fresh.loadData(loaded.content))).toBe(digest(orphan));
  });

  it("verify with `exclusive` waits for a backup lock like prune, holds the exclusive lock while it runs", async () => {
    const { repo, destination } = await newRepository();
    const other = await openRepository({ destination, password: PASSWORD });
    const writer = await repo.startWriter();
    await expect(other.verify({ exclusive: {} })).rejects.toMatchObject({ code: "REPO_LOCKED" });
    let finished = false;
    const waiting = other.verify({ exclusive: { waitMs: 10_000, pollMs: 50 } }).finally(() => {
      finished = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(finished).toBe(false);
    await writer.close(); // drops the backup lock
    await expect(waiting).resolves.toMatchObject({ ok: true });
    // Released afterwards: a backup may start again.
    expect(await names(destination, "locks/")).toEqual([]);
    const w2 = await repo.startWriter();
    await w2.close();
  });

  it("an unreadable lock object counts as held", async () => {
    const { repo, destination } = await newRepository();
    await destination.save("locks/backup-garbled", new TextEncoder().encode("not a lock"));
    const locks = await repo.listLocks();
    expect(locks).toContainEqual(
      expect.objectContaining({ name: "locks/backup-garbled", unreadable: true, stale: false }),
    );
    await expect(repo.prune()).rejects.toMatchObject({ code: "REPO_LOCKED" });
    expect(await repo.unlock({ staleOnly: true })).toEqual([]);
    expect(await repo.unlock({ staleOnly: false })).toEqual(["locks/backup-garbled"]);
    await expect(repo.prune()).resolves.toMatchObject({ dryRun: false });
  });
});

describe("forget policies", () => {
  // newest first: hourly pairs on 2026-03-10, one per day before, weekly/monthly/yearly spread
  const series = [
    snap("a1", "2026-03-10T12:30:00Z"),
    snap("a2", "2026-03-10T12:10:00Z"),
    snap("a3", "2026-03-10T11:50:00Z"),
    snap("a4", "2026-03-09T23:00:00Z"),
    snap("a5", "2026-03-08T10:00:00Z", ["keep"]),
    snap("a6", "2026-03-01T10:00:00Z"),
    snap("a7", "2026-02-15T10:00:00Z"),
    snap("a8", "2026-01-20T10:00:00Z"),
    snap("a9", "2025-06-01T10:00:00Z"),
    snap("b1", "2024-06-01T10:00:00Z"),
  ];
  const cases: { policy: ForgetPolicy; keep: string[] }[] = [
    { policy: { keepLast: 2 }, keep: ["a1", "a2"] },
    { policy: { keepHourly: 2 }, keep: ["a1", "a3"] },
    { policy: { keepDaily: 3 }, keep: ["a1", "a4", "a5"] },
    { policy: { keepWeekly: 3 }, keep: ["a1", "a5", "a6"] },
    { policy: { keepMonthly: 3 }, keep: ["a1", "a7", "a8"] },
    { policy: { keepYearly: 5 }, keep: ["a1", "a9", "b1"] },
    { policy: { keepWithinMs: 36 * 3600_000 }, keep: ["a1", "a2", "a3", "a4"] },
    { policy: { keepTags: ["keep"] }, keep: ["a5"] },
    { policy: { keepLast: 1, keepMonthly: 2, keepYearly: 2 }, keep: ["a1", "a7", "a9"] },
    { policy: { keepDaily: 100 }, keep: ["a1", "a4", "a5", "a6", "a7", "a8", "a9", "b1"] },
  ];
  for (const { policy, keep } of cases) {
    it(`${JSON.stringify(policy)} keeps ${keep.join(",")}`, () => {
      const shuffled = [...series].reverse();
      const decision = applyForgetPolicy(shuffled, policy);
      expect(decision.keep.map((k) => k.snapshot.id.slice(0, 2))).toEqual(keep);
      expect(decision.keep.length + decision.remove.length).toBe(series.length);
    });
  }
  it("refuses a policy that keeps nothing", () => {
    expect(() => applyForgetPolicy(series, {})).toThrow(TypeError);
    expect(() => applyForgetPolicy(series, { keepLast: 0 })).toThrow(TypeError);
    expect(() => applyForgetPolicy(series, { keepDaily: -1 })).toThrow(TypeError);
  });
});

async function backupSeries(destination: Destination | undefined, count: number) {
  const { repo, destination: dest } = await newRepository({
    packSize: 8 * 1024,
    chunkerParams: SMALL_CHUNKS,
    ...(destination === undefined ? {} : { destination }),
  });
  const writer = await repo.startWriter();
  const shared = seededBytes(500, 30_000);
  const items: Uint8Array[] = [];
  const saved: string[][] = [];
  // interleave: every item is saved before any snapshot, so packs mix kept and forgotten data
  for (let i = 0; i < count; i++) {
    items.push(seededBytes(600 + i, 12_000));
    saved.push((await writer.saveData(items[i]!)).blobIds);
  }
  const sharedIds = (await writer.saveData(shared)).blobIds;
  const trees: string[] = [];
  for (let i = 0; i < count; i++)
    trees.push(await writer.saveTree({ n: i, items: [{ content: saved[i] }, { content: sharedIds }] }));
  await writer.close();
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < count; i++) {
    snapshots.push(
      await repo.saveSnapshot({
        mailbox: "m@example.com",
        time: new Date(Date.UTC(2026, 0, 1 + i)),
        tree: trees[i]!,
      }),
    );
  }
  return { repo, destination: dest, items, shared, snapshots };
}

describe("forget and prune", () => {
  it("forget dry run lists, real run removes; prune repacks and verify stays clean", async () => {
    const { repo, destination, items, shared, snapshots } = await backupSeries(undefined, 10);
    // an interrupted writer's leftover: a pack nobody indexed
    const orphan = await (await openRepository({ destination, password: PASSWORD })).startWriter({
      checkpointSeconds: 0,
    });
    await orphan.saveData(seededBytes(9999, 20_000));
    const impl = orphan as unknown as { sealPack(): void; uploads: Set<Promise<void>> };
    impl.sealPack();
    await Promise.all([...impl.uploads]);
    expect((await repo.verify()).unindexedPacks.length).toBeGreaterThan(0);

    const dry = await repo.forget({ keepLast: 3 }, { dryRun: true });
    expect(dry.remove.map((s) => s.id).sort()).toEqual(
      snapshots
        .slice(0, 7)
        .map((s) => s.id)
        .sort(),
    );
    expect((await repo.listSnapshots()).length).toBe(10);
    const done = await repo.forget({ keepLast: 3 });
    expect(done.remove.length).toBe(7);
    expect((await repo.listSnapshots()).map((s) => s.id)).toEqual(snapshots.slice(7).map((s) => s.id));

    await expect(repo.prune()).rejects.toMatchObject({ code: "REPO_LOCKED" }); // the orphan writer still holds its lock
    await repo.unlock({ staleOnly: false });
    const before = await repo.stats();
    const dryPrune = await repo.prune({ dryRun: true, unindexedGraceMs: 0 });
    expect(await repo.stats()).toEqual(before);
    const report = await repo.prune({ unindexedGraceMs: 0 });
    expect(report).toMatchObject({
      dryRun: false,
      packsDeleted: dryPrune.packsDeleted,
      packsRepacked: dryPrune.packsRepacked,
    });
    expect(report.packsDeleted + report.packsRepacked).toBeGreaterThan(0);
    expect(report.unindexedPacksDeleted).toBeGreaterThan(0);
    expect(report.bytesFreed).toBeGreaterThan(0);
    const after = await repo.stats();
    expect(after.storedBytes).toBeLessThan(before.storedBytes);
    expect(after.indexFiles).toBe(1);

    const fresh = await openRepository({ destination, password: PASSWORD });
    const verify = await fresh.verify({ readData: true });
    expect(verify.problems).toEqual([]);
    expect(verify.unindexedPacks).toEqual([]);
    for (const s of await fresh.listSnapshots()) {
      const tree = (await fresh.loadTree(s.tree)) as { n: number; items: { content: string[] }[] };
      expect(digest(await fresh.loadData(tree.items[0]!.content))).toBe(digest(items[tree.n]!));
      expect(digest(await fresh.loadData(tree.items[1]!.content))).toBe(digest(shared));
    }
    // forgotten data is really gone
    const w = await fresh.startWriter();
    expect((await w.saveData(items[0]!)).newBytes).toBe(items[0]!.length);
    expect((await w.saveData(items[9]!)).newBytes).toBe(0);
    await w.close();
    await orphan.close().catch(() => undefined);
  });

  it("prune merges the small packs frequent checkpoints leave behind", async () => {
    const { repo, destination } = await newRepository({ packSize: 256 * 1024, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter();
    const items: { n: number; content: string[] }[] = [];
    for (let n = 0; n < 8; n++) {
      items.push({ n, content: (await writer.saveData(seededBytes(700 + n, 6000))).blobIds });
      await writer.checkpoint(); // one small pack per item
    }
    const tree = await writer.saveTree({ items });
    await writer.close();
    await repo.saveSnapshot({ mailbox: "m", time: new Date(), tree });
    const before = (await names(destination, "data/")).length;
    expect(before).toBeGreaterThanOrEqual(8);
    const report = await repo.prune();
    expect(report.packsRepacked).toBe(before);
    expect((await names(destination, "data/")).length).toBe(1);
    const fresh = await openRepository({ destination, password: PASSWORD });
    expect((await fresh.verify({ readData: true })).problems).toEqual([]);
    for (const item of items)
      expect(digest(await fresh.loadData(item.content))).toBe(digest(seededBytes(700 + item.n, 6000)));
    // a lone small pack is left alone
    expect((await fresh.prune()).packsRepacked).toBe(0);
  });

  it("a crash between the compacted index and removing old index files leaves a consistent repository", async () => {
    const { repo, destination } = await backupSeries(undefined, 4);
    const oldIndex = new Map<string, Uint8Array>();
    for (const name of await names(destination, "index/")) oldIndex.set(name, await destination.load(name));
    expect(oldIndex.size).toBeGreaterThan(0);
    await repo.forget({ keepLast: 2 });
    await repo.prune({ repackThreshold: 0 });
    // put the superseded files back, as if prune died before deleting them
    for (const [name, bytes] of oldIndex) await destination.save(name, bytes);
    const fresh = await openRepository({ destination, password: PASSWORD });
    const verify = await fresh.verify({ readData: true });
    expect(verify.problems).toEqual([]);
    const stats = await fresh.stats();
    expect(stats.indexFiles).toBe(oldIndex.size + 1);
    // the next prune replaces them all again
    await fresh.prune();
    expect((await names(destination, "index/")).length).toBe(1);
    expect((await fresh.verify({ readData: true })).ok).toBe(true);
  });
});

describe("index cache", () => {
  it("a second open reads no index file from the destination and a damaged cache entry is replaced", async () => {
    const cache = await tempDir();
    try {
      const base = createMemoryDestination();
      const loads: string[] = [];
      const counting: Destination = {
        description: base.description,
        capabilities: base.capabilities,
        save: (name, data, options) => base.save(name, data, options),
        load: (name, options) => {
          loads.push(name);
          return base.load(name, options);
        },
        stat: (name) => base.stat(name),
        list: (prefix) => base.list(prefix),
        remove: (name) => base.remove(name),
        close: () => base.close(),
      };
      const { repo } = await newRepository({ destination: counting, cacheDir: cache.path });
      const w = await repo.startWriter();
      await w.saveData(seededBytes(1, 100_000));
      await w.close();
      await repo.close();
      loads.length = 0;
      const again = await openRepository({ destination: counting, password: PASSWORD, cacheDir: cache.path });
      expect(loads.filter((n) => n.startsWith("index/"))).toEqual([]);
      expect((await again.stats()).blobs).toBeGreaterThan(0);
      // damage the cached copy: it fails its content hash and is fetched again
      const { readdir, writeFile } = await import("node:fs/promises");
      const { join } = await import("node:path");
      const dir = join(cache.path, again.config.id, "index");
      for (const f of await readdir(dir)) await writeFile(join(dir, f), "garbage");
      loads.length = 0;
      const third = await openRepository({ destination: counting, password: PASSWORD, cacheDir: cache.path });
      expect(loads.filter((n) => n.startsWith("index/")).length).toBeGreaterThan(0);
      expect((await third.stats()).blobs).toBe((await again.stats()).blobs);
    } finally {
      await cache.cleanup();
    }
  });
});
