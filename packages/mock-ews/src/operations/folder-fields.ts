// What a folder property path evaluates to, for FindFolder restrictions (same engine as
// FindItem's, see restrictions.ts).
import { EwsResponseError } from "../errors.js";
import type { Store } from "../store/mailbox-store.js";
import type { FolderRecord } from "../store/records.js";
import { attr, type XmlNode } from "../xml.js";
import type { Getter, PathResolver } from "./restrictions.js";

type FolderGetter = (store: Store, f: FolderRecord) => readonly (string | number | boolean)[] | undefined;

const FOLDER_FIELDS: Record<string, FolderGetter> = {
  "folder:displayname": (_s, f) => [f.displayName],
  "folder:folderclass": (_s, f) => (f.folderClass === undefined ? undefined : [f.folderClass]),
  "folder:totalcount": (s, f) => [s.itemCount(f)],
  "folder:childfoldercount": (_s, f) => [f.children.filter((c) => !c.deleted).length],
  "folder:unreadcount": (s, f) => [s.unreadCount(f)],
  "folder:distinguishedfolderid": (_s, f) =>
    f.distinguishedName === undefined ? undefined : [f.distinguishedName],
};

/** The PathResolver of FindFolder restrictions; MUST throw ErrorUnsupportedPathForQuery for other paths. */
export function folderPathResolver(store: Store): PathResolver<FolderRecord> {
  return (kind: string, node: XmlNode): Getter<FolderRecord> => {
    const uri = (attr(node, "FieldURI") ?? "").toLowerCase();
    const getter = kind === "FieldURI" ? FOLDER_FIELDS[uri] : undefined;
    if (getter === undefined)
      throw new EwsResponseError(
        "ErrorUnsupportedPathForQuery",
        `The property ${uri || kind} is not supported in folder restrictions.`,
      );
    return (f) => getter(store, f);
  };
}
