// Turns the operation elements of successful responses into the plain data of
// @ewsvault/mailbox's mailbox interfaces. Unknown elements are ignored (servers add properties
// over time); missing required ones are EWS_MALFORMED_RESPONSE.
import type {
  DistinguishedFolderName,
  FolderChangeProbe,
  FolderInfo,
  HierarchyChange,
  ItemChange,
  ItemSummary,
} from "@ewsvault/mailbox";
import { ewsError } from "./errors.js";
import { isDistinguishedFolderName } from "./requests.js";
import { child, childrenNamed, childText, path, type XmlElement } from "./xml-parser.js";

const FOLDER_ELEMENTS = new Set([
  "Folder",
  "CalendarFolder",
  "ContactsFolder",
  "SearchFolder",
  "TasksFolder",
]);
const ITEM_ELEMENTS = new Set([
  "Item",
  "Message",
  "CalendarItem",
  "Contact",
  "DistributionList",
  "MeetingMessage",
  "MeetingRequest",
  "MeetingResponse",
  "MeetingCancellation",
  "Task",
  "PostItem",
  "RoleMember",
  "Network",
  "Person",
  "Booking",
]);

function requiredAttribute(element: XmlElement | undefined, name: string, what: string): string {
  const value = element?.attributes[name];
  if (value === undefined || value === "") throw ewsError("EWS_MALFORMED_RESPONSE", `response lacks ${what}`);
  return value;
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** FolderInfo from a Folder/CalendarFolder/... element. */
export function parseFolder(
  element: XmlElement,
  distinguishedIds?: ReadonlyMap<string, DistinguishedFolderName>,
): FolderInfo & { readonly isSearchFolder?: boolean } {
  const idElement = child(element, "FolderId");
  const folderId = requiredAttribute(idElement, "Id", "FolderId");
  const distinguished = childText(element, "DistinguishedFolderId");
  const distinguishedName =
    distinguished !== undefined && isDistinguishedFolderName(distinguished)
      ? distinguished
      : distinguishedIds?.get(folderId);
  return {
    folderId,
    changeKey: idElement?.attributes.ChangeKey ?? "",
    parentFolderId: child(element, "ParentFolderId")?.attributes.Id ?? "",
    displayName: childText(element, "DisplayName") ?? "",
    ...(nonEmpty(childText(element, "FolderClass")) !== undefined
      ? { folderClass: childText(element, "FolderClass") }
      : {}),
    ...(distinguishedName !== undefined ? { distinguishedName } : {}),
    ...(int(childText(element, "TotalCount")) !== undefined
      ? { totalCount: int(childText(element, "TotalCount")) }
      : {}),
    ...(element.name === "SearchFolder" ? { isSearchFolder: true } : {}),
  };
}

export function folderElements(container: XmlElement | undefined): XmlElement[] {
  return container === undefined ? [] : container.children.filter((c) => FOLDER_ELEMENTS.has(c.name));
}

export function itemElements(container: XmlElement | undefined): XmlElement[] {
  return container === undefined ? [] : container.children.filter((c) => ITEM_ELEMENTS.has(c.name));
}

/** The Value of a single-valued ExtendedProperty by numeric property tag. */
function extendedValue(element: XmlElement, wanted: number): string | undefined {
  for (const property of childrenNamed(element, "ExtendedProperty")) {
    const uri = child(property, "ExtendedFieldURI");
    const tag = uri?.attributes.PropertyTag;
    if (tag === undefined) continue;
    const numeric = tag.toLowerCase().startsWith("0x")
      ? Number.parseInt(tag.slice(2), 16)
      : Number.parseInt(tag, 10);
    if (numeric === wanted) return nonEmpty(childText(property, "Value")?.trim());
  }
  return undefined;
}

function searchKeyOf(element: XmlElement): string | undefined {
  return extendedValue(element, 0x300b);
}

/** FolderChangeProbe from a folder element of a probeFoldersRequest answer (absent values stay absent). */
export function parseFolderProbe(element: XmlElement): FolderChangeProbe {
  const probe: Record<string, unknown> = {
    // Kept as sent: parsing would drop digits finer than a millisecond and merge distinct values.
    commitTimeMax: extendedValue(element, 0x670a),
    deletedCountTotal: int(extendedValue(element, 0x670b)),
    totalCount: int(childText(element, "TotalCount")),
    unreadCount: int(childText(element, "UnreadCount")),
  };
  for (const key of Object.keys(probe)) if (probe[key] === undefined) delete probe[key];
  return probe as FolderChangeProbe;
}

/** ItemSummary from a Message/CalendarItem/... element. */
export function parseItem(element: XmlElement): ItemSummary {
  const idElement = child(element, "ItemId");
  const itemId = requiredAttribute(idElement, "Id", "ItemId");
  const fromMailbox = path(element, "From", "Mailbox");
  const from = nonEmpty(childText(fromMailbox, "EmailAddress")) ?? nonEmpty(childText(fromMailbox, "Name"));
  const displayTo = childText(element, "DisplayTo");
  const to =
    displayTo === undefined || displayTo.trim() === ""
      ? undefined
      : displayTo
          .split(";")
          .map((s) => s.trim())
          .filter((s) => s !== "");
  const summary: Record<string, unknown> = {
    itemId,
    changeKey: idElement?.attributes.ChangeKey ?? "",
    parentFolderId: child(element, "ParentFolderId")?.attributes.Id,
    itemClass: nonEmpty(childText(element, "ItemClass")),
    subject: childText(element, "Subject"),
    from,
    to,
    receivedAt: nonEmpty(childText(element, "DateTimeReceived")),
    size: int(childText(element, "Size")),
    hasAttachments: bool(childText(element, "HasAttachments")),
    isRead: bool(childText(element, "IsRead")),
    isAssociated: bool(childText(element, "IsAssociated")),
    internetMessageId: nonEmpty(childText(element, "InternetMessageId")),
    searchKey: searchKeyOf(element),
  };
  for (const key of Object.keys(summary)) if (summary[key] === undefined) delete summary[key];
  return summary as unknown as ItemSummary;
}

export function parseHierarchyChanges(
  changes: XmlElement | undefined,
  distinguishedIds?: ReadonlyMap<string, DistinguishedFolderName>,
): HierarchyChange[] {
  const out: HierarchyChange[] = [];
  for (const change of changes?.children ?? []) {
    if (change.name === "Delete") {
      out.push({ kind: "delete", folderId: requiredAttribute(child(change, "FolderId"), "Id", "FolderId") });
    } else if (change.name === "Create" || change.name === "Update") {
      const folder = folderElements(change)[0];
      if (folder === undefined)
        throw ewsError("EWS_MALFORMED_RESPONSE", `${change.name} change without a folder`);
      out.push({
        kind: change.name === "Create" ? "create" : "update",
        folder: parseFolder(folder, distinguishedIds),
      });
    }
  }
  return out;
}

export function parseItemChanges(changes: XmlElement | undefined): ItemChange[] {
  const out: ItemChange[] = [];
  for (const change of changes?.children ?? []) {
    if (change.name === "Delete") {
      out.push({ kind: "delete", itemId: requiredAttribute(child(change, "ItemId"), "Id", "ItemId") });
    } else if (change.name === "ReadFlagChange") {
      // The schema says ItemId; MS-OXWSSYNC spells it ItemID. Accept both.
      const id = child(change, "ItemId") ?? child(change, "ItemID");
      out.push({
        kind: "readFlag",
        itemId: requiredAttribute(id, "Id", "ItemId"),
        isRead: bool(childText(change, "IsRead")) ?? false,
      });
    } else if (change.name === "Create" || change.name === "Update") {
      const item = itemElements(change)[0];
      if (item === undefined)
        throw ewsError("EWS_MALFORMED_RESPONSE", `${change.name} change without an item`);
      out.push({ kind: change.name === "Create" ? "create" : "update", item: parseItem(item) });
    }
  }
  return out;
}

export interface FindPage<T> {
  readonly entries: T[];
  readonly includesLast: boolean;
  readonly nextOffset?: number;
  /** TotalItemsInView: how many entries the whole view holds, when the server says. */
  readonly totalItemsInView?: number;
}

/** RootFolder of a FindItem/FindFolder response message, with its paging attributes. */
export function parseFindPage<T>(
  message: XmlElement,
  container: "Items" | "Folders",
  parse: (e: XmlElement) => T,
): FindPage<T> {
  const root = child(message, "RootFolder");
  if (root === undefined) throw ewsError("EWS_MALFORMED_RESPONSE", "Find response lacks RootFolder");
  const list = child(root, container);
  const elements = container === "Items" ? itemElements(list) : folderElements(list);
  return {
    entries: elements.map(parse),
    includesLast: bool(root.attributes.IncludesLastItemInRange) ?? true,
    nextOffset: int(root.attributes.IndexedPagingOffset),
    ...(int(root.attributes.TotalItemsInView) === undefined
      ? {}
      : { totalItemsInView: int(root.attributes.TotalItemsInView) }),
  };
}
