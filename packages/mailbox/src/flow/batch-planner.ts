// The one batch planner: groups items, in order, into batches of at most `maxItems` items and
// at most `maxBytes` bytes. Backup groups export requests with it, restore groups upload
// requests, the EWS client sizes ExportItems responses: the rule is the same everywhere.

export interface BatchLimits<T> {
  /** Items per batch, >= 1. */
  readonly maxItems: number;
  /** Bytes per batch; an item larger than this on its own goes alone. */
  readonly maxBytes: number;
  /** Bytes an item counts for; undefined = unknown. */
  readonly sizeOf: (item: T) => number | undefined;
  /** What an item of unknown size counts for; default maxBytes (it goes alone). */
  readonly unknownSize?: number;
  /** Bytes every batch costs besides its items (an envelope); default 0. */
  readonly overhead?: number;
}

export function planBatches<T>(items: Iterable<T>, limits: BatchLimits<T>): T[][] {
  const { maxItems, maxBytes } = limits;
  if (!(maxItems >= 1)) throw new TypeError("maxItems must be >= 1");
  if (!(maxBytes > 0)) throw new TypeError("maxBytes must be > 0");
  const overhead = limits.overhead ?? 0;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = overhead;
  for (const item of items) {
    const known = limits.sizeOf(item);
    const size = known === undefined || !Number.isFinite(known) ? (limits.unknownSize ?? maxBytes) : known;
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = overhead;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
