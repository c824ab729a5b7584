// Change detection: what a run syncs and exports, decided by plain functions of what the index
// stored and what the server says now (no I/O here; probe.ts reads the markers). The rules and
// why they are safe are in docs/mailbox-index.md ("Change probes and full syncs").
//
// - A full sync (every selected folder synced) is due when asked for, when the last one is
//   missing, unreadable, in the future or older than the interval, or when the source cannot
//   probe folders at all.
// - A folder is skipped only when its stored markers were settled when read and equal the
//   fresh ones field by field; anything unknown means sync.
// - An item is exported when it is new or its change key differs; one with the same change key
//   whose summary carries another read flag only has the flag recorded. A read-flag change the
//   sync reports on its own exports the item again (the flag is part of its export stream).
import type { FolderChangeProbe, ItemSummary } from "@ewsvault/mailbox";
import type { IndexedFolder, IndexedItem, StoredFolderProbe } from "../../mailbox-index/index.js";
import type { Selection } from "../types.js";

export interface FullSyncFacts {
  /** options.fullSync. */
  readonly asked: boolean;
  readonly intervalSeconds: number;
  /** MailboxIndexMeta.lastFullSyncAt (ISO 8601), as stored. */
  readonly lastFullSyncAt: string | undefined;
  /** Start of this run, ms since the epoch. */
  readonly now: number;
  /** The source implements probeFolders. */
  readonly canProbe: boolean;
}

export function isFullSyncDue(facts: FullSyncFacts): boolean {
  const interval = facts.intervalSeconds * 1000;
  const last = facts.lastFullSyncAt;
  const elapsed = last === undefined ? Number.NaN : facts.now - Date.parse(last);
  // NaN (missing, unreadable) and a negative age (the clock went back) count as due.
  return facts.asked || !(elapsed >= 0 && elapsed < interval) || !facts.canProbe;
}

export interface FolderSyncRules {
  /** This run syncs every folder. */
  readonly fullSync: boolean;
  readonly probeSettleSeconds: number;
  /** This run syncs folder-associated items too (a state of the other scope is not reused). */
  readonly associatedItems?: boolean;
}

/**
 * Whether a folder must be synced: always for a full sync, public folders (no sync state, no
 * markers) and folders never synced; otherwise unless its stored markers were settled when read
 * and equal `current`.
 */
export function mustSyncFolder(
  folder: Pick<IndexedFolder, "root" | "syncState" | "probe" | "associated">,
  current: StoredFolderProbe | undefined,
  rules: FolderSyncRules,
): boolean {
  if (rules.fullSync || folder.root === "public" || folder.syncState === undefined) return true;
  if (!sameSyncScope(folder, rules.associatedItems === true)) return true;
  const stored = folder.probe;
  if (stored === undefined || current === undefined || stored.commitTimeMax === undefined) return true;
  const settleMs = rules.probeSettleSeconds * 1000;
  // Written this way so that an unparsable time (NaN) never counts as settled.
  const age = Date.parse(stored.probedAt) - Date.parse(stored.commitTimeMax);
  if (!(age >= settleMs)) return true;
  return (
    stored.commitTimeMax !== current.commitTimeMax ||
    stored.deletedCountTotal !== current.deletedCountTotal ||
    stored.totalCount !== current.totalCount ||
    stored.unreadCount !== current.unreadCount
  );
}

/** Whether a folder's stored sync state was made with the scope this run asks for. */
export function sameSyncScope(folder: Pick<IndexedFolder, "associated">, associatedItems: boolean): boolean {
  return (folder.associated === true) === associatedItems;
}

/** The probes worth storing: those with a commitTimeMax (without one a folder is always synced). */
export function storableProbes(
  answer: ReadonlyMap<string, FolderChangeProbe>,
  probedAt: string,
): Map<string, StoredFolderProbe> {
  const probes = new Map<string, StoredFolderProbe>();
  for (const [folderId, probe] of answer) {
    if (probe.commitTimeMax !== undefined) probes.set(folderId, { ...probe, probedAt });
  }
  return probes;
}

/** What to do with an item a folder sync reports as created or changed. */
export type ItemDecision =
  /** Not selected and not in the index: nothing. */
  | { readonly kind: "ignore" }
  /** Not selected (any more) but in the index: remove it (not counted as a deletion). */
  | { readonly kind: "forget" }
  /** Same change key: not exported; `isRead` set when only the read flag is to be recorded. */
  | { readonly kind: "unchanged"; readonly isRead?: boolean }
  /** New or changed: export it. */
  | { readonly kind: "export" };

export function decideItem(
  existing: IndexedItem | undefined,
  summary: ItemSummary,
  selected: boolean,
): ItemDecision {
  if (!selected) return existing === undefined ? { kind: "ignore" } : { kind: "forget" };
  if (existing !== undefined && existing.changeKey === summary.changeKey) {
    return existing.isRead !== summary.isRead && summary.isRead !== undefined
      ? { kind: "unchanged", isRead: summary.isRead }
      : { kind: "unchanged" };
  }
  return { kind: "export" };
}

/**
 * A read-flag change of a stored item: the summary to export it again with, or undefined when
 * the item is unknown or already has that flag. The read flag is part of the item's export
 * stream, so the item is exported again; content-defined chunking stores only the chunk that
 * changed.
 */
export function readFlagExport(existing: IndexedItem | undefined, isRead: boolean): ItemSummary | undefined {
  if (existing === undefined || existing.isRead === isRead) return undefined;
  const { folderId: _f, blobIds: _b, dataSize: _d, mimeBlobIds: _m, ...summary } = existing;
  return { ...summary, isRead };
}

/** A full sync restarts the full-sync interval only when it covered every folder of the mailbox. */
export function restartsFullSyncInterval(fullSync: boolean, selection: Selection | undefined): boolean {
  return fullSync && selection?.includeFolders === undefined && selection?.excludeFolders === undefined;
}
