// verify: proves the repository is usable without trusting any cache. The structural pass reads
// config, key files, every pack index file, the pack listing, every snapshot's tree closure and
// the forget records (a version 2 snapshot's parent that is gone without one was lost: see
// forget-records.ts); the optional read-data pass downloads a subset of packs, indexed or not,
// and authenticates and re-hashes every blob in them. Problems are collected, never thrown, so
// one report shows everything that is wrong.

import { type Destination, isDestinationError } from "@ewsvault/destination";
import { isEwsVaultError } from "@ewsvault/mailbox";
import pLimit from "p-limit";
import { openBlob } from "./blob.js";
import { decodeConfig } from "./config.js";
import type { ExclusiveWait } from "./exclusive-run.js";
import { decodeForgetRecord, findLostSnapshots } from "./forget-records.js";
import {
  CONFIG_NAME,
  forgottenObjectName,
  fromUtf8,
  idFromName,
  OBJECT_PREFIX,
  packIndexObjectName,
  packObjectName,
  sha256Hex,
  snapshotObjectName,
} from "./format.js";
import { listKeys } from "./keys/index.js";
import { PACK_TRAILER_BYTES, parsePack } from "./pack.js";
import { PackIndex } from "./pack-index.js";
import { decodePackIndexFile } from "./pack-index-file.js";
import type { Sealer } from "./sealer.js";
import { decodeSnapshotVersioned, type Snapshot } from "./snapshots.js";
import { collectTreeRefs, walkTrees } from "./tree-refs.js";

export interface VerifyOptions {
  /**
   * Which packs to download and check blob by blob: false/undefined none, true all, a number in
   * (0, 1] a random fraction, "10%" likewise, "n/t" (1 <= n <= t) the n-th of t fixed groups
   * (by pack id), so t runs with n = 1..t cover every pack once, like restic's --read-data-subset.
   */
  readonly readData?: boolean | number | string;
  /**
   * Verify under the exclusive lock (waiting for running backups as prune does; REPO_LOCKED
   * after waitMs), so it never reads a backup's half-written state: a snapshot saved after verify
   * read the pack index would otherwise look like missing blobs. The service's scheduled verify.
   */
  readonly exclusive?: ExclusiveWait;
}

export type VerifyProblemCode =
  | "REPO_CORRUPT"
  | "REPO_MISSING_BLOB"
  | "REPO_MISSING_PACK"
  | "REPO_MISSING_CONFIG"
  | "REPO_SNAPSHOT_MISSING"
  | "REPO_UNREADABLE";

export interface VerifyProblem {
  readonly code: VerifyProblemCode;
  readonly message: string;
  /** Object name the problem is in, when there is one. */
  readonly object?: string;
  readonly blob?: string;
  readonly snapshot?: string;
}

export interface VerifyReport {
  /** True when problems is empty. */
  readonly ok: boolean;
  readonly problems: readonly VerifyProblem[];
  /** Packs that exist but no pack index file lists: leftovers of interrupted writers, removed by prune. */
  readonly unindexedPacks: readonly string[];
  readonly checked: {
    readonly indexFiles: number;
    readonly packs: number;
    readonly snapshots: number;
    /** Forget records read (see forget-records.ts). */
    readonly forgetRecords: number;
    readonly trees: number;
    readonly dataBlobs: number;
    readonly packsRead: number;
    readonly bytesRead: number;
  };
}

/** The parts of a repository verify needs (kept narrow so verify never uses a cached view). */
export interface VerifyTarget {
  /** The destination itself: verify reads everything afresh, at its own concurrency. */
  readonly destination: Pick<Destination, "list" | "load">;
  readonly sealer: Sealer;
  readonly idKey: Uint8Array;
  readonly keyId: string;
}

/** Small objects (pack index files, snapshots, forget records) read at once: overlaps remote latency. */
const OBJECT_READS = 8;
/** Whole packs read at once by the read-data pass: bounded memory (whole packs are held). */
const PACK_READS = 4;

/** Runs fn over items, at most `limit` at a time, results in input order. */
function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit: number): Promise<R[]> {
  const run = pLimit(limit);
  return Promise.all(items.map((item) => run(() => fn(item))));
}

function parseReadDataSubset(spec: VerifyOptions["readData"]): ((packId: string) => boolean) | undefined {
  if (spec === undefined || spec === false) return undefined;
  if (spec === true) return () => true;
  let fraction: number | undefined;
  if (typeof spec === "number") fraction = spec;
  else if (/^\d+(\.\d+)?%$/.test(spec)) fraction = Number(spec.slice(0, -1)) / 100;
  else {
    const m = /^(\d+)\/(\d+)$/.exec(spec);
    if (m === null)
      throw new TypeError(`readData must be a fraction, "P%" or "n/t": ${JSON.stringify(spec)}`);
    const n = Number(m[1]);
    const t = Number(m[2]);
    if (!(t >= 1 && n >= 1 && n <= t)) throw new TypeError("readData n/t needs 1 <= n <= t");
    return (packId) => Number.parseInt(packId.slice(0, 8), 16) % t === n - 1;
  }
  if (!(fraction > 0 && fraction <= 1)) throw new TypeError("readData fraction must be in (0, 1]");
  const f = fraction;
  return () => Math.random() < f;
}

function problemOf(error: unknown, fallback: VerifyProblemCode): VerifyProblemCode {
  if (isEwsVaultError(error, "REPO_CORRUPT")) return "REPO_CORRUPT";
  if (isEwsVaultError(error, "REPO_MISSING_BLOB")) return "REPO_MISSING_BLOB";
  return fallback;
}

export async function verifyRepository(target: VerifyTarget, options: VerifyOptions): Promise<VerifyReport> {
  const { destination, sealer, idKey } = target;
  const select = parseReadDataSubset(options.readData);
  const problems: VerifyProblem[] = [];
  const add = (p: VerifyProblem) => problems.push(p);
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

  // config and key files
  try {
    decodeConfig(await destination.load(CONFIG_NAME), sealer);
  } catch (error) {
    if (isDestinationError(error, "DEST_NOT_FOUND"))
      add({ code: "REPO_MISSING_CONFIG", message: "config is missing", object: CONFIG_NAME });
    else add({ code: problemOf(error, "REPO_UNREADABLE"), message: message(error), object: CONFIG_NAME });
  }
  try {
    const slots = await listKeys(destination);
    if (!slots.some((s) => s.keyId === target.keyId)) {
      add({
        code: "REPO_CORRUPT",
        message: "the key slot this session was opened with is gone",
        object: `keys/${target.keyId}`,
      });
    }
  } catch (error) {
    add({ code: problemOf(error, "REPO_UNREADABLE"), message: message(error), object: OBJECT_PREFIX.keys });
  }

  /** Ids of the objects under `prefix`; anything else there is damage. */
  const listIds = async (prefix: string): Promise<string[]> => {
    const ids: string[] = [];
    for await (const info of destination.list(prefix)) {
      const id = idFromName(info.name);
      if (id === undefined)
        add({ code: "REPO_CORRUPT", message: `unexpected object in ${prefix}`, object: info.name });
      else ids.push(id);
    }
    return ids;
  };
  /** Loads and decodes every object, OBJECT_READS at a time; failures become problems. */
  const decodeAll = <T>(
    ids: readonly string[],
    objectName: (id: string) => string,
    decode: (id: string, bytes: Uint8Array) => T,
    problem: (id: string) => Partial<VerifyProblem> = () => ({}),
  ): Promise<(T | undefined)[]> =>
    mapLimited(
      ids,
      async (id) => {
        const object = objectName(id);
        try {
          return decode(id, await destination.load(object));
        } catch (error) {
          add({ code: problemOf(error, "REPO_UNREADABLE"), message: message(error), object, ...problem(id) });
          return undefined;
        }
      },
      OBJECT_READS,
    );

  // pack index files, fresh from the destination
  const index = new PackIndex();
  const indexIds = await listIds(OBJECT_PREFIX.packIndex);
  const indexFiles = indexIds.length;
  const decoded = await decodeAll(indexIds, packIndexObjectName, (id, bytes) =>
    decodePackIndexFile(id, bytes, sealer),
  );
  decoded.forEach((content, i) => {
    if (content !== undefined) index.add(indexIds[i]!, content);
  });

  // packs: every indexed pack present, every indexed range inside it
  const packSizes = new Map<string, number>();
  for await (const info of destination.list(OBJECT_PREFIX.data)) {
    const id = idFromName(info.name);
    if (id === undefined || info.name !== packObjectName(id)) {
      add({ code: "REPO_CORRUPT", message: "unexpected object in data/", object: info.name });
      continue;
    }
    packSizes.set(id, info.size);
  }
  for (const [packId, pack] of index.packs) {
    const name = packObjectName(packId);
    const size = packSizes.get(packId);
    if (size === undefined) {
      add({ code: "REPO_MISSING_PACK", message: `indexed pack ${packId} does not exist`, object: name });
      continue;
    }
    if (size !== pack.size)
      add({ code: "REPO_CORRUPT", message: `pack is ${size} bytes, index says ${pack.size}`, object: name });
    for (const e of pack.entries) {
      if (e.offset + e.length > size - PACK_TRAILER_BYTES) {
        add({
          code: "REPO_CORRUPT",
          message: "indexed blob lies outside its pack",
          object: name,
          blob: e.id,
        });
      }
    }
  }
  const unindexedPacks = [...packSizes.keys()].filter((id) => !index.packs.has(id));

  // snapshots and their tree closure
  const readBlob = async (id: string) => {
    const loc = index.blobs.get(id);
    if (loc === undefined) return undefined;
    const object = packObjectName(loc.packId);
    const sealed = await destination.load(object, { offset: loc.offset, length: loc.length });
    return openBlob(sealer, idKey, loc.type, id, sealed, loc.rawLength, { object });
  };
  const snapshots: Snapshot[] = [];
  const snapshotIds = await listIds(OBJECT_PREFIX.snapshots);
  const loadedSnapshots = await decodeAll(
    snapshotIds,
    snapshotObjectName,
    (id, bytes) => decodeSnapshotVersioned(id, bytes, sealer),
    (id) => ({ snapshot: id }),
  );
  for (const s of loadedSnapshots) if (s !== undefined) snapshots.push(s.snapshot);

  // snapshots lost: parents of version 2 snapshots neither present nor forgotten on purpose
  const recordIds = await listIds(OBJECT_PREFIX.forgotten);
  const forgotten = new Set<string>();
  const records = await decodeAll(recordIds, forgottenObjectName, (id, bytes) =>
    decodeForgetRecord(id, bytes, sealer),
  );
  for (const record of records) for (const s of record?.snapshots ?? []) forgotten.add(s.id);
  const versioned = loadedSnapshots.flatMap((s) =>
    s === undefined ? [] : [{ ...s.snapshot, version: s.version }],
  );
  for (const lost of findLostSnapshots(versioned, new Set(snapshotIds), forgotten)) {
    add({
      code: "REPO_SNAPSHOT_MISSING",
      message: `snapshot ${lost.id} of ${lost.mailbox} is gone and no forget removed it (it is the parent of ${lost.child})`,
      object: snapshotObjectName(lost.id),
      snapshot: lost.id,
    });
  }
  const seenData = new Set<string>();
  const treeSnapshot = new Map<string, string>();
  for (const snapshot of snapshots)
    if (!treeSnapshot.has(snapshot.tree)) treeSnapshot.set(snapshot.tree, snapshot.id);
  const seenTrees = await walkTrees(treeSnapshot.keys(), async (treeId) => {
    const snapshotId = treeSnapshot.get(treeId);
    const loc = index.blobs.get(treeId);
    if (loc === undefined || loc.type !== "tree") {
      add({
        code: "REPO_MISSING_BLOB",
        message: `tree ${treeId} is not indexed`,
        blob: treeId,
        ...(snapshotId === undefined ? {} : { snapshot: snapshotId }),
      });
      return [];
    }
    let value: unknown;
    try {
      value = JSON.parse(fromUtf8((await readBlob(treeId))!));
    } catch (error) {
      add({
        code: problemOf(error, "REPO_CORRUPT"),
        message: message(error),
        blob: treeId,
        object: packObjectName(loc.packId),
        ...(snapshotId === undefined ? {} : { snapshot: snapshotId }),
      });
      return [];
    }
    const refs = collectTreeRefs(value);
    for (const d of refs.data) {
      if (seenData.has(d)) continue;
      seenData.add(d);
      if (!index.blobs.has(d))
        add({ code: "REPO_MISSING_BLOB", message: `data blob ${d} is not indexed`, blob: d });
    }
    for (const t of refs.trees)
      if (!treeSnapshot.has(t) && snapshotId !== undefined) treeSnapshot.set(t, snapshotId);
    return refs.trees;
  });

  // read-data: whole packs, authenticated and re-hashed
  let packsRead = 0;
  let bytesRead = 0;
  if (select !== undefined) {
    // Unindexed packs are read too: one stored under another pack's name is caught by its hash.
    const chosen = [
      ...[...index.packs].filter(([packId]) => packSizes.has(packId) && select(packId)),
      ...unindexedPacks.filter((packId) => select(packId)).map((packId) => [packId, undefined] as const),
    ];
    const readOne = async ([packId, pack]: (typeof chosen)[number]) => {
      const name = packObjectName(packId);
      packsRead++;
      try {
        const bytes = await destination.load(name);
        bytesRead += bytes.length;
        if (sha256Hex(bytes) !== packId) {
          add({ code: "REPO_CORRUPT", message: "pack does not hash to its name", object: name });
        }
        const header = parsePack(bytes, sealer, name);
        const byId = new Map(header.map((e) => [e.id, e]));
        for (const e of pack?.entries ?? []) {
          const h = byId.get(e.id);
          if (
            h === undefined ||
            h.offset !== e.offset ||
            h.length !== e.length ||
            h.type !== e.type ||
            h.rawLength !== e.rawLength
          ) {
            add({
              code: "REPO_CORRUPT",
              message: "index entry disagrees with the pack header",
              object: name,
              blob: e.id,
            });
          }
        }
        for (const e of header) {
          try {
            openBlob(
              sealer,
              idKey,
              e.type,
              e.id,
              bytes.subarray(e.offset, e.offset + e.length),
              e.rawLength,
              {
                object: name,
              },
            );
          } catch (error) {
            add({
              code: problemOf(error, "REPO_CORRUPT"),
              message: message(error),
              object: name,
              blob: e.id,
            });
          }
        }
      } catch (error) {
        add({ code: problemOf(error, "REPO_UNREADABLE"), message: message(error), object: name });
      }
    };
    // A few packs at a time: bounded memory (whole packs are held), remote latency overlapped.
    await mapLimited(chosen, readOne, PACK_READS);
  }

  return {
    ok: problems.length === 0,
    problems,
    unindexedPacks,
    checked: {
      indexFiles,
      packs: index.packs.size,
      snapshots: snapshots.length,
      forgetRecords: records.filter((r) => r !== undefined).length,
      trees: seenTrees.size,
      dataBlobs: seenData.size,
      packsRead,
      bytesRead,
    },
  };
}
