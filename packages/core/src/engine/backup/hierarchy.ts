// Folder hierarchy sync: brings the index's folders of one root (mailbox, archive, recoverable
// items, public folders) up to date with the server. Mailbox roots page through
// SyncFolderHierarchy from the stored state; public folders have no sync, so they are listed
// whole and reconciled. A sync from scratch removes every folder of the root it did not see.

import type { DistinguishedFolderName, FolderInfo, HierarchyChange, MailboxInfo } from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { HierarchyRootName, IndexedFolder } from "../../mailbox-index/index.js";
import { SyncProgressGuard } from "../sync-progress.js";
import type { MailboxRun } from "./context.js";
import type { IndexSession } from "./index-session.js";
import { syncAllPages } from "./sync-pages.js";

/** What the hierarchy sync uses of the index session. */
type FolderIndex = Pick<
  IndexSession,
  "index" | "folders" | "putFolder" | "removeFolder" | "markTreeChanged" | "setHierarchyState"
>;

const ROOT_FOLDERS: Record<HierarchyRootName, DistinguishedFolderName> = {
  mailbox: "msgfolderroot",
  archive: "archivemsgfolderroot",
  recoverable: "recoverableitemsroot",
  public: "publicfoldersroot",
};

export async function syncHierarchy(
  run: MailboxRun,
  session: FolderIndex,
  root: HierarchyRootName,
  info: MailboxInfo,
): Promise<void> {
  const rootFolderId = info.distinguishedFolders[ROOT_FOLDERS[root]];
  if (rootFolderId === undefined) {
    if (root === "mailbox") {
      throw new EwsVaultError("EWS_MALFORMED_RESPONSE", `${run.mailbox} has no msgfolderroot`);
    }
    return; // no archive / no public folders: nothing to back up there
  }
  if (root === "public") {
    const folders = await run.request(() => run.source.findFolders(run.mailbox, rootFolderId, run.signal));
    reconcileFolders(session, root, folders);
    return;
  }
  let seen = new Set<string>();
  const result = await syncAllPages({
    syncState: session.index.meta.hierarchyStates[root],
    signal: run.signal,
    guard: () => new SyncProgressGuard(`the ${root} hierarchy`, { mailbox: run.mailbox, root }),
    request: (syncState) =>
      run.request(() =>
        run.source.syncFolderHierarchy(run.mailbox, {
          rootFolderId,
          ...(syncState === undefined ? {} : { syncState }),
          ...(run.signal === undefined ? {} : { signal: run.signal }),
        }),
      ),
    view: (page) => ({
      syncState: page.syncState,
      ids: page.changes.map((c) => (c.kind === "delete" ? c.folderId : c.folder.folderId)),
      last: page.includesLastFolderInRange,
    }),
    restart: () => {
      seen = new Set();
    },
    apply: (page) => {
      for (const change of page.changes) applyHierarchyChange(session, root, change, seen);
      return undefined;
    },
  });
  if (result.fromScratch) removeUnseenFolders(session, root, seen);
  session.setHierarchyState(root, result.syncState);
}

function applyHierarchyChange(
  session: FolderIndex,
  root: HierarchyRootName,
  change: HierarchyChange,
  seen: Set<string>,
): void {
  if (change.kind === "delete") {
    session.removeFolder(change.folderId);
    return;
  }
  const existing = session.folders.get(change.folder.folderId);
  // A rename or move changes no item: the sync state and the markers read with it stay valid.
  const entry: IndexedFolder = {
    folder: change.folder,
    root,
    ...(existing?.syncState === undefined ? {} : { syncState: existing.syncState }),
    ...(existing?.associated === true ? { associated: true } : {}),
    ...(existing?.probe === undefined ? {} : { probe: existing.probe }),
  };
  seen.add(change.folder.folderId);
  if (existing === undefined || !sameTreeFolder(existing.folder, change.folder)) session.markTreeChanged();
  session.putFolder(entry);
}

function reconcileFolders(
  session: FolderIndex,
  root: HierarchyRootName,
  folders: readonly FolderInfo[],
): void {
  const seen = new Set<string>();
  for (const folder of folders) applyHierarchyChange(session, root, { kind: "create", folder }, seen);
  removeUnseenFolders(session, root, seen);
}

function removeUnseenFolders(session: FolderIndex, root: HierarchyRootName, seen: ReadonlySet<string>): void {
  for (const folder of [...session.folders.values()]) {
    if (folder.root === root && !seen.has(folder.folder.folderId))
      session.removeFolder(folder.folder.folderId);
  }
}

/** Folder properties a snapshot tree records (see writeMailboxTree): a change to one dirties the tree. */
export function sameTreeFolder(a: FolderInfo, b: FolderInfo): boolean {
  return (
    a.folderId === b.folderId &&
    a.parentFolderId === b.parentFolderId &&
    a.displayName === b.displayName &&
    a.folderClass === b.folderClass &&
    a.distinguishedName === b.distinguishedName
  );
}
