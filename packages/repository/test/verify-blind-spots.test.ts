// Issue 11, item 10: what verify, restore lookups and prune used to miss. A snapshot deleted by
// hand is reported (REPO_SNAPSHOT_MISSING) while one removed by forget is not; a pack stored under
// another pack's name is caught by read-data; a damaged snapshot answers REPO_CORRUPT, not
// "not found"; prune removes the locks killed backups left behind.
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { packObjectName } from "../src/format.js";
import { openRepository, type Repository, type Snapshot } from "../src/index.js";
import { encodeLock } from "../src/lock-objects.js";
import type { RepositoryImpl } from "../src/repository.js";
import { flipBit, names, newRepository, PASSWORD, seededBytes } from "./helpers.js";

/** Three snapshots of one mailbox, each naming the previous one as parent (as the engine does). */
async function chain(repo: Repository, mailbox = "m@example.com"): Promise<Snapshot[]> {
  const writer = await repo.startWriter();
  const trees: string[] = [];
  for (let i = 0; i < 3; i++) {
    const blobIds = (await writer.saveData(seededBytes(700 + i, 5_000))).blobIds;
    trees.push(await writer.saveTree({ n: i, items: [{ content: blobIds }] }));
  }
  await writer.close();
  const out: Snapshot[] = [];
  for (let i = 0; i < 3; i++) {
    const parent = out[i - 1]?.id;
    out.push(
      await repo.saveSnapshot({
        mailbox,
        time: new Date(Date.UTC(2026, 0, 1 + i)),
        tree: trees[i]!,
        ...(parent === undefined ? {} : { parent }),
      }),
    );
  }
  return out;
}

describe("verify blind spots", () => {
  it("a snapshot deleted by hand is REPO_SNAPSHOT_MISSING; one removed by forget is not a problem", async () => {
    const { repo, destination } = await newRepository();
    const snapshots = await chain(repo);
    expect((await repo.verify()).ok).toBe(true);

    await destination.remove(`snapshots/${snapshots[1]!.id}`);
    const report = await repo.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: "REPO_SNAPSHOT_MISSING", snapshot: snapshots[1]!.id }),
    ]);

    const other = await newRepository();
    const kept = await chain(other.repo);
    const forgotten = await other.repo.forget({ keepLast: 1 });
    expect(forgotten.remove.map((s) => s.id).sort()).toEqual([kept[0]!.id, kept[1]!.id].sort());
    expect(await names(other.destination, "forgotten/")).toHaveLength(1);
    const clean = await other.repo.verify();
    expect(clean.problems).toEqual([]);
    expect(clean.checked.forgetRecords).toBe(1);
  });

  it("a forget record cannot be forged or moved: a tampered one is REPO_CORRUPT and excuses nothing", async () => {
    const { repo, destination } = await newRepository();
    const snapshots = await chain(repo);
    await repo.forget({ keepLast: 2 }); // forgets snapshots[0] with a record
    const [record] = await names(destination, "forgotten/");
    await flipBit(destination, record!, 200);
    await destination.remove(`snapshots/${snapshots[1]!.id}`); // lost, and no valid record
    const codes = (await repo.verify()).problems.map((p) => p.code).sort();
    // snapshots[0] is named by no remaining snapshot; snapshots[1] is the parent of snapshots[2].
    expect(codes).toEqual(["REPO_CORRUPT", "REPO_SNAPSHOT_MISSING"]);
  });

  it("a pack stored under another name is found by read-data (its bytes do not hash to the name)", async () => {
    const { repo, destination } = await newRepository();
    await chain(repo);
    const [packName] = await names(destination, "data/");
    const wrongId = "ab".repeat(32);
    await destination.save(packObjectName(wrongId), await destination.load(packName!));
    const structural = await repo.verify();
    expect(structural.unindexedPacks).toEqual([wrongId]);
    const read = await repo.verify({ readData: true });
    expect(read.problems).toEqual([
      expect.objectContaining({ code: "REPO_CORRUPT", object: packObjectName(wrongId) }),
    ]);
  });

  it("a damaged snapshot makes the latest-snapshot lookup REPO_CORRUPT, not a silent 'none'", async () => {
    const { repo, destination } = await newRepository();
    const snapshots = await chain(repo);
    for (const s of snapshots) await flipBit(destination, `snapshots/${s.id}`, 300);
    // The memoised manifests would hide the damage; a fresh open reads the destination.
    const fresh = await openRepository({ destination, password: PASSWORD });
    await expect(fresh.findSnapshot({ mailbox: "m@example.com" })).rejects.toMatchObject({
      code: "REPO_CORRUPT",
      details: { snapshots: snapshots.map((s) => s.id).sort() },
    });
    await fresh.close();
    await repo.close();
  });

  it("prune removes the backup and mailbox locks of killed processes and reports them", async () => {
    const { repo, destination } = await newRepository();
    await chain(repo);
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid ?? 999_999;
    const impl = repo as unknown as RepositoryImpl;
    const at = new Date().toISOString();
    for (const [name, kind] of [
      ["locks/backup-00000000000000000000000000000001", "backup"],
      ["locks/mailbox-killed", "mailbox"],
    ] as const) {
      const content = { kind, hostname: hostname(), pid: dead, createdAt: at, refreshedAt: at };
      await destination.save(
        name,
        encodeLock({ ...content, ...(kind === "mailbox" ? { mailbox: "m" } : {}) }, impl.sealer),
      );
    }
    const dry = await repo.prune({ dryRun: true });
    expect(dry.staleLocksRemoved).toBe(2);
    expect(await names(destination, "locks/")).toHaveLength(2);
    const report = await repo.prune();
    expect(report.staleLocksRemoved).toBe(2);
    expect(await names(destination, "locks/")).toEqual([]);
  });
});
