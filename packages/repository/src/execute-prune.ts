// prune, step 2 of 2: applies a plan (plan-prune.ts) under the same exclusive lock. Order: new
// packs -> one compacted pack index file that lists the kept and new packs and supersedes every
// file read -> remove the old pack index files -> remove the old and unindexed packs. A crash at
// any point leaves a readable, complete repository (at worst with garbage a later prune removes).

import type { Destination } from "@ewsvault/destination";
import { openBlob } from "./blob.js";
import { packIndexObjectName, packObjectName } from "./format.js";
import { PackBuilder } from "./pack.js";
import type { IndexedPack, PackIndexFileContent } from "./pack-index-file.js";
import type { PrunePlan, PruneReport } from "./plan-prune.js";
import type { Sealer } from "./sealer.js";

/** What executing a plan needs of the repository's layers. */
export interface PruneExecutionTarget {
  /** Through the repository's connection limit (limited-objects.ts). */
  readonly objects: Pick<Destination, "load" | "save" | "remove">;
  readonly sealer: Sealer;
  readonly idKey: Uint8Array;
  readonly packSize: number;
  readonly packIndex: {
    /** Writes a pack index file and adds it to the pack index. */
    write(content: PackIndexFileContent): Promise<void>;
    reload(): Promise<void>;
  };
}

/**
 * Copies the used blobs of the packs to repack into new packs, each authenticated and re-hashed
 * on the way so damage is never copied. Returns the new packs, uploaded.
 */
async function repack(target: PruneExecutionTarget, packs: readonly IndexedPack[]): Promise<IndexedPack[]> {
  const { objects, sealer, idKey } = target;
  const written: IndexedPack[] = [];
  let builder = new PackBuilder();
  const flush = async () => {
    if (builder.count === 0) return;
    const finished = builder.finish(sealer);
    builder = new PackBuilder();
    await objects.save(packObjectName(finished.id), finished.bytes);
    written.push({ packId: finished.id, size: finished.bytes.length, entries: finished.entries });
  };
  const copied = new Set<string>();
  for (const pack of packs) {
    const name = packObjectName(pack.packId);
    const bytes = await objects.load(name);
    for (const e of pack.entries) {
      if (copied.has(e.id)) continue;
      const sealed = bytes.subarray(e.offset, e.offset + e.length);
      openBlob(sealer, idKey, e.type, e.id, sealed, e.rawLength, { object: name });
      builder.add(e.type, e.id, sealed.slice(), e.rawLength);
      copied.add(e.id);
      if (builder.size >= target.packSize) await flush();
    }
  }
  await flush();
  return written;
}

export async function executePrune(target: PruneExecutionTarget, plan: PrunePlan): Promise<PruneReport> {
  const { objects } = target;
  const written = await repack(target, plan.repackPacks);

  // one compacted pack index file supersedes every file read, then the old objects go
  await target.packIndex.write({ supersedes: plan.packIndexFiles, packs: [...plan.keepPacks, ...written] });
  for (const old of plan.packIndexFiles) await objects.remove(packIndexObjectName(old));
  for (const pack of [...plan.deletePacks, ...plan.repackPacks])
    await objects.remove(packObjectName(pack.packId));
  for (const packId of plan.unindexedPacks) await objects.remove(packObjectName(packId));
  await target.packIndex.reload();

  const removedBytes = [...plan.deletePacks, ...plan.repackPacks].reduce((n, p) => n + p.size, 0);
  const writtenBytes = written.reduce((n, p) => n + p.size, 0);
  return {
    ...plan.report,
    dryRun: false,
    packsWritten: written.length,
    indexFilesReplaced: plan.packIndexFiles.length,
    bytesFreed: removedBytes - writtenBytes,
  };
}
