// Guards the engine's paging loops (SyncFolderItems, SyncFolderHierarchy) against a server that
// never says it is done. Exchange ends every sync with IncludesLastItemInRange /
// IncludesLastFolderInRange = true; a server (or a proxy) that never does would otherwise keep
// one backup asking for ever. A loop is stopped with SYNC_NO_PROGRESS when
// - several pages in a row bring nothing new: the sync state sent comes back unchanged, the page
//   is empty although it is not the last, or every id on it was already seen in this loop, or
// - the loop has seen far more changes than the folder's own counts allow (see changeBudget).
// The caller's checkpoint keeps everything saved before the stop; the next run resumes from the
// last sync state that was made durable.
import { EwsVaultError } from "@ewsvault/mailbox";

/**
 * Consecutive pages without anything new tolerated before the loop stops. More than one, so a
 * server that once answers a non-final page with nothing (a race with a mailbox move) is not
 * mistaken for a broken one; small, so a broken one costs a handful of requests, not thousands.
 */
export const MAX_PAGES_WITHOUT_PROGRESS = 3;

/** Changes allowed beyond what the folder's counts explain (items arriving while it is synced). */
const CHANGE_SLACK = 10_000;

/** What the folder says about itself before it is synced (FolderChangeProbe, FolderInfo). */
export interface FolderCounts {
  readonly totalCount?: number;
  readonly deletedCountTotal?: number;
}

/**
 * Most changes one sync of a folder can honestly report: every present item at most once as a
 * create/update and once as a read-flag change, plus every item ever deleted from it, plus slack.
 * Undefined (no bound) when the folder's item count is unknown.
 */
export function changeBudget(counts: FolderCounts): number | undefined {
  const total = counts.totalCount;
  if (total === undefined || !Number.isFinite(total) || total < 0) return undefined;
  const deleted = counts.deletedCountTotal;
  const deletes = deleted !== undefined && Number.isFinite(deleted) && deleted >= 0 ? deleted : total;
  return 2 * total + deletes + CHANGE_SLACK;
}

export interface SyncPageView {
  /** The sync state this page was asked for with (undefined on the first request). */
  readonly sentState: string | undefined;
  readonly syncState: string;
  /** Item or folder ids of the page's changes, in order. */
  readonly ids: readonly string[];
  readonly last: boolean;
}

/** One guard per paging loop; observe() every page before acting on it. */
export class SyncProgressGuard {
  readonly #what: string;
  readonly #details: Record<string, unknown>;
  readonly #budget: number | undefined;
  readonly #seen = new Set<string>();
  #stalled = 0;
  #changes = 0;
  #pages = 0;

  /**
   * @param what names the loop in the error ("folder Inbox", "hierarchy of mailbox").
   * @param details carried by the error (mailbox, folderId).
   * @param budget see changeBudget(); undefined = no count bound.
   */
  constructor(what: string, details: Record<string, unknown>, budget?: number) {
    this.#what = what;
    this.#details = details;
    this.#budget = budget;
  }

  /** MUST be called once per page; throws SYNC_NO_PROGRESS when the loop must stop. */
  observe(page: SyncPageView): void {
    this.#pages++;
    this.#changes += page.ids.length;
    let fresh = 0;
    for (const id of page.ids) {
      if (!this.#seen.has(id)) {
        this.#seen.add(id);
        fresh++;
      }
    }
    if (this.#budget !== undefined && this.#changes > this.#budget) {
      this.#fail(`reported ${this.#changes} changes, more than its counts allow (${this.#budget})`);
    }
    if (page.last) return;
    const stalled = page.syncState === page.sentState || page.ids.length === 0 || fresh === 0;
    this.#stalled = stalled ? this.#stalled + 1 : 0;
    if (this.#stalled >= MAX_PAGES_WITHOUT_PROGRESS) {
      this.#fail(`${this.#stalled} pages in a row brought nothing new and none was the last`);
    }
  }

  #fail(reason: string): never {
    throw new EwsVaultError(
      "SYNC_NO_PROGRESS",
      `the server never finished syncing ${this.#what}: ${reason}`,
      {
        details: { ...this.#details, pages: this.#pages, changes: this.#changes },
      },
    );
  }
}
