// The pack index store: keeps the in-memory pack index (pack-index.ts) in line with the pack
// index files in the destination, reading each file once (from the local cache when it has it,
// checked against its content-hash name like a download), and writes new files for writers,
// prune and repair. Unreadable files do not fail a reload: they are remembered as problems,
// which verify reports and prune refuses to work around.

import { type Destination, isDestinationError } from "@ewsvault/destination";
import { type EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import { idFromName, OBJECT_PREFIX, packIndexObjectName } from "./format.js";
import { type BlobLocation, PackIndex } from "./pack-index.js";
import { decodePackIndexFile, encodePackIndexFile, type PackIndexFileContent } from "./pack-index-file.js";
import type { Sealer } from "./sealer.js";

/** What the store needs of a local cache: sealed pack index files by id (local-cache.ts). */
export interface PackIndexCache {
  get(id: string): Promise<Uint8Array | undefined>;
  put(id: string, bytes: Uint8Array): Promise<void>;
  /** Drops every entry not in `keep`. */
  retain(keep: ReadonlySet<string>): Promise<void>;
}

export class PackIndexStore {
  /** The pack index of every readable, non-superseded file loaded so far. */
  readonly index = new PackIndex();
  /** Pack index files that exist but cannot be read (id -> REPO_CORRUPT error). */
  readonly problems = new Map<string, EwsVaultError>();

  constructor(
    private readonly objects: Pick<Destination, "list" | "load" | "save">,
    private readonly sealer: Sealer,
    private readonly cache: PackIndexCache,
  ) {}

  /** Where a blob is stored, or undefined when no pack index file lists it. */
  locate(blobId: string): BlobLocation | undefined {
    return this.index.blobs.get(blobId);
  }

  has(blobId: string): boolean {
    return this.index.blobs.has(blobId);
  }

  /** Brings the pack index in line with the pack index files now in the destination. */
  async reload(): Promise<void> {
    // Only files known before the listing began can be missing from it because they are gone: a
    // file write() added meanwhile (another writer of this process checkpointing) may have been
    // saved after the listing passed its name, and dropping it would make its blobs unknown
    // while the writer already counts them as stored (REPO_MISSING_BLOB on the next tree).
    const knownBefore = [...this.index.files.keys()];
    const listed = new Set<string>();
    for await (const info of this.objects.list(OBJECT_PREFIX.packIndex)) {
      const id = idFromName(info.name);
      if (id !== undefined) listed.add(id);
    }
    this.index.remove(knownBefore.filter((id) => !listed.has(id)));
    for (const id of this.problems.keys()) if (!listed.has(id)) this.problems.delete(id);
    const todo = [...listed].filter((id) => !this.index.files.has(id));
    const loaded = await Promise.all(todo.map((id) => this.loadFile(id)));
    for (const file of loaded) if (file !== undefined) this.index.add(file.id, file.content);
    // The cache keeps what the index holds now, including files written during the listing.
    await this.cache.retain(new Set([...listed, ...this.index.files.keys()]));
  }

  /**
   * Writes a pack index file and adds it to the pack index and the cache. Once it resolves the
   * file is durable and its blobs count as stored.
   */
  async write(content: PackIndexFileContent): Promise<void> {
    const { id, bytes } = encodePackIndexFile(content, this.sealer);
    await this.objects.save(packIndexObjectName(id), bytes);
    this.index.add(id, content);
    await this.cache.put(id, bytes);
  }

  /** Forgets every file read and every problem, so the next reload reads everything again (repair). */
  reset(): void {
    this.problems.clear();
    this.index.remove([...this.index.files.keys()]);
  }

  private async loadFile(id: string): Promise<{ id: string; content: PackIndexFileContent } | undefined> {
    const cached = await this.cache.get(id);
    if (cached !== undefined) {
      try {
        return { id, content: decodePackIndexFile(id, cached, this.sealer) };
      } catch {
        // fall through: a damaged cache entry is replaced from the destination
      }
    }
    try {
      const bytes = await this.objects.load(packIndexObjectName(id));
      const content = decodePackIndexFile(id, bytes, this.sealer);
      this.problems.delete(id);
      await this.cache.put(id, bytes);
      return { id, content };
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) return undefined;
      if (isEwsVaultError(error, "REPO_CORRUPT")) {
        this.problems.set(id, error);
        return undefined;
      }
      throw error;
    }
  }
}
