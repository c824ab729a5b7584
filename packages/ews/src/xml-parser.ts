// Safe parsing of EWS responses into a small namespace-free element tree. DTDs are never
// processed: a body that declares one is rejected before the parser sees it, entity
// processing is off, and only the five predefined entities and character references are
// decoded (by us, on text and attribute values). Large base64 payloads (ExportItems Data,
// GetItem MimeContent) are cut out of the raw bytes and decoded directly, so the parsed tree
// stays small and a response is never held as string + tree + decoded bytes at once.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ewsError } from "./errors.js";

export interface XmlElement {
  /** Local name (namespace prefix removed). */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated, decoded text content of this element (direct text only). */
  readonly text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: "#cdata",
  jPath: false,
});

const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9A-Fa-f]{1,6}));/g;
const NAMED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

const BAD_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos);|#\d{1,7};|#x[0-9A-Fa-f]{1,6};)/;

/** Decodes predefined entities and character references; anything else is malformed. */
export function decodeEntities(value: string): string {
  if (!value.includes("&")) return value;
  if (BAD_AMPERSAND.test(value))
    throw ewsError("EWS_MALFORMED_RESPONSE", "response uses an undeclared entity");
  return value.replace(
    ENTITY,
    (_m, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (named !== undefined) return NAMED[named] as string;
      const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex as string, 16);
      if (code > 0x10ffff || code === 0) {
        throw ewsError("EWS_MALFORMED_RESPONSE", "invalid character reference in response");
      }
      return String.fromCodePoint(code);
    },
  );
}

const DECLARATIONS = ["DOCTYPE", "ENTITY"];

/**
 * Throws EWS_MALFORMED_RESPONSE when the body carries a DTD or entity declaration (any case,
 * whitespace after "<!" tolerated). Scans bytes, so a large response is not copied into a string.
 */
export function rejectDtd(body: Buffer | string): void {
  const buffer = typeof body === "string" ? Buffer.from(body) : body;
  let at = buffer.indexOf("<!");
  while (at >= 0) {
    let i = at + 2;
    while (
      i < buffer.length &&
      (buffer[i] === 0x20 || buffer[i] === 0x09 || buffer[i] === 0x0a || buffer[i] === 0x0d)
    )
      i++;
    const word = buffer.toString("latin1", i, i + 7).toUpperCase();
    if (DECLARATIONS.some((d) => word.startsWith(d))) {
      throw ewsError(
        "EWS_MALFORMED_RESPONSE",
        "response contains a DTD or entity declaration; refusing to parse it",
      );
    }
    at = buffer.indexOf("<!", at + 2);
  }
}

type RawNode = Record<string, unknown>;

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});
const NO_CHILDREN: readonly XmlElement[] = Object.freeze([]);

/** One pass per level: text, CDATA and child elements are told apart by their single key. */
function convert(raw: readonly RawNode[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of raw) {
    let name: string | undefined;
    for (const key in node) {
      if (key !== ":@" && key !== "#text" && key !== "#cdata") name = key;
    }
    if (name === undefined) continue;
    const rawAttributes = node[":@"] as Record<string, unknown> | undefined;
    let attributes = NO_ATTRIBUTES;
    if (rawAttributes !== undefined) {
      const decoded: Record<string, string> = {};
      for (const key in rawAttributes) {
        if (key === "xmlns" || key.startsWith("xmlns:")) continue;
        decoded[key] = decodeEntities(String(rawAttributes[key]));
      }
      attributes = decoded;
    }
    const rawChildren = (node[name] ?? []) as RawNode[];
    let text = "";
    let elements = 0;
    for (const child of rawChildren) {
      const value = child["#text"];
      if (value !== undefined) text += decodeEntities(String(value));
      else if ("#cdata" in child) {
        for (const part of child["#cdata"] as RawNode[]) text += String(part["#text"] ?? "");
      } else elements++;
    }
    out.push({ name, attributes, children: elements === 0 ? NO_CHILDREN : convert(rawChildren), text });
  }
  return out;
}

/**
 * Parses one XML document (no DTD) into its root element. Throws EWS_MALFORMED_RESPONSE for
 * anything that is not well-formed XML (including a body cut short in transit).
 */
export function parseXml(body: Buffer | string): XmlElement {
  rejectDtd(body);
  const xml = typeof body === "string" ? body : body.toString("utf8");
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw ewsError("EWS_MALFORMED_RESPONSE", `response is not well-formed XML: ${valid.err.msg}`, {
      details: { line: valid.err.line },
    });
  }
  let raw: RawNode[];
  try {
    raw = parser.parse(xml) as RawNode[];
  } catch (cause) {
    throw ewsError("EWS_MALFORMED_RESPONSE", "response could not be parsed as XML", { cause });
  }
  const roots = convert(raw);
  if (roots.length !== 1) throw ewsError("EWS_MALFORMED_RESPONSE", "response has no single root element");
  return roots[0] as XmlElement;
}

// ---- tree helpers ----------------------------------------------------------------------

export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element === undefined ? [] : element.children.filter((c) => c.name === name);
}

/** Follows a path of local names from `element`. */
export function path(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = element;
  for (const name of names) current = child(current, name);
  return current;
}

export function childText(element: XmlElement | undefined, name: string): string | undefined {
  return child(element, name)?.text;
}

// ---- large base64 payloads ---------------------------------------------------------------

/** Base64 payloads cut out of a response, in document order, already decoded. */
export interface ExtractedPayloads {
  /**
   * The response with each payload element emptied: `<m:Data payload="N"/>` for the N-th decoded
   * payload, `<m:Data invalid="base64"/>` (no payload) for one whose text is not base64.
   */
  readonly xml: Buffer;
  readonly payloads: Uint8Array[];
}

/** Marker attribute of a payload element whose text was not base64 (see extractBase64Elements). */
export const INVALID_PAYLOAD_ATTRIBUTE = "invalid";

/** Base64 as servers send it: the alphabet, padding, and line-folding white space. */
const BASE64_TEXT = /^[A-Za-z0-9+/=\r\n\t ]*$/;

/**
 * The byte count `text` decodes to when every character but up to two trailing "=" is one
 * Node's base64 decoder accepts, or -1 when no such text has this length. The decoder skips any
 * other character and stops at an inner "=", and n accepted characters carry at most
 * floor(6n / 8) bytes, so one stray character always leaves the decoded buffer shorter than
 * this: a decoded length equal to it proves the text holds only accepted characters. Those
 * include base64url's "-" and "_", which BASE64_TEXT refuses, so callers rule them out apart.
 */
function unfoldedBase64Bytes(text: string): number {
  let n = text.length;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) n--;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) n--;
  const rest = n % 4;
  if (rest === 1) return -1;
  return (n >> 2) * 3 + (rest === 0 ? 0 : rest - 1);
}

/** Characters per decoded piece: a multiple of 4, and small enough to stay a young-generation string. */
const BASE64_PIECE = 64 * 1024;

/**
 * Decodes body[start, end) as base64, or returns undefined when it is not base64 (BASE64_TEXT).
 * Unfolded base64 (what Exchange sends) is decoded piece by piece straight into the result,
 * each piece proven valid by the length of its decoding and two native character searches: one
 * string for a whole multi-MB payload is allocated outside the young generation and cost more
 * than the decoding. Anything else (folded, padded inside, suspect) takes the whole-text path.
 */
export function decodeBase64(body: Buffer, start: number, end: number): Buffer | undefined {
  let chars = end - start;
  if (chars > 0 && body[end - 1] === 0x3d) {
    chars--;
    if (chars > 0 && body[end - 2] === 0x3d) chars--;
  }
  const rest = chars % 4;
  if (rest !== 1) {
    // Its own ArrayBuffer, never a slice of the shared pool: the engine may then move it to a
    // worker thread as it is (handsOverItemBytes) instead of copying a small item first.
    const out = Buffer.allocUnsafeSlow((chars >> 2) * 3 + (rest === 0 ? 0 : rest - 1));
    let written = 0;
    let plain = true;
    for (let at = start; at < end && plain; at += BASE64_PIECE) {
      const piece = body.toString("latin1", at, Math.min(end, at + BASE64_PIECE));
      const bytes = out.write(piece, written, "base64");
      // A piece that ends in padding decodes short of its share, so an inner "=" fails below.
      plain = bytes === unfoldedBase64Bytes(piece) && !piece.includes("-") && !piece.includes("_");
      written += bytes;
    }
    if (plain && written === out.length) return out;
  }
  const text = body.toString("latin1", start, end);
  return BASE64_TEXT.test(text) ? Buffer.from(text, "base64") : undefined;
}

/**
 * Cuts every `<prefix:Element ...>base64</prefix:Element>` (local name `elementName`) out of
 * `body`, decodes it and replaces it with `<prefix:Element payload="N"/>`. Works on bytes so a
 * 16 MiB response is never turned into one 32 MiB JS string.
 *
 * A payload that is not base64 is one bad item, not a bad response: it becomes
 * `<prefix:Element invalid="base64"/>` and the caller reports that item alone (ExportItems:
 * a per-item failure), instead of the whole response failing and being asked for again.
 * Only a broken structure (a tag or element left open) fails the response.
 */
export function extractBase64Elements(body: Buffer, elementName: string): ExtractedPayloads {
  const payloads: Uint8Array[] = [];
  const pieces: Buffer[] = [];
  let cursor = 0;
  let searchFrom = 0;
  const lt = 0x3c;
  for (;;) {
    const start = body.indexOf(lt, searchFrom);
    if (start < 0) break;
    // Read the tag name.
    let end = start + 1;
    while (end < body.length) {
      const b = body[end] as number;
      if (b === 0x20 || b === 0x3e || b === 0x2f || b === 0x09 || b === 0x0a || b === 0x0d) break;
      end++;
    }
    const tagName = body.toString("latin1", start + 1, end);
    const local = tagName.includes(":") ? tagName.slice(tagName.indexOf(":") + 1) : tagName;
    if (local !== elementName || tagName.startsWith("/")) {
      searchFrom = end;
      continue;
    }
    const openEnd = body.indexOf(0x3e, end);
    if (openEnd < 0) throw ewsError("EWS_MALFORMED_RESPONSE", "response ends inside a tag");
    if (body[openEnd - 1] === 0x2f) {
      // Self-closing: an empty payload.
      searchFrom = openEnd + 1;
      continue;
    }
    const closeTag = Buffer.from(`</${tagName}>`, "latin1");
    const closeStart = body.indexOf(closeTag, openEnd + 1);
    if (closeStart < 0) throw ewsError("EWS_MALFORMED_RESPONSE", `response ends inside <${tagName}>`);
    const decoded = decodeBase64(body, openEnd + 1, closeStart);
    pieces.push(body.subarray(cursor, start));
    if (decoded === undefined) {
      pieces.push(Buffer.from(`<${tagName} ${INVALID_PAYLOAD_ATTRIBUTE}="base64"/>`, "latin1"));
    } else {
      payloads.push(decoded);
      pieces.push(Buffer.from(`<${tagName} payload="${payloads.length - 1}"/>`, "latin1"));
    }
    cursor = closeStart + closeTag.length;
    searchFrom = cursor;
  }
  if (cursor === 0) return { xml: body, payloads };
  pieces.push(body.subarray(cursor));
  return { xml: Buffer.concat(pieces), payloads };
}
