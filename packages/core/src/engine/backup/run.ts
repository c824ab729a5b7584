// backup(): every mailbox of options.mailboxes, many at once. Up to mailboxes x itemsPerMailbox
// mailboxes are checked for changes at once (lock, index, hierarchy, probe: a mailbox with
// nothing to sync needs no export slot), only limits.mailboxes of them sync and export at a
// time, and every source request of the run goes through one limiter of mailboxes x
// itemsPerMailbox, so folder syncs overlap exports and the connection budget stays exactly that.
// A mailbox whose index failed authentication runs once more (see backupMailbox).

import { ByteBudget } from "@ewsvault/mailbox";
import pLimit from "p-limit";
import { type BackupLimits, backupLimits } from "../limits.js";
import { createFolderFilter, createItemFilter } from "../selection.js";
import type { BackupOptions, BackupReport, MailboxBackupReport } from "../types.js";
import type { MailboxRun } from "./context.js";
import { backupMailbox, type SharedLimits } from "./mailbox-backup.js";

/** Backs up every mailbox of options.mailboxes; never throws for one mailbox's failure. */
export async function backup(options: BackupOptions): Promise<BackupReport> {
  const started = Date.now();
  const limits = backupLimits(options);
  const concurrentRequests = limits.mailboxes * limits.itemsPerMailbox;
  const opening = pLimit(concurrentRequests);
  const requests = pLimit(concurrentRequests);
  const shared: SharedLimits = { work: pLimit(limits.mailboxes) };
  const budget = new ByteBudget(limits.inFlightBytes);
  const reports = await Promise.all(
    options.mailboxes.map((mailbox) =>
      opening(() => backUpWithRerun(options, limits, mailbox, { budget, shared, requests })),
    ),
  );
  return { mailboxes: reports, durationMs: Date.now() - started };
}

interface RunResources {
  readonly budget: ByteBudget;
  readonly shared: SharedLimits;
  /** The run-wide request limiter. */
  readonly requests: <T>(send: () => Promise<T>) => Promise<T>;
}

async function backUpWithRerun(
  options: BackupOptions,
  limits: BackupLimits,
  mailbox: string,
  resources: RunResources,
): Promise<MailboxBackupReport> {
  const first = await backupMailbox(
    mailboxRun(options, limits, mailbox, resources),
    resources.budget,
    resources.shared,
  );
  if ("report" in first) return first.report;
  // The index failed authentication and was removed: this run rebuilds it from the repository.
  const second = await backupMailbox(
    mailboxRun(options, limits, mailbox, resources),
    resources.budget,
    resources.shared,
    first.warnings,
  );
  if ("report" in second) return second.report;
  throw new Error("unreachable: a second run never asks for a third");
}

/** One attempt at one mailbox: its own clock and per-mailbox request limiter. */
function mailboxRun(
  options: BackupOptions,
  limits: BackupLimits,
  mailbox: string,
  resources: RunResources,
): MailboxRun {
  const perMailbox = pLimit(limits.itemsPerMailbox);
  return {
    mailbox,
    options,
    limits,
    source: options.source,
    repository: options.repository,
    signal: options.signal,
    roots: options.selection?.roots ?? ["mailbox"],
    started: Date.now(),
    request: (send) => perMailbox(() => resources.requests(send)),
    isFolderRefSelected: createFolderFilter(options.selection),
    associatedItems:
      options.associatedItems !== false && options.source.capabilities.associatedItems === true,
    isItemSelected: createItemFilter(options.selection),
  };
}
