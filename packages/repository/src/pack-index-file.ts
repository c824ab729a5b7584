// Pack index files (objects under "index/"): which pack holds which blob, at what offset. Writers
// add one file per checkpoint (unique content-hash names, so concurrent writers never collide);
// prune writes one compacted file that names the files it supersedes before it removes them, so
// a crash between the two steps leaves a readable pack index. Layout: docs/repository-format.md,
// "Index files". This file only encodes and decodes; pack-index-store.ts reads and writes them.

import {
  AD,
  BLOB_TYPE_CODE,
  ByteReader,
  ByteWriter,
  blobTypeFromCode,
  corrupt,
  FORMAT_VERSION,
  packIndexObjectName,
  sha256Hex,
} from "./format.js";
import type { PackEntry } from "./pack.js";
import { openObject, type Sealer } from "./sealer.js";

export interface IndexedPack {
  readonly packId: string;
  /** Size of the whole pack object in bytes. */
  readonly size: number;
  readonly entries: readonly PackEntry[];
}

export interface PackIndexFileContent {
  /** Ids of pack index files whose content this file fully contains (compaction). */
  readonly supersedes: readonly string[];
  readonly packs: readonly IndexedPack[];
}

export function encodePackIndexFile(
  content: PackIndexFileContent,
  sealer: Sealer,
): { id: string; bytes: Uint8Array } {
  const w = new ByteWriter(64 + content.packs.reduce((n, p) => n + 44 + p.entries.length * 45, 0));
  w.u8(FORMAT_VERSION);
  w.u32(content.supersedes.length);
  for (const id of content.supersedes) w.id(id);
  w.u32(content.packs.length);
  for (const pack of content.packs) {
    w.id(pack.packId);
    w.u64(pack.size);
    w.u32(pack.entries.length);
    for (const e of pack.entries) {
      w.u8(BLOB_TYPE_CODE[e.type]);
      w.id(e.id);
      w.u32(e.offset);
      w.u32(e.length);
      w.u32(e.rawLength);
    }
  }
  const bytes = sealer.seal(w.finish(), AD.packIndex);
  return { id: sha256Hex(bytes), bytes };
}

/**
 * MUST throw REPO_CORRUPT when the bytes do not hash to `id`, fail authentication, or do not
 * decode; never returns a partial index.
 */
export function decodePackIndexFile(id: string, bytes: Uint8Array, sealer: Sealer): PackIndexFileContent {
  const object = packIndexObjectName(id);
  if (sha256Hex(bytes) !== id) throw corrupt(`${object} does not hash to its name`, { object });
  const plain = openObject(sealer, bytes, AD.packIndex, { object });
  const r = new ByteReader(plain, object);
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw corrupt(`${object}: unknown index version ${version}`, { object });
  const supersedes: string[] = [];
  for (let n = r.u32(), i = 0; i < n; i++) supersedes.push(r.id());
  const packs: IndexedPack[] = [];
  for (let n = r.u32(), i = 0; i < n; i++) {
    const packId = r.id();
    const size = r.u64();
    const entries: PackEntry[] = [];
    for (let m = r.u32(), j = 0; j < m; j++) {
      const type = blobTypeFromCode(r.u8());
      const blob = r.id();
      const offset = r.u32();
      const length = r.u32();
      const rawLength = r.u32();
      if (type === undefined) throw corrupt(`${object}: unknown blob type`, { object });
      entries.push({ type, id: blob, offset, length, rawLength });
    }
    packs.push({ packId, size, entries });
  }
  r.end();
  return { supersedes, packs };
}
