// XML in and out for the SOAP layer. Requests are parsed with fast-xml-parser into plain
// objects with namespace prefixes removed (clients use any prefix they like); responses are
// built as strings because the server controls element order exactly (xs:sequence matters).
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { EwsResponseError, MockEwsError } from "./errors.js";

export type XmlNode = Record<string, unknown>;

/**
 * Id elements whose relative order in a request matters across element names: Exchange answers
 * GetFolder / GetItem / DeleteItem ... one response message per id in request order, also when
 * a request mixes FolderId with DistinguishedFolderId, or ItemId with OccurrenceItemId. The
 * parser groups children by name, so each of these elements gets its position in the document
 * as an attribute (DOCUMENT_ORDER) while the document is parsed; inDocumentOrder() sorts by it.
 * CreateItem's entries (the elements of t:NonEmptyArrayOfAllItemsType: items of several types,
 * response objects) are answered in request order too.
 */
const ORDERED_ELEMENTS = new Set([
  "FolderId",
  "DistinguishedFolderId",
  "ItemId",
  "OccurrenceItemId",
  "RecurringMasterItemId",
  "Item",
  "Message",
  "CalendarItem",
  "Contact",
  "Task",
  "PostItem",
  "ReplyToItem",
  "ReplyAllToItem",
  "ForwardItem",
  "AcceptItem",
  "TentativelyAcceptItem",
  "DeclineItem",
  "CancelCalendarItem",
  "SharingMessage",
  "DistributionList",
  "MeetingMessage",
  "MeetingRequest",
  "MeetingResponse",
  "MeetingCancellation",
  "RemoveItem",
  "SuppressReadReceipt",
  "PostReplyItem",
  "AcceptSharingInvitation",
  "RoleMember",
  "Network",
  "Person",
]);
const DOCUMENT_ORDER = "@_mockEwsDocumentOrder";
let documentPosition = 0;

const parser = new XMLParser({
  updateTag(tagName, _jPath, attributes) {
    if (ORDERED_ELEMENTS.has(tagName)) attributes[DOCUMENT_ORDER] = String(documentPosition++);
    return tagName;
  },
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  processEntities: true,
  maxNestedTags: 200,
});

/**
 * Parses a request document. MUST throw MockEwsError XML_DTD_REJECTED when the document carries
 * a DOCTYPE or ENTITY declaration (checked on the raw text, before any parsing, so entity
 * expansion can never happen) and XML_MALFORMED when it is not well-formed XML.
 */
export function parseXml(text: string): XmlNode {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new MockEwsError("XML_DTD_REJECTED", "DTDs and entity declarations are not allowed");
  }
  // fast-xml-parser is slow on huge text nodes (about 0.3 s per MB), and the huge ones in EWS
  // are base64 (MimeContent, Data, attachment Content): lift them out before parsing and put
  // them back afterwards.
  const { slim, blobs } = liftBlobs(text);
  const valid = XMLValidator.validate(slim);
  if (valid !== true) throw new MockEwsError("XML_MALFORMED", `malformed XML: ${valid.err.msg}`);
  let doc: XmlNode;
  try {
    documentPosition = 0;
    doc = parser.parse(slim) as XmlNode;
  } catch (error) {
    throw new MockEwsError("XML_MALFORMED", "malformed XML", { cause: error });
  }
  return blobs.length === 0 ? doc : (restoreBlobs(doc, blobs) as XmlNode);
}

const BLOB_MARK = "\uE000blob:";
const MIN_BLOB = 2048;

function isBase64Char(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 43 ||
    code === 47 ||
    code === 61 ||
    code === 10 ||
    code === 13
  );
}

/** One linear scan (a regex backtracks and overflows the stack on multi-MB runs). */
function liftBlobs(text: string): { slim: string; blobs: string[] } {
  const blobs: string[] = [];
  const parts: string[] = [];
  let copied = 0;
  let at = text.indexOf(">");
  while (at >= 0) {
    let end = at + 1;
    while (end < text.length && isBase64Char(text.charCodeAt(end))) end++;
    if (end - at - 1 >= MIN_BLOB && text.charCodeAt(end) === 60) {
      parts.push(text.slice(copied, at + 1), `${BLOB_MARK}${blobs.length}`);
      blobs.push(text.slice(at + 1, end));
      copied = end;
    }
    at = text.indexOf(">", end);
  }
  if (blobs.length === 0) return { slim: text, blobs };
  parts.push(text.slice(copied));
  return { slim: parts.join(""), blobs };
}

function restoreBlobs(node: unknown, blobs: readonly string[]): unknown {
  if (typeof node === "string") {
    return node.startsWith(BLOB_MARK) ? (blobs[Number(node.slice(BLOB_MARK.length))] ?? "") : node;
  }
  if (Array.isArray(node)) return node.map((entry) => restoreBlobs(entry, blobs));
  if (node !== null && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) out[key] = restoreBlobs(value, blobs);
    return out;
  }
  return node;
}

/** Entries of id elements (FolderId, ItemId, ...) sorted into the order the request gave them. */
export function inDocumentOrder<T extends { readonly node: XmlNode }>(entries: readonly T[]): T[] {
  const position = (entry: T) => Number(entry.node[DOCUMENT_ORDER] ?? Number.MAX_SAFE_INTEGER);
  return [...entries].sort((a, b) => position(a) - position(b));
}

/** The children named `name` of `node` as an array (fast-xml-parser collapses singletons). */
export function children(node: unknown, name: string): XmlNode[] {
  if (node === null || typeof node !== "object") return [];
  const value = (node as XmlNode)[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry) =>
    typeof entry === "object" && entry !== null ? (entry as XmlNode) : { "#text": entry },
  );
}

export function child(node: unknown, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** Text content of a child element (or of the node itself when name is omitted). */
export function text(node: unknown, name?: string): string | undefined {
  const target =
    name === undefined
      ? node
      : node !== null && typeof node === "object"
        ? (node as XmlNode)[name]
        : undefined;
  const first = Array.isArray(target) ? target[0] : target;
  if (first === undefined || first === null) return undefined;
  if (typeof first === "string") return first;
  if (typeof first === "number" || typeof first === "boolean") return String(first);
  const inner = (first as XmlNode)["#text"];
  if (inner === undefined) return "";
  return String(inner);
}

/**
 * Reads an xs:boolean lexical value. XML Schema allows `true`, `false`, `1` and `0` with
 * surrounding whitespace collapsed, and clients send all four (ews-javascript-api writes
 * `true`, exchangelib and hand-written SOAP often `1`/`0`). Every boolean the mock reads from a
 * request MUST go through here. Returns undefined when the value is absent; throws
 * EwsResponseError ErrorSchemaValidation (Exchange's answer to a non-boolean) otherwise.
 */
export function xsBoolean(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new EwsResponseError(
    "ErrorSchemaValidation",
    `The request failed schema validation: '${value.slice(0, 40)}' is not a valid xs:boolean.`,
  );
}

/** xs:boolean text of a child element (undefined when absent). */
export function boolText(node: unknown, name: string): boolean | undefined {
  return xsBoolean(text(node, name));
}

/** xs:boolean value of an attribute (undefined when absent). */
export function boolAttr(node: unknown, name: string): boolean | undefined {
  return xsBoolean(attr(node, name));
}

export function attr(node: unknown, name: string): string | undefined {
  if (node === null || typeof node !== "object") return undefined;
  const value = (node as XmlNode)[`@_${name}`];
  return value === undefined ? undefined : String(value);
}

/** Element names of a node's children, in insertion order (attributes and text excluded). */
export function childNames(node: unknown): string[] {
  if (node === null || typeof node !== "object") return [];
  return Object.keys(node).filter((key) => !key.startsWith("@_") && key !== "#text");
}

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

const NEEDS_WORK = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF&<>"']/;

/** Escapes text for element content and attribute values; drops characters XML 1.0 cannot carry. */
export function esc(value: string | number | boolean): string {
  if (typeof value !== "string") return String(value);
  // Most values have nothing to escape: one test instead of two replace passes and two copies.
  if (!NEEDS_WORK.test(value)) return value;
  return value
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

/** `<prefix:name>escaped text</prefix:name>`. */
export function el(name: string, value: string | number | boolean): string {
  return `<${name}>${esc(value)}</${name}>`;
}
