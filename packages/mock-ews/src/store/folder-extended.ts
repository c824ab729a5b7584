// Extended (MAPI) properties a client set on a folder with UpdateFolder, by property tag and
// type, kept beside the store like folder permissions. GetFolder, FindFolder and
// SyncFolderHierarchy return them when asked for by ExtendedFieldURI PropertyTag.
import type { FolderRecord } from "./records.js";

const values = new WeakMap<FolderRecord, Map<string, string>>();

function key(tag: number, type: string): string {
  return `${tag}:${type.toLowerCase()}`;
}

/** The property tag of a PropertyTag attribute ("0x10F4" or decimal); NaN when it is neither. */
export function propertyTagNumber(tag: string): number {
  const trimmed = tag.trim().toLowerCase();
  return trimmed.startsWith("0x") ? Number.parseInt(trimmed.slice(2), 16) : Number.parseInt(trimmed, 10);
}

export function folderExtendedValue(folder: FolderRecord, tag: number, type: string): string | undefined {
  return values.get(folder)?.get(key(tag, type));
}

/** Sets (value) or removes (undefined) a property; bumps the folder's change key. */
export function setFolderExtendedValue(
  folder: FolderRecord,
  tag: number,
  type: string,
  value: string | undefined,
): void {
  let map = values.get(folder);
  if (map === undefined) {
    map = new Map();
    values.set(folder, map);
  }
  if (value === undefined) map.delete(key(tag, type));
  else map.set(key(tag, type), value);
  folder.lastSeq = ++folder.mailbox.seq;
}
