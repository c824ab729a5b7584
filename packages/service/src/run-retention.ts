// A set's retention after a run, run as maintenance: forget removes snapshots, and issue 15 wants
// prune, forget and verify to take the repository's exclusive lock, waiting for running backups,
// with backups waiting for them. So, as a prune job does (maintenance-worker.ts), it first closes
// the maintenance gate (no worker starts a new mailbox; a busy cluster cannot starve it), then
// forgets each mailbox the run backed up under the exclusive lock (Repository.forget with
// `exclusive`: waits for the running backups' locks, REPO_LOCKED after waitMs and the run's job
// is retried), then opens the gate.
import type { ForgetPolicy, Repository } from "@ewsvault/core";
import type { MaintenanceGate } from "./maintenance-gate.js";
import type { RetentionConfig } from "./set-config.js";

export interface RunRetention {
  readonly repository: Repository;
  readonly gate: MaintenanceGate;
  /** Names the gate's hold (one per run). */
  readonly holder: string;
  /** How long the gate stays closed after its holder died (the job's lease). */
  readonly holdTtlMs: number;
  /** How long to wait for running backups, and how often to look. */
  readonly wait: { readonly waitMs: number; readonly pollMs: number };
  /** Called once the gate is closed, before forget waits for the lock. */
  readonly onGateClosed?: () => void;
}

/** Applies `retention` to each of `mailboxes` (their own snapshot series); returns how many snapshots it removed. */
export async function applyRunRetention(
  options: RunRetention,
  retention: RetentionConfig,
  mailboxes: Iterable<string>,
): Promise<number> {
  const { prune: _prune, ...policy } = retention;
  const release = await options.gate.hold(options.holder, options.holdTtlMs);
  let forgotten = 0;
  try {
    options.onGateClosed?.();
    // Per mailbox: forget groups snapshots per mailbox, and only the mailboxes this run backed up
    // are this set's to trim (another set's mailboxes keep their own policy).
    for (const mailbox of mailboxes) {
      const report = await options.repository.forget(policy as ForgetPolicy, {
        mailbox,
        exclusive: options.wait,
      });
      forgotten += report.remove.length;
    }
  } finally {
    await release().catch(() => {});
  }
  return forgotten;
}
