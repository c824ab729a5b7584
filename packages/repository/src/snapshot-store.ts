// The snapshot store: saves, lists, reads and removes snapshot objects (snapshots.ts is their
// format), with an in-memory and an optional local cache of decoded snapshots, and writes the
// forget records that say a removal was on purpose. Saving a snapshot is the last step of the
// write order (packs -> pack index -> snapshot): it refuses a tree that is not durable, and
// holds the backup lock while the manifest is written so no prune can remove its trees first.

import { type Destination, isDestinationError } from "@ewsvault/destination";
import { EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import { encodeForgetRecord, type ForgetRecord } from "./forget-records.js";
import { forgottenObjectName, idFromName, isId, OBJECT_PREFIX, snapshotObjectName } from "./format.js";
import type { Sealer } from "./sealer.js";
import {
  decodeSnapshot,
  encodeSnapshot,
  pickSnapshot,
  type Snapshot,
  type SnapshotManifest,
  validateManifest,
} from "./snapshots.js";

export interface SnapshotQuery {
  readonly mailbox: string;
  readonly at?: Date | "latest";
  /** Snapshot group id; default any group. */
  readonly group?: string;
}

/** What the store needs of a local cache: sealed snapshot objects by id (local-cache.ts). */
export interface SnapshotCache {
  get(id: string): Promise<Uint8Array | undefined>;
  put(id: string, bytes: Uint8Array): Promise<void>;
  /** Drops every entry not in `keep`. */
  retain(keep: ReadonlySet<string>): Promise<void>;
}

/** What saving a snapshot needs of the pack index: is its root tree durable? */
export interface SnapshotTrees {
  /** True when a pack index file lists the blob as a tree. */
  isDurableTree(blobId: string): boolean;
  /** True while a writer holds the blob in a pack it has not indexed yet (for error details). */
  isPending(blobId: string): boolean;
  /** Reads pack index files written since the last reload (a prune may have removed trees). */
  reload(): Promise<void>;
}

/** What saving a snapshot needs of the lock manager (lock-manager.ts). */
export interface SnapshotLocks {
  readonly backupLockHeld: boolean;
  acquireBackupLock(): Promise<void>;
  releaseBackupLock(): Promise<void>;
  /** MUST throw REPO_LOCK_LOST once a lock of this process could not be kept fresh. */
  assertHealthy(): Promise<void>;
}

export class SnapshotStore {
  private readonly decoded = new Map<string, Snapshot>();
  /** Snapshot objects the last list() found damaged (REPO_CORRUPT). */
  private damaged: readonly string[] = [];

  constructor(
    private readonly objects: Pick<Destination, "list" | "load" | "save" | "remove">,
    private readonly sealer: Sealer,
    private readonly cache: SnapshotCache,
    private readonly trees: SnapshotTrees,
    private readonly locks: SnapshotLocks,
  ) {}

  /** Stores a manifest. MUST throw REPO_MISSING_BLOB unless manifest.tree is durable. */
  async save(manifest: SnapshotManifest): Promise<Snapshot> {
    validateManifest(manifest);
    if (!this.trees.isDurableTree(manifest.tree)) {
      throw new EwsVaultError(
        "REPO_MISSING_BLOB",
        "snapshot tree is not durable; checkpoint the writer first",
        {
          details: { blob: manifest.tree, pending: this.trees.isPending(manifest.tree) },
        },
      );
    }
    // Held while the manifest is written: until it exists, nothing references the new trees and
    // a prune elsewhere would be free to remove them. A lock taken fresh here (no writer or
    // mailbox lock was open) means a prune may have run since the writer closed: re-check.
    const fresh = !this.locks.backupLockHeld;
    await this.locks.acquireBackupLock();
    let id: string;
    let bytes: Uint8Array;
    try {
      if (fresh) {
        await this.trees.reload();
        if (!this.trees.isDurableTree(manifest.tree)) {
          throw new EwsVaultError(
            "REPO_MISSING_BLOB",
            "snapshot tree was removed (prune ran after the writer closed)",
            {
              details: { blob: manifest.tree },
            },
          );
        }
      }
      await this.locks.assertHealthy();
      ({ id, bytes } = encodeSnapshot(manifest, this.sealer));
      await this.objects.save(snapshotObjectName(id), bytes);
    } finally {
      await this.locks.releaseBackupLock();
    }
    await this.cache.put(id, bytes);
    const snapshot = decodeSnapshot(id, bytes, this.sealer);
    this.decoded.set(id, snapshot);
    return snapshot;
  }

  /** Every snapshot id in the destination. */
  async listIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const info of this.objects.list(OBJECT_PREFIX.snapshots)) {
      const id = idFromName(info.name);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /**
   * Loads one snapshot, bypassing the caches when `fresh` (prune). MUST throw
   * REPO_SNAPSHOT_NOT_FOUND for an unknown id, REPO_CORRUPT for a damaged one.
   */
  async read(id: string, fresh = false): Promise<Snapshot> {
    if (!fresh) {
      const memo = this.decoded.get(id);
      if (memo !== undefined) return memo;
      const cached = await this.cache.get(id);
      if (cached !== undefined) {
        try {
          const s = decodeSnapshot(id, cached, this.sealer);
          this.decoded.set(id, s);
          return s;
        } catch {
          // replaced from the destination below
        }
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.objects.load(snapshotObjectName(id));
    } catch (error) {
      if (isDestinationError(error, "DEST_NOT_FOUND")) {
        throw new EwsVaultError("REPO_SNAPSHOT_NOT_FOUND", `no snapshot ${id}`, {
          cause: error,
          details: { snapshot: id },
        });
      }
      throw error;
    }
    const s = decodeSnapshot(id, bytes, this.sealer);
    this.decoded.set(id, s);
    await this.cache.put(id, bytes);
    return s;
  }

  /** Like read(), for an id from outside: TypeError unless it is one. */
  load(id: string): Promise<Snapshot> {
    if (!isId(id)) throw new TypeError(`not a snapshot id: ${JSON.stringify(id)}`);
    return this.read(id);
  }

  /** Readable snapshots, oldest first; damaged ones are left out and remembered for find(). */
  async list(filter: { mailbox?: string } = {}): Promise<Snapshot[]> {
    const ids = await this.listIds();
    const live = new Set(ids);
    for (const id of this.decoded.keys()) if (!live.has(id)) this.decoded.delete(id);
    await this.cache.retain(live);
    const damaged: string[] = [];
    const all = await Promise.all(
      ids.map((id) =>
        this.read(id).catch((error: unknown) => {
          if (isEwsVaultError(error, "REPO_CORRUPT")) damaged.push(id);
          else if (!isEwsVaultError(error, "REPO_SNAPSHOT_NOT_FOUND")) throw error;
          return undefined;
        }),
      ),
    );
    this.damaged = damaged.sort();
    return all
      .filter(
        (s): s is Snapshot =>
          s !== undefined && (filter.mailbox === undefined || s.mailbox === filter.mailbox),
      )
      .sort((a, b) => a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : 1));
  }

  /**
   * Newest snapshot of the mailbox at or before `at` within `group`, or undefined. MUST throw
   * REPO_CORRUPT instead of answering undefined when damaged snapshot objects exist.
   */
  async find(query: SnapshotQuery): Promise<Snapshot | undefined> {
    const at = query.at ?? "latest";
    const found = pickSnapshot(await this.list({ mailbox: query.mailbox }), query.mailbox, at, query.group);
    if (found === undefined && this.damaged.length > 0) {
      // "Not found" would be a guess: a damaged manifest's mailbox and time cannot be read.
      throw new EwsVaultError(
        "REPO_CORRUPT",
        `no readable snapshot of ${query.mailbox} at ${String(at)}, and ${this.damaged.length} snapshot(s) are damaged; run verify`,
        {
          details: {
            mailbox: query.mailbox,
            snapshots: [...this.damaged],
            objects: this.damaged.map(snapshotObjectName),
          },
        },
      );
    }
    return found;
  }

  /** Writes a forget record (forget-records.ts); done before the snapshots it names are removed. */
  async recordForgotten(record: ForgetRecord): Promise<void> {
    const { id, bytes } = encodeForgetRecord(record, this.sealer);
    await this.objects.save(forgottenObjectName(id), bytes);
  }

  async remove(id: string): Promise<void> {
    await this.objects.remove(snapshotObjectName(id));
    this.decoded.delete(id);
  }
}
