// How ExportItems batches are sized (from the item sizes the server reports, with base64 growth)
// and the hand-off between the batch workers and the consumer of exportItems(). Pure and
// stateless apart from the Channel, so the planning rules can be tested on their own.
import type { ExportRequest } from "@ewsvault/mailbox";

/** Items per ExportItems/UploadItems request regardless of size (keeps requests reasonable). */
export const MAX_ITEMS_PER_BATCH = 100;
/** Per-item envelope overhead in a response (ids, tags), and the response envelope itself. */
export const PER_ITEM_OVERHEAD = 1024;
export const ENVELOPE_OVERHEAD = 4096;
/** The export stream is a little larger than the Size the server reports (property framing). */
export const STREAM_GROWTH = 1.1;
/** Upper bound of the learned growth (see EwsClientImpl.growth). */
export const MAX_GROWTH = 4;

/** Expected bytes of an item's base64 Data in an ExportItems response. */
export function estimatedExportBytes(size: number, growth = STREAM_GROWTH): number {
  return Math.ceil((size * growth) / 3) * 4 + PER_ITEM_OVERHEAD;
}

/**
 * Groups export requests so that no batch's estimated response exceeds `capBytes`. Items of
 * unknown size, or too large to share a response, go alone.
 */
export function planExportBatches(
  items: readonly ExportRequest[],
  capBytes: number,
  growth = STREAM_GROWTH,
): ExportRequest[][] {
  const batches: ExportRequest[][] = [];
  let current: ExportRequest[] = [];
  let currentBytes = ENVELOPE_OVERHEAD;
  for (const item of items) {
    if (item.size === undefined || !Number.isFinite(item.size)) {
      batches.push([item]);
      continue;
    }
    const bytes = estimatedExportBytes(item.size, growth);
    if (bytes + ENVELOPE_OVERHEAD > capBytes) {
      batches.push([item]);
      continue;
    }
    if (current.length >= MAX_ITEMS_PER_BATCH || currentBytes + bytes > capBytes) {
      batches.push(current);
      current = [];
      currentBytes = ENVELOPE_OVERHEAD;
    }
    current.push(item);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches.filter((b) => b.length > 0);
}

export function batchEstimate(batch: readonly ExportRequest[], growth = STREAM_GROWTH): number {
  return batch.reduce((sum, item) => sum + estimatedExportBytes(item.size ?? 0, growth), ENVELOPE_OVERHEAD);
}

/** An async hand-off between batch workers and the consumer of exportItems(). */
export class Channel<T> {
  private readonly buffer: T[] = [];
  private waiter: (() => void) | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;
  closed = false;

  push(value: T): boolean {
    if (this.closed) return false;
    this.buffer.push(value);
    this.wake();
    return true;
  }
  end(): void {
    this.done = true;
    this.wake();
  }
  fail(error: unknown): void {
    this.failure ??= { error };
    this.wake();
  }
  /** Stops accepting values and returns what was never taken. */
  close(): T[] {
    this.closed = true;
    return this.buffer.splice(0);
  }
  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
  async next(): Promise<{ value: T } | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error;
      if (this.buffer.length > 0) return { value: this.buffer.shift() as T };
      if (this.done) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }
}
