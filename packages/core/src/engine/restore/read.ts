// Restore stage 3, read: an upload batch's item data from the repository, each item checked
// against its binding first (item-binding.ts), so a snapshot that records another item's content
// fails that item instead of writing one item's bytes as another's. An item that cannot be read
// fails alone; the rest of its batch goes on.
import type { UploadRequest } from "@ewsvault/mailbox";
import { assertItemBinding } from "../item-binding.js";
import type { EngineRepository } from "../repository-port.js";
import type { SnapshotItem } from "../snapshot-tree.js";
import type { ConflictPolicy } from "../types.js";

/** What reading items asks of the repository. */
export type ItemDataReader = Pick<EngineRepository, "loadData" | "contentBinding">;

/** An item on its way to the target; `already` is the id of its copy found there. */
export interface UploadEntry {
  readonly item: SnapshotItem;
  readonly already?: string;
}

export interface ReadBatch {
  /** One request per entry read, in the batch's order. */
  readonly requests: readonly UploadRequest[];
  /** The entries of `requests`, position for position. */
  readonly sent: readonly UploadEntry[];
}

/**
 * Reads `batch` into upload requests for `folderId`: an item with a copy in the target is an
 * Update of that copy under "overwrite", every other item a CreateNew. Items that fail (binding
 * mismatch, unreadable data) go to `onFailed` and are left out. MUST rethrow once `signal` aborts.
 */
export async function readBatch(
  repository: ItemDataReader,
  batch: readonly UploadEntry[],
  folderId: string,
  conflict: ConflictPolicy,
  onFailed: (item: SnapshotItem, error: unknown) => void,
  signal?: AbortSignal,
): Promise<ReadBatch> {
  const requests: UploadRequest[] = [];
  const sent: UploadEntry[] = [];
  for (const entry of batch) {
    const { item, already } = entry;
    try {
      assertItemBinding(repository, item);
      const data = await repository.loadData(item.content);
      const request: UploadRequest =
        already !== undefined && conflict === "overwrite"
          ? { parentFolderId: folderId, data, mode: "Update", itemId: already }
          : { parentFolderId: folderId, data, mode: "CreateNew" };
      requests.push({ ...request, ...(item.isAssociated ? { isAssociated: true } : {}) });
      sent.push(entry);
    } catch (error) {
      if (signal?.aborted) throw error;
      onFailed(item, error);
    }
  }
  return { requests, sent };
}
