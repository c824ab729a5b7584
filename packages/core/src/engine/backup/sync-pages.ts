// The paging loop shared by SyncFolderHierarchy and SyncFolderItems: ask for a page with the
// last sync state, check it with a SyncProgressGuard (a server that never says it is done is
// stopped), act on it, and go on until the server says the page was the last. A stored sync
// state the server refuses (EWS_INVALID_SYNC_STATE) makes the loop start over once without one.
import { isEwsVaultError } from "@ewsvault/mailbox";
import type { SyncProgressGuard } from "../sync-progress.js";

/** What the loop needs to know of a page. */
export interface PageView {
  readonly syncState: string;
  /** Ids of the page's changes, in order (what the guard counts). */
  readonly ids: readonly string[];
  readonly last: boolean;
}

export interface PagedSync<P> {
  /** The stored sync state to start from; undefined = from scratch. */
  readonly syncState: string | undefined;
  readonly signal: AbortSignal | undefined;
  /** A fresh guard (one per pass: a restart starts a new one). */
  readonly guard: () => SyncProgressGuard;
  /** Called before every request; throws to stop the loop (cancellation is checked already). */
  readonly beforeRequest?: () => void;
  readonly request: (syncState: string | undefined) => Promise<P>;
  readonly view: (page: P) => PageView;
  /** The stored state was refused: whatever the caller collected for this pass starts over. */
  readonly restart: () => void;
  /** Acts on one page; "stop" ends the loop before the next request. */
  readonly apply: (page: P) => Promise<"stop" | undefined> | "stop" | undefined;
}

export interface PagedSyncResult {
  /** The sync state of the last page acted on (the one to store). */
  readonly syncState: string | undefined;
  /** The loop started without a sync state (from the start or after a restart). */
  readonly fromScratch: boolean;
  /** apply() asked to stop before the last page. */
  readonly stopped: boolean;
}

export async function syncAllPages<P>(sync: PagedSync<P>): Promise<PagedSyncResult> {
  let state = sync.syncState;
  let fromScratch = state === undefined;
  let guard = sync.guard();
  for (;;) {
    sync.signal?.throwIfAborted();
    sync.beforeRequest?.();
    let page: P;
    try {
      page = await sync.request(state);
    } catch (error) {
      if (!fromScratch && isEwsVaultError(error, "EWS_INVALID_SYNC_STATE")) {
        state = undefined;
        fromScratch = true;
        guard = sync.guard();
        sync.restart();
        continue;
      }
      throw error;
    }
    const view = sync.view(page);
    guard.observe({ sentState: state, syncState: view.syncState, ids: view.ids, last: view.last });
    const verdict = await sync.apply(page);
    state = view.syncState;
    if (verdict === "stop") return { syncState: state, fromScratch, stopped: true };
    if (view.last) return { syncState: state, fromScratch, stopped: false };
  }
}
