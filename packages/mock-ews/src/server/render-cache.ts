// SyncFolderItems' rendered items, kept between requests (issue 17): rendering an item means
// regenerating a generated item first and then writing every property of the view, the largest
// part of the mock's CPU per synced item. A backup that is repeated, or a sync restarted, asks for
// the same item versions in the same view again. An entry is one item's XML under one view and
// is served only while everything the XML shows is unchanged: the item's change number (any
// change to the item moves it), its folder and that folder's change number (ParentFolderId's
// ChangeKey). Bounded by entry count, least recently used out first.
import type { ItemRecord } from "../store/records.js";

interface Entry {
  readonly key: string;
  readonly folder: ItemRecord["folder"];
  readonly xml: string;
}

/** About 1-2 KB of XML each: 16 MiB or so at most. */
const MAX_ENTRIES = 12_288;

/** Insertion order is recency order: a hit moves its entry to the end. */
const entries = new Map<ItemRecord, Entry>();

/**
 * The XML of `record` under the view `viewKey` (any string that tells views apart, such as the
 * request's ItemShape serialised), rendered by `render` unless a current one is kept.
 */
export function renderedItem(record: ItemRecord, viewKey: string, render: () => string): string {
  const key = `${viewKey}\n${record.serial}\n${record.lastSeq}\n${record.folder.lastSeq}`;
  const entry = entries.get(record);
  if (entry !== undefined) {
    entries.delete(record);
    if (entry.key === key && entry.folder === record.folder) {
      entries.set(record, entry);
      return entry.xml;
    }
  }
  const xml = render();
  entries.set(record, { key, folder: record.folder, xml });
  if (entries.size > MAX_ENTRIES) {
    const oldest = entries.keys().next();
    if (oldest.done !== true) entries.delete(oldest.value);
  }
  return xml;
}
