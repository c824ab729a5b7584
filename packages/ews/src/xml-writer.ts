// A deliberately small XML writer for SOAP requests. Every string that reaches it is text and
// gets escaped; only values produced by this module (XmlFragment) are inserted verbatim, so
// a folder name or a mailbox address can never change the shape of a request.

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*(:[A-Za-z_][A-Za-z0-9_.-]*)?$/;
// Characters XML 1.0 cannot carry at all, escaped or not (plus lone surrogates).
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const brand: unique symbol = Symbol("XmlFragment");

/** Serialized, already-escaped XML. Only this module creates them. */
export interface XmlFragment {
  readonly [brand]: true;
  readonly xml: string;
}

function fragment(xml: string): XmlFragment {
  return { [brand]: true, xml };
}

export function isXmlFragment(value: unknown): value is XmlFragment {
  return typeof value === "object" && value !== null && (value as { [brand]?: true })[brand] === true;
}

function checkChars(value: string): void {
  if (NOT_XML_CHAR.test(value)) throw new TypeError("value contains a character XML 1.0 cannot represent");
}

export function escapeText(value: string): string {
  checkChars(value);
  return value.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

export function escapeAttribute(value: string): string {
  checkChars(value);
  return value.replace(/[&<>"'\t\n\r]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&apos;";
      case "\t":
        return "&#9;";
      case "\n":
        return "&#10;";
      default:
        return "&#13;";
    }
  });
}

export type XmlChild = XmlFragment | string | number | boolean | null | undefined | false;
export type XmlAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * One element. Attributes with value undefined are left out; children that are strings,
 * numbers or booleans become escaped text, fragments are inserted as they are, and
 * null/undefined/false are skipped (so optional children read naturally).
 */
export function el(name: string, attributes?: XmlAttributes, ...children: XmlChild[]): XmlFragment {
  if (!NAME.test(name)) throw new TypeError(`invalid XML element name: ${JSON.stringify(name)}`);
  let xml = `<${name}`;
  if (attributes !== undefined) {
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      if (!NAME.test(key)) throw new TypeError(`invalid XML attribute name: ${JSON.stringify(key)}`);
      xml += ` ${key}="${escapeAttribute(String(value))}"`;
    }
  }
  const parts: string[] = [];
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parts.push(isXmlFragment(child) ? child.xml : escapeText(String(child)));
  }
  if (parts.length === 0) return fragment(`${xml}/>`);
  return fragment(`${xml}>${parts.join("")}</${name}>`);
}

/** Several siblings as one fragment. */
export function seq(...children: XmlChild[]): XmlFragment {
  return fragment(
    children
      .filter(
        (c): c is XmlFragment | string | number | boolean => c !== null && c !== undefined && c !== false,
      )
      .map((c) => (isXmlFragment(c) ? c.xml : escapeText(String(c))))
      .join(""),
  );
}

/** Binary content as base64 text: safe by construction, so it skips the escaping scan. */
export function base64(data: Uint8Array): XmlFragment {
  return fragment(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"));
}

/** A whole document with the XML declaration. */
export function document(root: XmlFragment): string {
  return `<?xml version="1.0" encoding="utf-8"?>${root.xml}`;
}
