// Request bodies for every operation the client sends. Each builder returns the operation
// element (the child of soap:Body) so tests can validate it against messages.xsd on its own.
import type { DistinguishedFolderName, UploadRequest } from "@ewsvault/mailbox";
import { operation } from "./soap.js";
import { base64, el, seq, type XmlFragment } from "./xml-writer.js";

export const DISTINGUISHED_FOLDER_NAMES: readonly DistinguishedFolderName[] = [
  "root",
  "msgfolderroot",
  "inbox",
  "sentitems",
  "deleteditems",
  "drafts",
  "outbox",
  "junkemail",
  "calendar",
  "contacts",
  "tasks",
  "notes",
  "archivemsgfolderroot",
  "archiveroot",
  "recoverableitemsroot",
  "recoverableitemsdeletions",
  "publicfoldersroot",
];

const DISTINGUISHED = new Set<string>(DISTINGUISHED_FOLDER_NAMES);

export function isDistinguishedFolderName(value: string): value is DistinguishedFolderName {
  return DISTINGUISHED.has(value);
}

/**
 * A folder reference: a distinguished name becomes DistinguishedFolderId (with the mailbox
 * when we reach it by delegate access instead of impersonation), anything else a FolderId.
 */
export function folderId(id: string, delegateMailbox?: string): XmlFragment {
  if (isDistinguishedFolderName(id)) {
    return el(
      "t:DistinguishedFolderId",
      { Id: id },
      delegateMailbox !== undefined && id !== "publicfoldersroot"
        ? el("t:Mailbox", undefined, el("t:EmailAddress", undefined, delegateMailbox))
        : undefined,
    );
  }
  if (id.length === 0) throw new TypeError("folder id must not be empty");
  return el("t:FolderId", { Id: id });
}

/** PR_SEARCH_KEY: survives export/upload, so restore matches items by it. */
export const SEARCH_KEY_TAG = "0x300B";

/**
 * A response shape (m:ItemShape, m:FolderShape, m:PersonaShape): ids only, plus `properties`.
 * Every shape the client asks for is built this way, so no response carries more than asked.
 */
export function idOnlyShape(shapeElement: string, ...properties: XmlFragment[]): XmlFragment {
  return el(
    shapeElement,
    undefined,
    el("t:BaseShape", undefined, "IdOnly"),
    el("t:AdditionalProperties", undefined, ...properties),
  );
}

/** t:FieldURI elements for property paths such as "item:Subject". */
export function fieldUris(...uris: string[]): XmlFragment[] {
  return uris.map((uri) => el("t:FieldURI", { FieldURI: uri }));
}

/** Properties behind ItemSummary. All of them are legal in FindItem and SyncFolderItems shapes
 * (no ToRecipients: those two operations refuse recipient collections, DisplayTo stands in). */
function itemSummaryShape(): XmlFragment {
  return idOnlyShape(
    "m:ItemShape",
    ...fieldUris(
      "item:ParentFolderId",
      "item:ItemClass",
      "item:Subject",
      "item:DateTimeReceived",
      "item:Size",
      "item:HasAttachments",
      "item:IsAssociated",
      "item:DisplayTo",
      "message:InternetMessageId",
      "message:IsRead",
      "message:From",
    ),
    el("t:ExtendedFieldURI", { PropertyTag: SEARCH_KEY_TAG, PropertyType: "Binary" }),
  );
}

function folderShape(): XmlFragment {
  return idOnlyShape(
    "m:FolderShape",
    ...fieldUris("folder:ParentFolderId", "folder:FolderClass", "folder:DisplayName", "folder:TotalCount"),
  );
}

export function getFolderRequest(ids: readonly string[], delegateMailbox?: string): XmlFragment {
  return operation(
    "GetFolder",
    {},
    folderShape(),
    el("m:FolderIds", undefined, ...ids.map((id) => folderId(id, delegateMailbox))),
  );
}

/** PidTagLocalCommitTimeMax and PidTagDeletedCountTotal (MS-OXPROPS 2.774 / MS-OXCFOLD 2.2.2.2.1). */
export const LOCAL_COMMIT_TIME_MAX_TAG = "0x670A";
export const DELETED_COUNT_TOTAL_TAG = "0x670B";

/** GetFolder for the change markers of many folders (FolderChangeProbe). */
export function probeFoldersRequest(ids: readonly string[], delegateMailbox?: string): XmlFragment {
  if (ids.length === 0) throw new TypeError("probeFoldersRequest needs at least one folder id");
  return operation(
    "GetFolder",
    {},
    idOnlyShape(
      "m:FolderShape",
      ...fieldUris("folder:TotalCount", "folder:UnreadCount"),
      el("t:ExtendedFieldURI", { PropertyTag: LOCAL_COMMIT_TIME_MAX_TAG, PropertyType: "SystemTime" }),
      el("t:ExtendedFieldURI", { PropertyTag: DELETED_COUNT_TOTAL_TAG, PropertyType: "Integer" }),
    ),
    el("m:FolderIds", undefined, ...ids.map((id) => folderId(id, delegateMailbox))),
  );
}

export function syncFolderHierarchyRequest(
  rootFolderId: string,
  syncState: string | undefined,
  delegateMailbox?: string,
): XmlFragment {
  return operation(
    "SyncFolderHierarchy",
    {},
    folderShape(),
    el("m:SyncFolderId", undefined, folderId(rootFolderId, delegateMailbox)),
    syncState !== undefined && syncState !== "" ? el("m:SyncState", undefined, syncState) : seq(),
  );
}

export function syncFolderItemsRequest(options: {
  readonly folderId: string;
  readonly syncState?: string;
  readonly maxChanges: number;
  readonly includeAssociated?: boolean;
  readonly delegateMailbox?: string;
}): XmlFragment {
  if (!Number.isInteger(options.maxChanges) || options.maxChanges < 1 || options.maxChanges > 512) {
    throw new TypeError("maxChanges must be an integer in 1..512");
  }
  return operation(
    "SyncFolderItems",
    {},
    itemSummaryShape(),
    el("m:SyncFolderId", undefined, folderId(options.folderId, options.delegateMailbox)),
    options.syncState !== undefined && options.syncState !== ""
      ? el("m:SyncState", undefined, options.syncState)
      : seq(),
    el("m:MaxChangesReturned", undefined, options.maxChanges),
    el(
      "m:SyncScope",
      undefined,
      options.includeAssociated === true ? "NormalAndAssociatedItems" : "NormalItems",
    ),
  );
}

export function findItemRequest(options: {
  /** One folder, or several: Exchange then answers one response message per folder, in order. */
  readonly folderId: string | readonly string[];
  readonly offset: number;
  readonly pageSize: number;
  readonly associated?: boolean;
  readonly delegateMailbox?: string;
}): XmlFragment {
  const folderIds = typeof options.folderId === "string" ? [options.folderId] : options.folderId;
  return operation(
    "FindItem",
    { Traversal: options.associated === true ? "Associated" : "Shallow" },
    itemSummaryShape(),
    el("m:IndexedPageItemView", {
      MaxEntriesReturned: options.pageSize,
      Offset: options.offset,
      BasePoint: "Beginning",
    }),
    el("m:ParentFolderIds", undefined, ...folderIds.map((id) => folderId(id, options.delegateMailbox))),
  );
}

export function findFolderRequest(options: {
  readonly folderId: string;
  readonly offset: number;
  readonly pageSize: number;
  readonly deep: boolean;
  readonly delegateMailbox?: string;
}): XmlFragment {
  return operation(
    "FindFolder",
    { Traversal: options.deep ? "Deep" : "Shallow" },
    folderShape(),
    el("m:IndexedPageFolderView", {
      MaxEntriesReturned: options.pageSize,
      Offset: options.offset,
      BasePoint: "Beginning",
    }),
    el("m:ParentFolderIds", undefined, folderId(options.folderId, options.delegateMailbox)),
  );
}

export function exportItemsRequest(itemIds: readonly string[]): XmlFragment {
  if (itemIds.length === 0) throw new TypeError("ExportItems needs at least one item id");
  return operation(
    "ExportItems",
    {},
    el("m:ItemIds", undefined, ...itemIds.map((id) => el("t:ItemId", { Id: id }))),
  );
}

export function getMimeContentRequest(itemId: string): XmlFragment {
  return operation(
    "GetItem",
    {},
    el(
      "m:ItemShape",
      undefined,
      el("t:BaseShape", undefined, "IdOnly"),
      el("t:IncludeMimeContent", undefined, true),
    ),
    el("m:ItemIds", undefined, el("t:ItemId", { Id: itemId })),
  );
}

export function createFolderRequest(options: {
  readonly parentFolderId: string;
  readonly displayName: string;
  readonly folderClass?: string;
  readonly delegateMailbox?: string;
}): XmlFragment {
  return operation(
    "CreateFolder",
    {},
    el("m:ParentFolderId", undefined, folderId(options.parentFolderId, options.delegateMailbox)),
    el(
      "m:Folders",
      undefined,
      el(
        "t:Folder",
        undefined,
        options.folderClass !== undefined && el("t:FolderClass", undefined, options.folderClass),
        el("t:DisplayName", undefined, options.displayName),
      ),
    ),
  );
}

export function uploadItemsRequest(items: readonly UploadRequest[]): XmlFragment {
  if (items.length === 0) throw new TypeError("UploadItems needs at least one item");
  return operation(
    "UploadItems",
    {},
    el(
      "m:Items",
      undefined,
      ...items.map((item) => {
        if (item.mode !== "CreateNew" && (item.itemId === undefined || item.itemId === "")) {
          throw new TypeError(`UploadItems ${item.mode} needs itemId`);
        }
        return el(
          "t:Item",
          { CreateAction: item.mode, IsAssociated: item.isAssociated === true ? "true" : undefined },
          el("t:ParentFolderId", { Id: item.parentFolderId }),
          item.mode !== "CreateNew" && el("t:ItemId", { Id: item.itemId as string }),
          el("t:Data", undefined, base64(item.data)),
        );
      }),
    ),
  );
}
