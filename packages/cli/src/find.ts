// `ewsvault find`: searches every snapshot (or, with --latest, the newest of each mailbox and
// snapshot group), newest first, and prints each matching item once with the snapshots that
// hold it, so "which backup still has the mail deleted in March" is one command. Item pages
// are content-addressed, so a page shared by many snapshots is read and matched once.
import { loadSnapshotItems, type Repository, type Snapshot, walkSnapshotFolders } from "@ewsvault/core";
import { parseDate } from "./commands/shared.js";
import { ExitCode } from "./errors.js";
import { type Output, shown } from "./output.js";

export interface FindOptions {
  readonly mailbox?: string;
  readonly subject?: string;
  readonly from?: string;
  readonly after?: string;
  readonly before?: string;
  readonly class?: string;
  readonly latest?: boolean;
  readonly group?: string;
}

type SnapshotItem = Awaited<ReturnType<typeof loadSnapshotItems>>[number];

interface Match {
  readonly mailbox: string;
  readonly folder: string;
  readonly item: SnapshotItem;
  /** Snapshots holding this item version, newest first. */
  readonly snapshots: Snapshot[];
}

function matcher(options: FindOptions): (item: SnapshotItem) => boolean {
  const after = options.after ? parseDate(options.after, "--after").getTime() : undefined;
  const before = options.before ? parseDate(options.before, "--before").getTime() : undefined;
  const subject = options.subject?.toLowerCase();
  const from = options.from?.toLowerCase();
  const itemClass = options.class?.toLowerCase();
  return (item) => {
    if (subject && !(item.subject ?? "").toLowerCase().includes(subject)) return false;
    if (from && !(item.from ?? "").toLowerCase().includes(from)) return false;
    if (itemClass) {
      const actual = (item.itemClass ?? "").toLowerCase();
      if (actual !== itemClass && !actual.startsWith(`${itemClass}.`)) return false;
    }
    const received = item.receivedAt ? Date.parse(item.receivedAt) : Number.NaN;
    if (after !== undefined && !(received >= after)) return false;
    if (before !== undefined && !(received < before)) return false;
    return true;
  };
}

/** The snapshots to search, newest first. */
export function snapshotsToSearch(all: readonly Snapshot[], options: FindOptions): Snapshot[] {
  const newestFirst = all
    .filter((s) => options.group === undefined || options.group === "any" || s.group === options.group)
    .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.id < b.id ? -1 : 1));
  if (!options.latest) return newestFirst;
  const seen = new Set<string>();
  return newestFirst.filter((s) => {
    const key = `${s.mailbox}\u0000${s.group}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function findInSnapshots(
  repository: Repository,
  options: FindOptions,
  out: Output,
): Promise<number> {
  const matches = matcher(options);
  const snapshots = snapshotsToSearch(
    await repository.listSnapshots(options.mailbox ? { mailbox: options.mailbox } : {}),
    options,
  );
  // One entry per mailbox, folder and item version (change key), in first-seen (newest) order.
  const found = new Map<string, Match>();
  // Matching items of an item-page list, by the pages' ids: shared pages are read once.
  const pageCache = new Map<string, SnapshotItem[]>();
  for (const snapshot of snapshots) {
    for await (const folder of walkSnapshotFolders(repository, snapshot.tree)) {
      const pagesKey = JSON.stringify(folder.tree.itemPages);
      let hits = pageCache.get(pagesKey);
      if (hits === undefined) {
        hits = (await loadSnapshotItems(repository, folder.tree)).filter(matches);
        pageCache.set(pagesKey, hits);
      }
      const path = folder.path.join("/");
      for (const item of hits) {
        const key = `${snapshot.mailbox}\u0000${path}\u0000${item.itemId}\u0000${item.changeKey ?? ""}`;
        const match = found.get(key);
        if (match === undefined)
          found.set(key, { mailbox: snapshot.mailbox, folder: path, item, snapshots: [snapshot] });
        else if (!match.snapshots.includes(snapshot)) match.snapshots.push(snapshot);
      }
    }
  }
  for (const { mailbox, folder, item, snapshots: holders } of found.values()) {
    out.event(
      "match",
      {
        mailbox,
        folder,
        ...item,
        snapshot: holders[0]!.id,
        snapshots: holders.map((s) => s.id),
      },
      () =>
        `${shown(mailbox)}  ${shown(folder)}  ${shown(item.itemId.slice(-16))}  ${shown(item.receivedAt)}  ${shown(item.subject)}  [in ${holders.length} snapshot(s): ${holders
          .slice(0, 8)
          .map((s) => `${s.id.slice(0, 8)} (${s.time.toISOString().slice(0, 16)}Z)`)
          .join(", ")}${holders.length > 8 ? `, … ${holders.length - 8} more` : ""}]`,
    );
  }
  out.info(`${found.size} item(s) found in ${snapshots.length} snapshot(s) searched`);
  return ExitCode.ok;
}
