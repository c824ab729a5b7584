// prune: removes data no snapshot references. It runs only under the exclusive lock, which it
// gets only while no live backup or mailbox lock exists (and backups refuse to start while it is
// held), so no concurrent writer can be deduplicating against a blob prune removes. Order:
// new packs -> one compacted index file naming every file it supersedes -> remove old index
// files -> remove old packs; a crash at any point leaves a readable, complete repository.
// Rules and defaults: docs/repository-format.md, "Prune".

import { EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import { openBlob } from "./blob.js";
import { OBJECT_PREFIX, idFromName, indexObjectName, packObjectName } from "./format.js";
import { type IndexFileContent, type IndexedPack, encodeIndexFile } from "./index-file.js";
import { EXCLUSIVE_LOCK_NAME } from "./locks.js";
import { PackBuilder, type PackEntry } from "./pack.js";
import type { RepositoryImpl } from "./repository.js";
import { collectTreeRefs, walkTrees } from "./tree-refs.js";

/** Packs below this share of the configured pack size count as small (see repackSmall). */
const SMALL_PACK_SHARE = 0.25;

export interface PruneOptions {
  /** Decide and report; change nothing. */
  readonly dryRun?: boolean;
  /** Repack a pack when more than this share of its blob bytes is unused; default 0.2 (20 %). */
  readonly repackThreshold?: number;
  /**
   * Merge packs smaller than a quarter of the pack size (left by frequent checkpoints) when there
   * are at least two of them; default true.
   */
  readonly repackSmall?: boolean;
  /** How long to wait for live backup locks to go away before REPO_LOCKED; default 0 (refuse at once). */
  readonly waitMs?: number;
  /** Poll interval while waiting; default 1000 ms. */
  readonly pollMs?: number;
  /**
   * Packs no index lists (left by interrupted writers) are removed only when older than this;
   * default 1 hour, so a writer whose lock went stale while it was still uploading is not robbed
   * of a pack it is about to index.
   */
  readonly unindexedGraceMs?: number;
}

export interface PruneReport {
  readonly dryRun: boolean;
  readonly snapshots: number;
  readonly usedBlobs: number;
  readonly unusedBlobs: number;
  /** Packs removed because nothing in them is used. */
  readonly packsDeleted: number;
  /** Packs whose used blobs were copied into new packs, then removed. */
  readonly packsRepacked: number;
  readonly packsWritten: number;
  /** Unindexed leftovers removed. */
  readonly unindexedPacksDeleted: number;
  /** Index files replaced by the one compacted file. */
  readonly indexFilesReplaced: number;
  /**
   * Stored bytes removed minus stored bytes written (a dry run estimates the written bytes as
   * the used blobs of the packs it would repack).
   */
  readonly bytesFreed: number;
  /**
   * Bytes of unreferenced blobs left in packs this prune keeps (their pack's waste is under
   * repackThreshold): what a later prune may still free.
   */
  readonly bytesUnreferenced: number;
  /**
   * Backup and mailbox locks of holders that stopped refreshing or died on this host (a killed
   * backup leaves its locks behind), removed (or, in a dry run, found).
   */
  readonly staleLocksRemoved: number;
}

export async function pruneRepository(repo: RepositoryImpl, options: PruneOptions): Promise<PruneReport> {
  const threshold = options.repackThreshold ?? 0.2;
  const repackSmall = options.repackSmall ?? true;
  if (!(threshold >= 0 && threshold <= 1)) throw new TypeError("repackThreshold must be in [0, 1]");
  const graceMs = options.unindexedGraceMs ?? 60 * 60_000;
  const dryRun = options.dryRun ?? false;
  const lock = await repo.acquireExclusiveLock(options.waitMs ?? 0, options.pollMs ?? 1000);
  try {
    // acquireExclusiveLock already ignored these; nothing else would ever remove them.
    const staleLocks = (await repo.listLocks()).filter(
      (l) => l.stale && l.unreadable !== true && l.name !== EXCLUSIVE_LOCK_NAME,
    );
    if (!dryRun) {
      for (const stale of staleLocks) await repo.io(() => repo.destination.remove(stale.name));
    }
    await repo.reloadIndex();
    if (repo.indexProblems.size > 0) {
      throw new EwsVaultError(
        "REPO_CORRUPT",
        "unreadable index files; run verify and repair before pruning",
        {
          details: { objects: [...repo.indexProblems.keys()].map(indexObjectName) },
        },
      );
    }
    const index = repo.index;

    // mark: everything reachable from any snapshot
    const snapshotIds = await repo.listSnapshotIds();
    const used = new Set<string>();
    const roots: string[] = [];
    for (const id of snapshotIds) roots.push((await repo.readSnapshot(id, true)).tree);
    const trees = await walkTrees(roots, async (tree) => {
      const refs = collectTreeRefs(await repo.loadTree(tree));
      for (const d of refs.data) {
        if (!index.blobs.has(d)) {
          throw new EwsVaultError("REPO_MISSING_BLOB", `snapshot data ${d} is not indexed; prune refused`, {
            details: { blob: d },
          });
        }
        used.add(d);
      }
      return refs.trees;
    });
    for (const t of trees) used.add(t);

    // sweep decision per pack
    const keepPacks: IndexedPack[] = [];
    const repack: IndexedPack[] = [];
    const small: IndexedPack[] = [];
    const smallLimit = repo.packSize * SMALL_PACK_SHARE;
    const isLive = (pack: IndexedPack, e: PackEntry) =>
      used.has(e.id) && index.blobs.get(e.id)?.packId === pack.packId;
    const remove: IndexedPack[] = [];
    let unusedBlobs = 0;
    const usedBytesOf = new Map<string, number>();
    for (const pack of index.packs.values()) {
      let usedBytes = 0;
      const live: PackEntry[] = [];
      for (const e of pack.entries) {
        if (isLive(pack, e)) {
          usedBytes += e.length;
          live.push(e);
        } else unusedBlobs++;
      }
      usedBytesOf.set(pack.packId, usedBytes);
      // Waste is measured against the whole object, so blobs an earlier prune already dropped
      // from the index still count.
      if (usedBytes === 0) remove.push(pack);
      else if ((pack.size - usedBytes) / pack.size > threshold) repack.push(pack);
      else if (repackSmall && pack.size < smallLimit) small.push(pack);
      else keepPacks.push({ ...pack, entries: live.length === pack.entries.length ? pack.entries : live });
    }
    // Frequent checkpoints leave many small packs; merging them is cheap (they are small) and
    // saves per-object costs and listing time. One small pack alone is left as it is.
    if (small.length >= 2) repack.push(...small);
    else
      for (const pack of small)
        keepPacks.push({ ...pack, entries: pack.entries.filter((e) => isLive(pack, e)) });
    const unindexed: string[] = [];
    const now = Date.now();
    for await (const info of repo.destination.list(OBJECT_PREFIX.data)) {
      const id = idFromName(info.name);
      if (id === undefined || index.packs.has(id)) continue;
      const age = info.modifiedAt === undefined ? Number.POSITIVE_INFINITY : now - info.modifiedAt.getTime();
      if (age >= graceMs) unindexed.push(id);
    }

    let bytesFreed = [...remove, ...repack].reduce((n, p) => n + p.size, 0);
    // Kept packs' entries are already reduced to live blobs; their waste is size minus those.
    const bytesUnreferenced = keepPacks.reduce(
      (n, p) => n + Math.max(0, p.size - (usedBytesOf.get(p.packId) ?? p.size)),
      0,
    );
    if (dryRun) bytesFreed -= repack.reduce((n, p) => n + (usedBytesOf.get(p.packId) ?? 0), 0);
    const written: IndexedPack[] = [];
    const oldIndexFiles = [...index.files.keys()];
    if (!dryRun) {
      // copy: used blobs of repacked packs, authenticated on the way so damage is never spread
      let builder = new PackBuilder();
      const flush = async () => {
        if (builder.count === 0) return;
        const finished = builder.finish(repo.sealer);
        builder = new PackBuilder();
        await repo.io(() => repo.destination.save(packObjectName(finished.id), finished.bytes));
        written.push({ packId: finished.id, size: finished.bytes.length, entries: finished.entries });
        bytesFreed -= finished.bytes.length;
      };
      const copied = new Set<string>();
      for (const pack of repack) {
        const name = packObjectName(pack.packId);
        const bytes = await repo.io(() => repo.destination.load(name));
        for (const e of pack.entries as PackEntry[]) {
          if (!used.has(e.id) || copied.has(e.id) || index.blobs.get(e.id)?.packId !== pack.packId) continue;
          const sealed = bytes.subarray(e.offset, e.offset + e.length);
          openBlob(repo.sealer, repo.idKey, e.type, e.id, sealed, e.rawLength, { object: name });
          builder.add(e.type, e.id, sealed.slice(), e.rawLength);
          copied.add(e.id);
          if (builder.size >= repo.packSize) await flush();
        }
      }
      await flush();

      // one compacted index supersedes every file read, then the old objects go
      const content: IndexFileContent = { supersedes: oldIndexFiles, packs: [...keepPacks, ...written] };
      const { id, bytes } = encodeIndexFile(content, repo.sealer);
      await repo.io(() => repo.destination.save(indexObjectName(id), bytes));
      await repo.indexWritten(id, bytes, content);
      for (const old of oldIndexFiles) await repo.io(() => repo.destination.remove(indexObjectName(old)));
      for (const pack of [...remove, ...repack])
        await repo.io(() => repo.destination.remove(packObjectName(pack.packId)));
      for (const packId of unindexed) await repo.io(() => repo.destination.remove(packObjectName(packId)));
      await repo.reloadIndex();
    }
    return {
      dryRun,
      snapshots: snapshotIds.length,
      usedBlobs: used.size,
      unusedBlobs,
      packsDeleted: remove.length,
      packsRepacked: repack.length,
      packsWritten: written.length,
      unindexedPacksDeleted: unindexed.length,
      indexFilesReplaced: dryRun ? 0 : oldIndexFiles.length,
      bytesFreed,
      bytesUnreferenced,
      staleLocksRemoved: staleLocks.length,
    };
  } catch (error) {
    if (isEwsVaultError(error)) throw error;
    throw new EwsVaultError(
      "REPO_PRUNE_FAILED",
      "prune failed; the repository is unchanged or only has garbage",
      {
        cause: error,
      },
    );
  } finally {
    await lock.release();
  }
}
