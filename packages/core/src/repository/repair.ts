// repairIndex: rebuilds the repository index from the packs themselves (every pack carries its
// own sealed header), for when index files are damaged or lost. Runs under the exclusive lock,
// writes one index file superseding every existing one, then removes those. Packs whose header
// cannot be read are reported and left in place, never deleted.

import { EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import { OBJECT_PREFIX, idFromName, indexObjectName, packObjectName } from "./format.js";
import { type IndexedPack, encodeIndexFile } from "./index-file.js";
import { loadPackHeader } from "./pack.js";
import type { RepositoryImpl } from "./repository.js";

export interface RepairIndexOptions {
  /** How long to wait for other locks to go away before REPO_LOCKED; default 0. */
  readonly waitMs?: number;
  readonly pollMs?: number;
}

export interface RepairIndexReport {
  readonly packs: number;
  readonly blobs: number;
  /** Index files replaced (readable or not). */
  readonly indexFilesReplaced: number;
  /** Packs whose header could not be read or authenticated (left in place; verify names them). */
  readonly unreadablePacks: readonly string[];
}

export async function repairRepositoryIndex(
  repo: RepositoryImpl,
  options: RepairIndexOptions,
): Promise<RepairIndexReport> {
  const lock = await repo.acquireExclusiveLock(options.waitMs ?? 0, options.pollMs ?? 1000);
  try {
    const oldIndex: string[] = [];
    for await (const info of repo.destination.list(OBJECT_PREFIX.index)) {
      const id = idFromName(info.name);
      if (id !== undefined) oldIndex.push(id);
    }
    const packs: IndexedPack[] = [];
    const unreadablePacks: string[] = [];
    const listed: { id: string; size: number }[] = [];
    for await (const info of repo.destination.list(OBJECT_PREFIX.data)) {
      const id = idFromName(info.name);
      if (id !== undefined && info.name === packObjectName(id)) listed.push({ id, size: info.size });
    }
    await Promise.all(
      listed.map(async ({ id, size }) => {
        try {
          const entries = await repo.io(() =>
            loadPackHeader(repo.destination, packObjectName(id), size, repo.sealer),
          );
          packs.push({ packId: id, size, entries });
        } catch (error) {
          if (!isEwsVaultError(error, "REPO_CORRUPT")) throw error;
          unreadablePacks.push(id);
        }
      }),
    );
    packs.sort((a, b) => (a.packId < b.packId ? -1 : 1));
    const content = { supersedes: oldIndex, packs };
    const { id, bytes } = encodeIndexFile(content, repo.sealer);
    await repo.io(() => repo.destination.save(indexObjectName(id), bytes));
    for (const old of oldIndex) await repo.io(() => repo.destination.remove(indexObjectName(old)));
    repo.indexProblems.clear();
    repo.index.remove([...repo.index.files.keys()]);
    await repo.reloadIndex();
    return {
      packs: packs.length,
      blobs: packs.reduce((n, p) => n + p.entries.length, 0),
      indexFilesReplaced: oldIndex.length,
      unreadablePacks: unreadablePacks.sort(),
    };
  } catch (error) {
    if (isEwsVaultError(error)) throw error;
    throw new EwsVaultError(
      "REPO_REPAIR_FAILED",
      "index repair failed; the old index files are still in place",
      {
        cause: error,
      },
    );
  } finally {
    await lock.release();
  }
}
