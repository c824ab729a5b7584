// prune: removes data no snapshot references. It runs only under the exclusive lock, which it
// gets only while no live backup or mailbox lock exists (and backups refuse to start while it is
// held), so no concurrent writer can be deduplicating against a blob prune removes. Under the
// lock: remove stale locks of stopped backups, plan (plan-prune.ts), execute the plan
// (execute-prune.ts). A dry run is the plan alone. Rules and defaults: docs/repository-format.md,
// "Prune".

import type { Destination } from "@ewsvault/destination";
import { type ExclusiveLocks, type ExclusiveWait, runExclusive } from "./exclusive-run.js";
import { executePrune, type PruneExecutionTarget } from "./execute-prune.js";
import { EXCLUSIVE_LOCK_NAME, type LockInfo } from "./lock-objects.js";
import {
  type PrunePlan,
  type PrunePlanOptions,
  type PrunePlanSource,
  type PruneReport,
  planPrune,
  resolvePlanOptions,
} from "./plan-prune.js";

export interface PruneOptions extends PrunePlanOptions, ExclusiveWait {
  /** Decide and report (the plan's report); change nothing. */
  readonly dryRun?: boolean;
}

/** What prune needs of the repository's layers: planning, executing, and the locks. */
export type PruneTarget = PrunePlanSource &
  PruneExecutionTarget & {
    /** Removes stale locks too (lock objects are not data, but prune is their only remover). */
    readonly objects: Pick<Destination, "remove">;
    readonly locks: ExclusiveLocks & { listLocks(): Promise<LockInfo[]> };
  };

const FAILURE = {
  code: "REPO_PRUNE_FAILED",
  message: "prune failed; the repository is unchanged or only has garbage",
} as const;

/** Backup and mailbox locks whose holders stopped refreshing or died; unreadable ones are left alone. */
async function staleLockNames(target: PruneTarget): Promise<string[]> {
  // acquireExclusiveLock already ignored these; nothing else would ever remove them.
  return (await target.locks.listLocks())
    .filter((l) => l.stale && l.unreadable !== true && l.name !== EXCLUSIVE_LOCK_NAME)
    .map((l) => l.name);
}

/** The plan alone, under the exclusive lock: what prune would do (its dry run). Changes nothing. */
export function planRepositoryPrune(target: PruneTarget, options: PruneOptions): Promise<PrunePlan> {
  const planOptions = resolvePlanOptions(options);
  return runExclusive(target.locks, options, FAILURE, async () =>
    planPrune(target, planOptions, await staleLockNames(target)),
  );
}

export function pruneRepository(target: PruneTarget, options: PruneOptions): Promise<PruneReport> {
  if (options.dryRun) return planRepositoryPrune(target, options).then((plan) => plan.report);
  const planOptions = resolvePlanOptions(options);
  return runExclusive(target.locks, options, FAILURE, async () => {
    const staleLocks = await staleLockNames(target);
    // Before the plan, so a prune refused by damage still clears the locks of stopped backups.
    for (const name of staleLocks) await target.objects.remove(name);
    return executePrune(target, await planPrune(target, planOptions, staleLocks));
  });
}
