// Restore stage 4, upload: one planned folder's items into its target folder. The conflict
// policy decides first: items already present (recognised by PR_SEARCH_KEY, which Exchange keeps
// across copy, export and upload, never by subject) are skipped under "skip", written over under
// "overwrite", and "duplicate" does not look. The rest go up in batches (planBatches: at most
// uploadBatchItems items and uploadBatchBytes of item data per UploadItems request), which is
// what makes a restore fast; every request waits for a slot of the restore's one p-limit.

import { type MailboxTarget, planBatches, type UploadResult } from "@ewsvault/mailbox";
import type { LimitFunction } from "p-limit";
import type { RestoreLimits } from "../limits.js";
import type { SnapshotItem } from "../snapshot-tree.js";
import type { ConflictPolicy } from "../types.js";
import type { PlannedFolder } from "./plan.js";
import { type ItemDataReader, readBatch, type UploadEntry } from "./read.js";
import type { RestoreRecorder } from "./report.js";

/** What uploading asks of the target. */
export type UploadTarget = Pick<MailboxTarget, "findItems" | "findAssociatedItems" | "uploadItems">;

/** What every folder's upload shares within one restore. */
export interface UploadContext {
  readonly repository: ItemDataReader;
  readonly target: UploadTarget;
  readonly toMailbox: string;
  readonly conflict: ConflictPolicy;
  readonly limits: RestoreLimits;
  /** Bounds the target requests (findItems, uploadItems) in flight across the whole restore. */
  readonly limit: LimitFunction;
  readonly recorder: RestoreRecorder;
  readonly signal?: AbortSignal;
}

/**
 * Restores `planned`'s items into the target folder `folderId`. Every item ends recorded (as
 * restored, overwritten, skipped or failed); a failed request fails its batch's items and the
 * other batches go on. MUST reject once the restore's signal aborts.
 */
export async function uploadFolder(
  context: UploadContext,
  planned: PlannedFolder,
  folderId: string,
): Promise<void> {
  const { items } = planned;
  if (items.length === 0) return;
  const { target, toMailbox, conflict, limits, limit, recorder, signal } = context;
  const folderPath = planned.folder.path.join("/");
  const existing = conflict === "duplicate" ? undefined : await presentItems(context, folderId, items);
  // Items already present are settled at once; the rest are uploaded.
  const toUpload: UploadEntry[] = [];
  for (const item of items) {
    const already =
      item.searchKey === undefined
        ? undefined
        : existing?.get(presenceKey(item.searchKey, item.isAssociated));
    if (already !== undefined && conflict === "skip") recorder.skipped(item, folderPath, already);
    else toUpload.push({ item, ...(already === undefined ? {} : { already }) });
  }
  const batches = planBatches(toUpload, {
    maxItems: limits.uploadBatchItems,
    maxBytes: limits.uploadBatchBytes,
    sizeOf: (entry) => entry.item.dataSize,
  });
  const fail = (item: SnapshotItem, error: unknown) => recorder.failed(item, folderPath, error);
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        const { requests, sent } = await readBatch(
          context.repository,
          batch,
          folderId,
          conflict,
          fail,
          signal,
        );
        if (requests.length === 0) return;
        let results: UploadResult[];
        try {
          results = await target.uploadItems(toMailbox, requests, signal);
        } catch (error) {
          if (signal?.aborted) throw error;
          for (const { item } of sent) fail(item, error);
          return;
        }
        sent.forEach(({ item }, index) => {
          const result = results[index];
          if (result?.ok) {
            recorder.uploaded(item, folderPath, requests[index]!.mode === "Update", result.itemId);
          } else {
            const error =
              result?.ok === false ? result.error : { code: "EWS_MALFORMED_RESPONSE", message: "no result" };
            recorder.failedWith(item, folderPath, error);
          }
        });
      }),
    ),
  );
}

/**
 * The target folder's items by presence key (search key and kind): an associated item is only
 * ever matched with an associated one. FAI are listed (FindItem Traversal="Associated") only
 * when the folder restores some and the target can list them.
 */
async function presentItems(
  context: UploadContext,
  folderId: string,
  items: readonly SnapshotItem[],
): Promise<Map<string, string>> {
  const { target, toMailbox, limit, signal } = context;
  const present = await limit(() => target.findItems(toMailbox, folderId, signal));
  if (target.findAssociatedItems !== undefined && items.some((item) => item.isAssociated === true)) {
    const findAssociated = target.findAssociatedItems.bind(target);
    present.push(...(await limit(() => findAssociated(toMailbox, folderId, signal))));
  }
  const existing = new Map<string, string>();
  for (const item of present) {
    if (item.searchKey !== undefined)
      existing.set(presenceKey(item.searchKey, item.isAssociated), item.itemId);
  }
  return existing;
}

function presenceKey(searchKey: string, isAssociated: boolean | undefined): string {
  return `${isAssociated === true ? "fai" : "item"}:${searchKey}`;
}
