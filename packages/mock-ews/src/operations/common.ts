// Shared pieces of the operation handlers: the context an operation runs in, response-message
// framing (success and error alike), and parsing of the request parts many operations share
// (folder ids, item ids, shapes).

import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import type { ItemShape } from "../server/render.js";
import { NS_M, NS_T } from "../server/render.js";
import type { RenderCache } from "../server/render-cache.js";
import type { ExtendedFieldRequest, FolderShape } from "../server/render-folder.js";
import { operationResponse, XSI_DECLARATIONS } from "../server/soap.js";
import type { Store } from "../store/mailbox-store.js";
import type { FolderRecord, ItemRecord, MailboxState } from "../store/records.js";
import { PUBLIC_MAILBOX_INDEX } from "../store/records.js";
import { attr, boolText, child, children, esc, inDocumentOrder, text, type XmlNode } from "../xml.js";
import { parseExtendedUri } from "./extended-properties.js";
import type { IndexedRequest } from "./indexed-properties.js";

/** The codecs the operations need (the generator helper's export-stream and MIME codecs). */
export interface Codecs {
  encodeExport(data: MockItemData, searchKey: Uint8Array): Uint8Array;
  decodeExport(bytes: Uint8Array): { data: MockItemData; searchKey: Uint8Array | undefined };
  toMime(data: MockItemData): string;
  fromMime(mime: Uint8Array): MockItemData;
}

/**
 * ExportItems' encoded item streams (server/export-cache.ts keeps them between requests).
 * base64() MUST return exactly what `encode` returns for the item as it is now; it may return a
 * text it kept from an earlier call for the same item version instead of calling `encode`.
 */
export interface EncodedExports {
  base64(record: ItemRecord, encode: () => Uint8Array): Uint8Array;
}

/** Per-item fault injection hook (GetItem / ExportItems). */
export type ItemFault = "ErrorItemNotFound" | "ErrorCorruptData" | undefined;

export interface OperationContext {
  readonly store: Store;
  /** The mailbox the request acts on (impersonated, anchored or the caller's own). */
  readonly mailbox: MailboxState;
  readonly codecs: Codecs;
  readonly encodedExports: EncodedExports;
  /** SyncFolderItems' rendered items kept between requests. */
  readonly renderedItems: RenderCache;
  readonly syncKey: Buffer;
  readonly maxResponseBytes: number;
  /** Asked once per item of GetItem / ExportItems. */
  readonly itemFault: () => ItemFault;
  /** A mailbox named in the request (delegate access); MUST throw ErrorNonExistentMailbox / ErrorAccessDenied. */
  readonly mailboxFor: (smtp: string) => MailboxState;
  /** Whether the caller may act on `mailbox` (own, impersonation right, or public folders). */
  readonly mayAccess: (mailbox: MailboxState) => boolean;
}

export interface Operation {
  /** e.g. "GetItemResponseMessage". */
  readonly messageName: string;
  /** Elements an error message must still carry (schema-required), e.g. "<m:Items/>". */
  readonly errorTail?: string;
  /**
   * Where the request lists what it asks for (one response message each). A request-level error
   * (throttling, a mailbox move, a bad parent folder) is repeated once per entry, as Exchange
   * does, so clients can match messages to entries. Absent: one message per request.
   */
  readonly entries?: { readonly container: string; readonly names: readonly string[] };
  /**
   * How the response element wraps what run() returns. "messages" (default): run() returns the
   * children of `<m:XResponse><m:ResponseMessages>`. "self": the response element is itself the
   * one response message (FindPeople, GetRoomLists, GetRooms, GetMailTips, GetSearchableMailboxes,
   * GetUserAvailability): `messageName` is "XResponse" and run() returns that whole element;
   * framing only adds the namespace declarations.
   */
  readonly framing?: "messages" | "self";
  /**
   * A request-level error in the operation's own response shape, for operations whose response
   * schema has no place for the standard error message (GetUserAvailability).
   */
  readonly renderRequestError?: (error: EwsResponseError, request: XmlNode) => string;
  /**
   * Returns the concatenated response messages (or, with framing "self", the response element),
   * as one text or, with framing "messages", as pieces (ResponseParts).
   */
  run(request: XmlNode, ctx: OperationContext): string | ResponseParts;
}

/**
 * A response in pieces: text, and bytes written as they are (ExportItems' encoded streams, ASCII
 * base64), so that large payloads are never copied into one string and encoded again.
 */
export type ResponseParts = readonly (string | Uint8Array)[];

/** A character no response contains: where a payload is spliced into a framing text. */
export const SPLICE = "\u0000";

/** `text` split around its one SPLICE, as [before, after]. */
export function spliceAround(text: string): [string, string] {
  const at = text.indexOf(SPLICE);
  return [text.slice(0, at), text.slice(at + SPLICE.length)];
}

/** The SOAP body content for an operation's output (see Operation.framing). */
export function frameResponse(op: Operation, operation: string, messages: string): string {
  if (op.framing !== "self") return operationResponse(operation, messages);
  return messages.replace(/^<m:([A-Za-z]+)/, `<m:$1 xmlns:m="${NS_M}" ${XSI_DECLARATIONS} xmlns:t="${NS_T}"`);
}

/** frameResponse for messages in pieces; only "messages" framing takes pieces. */
export function frameResponseParts(op: Operation, operation: string, parts: ResponseParts): ResponseParts {
  if (op.framing === "self") throw new Error(`${operation}: framing "self" takes one text`);
  const [head, tail] = spliceAround(frameResponse(op, operation, SPLICE));
  return [head, ...parts, tail];
}

/** The number of response messages a request expects (at least one). */
export function entryCount(op: Operation, request: XmlNode): number {
  if (op.entries === undefined) return 1;
  const container = child(request, op.entries.container);
  let n = 0;
  for (const name of op.entries.names) n += children(container, name).length;
  return Math.max(1, n);
}

/** The same error message once per entry of the request. */
export function requestError(op: Operation, request: XmlNode, error: EwsResponseError): string {
  if (op.renderRequestError !== undefined) return op.renderRequestError(error, request);
  return errorMessage(op.messageName, error, op.errorTail).repeat(entryCount(op, request));
}

export function successMessage(
  name: string,
  body = "",
  responseClass: "Success" | "Warning" = "Success",
): string {
  return `<m:${name} ResponseClass="${responseClass}"><m:ResponseCode>NoError</m:ResponseCode>${body}</m:${name}>`;
}

export function errorMessage(name: string, error: EwsResponseError, tail = ""): string {
  const xml = error.messageXml === undefined ? "" : `<m:MessageXml>${error.messageXml}</m:MessageXml>`;
  return `<m:${name} ResponseClass="Error"><m:MessageText>${esc(error.message)}</m:MessageText><m:ResponseCode>${esc(error.code)}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${xml}${tail}</m:${name}>`;
}

/** Runs `fn` per entry, turning EwsResponseErrors into error messages (other errors propagate). */
export function perEntry<T>(op: Operation, entries: readonly T[], fn: (entry: T) => string): string {
  let out = "";
  for (const entry of entries) {
    try {
      out += fn(entry);
    } catch (error) {
      if (!(error instanceof EwsResponseError)) throw error;
      out += errorMessage(op.messageName, error, op.errorTail);
    }
  }
  return out;
}

function checkAccess(ctx: OperationContext, mailbox: MailboxState): void {
  if (mailbox !== ctx.mailbox && mailbox.index !== PUBLIC_MAILBOX_INDEX && !ctx.mayAccess(mailbox)) {
    throw new EwsResponseError("ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }
}

/** A t:FolderId or t:DistinguishedFolderId element resolved to a folder of the request's mailbox. */
export function resolveFolderNode(
  ctx: OperationContext,
  kind: "FolderId" | "DistinguishedFolderId",
  node: XmlNode,
): FolderRecord {
  const id = attr(node, "Id");
  if (id === undefined) throw new EwsResponseError("ErrorInvalidIdEmpty", "Id is empty.");
  if (kind === "FolderId") {
    const folder = ctx.store.findFolder(id);
    checkAccess(ctx, folder.mailbox);
    return folder;
  }
  const smtp = text(child(child(node, "Mailbox"), "EmailAddress") ?? {});
  const mailbox = smtp !== undefined && smtp !== "" ? ctx.mailboxFor(smtp) : ctx.mailbox;
  return ctx.store.distinguishedFolder(mailbox, id);
}

/** Every folder id under a container element (FolderIds, ParentFolderIds, ToFolderId, ...). */
export function folderIdsIn(
  container: XmlNode | undefined,
): { kind: "FolderId" | "DistinguishedFolderId"; node: XmlNode }[] {
  if (container === undefined) return [];
  return inDocumentOrder([
    ...children(container, "FolderId").map((node) => ({ kind: "FolderId" as const, node })),
    ...children(container, "DistinguishedFolderId").map((node) => ({
      kind: "DistinguishedFolderId" as const,
      node,
    })),
  ]);
}

/** The single folder of a container; MUST throw ErrorInvalidIdEmpty when there is none. */
export function singleFolder(ctx: OperationContext, container: XmlNode | undefined): FolderRecord {
  const first = folderIdsIn(container)[0];
  if (first === undefined) throw new EwsResponseError("ErrorInvalidIdEmpty", "Folder id is missing.");
  return resolveFolderNode(ctx, first.kind, first.node);
}

export function itemIdsIn(container: XmlNode | undefined): XmlNode[] {
  return container === undefined ? [] : children(container, "ItemId");
}

export function resolveItem(ctx: OperationContext, node: XmlNode): ItemRecord {
  const id = attr(node, "Id");
  if (id === undefined || id === "") throw new EwsResponseError("ErrorInvalidIdEmpty", "Id is empty.");
  const record = ctx.store.findItem(id);
  checkAccess(ctx, record.folder.mailbox);
  return record;
}

function additional(node: XmlNode | undefined): {
  uris: Set<string>;
  indexed: IndexedRequest[];
  extended: ExtendedFieldRequest[];
} {
  const props = child(node, "AdditionalProperties");
  const uris = new Set<string>();
  const indexed: IndexedRequest[] = [];
  const extended: ExtendedFieldRequest[] = [];
  for (const f of children(props, "FieldURI")) {
    const uri = attr(f, "FieldURI");
    if (uri !== undefined) uris.add(uri.toLowerCase());
  }
  for (const f of children(props, "IndexedFieldURI")) {
    const uri = attr(f, "FieldURI");
    if (uri !== undefined) indexed.push({ uri: uri.toLowerCase(), index: attr(f, "FieldIndex") ?? "" });
  }
  for (const f of children(props, "ExtendedFieldURI")) {
    const tag = attr(f, "PropertyTag");
    if (tag !== undefined) extended.push({ propertyTag: tag, propertyType: attr(f, "PropertyType") ?? "" });
  }
  return { uris, indexed, extended };
}

function baseShape(value: string | undefined): "IdOnly" | "Default" | "AllProperties" {
  if (value === "IdOnly" || value === "Default" || value === "AllProperties") return value;
  return "Default";
}

export function parseItemShape(node: XmlNode | undefined): ItemShape {
  const extra = additional(node);
  const bodyType = text(node ?? {}, "BodyType");
  // Rendering options this server does not apply are still read as xs:boolean (bad ones fail).
  for (const option of ["FilterHtmlContent", "ConvertHtmlCodePageToUTF8", "AddBlankTargetToLinks"])
    boolText(node ?? {}, option);
  return {
    base: baseShape(text(node ?? {}, "BaseShape")),
    additional: extra.uris,
    indexed: extra.indexed,
    extended: children(child(node, "AdditionalProperties"), "ExtendedFieldURI").map(parseExtendedUri),
    includeMime: boolText(node ?? {}, "IncludeMimeContent") === true,
    bodyType: bodyType === "Text" || bodyType === "HTML" ? bodyType : "Best",
  };
}

export function parseFolderShape(node: XmlNode | undefined): FolderShape {
  const extra = additional(node);
  return { base: baseShape(text(node ?? {}, "BaseShape")), additional: extra.uris, extended: extra.extended };
}

export function parseIntAttr(node: XmlNode | undefined, name: string, fallback: number): number {
  const raw = attr(node, name);
  if (raw === undefined) return fallback;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < 0) throw new EwsResponseError("ErrorInvalidArgument", `${name} is invalid.`);
  return n;
}

/** Indexed paging (IndexedPageItemView / IndexedPageFolderView) over an already-ordered list. */
export function indexedPage<T>(view: XmlNode | undefined, all: readonly T[]): { page: T[]; attrs: string } {
  if (view === undefined) {
    return { page: [...all], attrs: `TotalItemsInView="${all.length}" IncludesLastItemInRange="true"` };
  }
  const max = parseIntAttr(view, "MaxEntriesReturned", Number.MAX_SAFE_INTEGER) || Number.MAX_SAFE_INTEGER;
  const offset = parseIntAttr(view, "Offset", 0);
  const fromEnd = attr(view, "BasePoint") === "End";
  let start: number;
  let end: number;
  if (fromEnd) {
    end = Math.max(0, all.length - offset);
    start = Math.max(0, end - max);
  } else {
    start = Math.min(all.length, offset);
    end = Math.min(all.length, start + max);
  }
  const page = all.slice(start, end);
  const last = fromEnd ? start === 0 : end >= all.length;
  const nextOffset = fromEnd ? all.length - start : end;
  return {
    page,
    attrs: `IndexedPagingOffset="${nextOffset}" TotalItemsInView="${all.length}" IncludesLastItemInRange="${last}"`,
  };
}
