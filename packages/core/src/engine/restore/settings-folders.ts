// Restore of settings, folders: a stored folder reference (a rule's MoveToFolder / CopyToFolder,
// a permission set's folder, a configuration's folder) becomes the target's folder. The
// reference is the source folder id the snapshot's folder trees record, so the target folder is
// found by that folder's path with the item restore's resolver (resolve-folders.ts: by
// distinguished name, then by display name, created when missing). A distinguished folder name
// ("calendar") is kept: the target resolves its own. In a dry run nothing is created: a missing
// folder gets a placeholder id that no target folder has.

import type { FolderInfo, MailboxInfo, MailboxTarget } from "@ewsvault/mailbox";
import type { EngineRepository, EngineSnapshot } from "../repository-port.js";
import { type SnapshotFolder, walkSnapshotFolders } from "../snapshot-tree.js";
import { type FolderTarget, resolveTargetFolders } from "./resolve-folders.js";

/** Distinguished folder names are lower-case words; EWS folder ids are base64 (mixed case). */
const DISTINGUISHED_NAME = /^[a-z]+$/;

export interface SettingsFolders {
  /** The target folder of a stored reference, or undefined when the snapshot does not hold it. */
  map(folderId: string): Promise<string | undefined>;
  /** How a stored reference is named in reports: its path in the snapshot, or the name itself. */
  label(folderId: string): string;
  /** Folders created so far (never in a dry run). */
  readonly created: number;
}

/** A target that finds folders but, asked to create one, only invents an id for it. */
function dryRunFolders(target: FolderTarget): FolderTarget {
  return {
    findFolders: (mailbox, root, signal) => target.findFolders(mailbox, root, signal),
    createFolder: async (_mailbox, parentFolderId, displayName, folderClass): Promise<FolderInfo> => ({
      folderId: `(not created: ${parentFolderId}/${displayName})`,
      changeKey: "",
      parentFolderId,
      displayName,
      ...(folderClass === undefined ? {} : { folderClass }),
    }),
  };
}

export async function settingsFolders(
  repository: Pick<EngineRepository, "loadTree">,
  snapshot: EngineSnapshot,
  target: MailboxTarget,
  toMailbox: string,
  info: MailboxInfo,
  dryRun: boolean,
  signal?: AbortSignal,
): Promise<SettingsFolders> {
  const byId = new Map<string, SnapshotFolder>();
  const allFolders = new Map<string, SnapshotFolder>();
  for await (const folder of walkSnapshotFolders(repository, snapshot.tree)) {
    byId.set(folder.tree.folderId, folder);
    allFolders.set(folder.path.join("/"), folder);
  }
  const rootId = info.distinguishedFolders.msgfolderroot;
  let resolved: Promise<Awaited<ReturnType<typeof resolveTargetFolders>>> | undefined;
  // Read the target's folders only when a reference needs them.
  const resolver = () => {
    if (rootId === undefined) return undefined;
    resolved ??= resolveTargetFolders(
      dryRun ? dryRunFolders(target) : target,
      toMailbox,
      info,
      rootId,
      { allFolders },
      undefined,
      signal,
    );
    return resolved;
  };
  let created = 0;
  return {
    async map(folderId) {
      const folder = byId.get(folderId);
      if (folder === undefined) return DISTINGUISHED_NAME.test(folderId) ? folderId : undefined;
      const folders = await resolver();
      if (folders === undefined) return undefined;
      const id = await folders.folderOf(folder);
      created = dryRun ? 0 : folders.created;
      return id;
    },
    label: (folderId) => byId.get(folderId)?.path.join("/") ?? folderId,
    get created() {
      return created;
    },
  };
}
