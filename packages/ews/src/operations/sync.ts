// SyncFolderHierarchy and SyncFolderItems: one page of changes since a sync state. The loop
// over pages is the caller's (the engine guards it against a server that never finishes).
import type { HierarchySyncPage, ItemSyncPage, SyncOptions } from "@ewsvault/mailbox";
import { callContext, callSingle, type MailboxAccess, type OperationScope } from "../call.js";
import { ewsError } from "../errors.js";
import { syncFolderHierarchyRequest, syncFolderItemsRequest } from "../requests.js";
import { parseHierarchyChanges, parseItemChanges } from "../responses.js";
import { child, childText, type XmlElement } from "../xml-parser.js";
import type { XmlFragment } from "../xml-writer.js";
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
  const page = await syncPage(scope, access, "SyncFolderHierarchy", request, options?.signal);
  return {
    changes: parseHierarchyChanges(child(page.element, "Changes"), names),
    syncState: page.syncState,
    includesLastFolderInRange: childText(page.element, "IncludesLastFolderInRange")?.trim() !== "false",
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
  const page = await syncPage(scope, access, "SyncFolderItems", request, options?.signal);
  return {
    changes: parseItemChanges(child(page.element, "Changes")),
    syncState: page.syncState,
    includesLastItemInRange: childText(page.element, "IncludesLastItemInRange")?.trim() !== "false",
  };
}

/** One Sync* request: its response message, which MUST carry the next SyncState. */
async function syncPage(
  scope: OperationScope,
  access: MailboxAccess,
  operationName: "SyncFolderHierarchy" | "SyncFolderItems",
  request: XmlFragment,
  signal: AbortSignal | undefined,
): Promise<{ readonly element: XmlElement; readonly syncState: string }> {
  const { message } = await callSingle(scope.transport, operationName, request, callContext(access, signal));
  const syncState = childText(message.element, "SyncState");
  if (syncState === undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", `${operationName} response lacks SyncState`);
  return { element: message.element, syncState };
}
