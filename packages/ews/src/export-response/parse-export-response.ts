// ExportItems responses (multi-megabyte: one base64 Data per item) parsed without a string or a
// tree of the whole payload. A byte scanner finds the ResponseMessages container and, in each
// response message, the Data element; the base64 is decoded straight from the body's bytes.
// Only the small structure is parsed, by a strict one-pass reader of plain XML: the envelope
// without its messages, and each message with its Data emptied to a payload marker. The
// result is the tree parseXml gives of the body with its payloads cut out (extractBase64Elements),
// so the callers cannot tell the two apart. Whenever the body is not of the plain shape this
// path understands (comments, CDATA, a message the strict reader declines, a container not
// where SOAP puts it), the whole body goes the old way, so every refusal of a malformed body,
// and its error code, is the XML parser's. readResponse does the same for every other response.
import {
  decodeBase64,
  type ExtractedPayloads,
  extractBase64Elements,
  INVALID_PAYLOAD_ATTRIBUTE,
  parseXml,
  rejectDtd,
  type XmlElement,
} from "../xml-parser.js";
import { normaliseLineEnds, readPlainElement } from "./element-reader.js";

/** The parsed structure of a response and its decoded payloads (see ExtractedPayloads). */
export interface ParsedPayloadResponse {
  readonly root: XmlElement;
  readonly payloads: Uint8Array[];
}

const DECLARATION = /^<\?xml[ \t\r\n][^<>]*\?>/;

/**
 * Parses a response without payloads (or the envelope around ExportItems messages): the same
 * tree and errors as parseXml, by the strict reader when the body is plain XML after its
 * declaration (only the very start may hold one), by the XML parser otherwise, which then
 * judges every body the reader declines. The reader does one pass where the parser does three
 * (validate, parse, convert), which matters on multi-megabyte SyncFolderItems pages.
 */
export function readResponse(body: Buffer): XmlElement {
  rejectDtd(body);
  const xml = body.toString("utf8");
  const declaration = DECLARATION.exec(xml)?.[0] ?? "";
  const rest = xml.slice(declaration.length);
  return (rest.includes("<?") || rest.includes("<!") ? undefined : readPlainElement(rest)) ?? parseXml(xml);
}

/**
 * Parses a response whose `payloadElement` elements carry base64 (ExportItems: "Data"). Same
 * result and same errors as parseXml(extractBase64Elements(body, payloadElement).xml).
 */
export function parsePayloadResponse(body: Buffer, payloadElement: string): ParsedPayloadResponse {
  // No "<!" at all: no DTD, comment or CDATA, and the scanner may read the body. One pass over
  // the bytes instead of two; a body with one is checked for declarations and parsed whole.
  if (body.indexOf("<!") < 0) {
    const scanned = scanPlainBody(body, payloadElement);
    if (scanned !== undefined) return scanned;
  }
  rejectDtd(body);
  return parsedWhole(extractBase64Elements(body, payloadElement));
}

function parsedWhole(extracted: ExtractedPayloads): ParsedPayloadResponse {
  return { root: parseXml(extracted.xml), payloads: extracted.payloads };
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
const isNameEnd = (b: number | undefined) => b === undefined || isSpace(b) || b === GT || b === SLASH;

/** A tag at `lt`: its qualified name and where it ends (the ">"), or undefined if cut short. */
function tagAt(body: Buffer, lt: number): { qualified: string; end: number } | undefined {
  let nameEnd = body[lt + 1] === SLASH ? lt + 2 : lt + 1;
  while (nameEnd < body.length && !isNameEnd(body[nameEnd])) nameEnd++;
  const end = body.indexOf(GT, nameEnd);
  if (end < 0) return undefined;
  return { qualified: body.toString("latin1", lt + 1, nameEnd), end };
}

const localOf = (qualified: string) => qualified.slice(qualified.indexOf(":") + 1);

/**
 * The fast path alone: the parsed response, or undefined when the body is not of the plain
 * shape it understands and needs the full parser. Call parsePayloadResponse, which refuses
 * DTDs first; this is exported so tests can tell which path a body took.
 */
export function scanPayloadResponse(body: Buffer, payloadElement: string): ParsedPayloadResponse | undefined {
  return body.indexOf("<!") < 0 ? scanPlainBody(body, payloadElement) : undefined;
}

/**
 * The scan of a body holding no "<!" (comments and CDATA may hide "<" anywhere, which no byte
 * scanner can tell from a tag; DTDs are refused).
 */
function scanPlainBody(body: Buffer, payloadElement: string): ParsedPayloadResponse | undefined {
  const container = findContainer(body);
  if (container === undefined) return undefined;
  const { openEnd, closeStart } = container;
  const payloads: Uint8Array[] = [];
  const messages: XmlElement[] = [];
  // The white space between messages is the container's text in the tree parser's result.
  let between = "";
  let at = openEnd + 1;
  for (;;) {
    const spaceStart = at;
    while (at < closeStart && isSpace(body[at])) at++;
    between += normaliseLineEnds(body.toString("latin1", spaceStart, at));
    if (at >= closeStart) break;
    if (body[at] !== LT) return undefined;
    const message = scanMessage(body, at, closeStart, payloadElement, payloads);
    if (message === undefined) return undefined;
    messages.push(message.element);
    at = message.end;
  }
  // The envelope around the messages: small, and parsed (and judged) by the XML parser.
  const skeleton = Buffer.concat([body.subarray(0, openEnd + 1), body.subarray(closeStart)]);
  const root = withMessages(readResponse(skeleton), messages, between);
  return root === undefined ? undefined : { root, payloads };
}

/** The one ResponseMessages element of the body (any prefix), or undefined. */
function findContainer(body: Buffer): { openEnd: number; closeStart: number } | undefined {
  for (let at = body.indexOf("ResponseMessages"); at >= 0; at = body.indexOf("ResponseMessages", at + 1)) {
    if (!isNameEnd(body[at + "ResponseMessages".length])) continue;
    let lt = at - 1;
    while (lt >= 0 && body[lt] !== LT && body[lt] !== GT && !isSpace(body[lt])) lt--;
    if (lt < 0 || body[lt] !== LT) continue;
    const tag = tagAt(body, lt);
    if (tag === undefined || tag.qualified.startsWith("/") || localOf(tag.qualified) !== "ResponseMessages")
      continue;
    if (body[tag.end - 1] === SLASH) return undefined;
    // The close tag sits near the end: searching back from there does not read the payloads.
    // Should an earlier one hide among the messages, it is no message, and the scan gives up.
    const closeStart = body.lastIndexOf(`</${tag.qualified}>`, undefined, "latin1");
    return closeStart > tag.end ? { openEnd: tag.end, closeStart } : undefined;
  }
  return undefined;
}

/**
 * One response message starting at `lt`: its element (its payload element emptied to a marker,
 * the payload decoded into `payloads`) and where it ends, or undefined to parse the whole body.
 */
function scanMessage(
  body: Buffer,
  lt: number,
  limit: number,
  payloadElement: string,
  payloads: Uint8Array[],
): { element: XmlElement; end: number } | undefined {
  const open = tagAt(body, lt);
  if (open === undefined || open.end >= limit || body[open.end - 1] === SLASH) return undefined;
  const closeTag = `</${open.qualified}>`;
  const pieces: Buffer[] = [];
  let from = lt;
  let search = open.end + 1;
  for (;;) {
    const next = body.indexOf(LT, search);
    if (next < 0 || next >= limit) return undefined;
    const tag = tagAt(body, next);
    if (tag === undefined || tag.end >= limit + 1) return undefined;
    if (body[next + 1] === SLASH) {
      if (
        tag.qualified === closeTag.slice(1, -1) &&
        body.toString("latin1", next, tag.end + 1) === closeTag
      ) {
        pieces.push(body.subarray(from, tag.end + 1));
        const xml = Buffer.concat(pieces).toString("utf8");
        const element = readPlainElement(xml);
        return element === undefined ? undefined : { element, end: tag.end + 1 };
      }
    } else if (localOf(tag.qualified) === payloadElement && body[tag.end - 1] !== SLASH) {
      const dataClose = body.indexOf(`</${tag.qualified}>`, tag.end + 1, "latin1");
      if (dataClose < 0 || dataClose >= limit) return undefined;
      const decoded = decodeBase64(body, tag.end + 1, dataClose);
      pieces.push(body.subarray(from, next));
      if (decoded === undefined) {
        pieces.push(Buffer.from(`<${tag.qualified} ${INVALID_PAYLOAD_ATTRIBUTE}="base64"/>`, "latin1"));
      } else {
        payloads.push(decoded);
        pieces.push(Buffer.from(`<${tag.qualified} payload="${payloads.length - 1}"/>`, "latin1"));
      }
      from = dataClose + tag.qualified.length + 3;
      search = from;
      continue;
    }
    search = tag.end + 1;
  }
}

/**
 * The parsed skeleton with `messages` put into its (empty) ResponseMessages, which must sit
 * where SOAP puts it (Envelope/Body/<operation>Response/ResponseMessages); else undefined.
 */
function withMessages(root: XmlElement, messages: XmlElement[], text: string): XmlElement | undefined {
  const bodyIndex = root.children.findIndex((c) => c.name === "Body");
  const soapBody = root.children[bodyIndex];
  const response = soapBody?.children[0];
  if (soapBody === undefined || response === undefined || soapBody.children.length !== 1) return undefined;
  const containerIndex = response.children.findIndex((c) => c.name === "ResponseMessages");
  const container = response.children[containerIndex];
  if (container === undefined || container.children.length !== 0) return undefined;
  const replaced = (list: readonly XmlElement[], index: number, element: XmlElement) =>
    list.map((c, i) => (i === index ? element : c));
  const filled: XmlElement = { ...container, children: messages, text };
  const newResponse: XmlElement = {
    ...response,
    children: replaced(response.children, containerIndex, filled),
  };
  const newBody: XmlElement = { ...soapBody, children: [newResponse] };
  return { ...root, children: replaced(root.children, bodyIndex, newBody) };
}
