/*
 * The dictionary stream of a configuration object (MS-OXOCFG 2.2.5.1): what PidTagRoamingDictionary
 * (0x7C07) holds, UTF-8 XML of this shape:
 *
 *   <?xml version="1.0" encoding="utf-8"?><UserConfiguration><Info version="Exchange.12"/><Data>
 *   <e k="18-piRemindDefault" v="9-15"/>...</Data></UserConfiguration>
 *
 * (without line breaks), one `e` per entry in dictionary order. Keys and values are written
 * `<type code>-<text>`, the type code being .NET's TypeCode, as Exchange and Outlook write them:
 *
 *   Boolean 3 (True / False)   Byte 6       Integer32 9      UnsignedInteger32 10
 *   Integer64 11               UnsignedInteger64 12          DateTime 16      String 18
 *
 * with integers in canonical decimal and a DateTime as the xs:dateTime text EWS carried. Three
 * cases have no TypeCode, and this mock writes them so that every EWS dictionary round-trips:
 *
 *   - ByteArray: `6[]-<base64>`, the EWS value as it came (already base64); StringArray:
 *     `18[]-<JSON array of the strings>`, e.g. `18[]-["a","b"]`. TypeCode has no code for an
 *     array (arrays are all TypeCode.Object, 1, which does not say what they hold), so the element
 *     type's code is followed by "[]" as .NET spells array types (System.String[]); JSON carries
 *     any strings (commas, quotes, empty ones) without escape rules of our own.
 *   - a nil value: `0-`, TypeCode.Empty (.NET's code for a null reference). Keys are never nil.
 *
 * In the XML, &, <, >, " and ' are escaped as entities, tab, line feed and carriage return as
 * character references (an XML reader turns them into spaces when they appear literally in an
 * attribute). The decoder reads what any XML writer makes of such a document (an XML
 * declaration or not, whitespace between elements, another Info version), and rejects the rest
 * with RoamingDictionaryError (code CORRUPT_ROAMING_DICTIONARY): bytes that are not UTF-8, not
 * well-formed XML, a DTD, another root element, an entry without k or v, an unknown type code or
 * a text its type cannot have.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { DictionaryEntry, DictionaryObject } from "../store/settings.js";
import { esc } from "../xml.js";
import { RoamingDictionaryError } from "./errors.js";

/** The EWS dictionary object type (UserConfigurationDictionaryObjectTypesType) by type code. */
const TYPE_BY_CODE: Readonly<Record<string, string>> = {
  "3": "Boolean",
  "6": "Byte",
  "9": "Integer32",
  "10": "UnsignedInteger32",
  "11": "Integer64",
  "12": "UnsignedInteger64",
  "16": "DateTime",
  "18": "String",
  "6[]": "ByteArray",
  "18[]": "StringArray",
};
const CODE_BY_TYPE: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TYPE_BY_CODE).map(([code, type]) => [type, code]),
);
const NIL = "0-";

const INTEGER_TYPES = new Set(["Byte", "Integer32", "UnsignedInteger32", "Integer64", "UnsignedInteger64"]);

const HEAD = '<?xml version="1.0" encoding="utf-8"?><UserConfiguration><Info version="Exchange.12"/><Data>';
const TAIL = "</Data></UserConfiguration>";

/** Escapes an attribute value so that an XML reader gives back exactly `value`. */
function attribute(value: string): string {
  return esc(value).replace(/[\t\n\r]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
}

function objectText(object: DictionaryObject): string {
  const code = CODE_BY_TYPE[object.type];
  if (code === undefined) throw new TypeError(`unknown dictionary object type ${object.type}`);
  if (object.type === "StringArray") return `${code}-${JSON.stringify(object.values)}`;
  if (object.values.length !== 1) throw new TypeError(`a ${object.type} has exactly one value`);
  const value = object.values[0]!;
  if (object.type === "Boolean") {
    const flag = value.trim();
    if (!/^(true|false|1|0)$/.test(flag)) throw new TypeError(`'${value}' is not a Boolean`);
    return `${code}-${flag === "true" || flag === "1" ? "True" : "False"}`;
  }
  if (INTEGER_TYPES.has(object.type)) {
    if (!/^\s*-?\d+\s*$/.test(value)) throw new TypeError(`'${value}' is not a ${object.type}`);
    return `${code}-${BigInt(value.trim()).toString()}`;
  }
  return `${code}-${value}`;
}

/**
 * The dictionary stream of `entries`, in their order. Expects values EWS could carry (the
 * operations check ranges and dates); MUST throw TypeError for an unknown type, a single-valued
 * type with other than one value, or a Boolean or integer text that is none.
 */
export function encodeRoamingDictionary(entries: readonly DictionaryEntry[]): Uint8Array {
  const body = entries
    .map(
      (e) =>
        `<e k="${attribute(objectText(e.key))}" v="${attribute(e.value === null ? NIL : objectText(e.value))}"/>`,
    )
    .join("");
  return new TextEncoder().encode(`${HEAD}${body}${TAIL}`);
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Decodes character references (&#xA;) besides the five XML entities.
  htmlEntities: true,
  isArray: (name) => name === "e",
});
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function corrupt(message: string): never {
  throw new RoamingDictionaryError(message);
}

function parseObject(text: string): DictionaryObject {
  const dash = text.indexOf("-");
  const type = dash < 0 ? undefined : TYPE_BY_CODE[text.slice(0, dash)];
  if (type === undefined) corrupt(`'${text.slice(0, 40)}' has no known type code`);
  const value = text.slice(dash + 1);
  if (type === "StringArray") {
    let values: unknown;
    try {
      values = JSON.parse(value);
    } catch (error) {
      throw new RoamingDictionaryError(`a StringArray is not a JSON array`, { cause: error });
    }
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== "string"))
      corrupt("a StringArray is not a non-empty JSON array of strings");
    return { type, values: values as string[] };
  }
  if (type === "Boolean") {
    if (!/^(true|false)$/i.test(value)) corrupt(`'${value.slice(0, 40)}' is not a Boolean`);
    return { type, values: [value.toLowerCase()] };
  }
  if (INTEGER_TYPES.has(type) && !/^-?\d+$/.test(value)) corrupt(`'${value.slice(0, 40)}' is not a ${type}`);
  return { type, values: [value] };
}

/** The entries of a dictionary stream, in document order. MUST throw RoamingDictionaryError for a corrupt one. */
export function decodeRoamingDictionary(bytes: Uint8Array): DictionaryEntry[] {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch (error) {
    throw new RoamingDictionaryError("the dictionary stream is not UTF-8", { cause: error });
  }
  // Checked on the raw text, so that entity expansion never happens.
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) corrupt("the dictionary stream has a DTD");
  const valid = XMLValidator.validate(text);
  if (valid !== true) corrupt(`the dictionary stream is not well-formed XML: ${valid.err.msg}`);
  const doc = parser.parse(text) as Record<string, unknown>;
  const root = doc.UserConfiguration;
  if (root === undefined || Object.keys(doc).some((k) => k !== "UserConfiguration" && k !== "?xml"))
    corrupt("the dictionary stream's root is not UserConfiguration");
  const data = typeof root === "object" && root !== null ? (root as Record<string, unknown>).Data : undefined;
  const elements =
    typeof data === "object" && data !== null ? ((data as Record<string, unknown>).e as unknown[]) : [];
  return (elements ?? []).map((element) => {
    const entry = (typeof element === "object" && element !== null ? element : {}) as Record<string, unknown>;
    const k = entry["@_k"];
    const v = entry["@_v"];
    if (typeof k !== "string" || typeof v !== "string") corrupt("an entry lacks its k or v");
    return { key: parseObject(k), value: v === NIL ? null : parseObject(v) };
  });
}
