// The pack index in memory: blob id -> where it is stored, built from every readable pack index
// file. It is rebuilt from the set of readable, non-superseded files, so adding or removing files
// is all it takes to change it (what prune's compaction relies on). Pure data, no I/O:
// pack-index-store.ts keeps it in line with the destination.

import type { BlobType } from "./format.js";
import type { IndexedPack, PackIndexFileContent } from "./pack-index-file.js";

export interface BlobLocation {
  readonly packId: string;
  readonly type: BlobType;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
}

export class PackIndex {
  /** Decoded content of every readable pack index file, superseded or not. */
  readonly files = new Map<string, PackIndexFileContent>();
  readonly blobs = new Map<string, BlobLocation>();
  readonly packs = new Map<string, IndexedPack>();
  private superseded = new Set<string>();

  /** Adds a file; cheap when it supersedes nothing (every writer checkpoint). */
  add(id: string, content: PackIndexFileContent): void {
    if (this.files.has(id)) return;
    this.files.set(id, content);
    if (content.supersedes.length > 0 || this.superseded.has(id)) {
      this.rebuild();
      return;
    }
    this.addPacks(content.packs);
  }

  remove(ids: Iterable<string>): void {
    let changed = false;
    for (const id of ids) changed = this.files.delete(id) || changed;
    if (changed) this.rebuild();
  }

  private addPacks(packs: readonly IndexedPack[]): void {
    for (const pack of packs) {
      this.packs.set(pack.packId, pack);
      for (const e of pack.entries) {
        if (!this.blobs.has(e.id)) {
          this.blobs.set(e.id, {
            packId: pack.packId,
            type: e.type,
            offset: e.offset,
            length: e.length,
            rawLength: e.rawLength,
          });
        }
      }
    }
  }

  private rebuild(): void {
    this.superseded = new Set();
    for (const content of this.files.values()) for (const s of content.supersedes) this.superseded.add(s);
    this.blobs.clear();
    this.packs.clear();
    for (const [id, content] of this.files) if (!this.superseded.has(id)) this.addPacks(content.packs);
  }
}
