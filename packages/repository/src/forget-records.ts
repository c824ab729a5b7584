// Forget records: the repository's memory of snapshots it removed on purpose. forget() writes one
// sealed record naming every snapshot it is about to remove, before removing them. A version 2
// snapshot whose `parent` is neither in snapshots/ nor named by a record was therefore lost
// (deleted by hand, by a storage fault or by an attacker) and verify says so. Records cannot be
// forged or moved without the data key (sealed, AD-bound, named by the SHA-256 of their bytes).
// Format: docs/repository-format.md, "Forget records".
import { AD, corrupt, fromUtf8, isId, sha256Hex, utf8 } from "./format.js";
import { openObject, type Sealer } from "./sealer.js";

export interface ForgottenSnapshot {
  readonly id: string;
  readonly mailbox: string;
  /** ISO 8601: the snapshot's own time. */
  readonly time: string;
}

export interface ForgetRecord {
  /** ISO 8601: when forget ran. */
  readonly forgottenAt: string;
  readonly snapshots: readonly ForgottenSnapshot[];
}

export function encodeForgetRecord(record: ForgetRecord, sealer: Sealer): { id: string; bytes: Uint8Array } {
  const stored = {
    v: 1,
    forgottenAt: record.forgottenAt,
    snapshots: record.snapshots.map((s) => ({ id: s.id, mailbox: s.mailbox, time: s.time })),
  };
  const bytes = sealer.seal(utf8(JSON.stringify(stored)), AD.forgotten);
  return { id: sha256Hex(bytes), bytes };
}

/** MUST throw REPO_CORRUPT for bytes that do not hash to `id`, fail authentication or do not parse. */
export function decodeForgetRecord(id: string, bytes: Uint8Array, sealer: Sealer): ForgetRecord {
  const object = `forgotten/${id}`;
  if (sha256Hex(bytes) !== id) throw corrupt(`${object} does not hash to its name`, { object });
  const plain = openObject(sealer, bytes, AD.forgotten, { object });
  let raw: { v?: unknown; forgottenAt?: unknown; snapshots?: unknown };
  try {
    raw = JSON.parse(fromUtf8(plain)) as typeof raw;
  } catch (error) {
    throw corrupt(`${object} is not valid JSON`, { object }, error);
  }
  const snapshots = raw.snapshots;
  if (
    raw.v !== 1 ||
    typeof raw.forgottenAt !== "string" ||
    !Array.isArray(snapshots) ||
    !snapshots.every(
      (s: { id?: unknown; mailbox?: unknown; time?: unknown }) =>
        isId(s?.id) && typeof s.mailbox === "string" && typeof s.time === "string",
    )
  ) {
    throw corrupt(`${object} is not a version 1 forget record`, { object });
  }
  return { forgottenAt: raw.forgottenAt, snapshots: snapshots as ForgottenSnapshot[] };
}

/** A version 2 snapshot's parent that is neither present nor forgotten on purpose. */
export interface LostSnapshot {
  readonly id: string;
  /** The snapshot that names it as parent. */
  readonly child: string;
  readonly mailbox: string;
}

/**
 * Parents of version 2 snapshots that are gone without a forget record. Version 1 snapshots are
 * not judged: older writers forgot without records. Pure, for table tests.
 */
export function findLostSnapshots(
  snapshots: ReadonlyArray<{
    readonly id: string;
    readonly mailbox: string;
    readonly parent?: string;
    readonly version: number;
  }>,
  /** Ids in snapshots/, readable or not (a damaged one is reported as damaged, not lost). */
  present: ReadonlySet<string>,
  forgotten: ReadonlySet<string>,
): LostSnapshot[] {
  const lost = new Map<string, LostSnapshot>();
  for (const s of snapshots) {
    if (s.version < 2 || s.parent === undefined) continue;
    if (present.has(s.parent) || forgotten.has(s.parent) || lost.has(s.parent)) continue;
    lost.set(s.parent, { id: s.parent, child: s.id, mailbox: s.mailbox });
  }
  return [...lost.values()];
}
