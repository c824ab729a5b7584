// How ExportItems and UploadItems batches are sized: the planning rules as limits for the one
// batch planner of @ewsvault/mailbox (planBatches). An export is sized by its expected response
// (the item sizes the server reports, with the export stream's growth and base64), an upload by
// its request (the data it carries, base64). Pure, so the rules can be tested on their own.
import { type BatchLimits, type ExportRequest, planBatches, type UploadRequest } from "@ewsvault/mailbox";

/** Items per ExportItems/UploadItems request regardless of size (keeps requests reasonable). */
export const MAX_ITEMS_PER_BATCH = 100;
/** Per-item envelope overhead in a response (ids, tags), and the response envelope itself. */
const PER_ITEM_OVERHEAD = 1024;
const ENVELOPE_OVERHEAD = 4096;
/** The export stream is a little larger than the Size the server reports (property framing). */
export const STREAM_GROWTH = 1.1;
/** Upper bound of the learned growth (see BulkExporter.growth). */
export const MAX_GROWTH = 4;

/** Expected bytes of an item's base64 Data in an ExportItems response. */
export function estimatedExportBytes(size: number, growth = STREAM_GROWTH): number {
  return Math.ceil((size * growth) / 3) * 4 + PER_ITEM_OVERHEAD;
}

/**
 * Export planning as planBatches limits: a batch's estimated response stays under `capBytes`.
 * An item of unknown size counts as the whole cap, and one too large to share a response
 * overflows it on its own: both go alone.
 */
export function exportBatchLimits(capBytes: number, growth = STREAM_GROWTH): BatchLimits<ExportRequest> {
  return {
    maxItems: MAX_ITEMS_PER_BATCH,
    maxBytes: capBytes,
    overhead: ENVELOPE_OVERHEAD,
    sizeOf: (item) =>
      item.size === undefined || !Number.isFinite(item.size)
        ? undefined
        : estimatedExportBytes(item.size, growth),
  };
}

/** Upload planning as planBatches limits: a batch's request (base64 data) stays under `capBytes`. */
export function uploadBatchLimits(capBytes: number): BatchLimits<UploadRequest> {
  return {
    maxItems: MAX_ITEMS_PER_BATCH,
    maxBytes: capBytes,
    overhead: ENVELOPE_OVERHEAD,
    sizeOf: (item) => Math.ceil(item.data.byteLength / 3) * 4 + PER_ITEM_OVERHEAD,
  };
}

/**
 * Groups export requests so that no batch's estimated response exceeds `capBytes`. Items of
 * unknown size, or too large to share a response, go alone. Planned ahead, so unlike the batches
 * a running export cuts one at a time, an item that goes alone does not cut the run of items
 * around it: its batch takes the place where a single pass over the items reaches it.
 */
export function planExportBatches(
  items: readonly ExportRequest[],
  capBytes: number,
  growth = STREAM_GROWTH,
): ExportRequest[][] {
  const limits = exportBatchLimits(capBytes, growth);
  const indexed = items.map((item, index) => ({ item, index, size: limits.sizeOf(item) }));
  const alone = (e: (typeof indexed)[number]) =>
    e.size === undefined || e.size + ENVELOPE_OVERHEAD > capBytes;
  const shared = planBatches(
    indexed.filter((e) => !alone(e)),
    { ...limits, sizeOf: (e) => e.size },
  );
  // A shared batch is complete when the first item of the next one is reached (or at the end).
  const placed = [
    ...indexed.filter(alone).map((e) => ({ at: e.index, batch: [e.item] })),
    ...shared.map((batch, k) => ({
      at: shared[k + 1]?.[0]?.index ?? items.length,
      batch: batch.map((e) => e.item),
    })),
  ];
  return placed.sort((a, b) => a.at - b.at).map((p) => p.batch);
}

/** The estimated response bytes of a batch, reserved in the byte budget before it is sent. */
export function batchEstimate(batch: readonly ExportRequest[], growth = STREAM_GROWTH): number {
  return batch.reduce((sum, item) => sum + estimatedExportBytes(item.size ?? 0, growth), ENVELOPE_OVERHEAD);
}
