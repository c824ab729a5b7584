// repairIndex: rebuilds the pack index from the packs themselves (every pack carries its own
// sealed header), for when pack index files are damaged or lost. Runs under the exclusive lock,
// writes one pack index file superseding every existing one, then removes those. Packs whose
// header cannot be read are reported and left in place, never deleted.

import type { Destination } from "@ewsvault/destination";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { type ExclusiveLocks, type ExclusiveWait, runExclusive } from "./exclusive-run.js";
import { idFromName, OBJECT_PREFIX, packIndexObjectName, packObjectName } from "./format.js";
import { loadPackHeader } from "./pack.js";
import type { IndexedPack, PackIndexFileContent } from "./pack-index-file.js";
import type { Sealer } from "./sealer.js";

export type RepairIndexOptions = ExclusiveWait;

export interface RepairIndexReport {
  readonly packs: number;
  readonly blobs: number;
  /** Pack index files replaced (readable or not). */
  readonly indexFilesReplaced: number;
  /** Packs whose header could not be read or authenticated (left in place; verify names them). */
  readonly unreadablePacks: readonly string[];
}

/** What repair needs of the repository's layers. */
export interface RepairTarget {
  /** Through the repository's connection limit (limited-objects.ts). */
  readonly objects: Pick<Destination, "list" | "load" | "save" | "remove">;
  readonly sealer: Sealer;
  readonly locks: ExclusiveLocks;
  readonly packIndex: {
    /** Writes a pack index file and adds it to the pack index. */
    write(content: PackIndexFileContent): Promise<void>;
    /** Forgets every file read and every problem. */
    reset(): void;
    reload(): Promise<void>;
  };
}

interface Listed {
  readonly id: string;
  readonly name: string;
  readonly size: number;
}

/** Objects under `prefix` whose names end in an id. */
async function listIds(objects: RepairTarget["objects"], prefix: string): Promise<Listed[]> {
  const found: Listed[] = [];
  for await (const info of objects.list(prefix)) {
    const id = idFromName(info.name);
    if (id !== undefined) found.push({ id, name: info.name, size: info.size });
  }
  return found;
}

export function repairRepositoryIndex(
  target: RepairTarget,
  options: RepairIndexOptions,
): Promise<RepairIndexReport> {
  const failure = {
    code: "REPO_REPAIR_FAILED",
    message: "index repair failed; the old index files are still in place",
  } as const;
  return runExclusive(target.locks, options, failure, async () => {
    const { objects, sealer } = target;
    const oldFiles = (await listIds(objects, OBJECT_PREFIX.packIndex)).map((f) => f.id);
    const listed = (await listIds(objects, OBJECT_PREFIX.data)).filter(
      (p) => p.name === packObjectName(p.id),
    );
    const packs: IndexedPack[] = [];
    const unreadablePacks: string[] = [];
    await Promise.all(
      listed.map(async ({ id, size }) => {
        try {
          packs.push({
            packId: id,
            size,
            entries: await loadPackHeader(objects, packObjectName(id), size, sealer),
          });
        } catch (error) {
          if (!isEwsVaultError(error, "REPO_CORRUPT")) throw error;
          unreadablePacks.push(id);
        }
      }),
    );
    packs.sort((a, b) => (a.packId < b.packId ? -1 : 1));
    await target.packIndex.write({ supersedes: oldFiles, packs });
    for (const old of oldFiles) await objects.remove(packIndexObjectName(old));
    target.packIndex.reset();
    await target.packIndex.reload();
    return {
      packs: packs.length,
      blobs: packs.reduce((n, p) => n + p.entries.length, 0),
      indexFilesReplaced: oldFiles.length,
      unreadablePacks: unreadablePacks.sort(),
    };
  });
}
