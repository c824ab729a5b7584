// Snapshots: one small sealed manifest per mailbox backup, pointing at a root tree blob. The
// object name is the SHA-256 of its stored bytes, so a manifest is immutable and a tampered one
// is caught by its name as well as by authentication.

import { hostname as osHostname } from "node:os";
import { AD, corrupt, fromUtf8, isId, sha256Hex, utf8 } from "./format.js";
import { openObject, type Sealer } from "./sealer.js";
import {
  canonicalSelection,
  groupOfRecorded,
  parseRecordedSelection,
  type SelectionInput,
  type SnapshotSelection,
} from "./snapshot-group.js";

/** What the engine hands to saveSnapshot(). */
export interface SnapshotManifest {
  /** The mailbox this snapshot is of (primary SMTP address or other stable name). */
  readonly mailbox: string;
  /** The point in time the snapshot represents (normally when the backup started). */
  readonly time: Date;
  /** Root tree blob id (from RepositoryWriter.saveTree); MUST be durable (checkpointed). */
  readonly tree: string;
  /** Default: this machine's host name. */
  readonly hostname?: string;
  readonly tags?: readonly string[];
  /** Id of the snapshot this one was made incrementally from. */
  readonly parent?: string;
  /** Free-form counters, e.g. { items, folders }. */
  readonly counts?: Readonly<Record<string, number>>;
  /** Free-form byte sizes, e.g. { total, new, stored }. */
  readonly sizes?: Readonly<Record<string, number>>;
  /**
   * What was backed up (see snapshot-group.ts); stored canonical. Absent only in snapshots
   * written before selections were recorded, which form the "legacy" group.
   */
  readonly selection?: SelectionInput;
}

export interface Snapshot extends Omit<SnapshotManifest, "selection"> {
  /** SHA-256 of the stored object; its name is snapshots/<id>. */
  readonly id: string;
  readonly hostname: string;
  readonly tags: readonly string[];
  /** The recorded selection, when there is one this reader understands. */
  readonly selection?: SnapshotSelection;
  /** Group id: selectionGroup(selection), "legacy", or "unknown-<hash>" (see snapshot-group.ts). */
  readonly group: string;
}

export function validateManifest(manifest: SnapshotManifest): void {
  if (typeof manifest !== "object" || manifest === null) throw new TypeError("manifest must be an object");
  if (typeof manifest.mailbox !== "string" || manifest.mailbox === "")
    throw new TypeError("manifest.mailbox required");
  if (!(manifest.time instanceof Date) || Number.isNaN(manifest.time.getTime()))
    throw new TypeError("manifest.time must be a valid Date");
  if (!isId(manifest.tree)) throw new TypeError("manifest.tree must be a tree id");
  if (manifest.parent !== undefined && !isId(manifest.parent))
    throw new TypeError("manifest.parent must be an id");
}

/**
 * Manifest version written now. 2 = written by a repository that leaves a forget record
 * (forget-records.ts) for every snapshot it forgets, so verify may report a missing `parent` of a
 * version 2 snapshot as a lost snapshot. Version 1 manifests (older writers) read exactly as
 * before; their parents are not checked. The JSON fields are the same in both.
 */
export const SNAPSHOT_VERSION = 2;
const READABLE_SNAPSHOT_VERSIONS: ReadonlySet<unknown> = new Set([1, 2]);

export function encodeSnapshot(
  manifest: SnapshotManifest,
  sealer: Sealer,
  /** Only tests write older versions (golden vectors of version 1). */
  version: 1 | 2 = SNAPSHOT_VERSION,
): { id: string; bytes: Uint8Array } {
  const stored = {
    v: version,
    mailbox: manifest.mailbox,
    time: manifest.time.toISOString(),
    hostname: manifest.hostname ?? osHostname(),
    tags: [...(manifest.tags ?? [])],
    tree: manifest.tree,
    parent: manifest.parent,
    counts: manifest.counts ?? {},
    sizes: manifest.sizes ?? {},
    // After every v1 key so a manifest without a selection encodes exactly as before.
    selection: manifest.selection === undefined ? undefined : canonicalSelection(manifest.selection),
  };
  const bytes = sealer.seal(utf8(JSON.stringify(stored)), AD.snapshot);
  return { id: sha256Hex(bytes), bytes };
}

/** MUST throw REPO_CORRUPT for bytes that do not hash to `id`, fail authentication or do not parse. */
export function decodeSnapshot(id: string, bytes: Uint8Array, sealer: Sealer): Snapshot {
  return decodeSnapshotVersioned(id, bytes, sealer).snapshot;
}

/** decodeSnapshot() and the manifest version (see SNAPSHOT_VERSION). */
export function decodeSnapshotVersioned(
  id: string,
  bytes: Uint8Array,
  sealer: Sealer,
): { snapshot: Snapshot; version: 1 | 2 } {
  const object = `snapshots/${id}`;
  if (sha256Hex(bytes) !== id) throw corrupt(`${object} does not hash to its name`, { object });
  const plain = openObject(sealer, bytes, AD.snapshot, { object });
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fromUtf8(plain)) as Record<string, unknown>;
  } catch (error) {
    throw corrupt(`${object} is not valid JSON`, { object }, error);
  }
  if (
    !READABLE_SNAPSHOT_VERSIONS.has(raw.v) ||
    typeof raw.mailbox !== "string" ||
    !isId(raw.tree) ||
    typeof raw.time !== "string"
  ) {
    throw corrupt(`${object} is not a version 1 or 2 snapshot`, { object });
  }
  const snapshot: Snapshot = {
    id,
    mailbox: raw.mailbox,
    time: new Date(raw.time),
    hostname: String(raw.hostname ?? ""),
    tags: Array.isArray(raw.tags) ? raw.tags.map(String) : [],
    tree: raw.tree,
    ...(isId(raw.parent) ? { parent: raw.parent } : {}),
    counts: (raw.counts ?? {}) as Record<string, number>,
    sizes: (raw.sizes ?? {}) as Record<string, number>,
    ...withSelection(raw.selection),
  };
  return { snapshot, version: raw.v as 1 | 2 };
}

function withSelection(raw: unknown): { selection?: SnapshotSelection; group: string } {
  const selection = parseRecordedSelection(raw);
  return { ...(selection === undefined ? {} : { selection }), group: groupOfRecorded(raw) };
}

/**
 * Newest snapshot of `mailbox` whose time is at or before `at`, within `group` when given
 * (undefined when there is none).
 */
export function pickSnapshot(
  snapshots: readonly Snapshot[],
  mailbox: string,
  at: Date | "latest",
  group?: string,
): Snapshot | undefined {
  let best: Snapshot | undefined;
  const limit = at === "latest" ? Number.POSITIVE_INFINITY : at.getTime();
  for (const s of snapshots) {
    if (s.mailbox !== mailbox || s.time.getTime() > limit) continue;
    if (group !== undefined && s.group !== group) continue;
    if (best === undefined || s.time.getTime() > best.time.getTime()) best = s;
  }
  return best;
}
