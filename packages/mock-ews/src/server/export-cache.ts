// ExportItems' encoded item streams, kept between requests (issue 17): encoding an item's export
// stream and its base64 (and, for a generated item, regenerating it first) is most of the mock's
// CPU per exported item, and a backup that is repeated, retried or resumed exports the same item
// versions again. Entries are the base64 text of one item version, dropped when the store reports
// a change to the item (and never served for another version: each remembers the change number it
// was made at). Memory is bounded by `maxBytes` of base64, least recently used out first. Kept as
// bytes (ASCII): the response writes them to the socket as they are.
import type { EncodedExports } from "../operations/common.js";
import type { ItemRecord } from "../store/records.js";

interface Entry {
  /** The item's change number (ItemRecord.lastSeq) the text was encoded at. */
  readonly seq: number;
  readonly base64: Uint8Array;
}

/** What the cache has done since it was made (for tests and benchmarks). */
export interface ExportCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
}

export class ExportCache implements EncodedExports {
  readonly #maxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  readonly #entries = new Map<ItemRecord, Entry>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** `maxBytes` of base64 text at most (0 turns the cache off); one item may take a quarter of it. */
  constructor(maxBytes: number) {
    this.#maxBytes = Math.max(0, maxBytes);
  }

  base64(record: ItemRecord, encode: () => Uint8Array): Uint8Array {
    const entry = this.#entries.get(record);
    if (entry !== undefined) {
      this.#entries.delete(record);
      if (entry.seq === record.lastSeq) {
        this.#entries.set(record, entry);
        this.#hits++;
        return entry.base64;
      }
      this.#bytes -= entry.base64.length;
    }
    this.#misses++;
    const text = encode();
    // An item too large for the budget is served uncached rather than flushing everything else.
    if (text.length > this.#maxBytes / 4) return text;
    this.#entries.set(record, { seq: record.lastSeq, base64: text });
    this.#bytes += text.length;
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.base64.length;
    }
    return text;
  }

  /** Drops what was encoded of `record` (the store changed or removed it). */
  invalidate(record: ItemRecord): void {
    const entry = this.#entries.get(record);
    if (entry === undefined) return;
    this.#entries.delete(record);
    this.#bytes -= entry.base64.length;
  }

  stats(): ExportCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }
}
