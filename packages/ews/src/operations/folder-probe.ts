// probeFolders: the cheap "did this folder change?" question the engine asks before it syncs a
// folder. One GetFolder per PROBE_BATCH_FOLDERS folders, asking for TotalCount, UnreadCount and
// two store properties that move on every change (PidTagLocalCommitTimeMax, PidTagDeletedCountTotal).
import type { FolderChangeProbe } from "@ewsvault/mailbox";
import type { OperationScope } from "../call.js";
import { probeFoldersRequest } from "../requests.js";
import { parseFolderProbe } from "../responses.js";
import { getFolders } from "./get-folder.js";

/** Folders per GetFolder of probeFolders: one request for a typical mailbox, small enough responses for big ones. */
export const PROBE_BATCH_FOLDERS = 200;

/**
 * Probes of the folders the server could read, by folder id. A folder it cannot read (deleted
 * meanwhile, no rights) is left out, so the engine syncs it; a mailbox-level code rejects.
 */
export async function probeFolders(
  scope: OperationScope,
  mailbox: string,
  folderIds: readonly string[],
  signal?: AbortSignal,
): Promise<ReadonlyMap<string, FolderChangeProbe>> {
  const probes = new Map<string, FolderChangeProbe>();
  const access = scope.access(mailbox);
  const chunks: string[][] = [];
  for (let i = 0; i < folderIds.length; i += PROBE_BATCH_FOLDERS)
    chunks.push(folderIds.slice(i, i + PROBE_BATCH_FOLDERS));
  await Promise.all(
    chunks.map(async (ids) => {
      const folders = await getFolders(
        scope,
        access,
        probeFoldersRequest(ids, access.delegate),
        ids.length,
        signal,
      );
      folders.forEach((folder, index) => {
        if (folder !== undefined) probes.set(ids[index] as string, parseFolderProbe(folder));
      });
    }),
  );
  return probes;
}
