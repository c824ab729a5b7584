// Reads blobs by id: looks each up in the pack index, fetches adjacent blobs of one pack with one
// ranged read, and authenticates and re-hashes every blob (openBlob) before returning a byte, so
// a reader never trusts the pack index or the destination for more than where to look.

import { type Destination, isDestinationError } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { openBlob } from "./blob.js";
import { concatBytes, fromUtf8, isId, packObjectName } from "./format.js";
import type { BlobLocation } from "./pack-index.js";
import type { Sealer } from "./sealer.js";

/** Adjacent blobs are joined into one ranged read up to this size. */
const MAX_RUN_BYTES = 8 * 1024 * 1024;

/** What the reader needs to find blobs: the durable pack index and the writers' blobs in flight. */
export interface BlobLocator {
  /** Where a durable blob is stored, or undefined when no pack index file lists it. */
  locate(blobId: string): BlobLocation | undefined;
  /** True while a writer holds the blob in a pack it has not indexed yet (for error details). */
  isPending(blobId: string): boolean;
}

export class BlobReader {
  constructor(
    private readonly objects: Pick<Destination, "load">,
    private readonly sealer: Sealer,
    private readonly idKey: Uint8Array,
    private readonly locator: BlobLocator,
  ) {}

  private locate(id: string): BlobLocation {
    if (!isId(id)) throw new TypeError(`not a blob id: ${JSON.stringify(id)}`);
    const location = this.locator.locate(id);
    if (location === undefined) {
      throw new EwsVaultError("REPO_MISSING_BLOB", `blob ${id} is not in the repository index`, {
        details: { blob: id, pending: this.locator.isPending(id) },
      });
    }
    return location;
  }

  /**
   * Concatenated plaintext of the blobs. MUST throw REPO_MISSING_BLOB for an id not in the
   * durable pack index (or a pack that is gone or too short), REPO_CORRUPT when stored bytes
   * fail authentication or hashing.
   */
  async loadData(blobIds: readonly string[]): Promise<Uint8Array> {
    const locations = blobIds.map((id) => this.locate(id));
    const runs: { packId: string; offset: number; end: number; members: number[] }[] = [];
    locations.forEach((loc, i) => {
      const last = runs[runs.length - 1];
      if (
        last !== undefined &&
        last.packId === loc.packId &&
        last.end === loc.offset &&
        last.end - last.offset < MAX_RUN_BYTES
      ) {
        last.end = loc.offset + loc.length;
        last.members.push(i);
      } else {
        runs.push({ packId: loc.packId, offset: loc.offset, end: loc.offset + loc.length, members: [i] });
      }
    });
    const parts: Uint8Array[] = new Array(blobIds.length);
    await Promise.all(
      runs.map(async (run) => {
        const name = packObjectName(run.packId);
        const bytes = await this.loadRange(run.packId, name, run.offset, run.end - run.offset);
        for (const i of run.members) {
          const loc = locations[i]!;
          const id = blobIds[i]!;
          const start = loc.offset - run.offset;
          if (bytes.length < start + loc.length) {
            throw new EwsVaultError("REPO_CORRUPT", `pack ${run.packId} is shorter than its index says`, {
              details: { pack: run.packId, blob: id },
            });
          }
          const sealed = bytes.subarray(start, start + loc.length);
          parts[i] = openBlob(this.sealer, this.idKey, loc.type, id, sealed, loc.rawLength, { object: name });
        }
      }),
    );
    return concatBytes(parts);
  }

  /** The JSON value of a tree blob. Same errors as loadData; REPO_MISSING_BLOB for a data blob. */
  async loadTree(id: string): Promise<unknown> {
    const location = this.locate(id);
    if (location.type !== "tree") {
      throw new EwsVaultError("REPO_MISSING_BLOB", `blob ${id} is not a tree`, { details: { blob: id } });
    }
    const bytes = await this.loadData([id]);
    return JSON.parse(fromUtf8(bytes));
  }

  private async loadRange(packId: string, name: string, offset: number, length: number): Promise<Uint8Array> {
    try {
      return await this.objects.load(name, { offset, length });
    } catch (error) {
      if (
        isDestinationError(error, "DEST_NOT_FOUND") ||
        isDestinationError(error, "DEST_RANGE_NOT_SATISFIABLE")
      ) {
        throw new EwsVaultError("REPO_MISSING_BLOB", `pack ${packId} is missing or too short`, {
          cause: error,
          details: { pack: packId },
        });
      }
      throw error;
    }
  }
}
