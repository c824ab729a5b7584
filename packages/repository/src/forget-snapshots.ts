// forget: applies a retention policy (forget-policy.ts) to the snapshots of each mailbox and
// snapshot group, and removes the snapshots it does not keep, after writing the forget record
// that names them. It removes snapshot objects only and needs no lock: a backup never depends on
// another snapshot existing, and prune only ever sees fewer roots. The data they referenced is
// freed by prune. Repository.forget takes the exclusive lock when asked (`exclusive`): the
// service runs retention as maintenance, which waits for backups and which backups wait for.

import type { ExclusiveWait } from "./exclusive-run.js";
import { applyForgetPolicy, type ForgetPolicy } from "./forget-policy.js";
import type { ForgetRecord } from "./forget-records.js";
import type { Snapshot } from "./snapshots.js";

export interface ForgetOptions {
  /** Only this mailbox's snapshots; default every mailbox (each grouped on its own). */
  readonly mailbox?: string;
  /** Only this snapshot group (see snapshot-group.ts); default every group, each on its own. */
  readonly group?: string;
  /** Decide and report, remove nothing. */
  readonly dryRun?: boolean;
  /**
   * Repository.forget only: forget under the exclusive lock, waiting for running backups as
   * prune does (REPO_LOCKED after waitMs), so no backup reads a snapshot as its parent while it
   * is removed. The service's retention after a run.
   */
  readonly exclusive?: ExclusiveWait;
}

export interface ForgetReport {
  readonly keep: readonly { readonly snapshot: Snapshot; readonly reasons: readonly string[] }[];
  readonly remove: readonly Snapshot[];
  readonly dryRun: boolean;
}

/** What forget needs of the snapshot store (snapshot-store.ts). */
export interface ForgetTarget {
  list(filter: { mailbox?: string }): Promise<Snapshot[]>;
  recordForgotten(record: ForgetRecord): Promise<void>;
  remove(id: string): Promise<void>;
}

export async function forgetSnapshots(
  snapshots: ForgetTarget,
  policy: ForgetPolicy,
  options: ForgetOptions,
): Promise<ForgetReport> {
  const listed = await snapshots.list(options.mailbox === undefined ? {} : { mailbox: options.mailbox });
  // Policies apply per mailbox and snapshot group (what was backed up), as restic applies
  // them per host and paths: a daily partial set never pushes out the whole-mailbox backups.
  const groups = new Map<string, Snapshot[]>();
  for (const s of listed) {
    if (options.group !== undefined && s.group !== options.group) continue;
    const key = `${s.mailbox}\u0000${s.group}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const keep: ForgetReport["keep"][number][] = [];
  const remove: Snapshot[] = [];
  for (const group of groups.values()) {
    const decision = applyForgetPolicy(group, policy);
    keep.push(...decision.keep);
    remove.push(...decision.remove);
  }
  if (groups.size === 0) applyForgetPolicy([], policy); // validates the policy even when there is nothing
  const dryRun = options.dryRun ?? false;
  if (!dryRun && remove.length > 0) {
    // The record first: a crash after it leaves snapshots a record names (harmless); the other
    // order would leave a snapshot gone without one, which verify reports as lost.
    await snapshots.recordForgotten({
      forgottenAt: new Date().toISOString(),
      snapshots: remove.map((s) => ({ id: s.id, mailbox: s.mailbox, time: s.time.toISOString() })),
    });
    for (const s of remove) await snapshots.remove(s.id);
  }
  return { keep, remove, dryRun };
}
