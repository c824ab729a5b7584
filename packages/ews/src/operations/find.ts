// FindItem and FindFolder, paged to the end: the fallback listing when a folder cannot be
// synced, and the folder walk of public folder trees (which refuse Deep traversal). Paging
// guards against servers that never say the last page came (see pages()).
import { EwsVaultError, type FolderInfo, type ItemSummary } from "@ewsvault/mailbox";
import { callContext, callSingle, type MailboxAccess, type OperationScope } from "../call.js";
import { ewsError } from "../errors.js";
import { findFolderRequest, findItemRequest } from "../requests.js";
import { type FindPage, parseFindPage, parseFolder, parseItem } from "../responses.js";
import type { ResponseMessage } from "../soap.js";
import type { XmlFragment } from "../xml-writer.js";
import type { DistinguishedFolders } from "./mailbox-info.js";

/** FindItem/FindFolder pages in a row that bring no id not seen before, tolerated before giving up. */
const MAX_REPEATED_FIND_PAGES = 3;

/** How a Find is paged: entries per page, and the caller's signal. */
export interface FindView {
  readonly pageSize: number;
  readonly signal: AbortSignal | undefined;
  /** FindItem only: the folder's associated items (Traversal="Associated") instead of its normal ones. */
  readonly associated?: boolean;
}

/** Every item of a folder (Shallow), or every associated item with `view.associated`. */
export function findItems(
  scope: OperationScope,
  mailbox: string,
  folderId: string,
  view: FindView,
): Promise<ItemSummary[]> {
  const access = scope.access(mailbox);
  const { pageSize } = view;
  return pages(scope, access, view.signal, {
    operationName: "FindItem",
    request: (offset) =>
      findItemRequest({
        folderId,
        offset,
        pageSize,
        associated: view.associated === true,
        delegateMailbox: access.delegate,
      }),
    parse: (message) => parseFindPage(message.element, "Items", parseItem),
    key: (item) => item.itemId,
  });
}

/**
 * Every folder below `rootFolderId`: one Deep FindFolder, or level by level (Shallow) for
 * publicfoldersroot and for servers that refuse Deep traversal.
 */
export async function findFolders(
  scope: OperationScope,
  folders: DistinguishedFolders,
  mailbox: string,
  rootFolderId: string,
  view: FindView,
): Promise<FolderInfo[]> {
  const access = scope.access(mailbox);
  const { pageSize, signal } = view;
  const names = await folders.namesById(mailbox, signal);
  const find = (folderId: string, deep: boolean) =>
    pages(scope, access, signal, {
      operationName: "FindFolder",
      request: (offset) =>
        findFolderRequest({ folderId, offset, pageSize, deep, delegateMailbox: access.delegate }),
      parse: (message) => parseFindPage(message.element, "Folders", (e) => parseFolder(e, names)),
      key: (folder) => folder.folderId,
    });
  if (rootFolderId !== "publicfoldersroot") {
    try {
      return await find(rootFolderId, true);
    } catch (error) {
      // Public folder trees refuse Deep traversal; walk them level by level instead.
      const code = error instanceof EwsVaultError ? error.details.responseCode : undefined;
      if (code !== "ErrorInvalidOperation" && code !== "ErrorInvalidRequest") throw error;
    }
  }
  const out: FolderInfo[] = [];
  const queue = [rootFolderId];
  while (queue.length > 0) {
    const parent = queue.shift() as string;
    for (const folder of await find(parent, false)) {
      out.push(folder);
      queue.push(folder.folderId);
    }
  }
  return out;
}

/** One Find operation: its request at an offset, its page parser, and an entry's id. */
interface Paging<T> {
  readonly operationName: "FindItem" | "FindFolder";
  readonly request: (offset: number) => XmlFragment;
  readonly parse: (message: ResponseMessage) => FindPage<T>;
  readonly key: (entry: T) => string;
}

/**
 * Pages of one Find request until the server says the last one came, an empty page, or the
 * view's own count is reached. Entries repeated across pages are kept once; pages that only
 * repeat what came before end the call with EWS_MALFORMED_RESPONSE.
 */
async function pages<T>(
  scope: OperationScope,
  access: MailboxAccess,
  signal: AbortSignal | undefined,
  paging: Paging<T>,
): Promise<T[]> {
  const { operationName, parse, key } = paging;
  const context = callContext(access, signal);
  const all: T[] = [];
  const seen = new Set<string>();
  let stalled = 0;
  let offset = 0;
  for (;;) {
    const { message } = await callSingle(scope.transport, operationName, paging.request(offset), context);
    const page = parse(message);
    let fresh = 0;
    for (const entry of page.entries) {
      const id = key(entry);
      if (seen.has(id)) continue;
      seen.add(id);
      all.push(entry);
      fresh++;
    }
    if (page.includesLast || page.entries.length === 0) return all;
    // A server that never says IncludesLastItemInRange: done once the view's own count is
    // reached; pages that only repeat what came before end the call with a coded error.
    if (page.totalItemsInView !== undefined && all.length >= page.totalItemsInView) return all;
    stalled = fresh === 0 ? stalled + 1 : 0;
    if (stalled >= MAX_REPEATED_FIND_PAGES) {
      throw ewsError("EWS_MALFORMED_RESPONSE", `${operationName} pages repeat and never reach the end`, {
        details: { mailbox: access.mailbox, operation: operationName, entries: all.length },
      });
    }
    const next = page.nextOffset ?? offset + page.entries.length;
    // A server that does not advance would loop forever; trust our own count instead.
    offset = next > offset ? next : offset + page.entries.length;
  }
}
