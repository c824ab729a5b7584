// SyncFolderItems' rendered items, kept between requests (issue 17): rendering an item means
// regenerating a generated item first and then writing every property of the view, the largest
// part of the mock's CPU per synced item. A backup that is repeated, or a sync restarted, asks for
// the same item versions in the same view again. An entry is one item's XML under one view and
// is served only while everything the XML shows is unchanged: the item's change number (any
// change to the item moves it), its folder and that folder's change number (ParentFolderId's
// ChangeKey). Bounded by bytes (the server's `renderCacheBytes`), least recently used out first;
// large renderings are not kept, so a client walking a big mailbox in a full shape does not grow
// the mock by the cache (test/memory.test.ts holds a 10,000-item walk under its RSS bound).
import type { ItemRecord } from "../store/records.js";

interface Entry {
  readonly key: string;
  readonly folder: ItemRecord["folder"];
  readonly xml: string;
  /** What the XML may take in memory: two bytes a character (a string with any non-Latin-1 text). */
  readonly bytes: number;
}

/**
 * Renderings larger than this are not kept: a backup's sync views are a few hundred characters
 * an item, while a full shape's XML is rarely asked for again.
 */
const MAX_KEPT_CHARS = 4096;

export class RenderCache {
  /** Insertion order is recency order: a hit moves its entry to the end. */
  readonly #entries = new Map<ItemRecord, Entry>();
  readonly #maxBytes: number;
  #heldBytes = 0;

  /** `maxBytes` 0 keeps nothing. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * The XML of `record` under the view `viewKey` (any string that tells views apart, such as the
   * request's ItemShape serialised), rendered by `render` unless a current one is kept.
   */
  rendered(record: ItemRecord, viewKey: string, render: () => string): string {
    const key = `${viewKey}\n${record.serial}\n${record.lastSeq}\n${record.folder.lastSeq}`;
    const entry = this.#entries.get(record);
    if (entry !== undefined) {
      this.#entries.delete(record);
      if (entry.key === key && entry.folder === record.folder) {
        this.#entries.set(record, entry);
        return entry.xml;
      }
      this.#heldBytes -= entry.bytes;
    }
    const xml = render();
    const bytes = xml.length * 2;
    if (xml.length > MAX_KEPT_CHARS || bytes > this.#maxBytes) return xml;
    // A rendering is built by concatenation, a tree of many small strings in V8: reading a
    // character flattens it into one, so the entry keeps its characters and not every piece.
    xml.charCodeAt(0);
    this.#entries.set(record, { key, folder: record.folder, xml, bytes });
    this.#heldBytes += bytes;
    for (const [oldest, held] of this.#entries) {
      if (this.#heldBytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#heldBytes -= held.bytes;
    }
    return xml;
  }
}
