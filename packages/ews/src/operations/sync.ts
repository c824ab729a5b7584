// SyncFolderHierarchy and SyncFolderItems: one page of changes since a sync state. The loop
// over pages is the caller's (the engine guards it against a server that never finishes).
import type { HierarchySyncPage, ItemSyncPage, SyncOptions } from "@ewsvault/mailbox";
import { callContext, callSingle, type OperationScope } from "../call.js";
import { ewsError } from "../errors.js";
import { syncFolderHierarchyRequest, syncFolderItemsRequest } from "../requests.js";
import { parseHierarchyChanges, parseItemChanges } from "../responses.js";
import type { ResponseMessage } from "../soap.js";
import { child, childText } from "../xml-parser.js";
import type { DistinguishedFolders } from "./mailbox-info.js";

/** SyncFolderItems page size when the caller names none. */
const DEFAULT_MAX_CHANGES = 512;

export async function syncFolderHierarchy(
  scope: OperationScope,
  folders: DistinguishedFolders,
  mailbox: string,
  options?: SyncOptions & { readonly rootFolderId?: string },
): Promise<HierarchySyncPage> {
  const access = scope.access(mailbox);
  const request = syncFolderHierarchyRequest(
    options?.rootFolderId ?? "msgfolderroot",
    options?.syncState,
    access.delegate,
  );
  const names = await folders.namesById(mailbox, options?.signal);
  const { message } = await callSingle(
    scope.transport,
    "SyncFolderHierarchy",
    request,
    callContext(access, options?.signal),
  );
  const syncState = syncStateOf(message, "SyncFolderHierarchy");
  return {
    changes: parseHierarchyChanges(child(message.element, "Changes"), names),
    syncState,
    includesLastFolderInRange: childText(message.element, "IncludesLastFolderInRange")?.trim() !== "false",
  };
}

export async function syncFolderItems(
  scope: OperationScope,
  mailbox: string,
  folderId: string,
  options?: SyncOptions,
): Promise<ItemSyncPage> {
  const access = scope.access(mailbox);
  const request = syncFolderItemsRequest({
    folderId,
    syncState: options?.syncState,
    maxChanges: options?.maxChanges ?? DEFAULT_MAX_CHANGES,
    includeAssociated: options?.includeAssociated,
    delegateMailbox: access.delegate,
  });
  const { message } = await callSingle(
    scope.transport,
    "SyncFolderItems",
    request,
    callContext(access, options?.signal),
  );
  const syncState = syncStateOf(message, "SyncFolderItems");
  return {
    changes: parseItemChanges(child(message.element, "Changes")),
    syncState,
    includesLastItemInRange: childText(message.element, "IncludesLastItemInRange")?.trim() !== "false",
  };
}

function syncStateOf(message: ResponseMessage, operationName: string): string {
  const syncState = childText(message.element, "SyncState");
  if (syncState === undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", `${operationName} response lacks SyncState`);
  return syncState;
}
