// prune, step 1 of 2: the plan. Marks every blob reachable from any snapshot, then decides per
// pack: delete (nothing used), repack (too much unused, or one of several small packs), or keep
// (its unused entries dropped from the pack index); and finds the unindexed leftovers old enough
// to delete. It changes nothing, so a dry run is exactly this plan; execute-prune.ts applies it.
// Both run under the exclusive lock (prune.ts). Rules and defaults: docs/repository-format.md,
// "Prune".

import type { Destination } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { idFromName, OBJECT_PREFIX, packIndexObjectName } from "./format.js";
import type { PackIndex } from "./pack-index.js";
import type { IndexedPack } from "./pack-index-file.js";
import { collectTreeRefs, walkTrees } from "./tree-refs.js";

/** Packs below this share of the configured pack size count as small (see repackSmall). */
const SMALL_PACK_SHARE = 0.25;

export interface PrunePlanOptions {
  /** Repack a pack when more than this share of its blob bytes is unused; default 0.2 (20 %). */
  readonly repackThreshold?: number;
  /**
   * Merge packs smaller than a quarter of the pack size (left by frequent checkpoints) when there
   * are at least two of them; default true.
   */
  readonly repackSmall?: boolean;
  /**
   * Packs no pack index lists (left by interrupted writers) are removed only when older than
   * this; default 1 hour, so a writer whose lock went stale while it was still uploading is not
   * robbed of a pack it is about to index.
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
  /** Pack index files replaced by the one compacted file. */
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

/** What a prune would do. Plain data; valid only while the exclusive lock it was made under is held. */
export interface PrunePlan {
  /** The dry run's report: what executing the plan would change (bytesFreed estimated). */
  readonly report: PruneReport;
  /** Packs kept, their entries reduced to the used blobs: listed as they are by the new pack index. */
  readonly keepPacks: readonly IndexedPack[];
  /** Packs nothing in them is used: removed. */
  readonly deletePacks: readonly IndexedPack[];
  /** Packs whose used blobs (their entries here) are copied into new packs; then removed. */
  readonly repackPacks: readonly IndexedPack[];
  /** Ids of packs no pack index file lists, older than the grace time: removed. */
  readonly unindexedPacks: readonly string[];
  /** Every pack index file read: the compacted file supersedes them all, then they are removed. */
  readonly packIndexFiles: readonly string[];
}

/** What planning needs of the repository's layers. */
export interface PrunePlanSource {
  readonly packSize: number;
  /** The pack listing (unindexed leftovers). */
  readonly objects: Pick<Destination, "list">;
  readonly packIndex: {
    readonly index: Pick<PackIndex, "blobs" | "packs" | "files">;
    /** Unreadable pack index files: the plan refuses while there are any. */
    readonly problems: ReadonlyMap<string, unknown>;
    reload(): Promise<void>;
  };
  readonly snapshots: {
    listIds(): Promise<string[]>;
    /** `fresh`: bypassing every cache. */
    read(id: string, fresh: boolean): Promise<{ readonly tree: string }>;
  };
  readonly blobs: { loadTree(id: string): Promise<unknown> };
}

/** The options with their defaults; TypeError for a threshold outside [0, 1]. */
export function resolvePlanOptions(options: PrunePlanOptions): Required<PrunePlanOptions> {
  const repackThreshold = options.repackThreshold ?? 0.2;
  if (!(repackThreshold >= 0 && repackThreshold <= 1))
    throw new TypeError("repackThreshold must be in [0, 1]");
  return {
    repackThreshold,
    repackSmall: options.repackSmall ?? true,
    unindexedGraceMs: options.unindexedGraceMs ?? 60 * 60_000,
  };
}

/** Every blob reachable from a snapshot. MUST throw REPO_MISSING_BLOB for unindexed data. */
async function markUsed(source: PrunePlanSource, snapshotIds: readonly string[]): Promise<Set<string>> {
  const { blobs } = source.packIndex.index;
  const used = new Set<string>();
  const roots: string[] = [];
  for (const id of snapshotIds) roots.push((await source.snapshots.read(id, true)).tree);
  const trees = await walkTrees(roots, async (tree) => {
    const refs = collectTreeRefs(await source.blobs.loadTree(tree));
    for (const d of refs.data) {
      if (!blobs.has(d)) {
        throw new EwsVaultError("REPO_MISSING_BLOB", `snapshot data ${d} is not indexed; prune refused`, {
          details: { blob: d },
        });
      }
      used.add(d);
    }
    return refs.trees;
  });
  for (const t of trees) used.add(t);
  return used;
}

async function findUnindexedPacks(source: PrunePlanSource, graceMs: number): Promise<string[]> {
  const unindexed: string[] = [];
  const now = Date.now();
  for await (const info of source.objects.list(OBJECT_PREFIX.data)) {
    const id = idFromName(info.name);
    if (id === undefined || source.packIndex.index.packs.has(id)) continue;
    const age = info.modifiedAt === undefined ? Number.POSITIVE_INFINITY : now - info.modifiedAt.getTime();
    if (age >= graceMs) unindexed.push(id);
  }
  return unindexed;
}

/**
 * Makes the plan; changes nothing. `staleLocks`: the stale locks found (only counted here).
 * MUST throw REPO_CORRUPT while a pack index file is unreadable, and REPO_CORRUPT /
 * REPO_MISSING_BLOB when a snapshot, tree or referenced blob is unreadable or unindexed.
 */
export async function planPrune(
  source: PrunePlanSource,
  options: Required<PrunePlanOptions>,
  staleLocks: readonly string[],
): Promise<PrunePlan> {
  await source.packIndex.reload();
  const { problems, index } = source.packIndex;
  if (problems.size > 0) {
    throw new EwsVaultError("REPO_CORRUPT", "unreadable index files; run verify and repair before pruning", {
      details: { objects: [...problems.keys()].map(packIndexObjectName) },
    });
  }
  const snapshotIds = await source.snapshots.listIds();
  const used = await markUsed(source, snapshotIds);

  // sweep decision per pack
  const keepPacks: IndexedPack[] = [];
  const repackPacks: IndexedPack[] = [];
  const deletePacks: IndexedPack[] = [];
  const small: IndexedPack[] = [];
  const smallLimit = source.packSize * SMALL_PACK_SHARE;
  // Only the indexed location of a blob counts as used; duplicate copies are waste.
  const liveOf = (pack: IndexedPack): IndexedPack => {
    const live = pack.entries.filter((e) => used.has(e.id) && index.blobs.get(e.id)?.packId === pack.packId);
    return live.length === pack.entries.length ? pack : { ...pack, entries: live };
  };
  let unusedBlobs = 0;
  const usedBytesOf = new Map<string, number>();
  for (const pack of index.packs.values()) {
    const live = liveOf(pack);
    const usedBytes = live.entries.reduce((n, e) => n + e.length, 0);
    unusedBlobs += pack.entries.length - live.entries.length;
    usedBytesOf.set(pack.packId, usedBytes);
    // Waste is measured against the whole object, so blobs an earlier prune already dropped
    // from the pack index still count.
    if (usedBytes === 0) deletePacks.push(pack);
    else if ((pack.size - usedBytes) / pack.size > options.repackThreshold) repackPacks.push(live);
    else if (options.repackSmall && pack.size < smallLimit) small.push(live);
    else keepPacks.push(live);
  }
  // Frequent checkpoints leave many small packs; merging them is cheap (they are small) and
  // saves per-object costs and listing time. One small pack alone is left as it is.
  if (small.length >= 2) repackPacks.push(...small);
  else keepPacks.push(...small);
  const unindexedPacks = await findUnindexedPacks(source, options.unindexedGraceMs);

  const removedBytes = [...deletePacks, ...repackPacks].reduce((n, p) => n + p.size, 0);
  const copiedBytes = repackPacks.reduce((n, p) => n + (usedBytesOf.get(p.packId) ?? 0), 0);
  // Kept packs' entries are already reduced to live blobs; their waste is size minus those.
  const bytesUnreferenced = keepPacks.reduce(
    (n, p) => n + Math.max(0, p.size - (usedBytesOf.get(p.packId) ?? p.size)),
    0,
  );
  return {
    report: {
      dryRun: true,
      snapshots: snapshotIds.length,
      usedBlobs: used.size,
      unusedBlobs,
      packsDeleted: deletePacks.length,
      packsRepacked: repackPacks.length,
      packsWritten: 0,
      unindexedPacksDeleted: unindexedPacks.length,
      indexFilesReplaced: 0,
      bytesFreed: removedBytes - copiedBytes,
      bytesUnreferenced,
      staleLocksRemoved: staleLocks.length,
    },
    keepPacks,
    deletePacks,
    repackPacks,
    unindexedPacks,
    packIndexFiles: [...index.files.keys()],
  };
}
