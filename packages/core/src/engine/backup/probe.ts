// Reads the change markers of mailbox folders (MailboxSource.probeFolders, one GetFolder for
// all of them) BEFORE any of them is synced: a change racing the sync then differs from what
// is stored and is caught by the next run. Which folders the markers let a run skip is decided
// in change-detection.ts.
import type { StoredFolderProbe } from "../../mailbox-index/index.js";
import { storableProbes } from "./change-detection.js";
import type { MailboxRun } from "./context.js";

/**
 * The markers of `folderIds` worth storing, or undefined when the probe failed: without
 * markers every folder is synced, as with a source that cannot probe, and a mailbox-wide
 * failure (rights, credentials) then surfaces from the syncs themselves.
 */
export async function probeFolders(
  run: MailboxRun,
  folderIds: readonly string[],
): Promise<Map<string, StoredFolderProbe> | undefined> {
  const probe = run.source.probeFolders;
  if (probe === undefined || folderIds.length === 0) return new Map();
  const probedAt = new Date().toISOString();
  try {
    const answer = await run.request(() => probe.call(run.source, run.mailbox, folderIds, run.signal));
    return storableProbes(answer, probedAt);
  } catch {
    run.signal?.throwIfAborted();
    return undefined;
  }
}
