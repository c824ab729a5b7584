// uploadItems(): UploadItems in batches planned under maxExportBatchBytes (by request size),
// sent by up to gate.max at once. A batch the server refuses as too large is split in halves, an
// item too large on its own comes back as a skip error, items that come back transient are sent
// again with backoff. A mailbox-level failure stops the other batches before the call rejects.
import { planBatches, type UploadRequest, type UploadResult } from "@ewsvault/mailbox";
import pLimit from "p-limit";
import {
  callContext,
  callItems,
  type ItemAnswer,
  isSizeExceeded,
  type OperationScope,
  requireMailbox,
  settleTransient,
  sizeExceededError,
} from "./call.js";
import { uploadBatchLimits } from "./export-batching.js";
import type { DistinguishedFolders } from "./operations/mailbox-info.js";
import { isDistinguishedFolderName, uploadItemsRequest } from "./requests.js";
import type { ResolvedRetryOptions } from "./retry.js";
import { child } from "./xml-parser.js";

export interface BulkUploadOptions {
  readonly scope: OperationScope;
  readonly folders: DistinguishedFolders;
  /** Largest UploadItems request (base64 bytes). */
  readonly maxBatchBytes: number;
  /** Most batches in flight at once. */
  readonly maxWorkers: number;
  readonly retry: ResolvedRetryOptions;
  /** Counted per UploadItems request sent. */
  readonly counters: { uploadRequests: number };
}

/** One result per request, in request order. Programmer mistakes throw TypeError. */
export async function uploadItems(
  options: BulkUploadOptions,
  mailbox: string,
  items: readonly UploadRequest[],
  signal?: AbortSignal,
): Promise<UploadResult[]> {
  requireMailbox(mailbox);
  const resolved: UploadRequest[] = [];
  for (const item of items) {
    if (!(item?.data instanceof Uint8Array)) throw new TypeError("every upload needs data (Uint8Array)");
    if (item.mode !== "CreateNew" && item.mode !== "Update" && item.mode !== "UpdateOrCreate") {
      throw new TypeError(`unknown upload mode ${String(item.mode)}`);
    }
    if (item.mode !== "CreateNew" && !item.itemId) throw new TypeError(`${item.mode} needs itemId`);
    const parentFolderId = isDistinguishedFolderName(item.parentFolderId)
      ? await options.folders.resolveFolderId(mailbox, item.parentFolderId, signal)
      : item.parentFolderId;
    resolved.push({ ...item, parentFolderId });
  }
  const indexed = resolved.map((item, index) => ({ item, index }));
  const limits = uploadBatchLimits(options.maxBatchBytes);
  const batches = planBatches(indexed, { ...limits, sizeOf: (e) => limits.sizeOf(e.item) });
  const results: UploadResult[] = new Array(resolved.length);
  // On the first mailbox-level failure the other batches stop too: no uploads continue
  // behind the caller's back after the call has rejected.
  const stop = new AbortController();
  const linked = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  let failure: { error: unknown } | undefined;
  const limit = pLimit(Math.max(1, Math.min(batches.length, options.maxWorkers)));
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        if (failure !== undefined) return;
        try {
          const batchResults = await uploadBatch(
            options,
            mailbox,
            batch.map((e) => e.item),
            linked,
          );
          batch.forEach((e, k) => {
            results[e.index] = batchResults[k] as UploadResult;
          });
        } catch (error) {
          failure ??= { error };
          stop.abort();
        }
      }),
    ),
  );
  if (failure !== undefined) throw failure.error;
  return results;
}

/** One batch, settled: one result per request, in request order. */
async function uploadBatch(
  options: BulkUploadOptions,
  mailbox: string,
  batch: UploadRequest[],
  signal: AbortSignal,
): Promise<UploadResult[]> {
  const send = (requests: UploadRequest[]) => uploadOnce(options, mailbox, requests, signal);
  return settleTransient(
    batch,
    await send(batch),
    send,
    (_, last): UploadResult => ({ ok: false, error: last }),
    options.retry,
    signal,
  );
}

/**
 * One UploadItems request; one answer per request, in request order. A request the server
 * refuses as too large is split in halves, each settled on its own.
 */
async function uploadOnce(
  options: BulkUploadOptions,
  mailbox: string,
  batch: UploadRequest[],
  signal: AbortSignal,
): Promise<ItemAnswer<UploadResult>[]> {
  const { scope } = options;
  options.counters.uploadRequests++;
  try {
    const { answers } = await callItems(scope.transport, {
      operationName: "UploadItems",
      body: uploadItemsRequest(batch),
      context: callContext(scope.access(mailbox), signal),
      objects: batch,
      onSuccess: (message): UploadResult => {
        const id = child(message.element, "ItemId");
        return id?.attributes.Id === undefined
          ? {
              ok: false,
              error: {
                code: "EWS_MALFORMED_RESPONSE",
                message: "UploadItems success without ItemId",
                disposition: "skip",
              },
            }
          : { ok: true, itemId: id.attributes.Id, changeKey: id.attributes.ChangeKey ?? "" };
      },
      onError: (error): UploadResult => ({ ok: false, error }),
    });
    return answers;
  } catch (error) {
    if (!isSizeExceeded(error)) throw error;
    if (batch.length === 1) return [{ result: { ok: false, error: sizeExceededError(error) } }];
    const middle = Math.ceil(batch.length / 2);
    const settled: UploadResult[] = [];
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      settled.push(...(await uploadBatch(options, mailbox, half, signal)));
    }
    return settled.map((result) => ({ result }));
  }
}
