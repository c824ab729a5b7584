// A strict reader for the small structural XML of one EWS response message (ResponseCode,
// ItemId, an emptied Data marker), giving the same XmlElement tree parseXml would. It accepts
// only a narrow, plainly well-formed subset: elements, quoted attributes, text whose "&" starts
// a predefined entity or character reference. Anything else (comments, CDATA, processing
// instructions, a stray "<", unbalanced or mismatched tags, a repeated attribute) makes it
// answer undefined, and the caller hands the response to the full XML parser, so every
// refusal keeps that parser's error codes: this reader only ever skips work, never judges.
import { decodeEntities, type XmlElement } from "../xml-parser.js";

/** Nesting the reader takes itself; deeper bodies go to the XML parser and its own limit. */
const MAX_PLAIN_DEPTH = 64;

const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;
const SPACE = /[ \t\r\n]/;

interface Open {
  readonly qualified: string;
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

/** XML line-end handling, as the tree parser applies it to text: CR LF and lone CR read as LF. */
export const normaliseLineEnds = (text: string): string =>
  text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;

const localName = (qualified: string): string => qualified.slice(qualified.indexOf(":") + 1);

/** Parses the attributes of a start tag's inside (after the name); undefined when not plain. */
function readAttributes(source: string): Record<string, string> | undefined {
  const attributes: Record<string, string> = {};
  let at = 0;
  const seen = new Set<string>();
  for (;;) {
    while (at < source.length && SPACE.test(source[at] as string)) at++;
    if (at >= source.length) return attributes;
    const equals = source.indexOf("=", at);
    if (equals < 0) return undefined;
    const qualified = source.slice(at, equals);
    if (!NAME.test(qualified) || seen.has(qualified)) return undefined;
    seen.add(qualified);
    const quote = source[equals + 1];
    if (quote !== '"' && quote !== "'") return undefined;
    const close = source.indexOf(quote, equals + 2);
    if (close < 0) return undefined;
    const raw = source.slice(equals + 2, close);
    if (raw.includes("<")) return undefined;
    // The tree parser drops namespace declarations and strips prefixes from attribute names.
    if (qualified !== "xmlns" && !qualified.startsWith("xmlns:")) {
      attributes[localName(qualified)] = decodeEntities(raw);
    }
    at = close + 1;
    if (at < source.length && !SPACE.test(source[at] as string)) return undefined;
  }
}

/**
 * The single element `xml` holds (surrounding white space allowed), or undefined when `xml`
 * is outside the subset this reader accepts. Throws EWS_MALFORMED_RESPONSE only where
 * parseXml would (an undeclared entity or a bad character reference in text or attributes).
 */
export function readPlainElement(xml: string): XmlElement | undefined {
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let at = 0;
  while (at < xml.length) {
    const lt = xml.indexOf("<", at);
    const text = xml.slice(at, lt < 0 ? xml.length : lt);
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (text.trim() !== "") return undefined;
    } else top.text += decodeEntities(normaliseLineEnds(text));
    if (lt < 0) break;
    const gt = xml.indexOf(">", lt);
    if (gt < 0) return undefined;
    const tag = xml.slice(lt + 1, gt);
    if (tag.includes("<")) return undefined;
    if (tag.startsWith("/")) {
      const open = stack.pop();
      if (open === undefined || tag.slice(1).trimEnd() !== open.qualified) return undefined;
      const element = closeElement(open);
      const parent = stack[stack.length - 1];
      if (parent === undefined) root = element;
      else parent.children.push(element);
    } else {
      if (root !== undefined && stack.length === 0) return undefined;
      const selfClosing = tag.endsWith("/");
      const inside = selfClosing ? tag.slice(0, -1) : tag;
      const nameEnd = inside.search(SPACE);
      const qualified = nameEnd < 0 ? inside : inside.slice(0, nameEnd);
      if (!NAME.test(qualified)) return undefined;
      const attributes = nameEnd < 0 ? {} : readAttributes(inside.slice(nameEnd));
      if (attributes === undefined) return undefined;
      const open: Open = { qualified, name: localName(qualified), attributes, children: [], text: "" };
      // Deeper than any EWS response goes: the XML parser judges it (it refuses more than 100).
      if (stack.length >= MAX_PLAIN_DEPTH) return undefined;
      if (selfClosing) {
        const element = closeElement(open);
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = element;
        else parent.children.push(element);
      } else stack.push(open);
    }
    at = gt + 1;
  }
  return stack.length === 0 ? root : undefined;
}

const NO_CHILDREN: readonly XmlElement[] = Object.freeze([]);
const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

function closeElement(open: Open): XmlElement {
  const hasAttributes = Object.keys(open.attributes).length > 0;
  return {
    name: open.name,
    attributes: hasAttributes ? open.attributes : NO_ATTRIBUTES,
    children: open.children.length === 0 ? NO_CHILDREN : open.children,
    text: open.text,
  };
}
