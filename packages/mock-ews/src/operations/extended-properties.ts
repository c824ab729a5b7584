// Extended MAPI properties (t:ExtendedFieldURI / t:ExtendedProperty): how they are addressed,
// which of them Exchange maps onto first-class properties (PR_SUBJECT reads the Subject,
// PidTagFlagStatus the Flag, ...), and the store of the others on the item.
import { EwsResponseError } from "../errors.js";
import { MAPI_PROPERTY_TYPES, type MockExtendedProperty, type MockItemData } from "../model.js";
import { attr, child, children, el, esc, text, type XmlNode, xsBoolean } from "../xml.js";
import { messageFlags, withMessageFlags } from "./draft-state.js";

/** The DistinguishedPropertySetId names of the schema and the GUIDs they stand for. */
export const DISTINGUISHED_PROPERTY_SETS: Readonly<Record<string, string>> = {
  Meeting: "6ed8da90-450b-101b-98da-00aa003f1305",
  Appointment: "00062002-0000-0000-c000-000000000046",
  Common: "00062008-0000-0000-c000-000000000046",
  PublicStrings: "00020329-0000-0000-c000-000000000046",
  Address: "00062004-0000-0000-c000-000000000046",
  InternetHeaders: "00020386-0000-0000-c000-000000000046",
  CalendarAssistant: "11000e07-b51b-40d6-af21-caa85edab1d0",
  UnifiedMessaging: "4442858e-a9e3-4e80-b900-317a210cc15b",
  Task: "00062003-0000-0000-c000-000000000046",
  Sharing: "00062040-0000-0000-c000-000000000046",
};

const PROPERTY_TYPES: ReadonlySet<string> = new Set(MAPI_PROPERTY_TYPES);

/** An ExtendedFieldURI as the request wrote it, plus its canonical address. */
export interface ExtendedUri extends Omit<MockExtendedProperty, "values"> {
  /** The attributes to echo in responses (the request's own form, the tag as 0x hex). */
  readonly echo: string;
}

export function isArrayType(propertyType: string): boolean {
  return propertyType.endsWith("Array");
}

function invalid(message: string): EwsResponseError {
  return new EwsResponseError("ErrorInvalidExtendedProperty", message);
}

function parseNumber(raw: string, what: string): number {
  const trimmed = raw.trim().toLowerCase();
  const n = trimmed.startsWith("0x") ? Number.parseInt(trimmed.slice(2), 16) : Number(trimmed);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw invalid(`${what} '${raw}' is not a valid number.`);
  return n;
}

/**
 * Reads a t:ExtendedFieldURI. MUST throw ErrorInvalidExtendedProperty when the address is not
 * one Exchange accepts (a tag together with a property set, a set without id or name, ...).
 */
export function parseExtendedUri(node: XmlNode): ExtendedUri {
  const propertyType = attr(node, "PropertyType");
  if (propertyType === undefined || !PROPERTY_TYPES.has(propertyType)) {
    throw new EwsResponseError(
      "ErrorSchemaValidation",
      `The request failed schema validation: PropertyType '${propertyType ?? ""}' is invalid.`,
    );
  }
  const tagRaw = attr(node, "PropertyTag");
  const distinguished = attr(node, "DistinguishedPropertySetId");
  const setRaw = attr(node, "PropertySetId");
  const idRaw = attr(node, "PropertyId");
  const name = attr(node, "PropertyName");
  if (tagRaw !== undefined) {
    if (distinguished !== undefined || setRaw !== undefined || idRaw !== undefined || name !== undefined)
      throw invalid("PropertyTag cannot be combined with a property set, id or name.");
    const propertyTag = parseNumber(tagRaw, "PropertyTag");
    if (propertyTag > 0xffff) throw invalid("PropertyTag must be a property id (0x0001-0xFFFF).");
    const hex = `0x${propertyTag.toString(16)}`;
    return { propertyTag, propertyType, echo: `PropertyTag="${hex}" PropertyType="${propertyType}"` };
  }
  let propertySetId: string;
  let echo: string;
  if (distinguished !== undefined) {
    const guid = DISTINGUISHED_PROPERTY_SETS[distinguished];
    if (guid === undefined || setRaw !== undefined)
      throw invalid(`DistinguishedPropertySetId '${distinguished}' is invalid.`);
    propertySetId = guid;
    echo = `DistinguishedPropertySetId="${distinguished}"`;
  } else if (setRaw !== undefined) {
    const guid = setRaw
      .trim()
      .replace(/^\{|\}$/g, "")
      .toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(guid))
      throw invalid(`PropertySetId '${setRaw}' is not a GUID.`);
    propertySetId = guid;
    echo = `PropertySetId="${esc(setRaw)}"`;
  } else {
    throw invalid("An extended property needs a PropertyTag or a property set.");
  }
  if ((idRaw === undefined) === (name === undefined))
    throw invalid("A property set property needs exactly one of PropertyId and PropertyName.");
  if (name !== undefined) {
    return {
      propertySetId,
      propertyName: name,
      propertyType,
      echo: `${echo} PropertyName="${esc(name)}" PropertyType="${propertyType}"`,
    };
  }
  const propertyId = parseNumber(idRaw!, "PropertyId");
  return {
    propertySetId,
    propertyId,
    propertyType,
    echo: `${echo} PropertyId="${propertyId}" PropertyType="${propertyType}"`,
  };
}

/** Whether two addresses name the same MAPI property (the type is not part of the name). */
export function sameProperty(
  a: Omit<MockExtendedProperty, "values">,
  b: Omit<MockExtendedProperty, "values">,
): boolean {
  return (
    a.propertyTag === b.propertyTag &&
    a.propertySetId === b.propertySetId &&
    a.propertyId === b.propertyId &&
    (a.propertyName ?? "").toLowerCase() === (b.propertyName ?? "").toLowerCase()
  );
}

/** One value in the form Exchange writes it back (booleans as true/false, numbers in decimal). */
export function normalizeValue(propertyType: string, raw: string): string {
  const base = propertyType.replace(/Array$/, "");
  const value = raw.trim();
  switch (base) {
    case "Boolean":
      return String(xsBoolean(value));
    case "Integer":
    case "Long":
    case "Short":
    case "Currency": {
      if (!/^[+-]?\d+$/.test(value))
        throw new EwsResponseError("ErrorInvalidExtendedPropertyValue", `'${value}' is not an integer.`);
      return BigInt(value).toString();
    }
    case "Double":
    case "Float":
    case "ApplicationTime": {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n))
        throw new EwsResponseError("ErrorInvalidExtendedPropertyValue", `'${value}' is not a number.`);
      return String(n);
    }
    case "SystemTime": {
      const ms = Date.parse(value);
      if (Number.isNaN(ms))
        throw new EwsResponseError("ErrorInvalidExtendedPropertyValue", `'${value}' is not a date.`);
      return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
    }
    default:
      return raw;
  }
}

/** The values of a t:ExtendedProperty element (Value, or Values/Value for the Array types). */
export function parseExtendedProperty(node: XmlNode): MockExtendedProperty & { readonly echo: string } {
  const uriNode = child(node, "ExtendedFieldURI");
  if (uriNode === undefined) throw invalid("ExtendedProperty needs an ExtendedFieldURI.");
  const uri = parseExtendedUri(uriNode);
  const raw = isArrayType(uri.propertyType)
    ? children(child(node, "Values"), "Value").map((v) => text(v) ?? "")
    : [text(node, "Value") ?? ""];
  if (isArrayType(uri.propertyType) && raw.length === 0)
    throw new EwsResponseError(
      "ErrorInvalidExtendedPropertyValue",
      "An array property needs at least one value.",
    );
  return { ...uri, values: raw.map((v) => normalizeValue(uri.propertyType, v)) };
}

export function extendedPropertyXml(uri: ExtendedUri, values: readonly string[]): string {
  const inner = isArrayType(uri.propertyType)
    ? `<t:Values>${values.map((v) => el("t:Value", v)).join("")}</t:Values>`
    : el("t:Value", values[0] ?? "");
  return `<t:ExtendedProperty><t:ExtendedFieldURI ${uri.echo}/>${inner}</t:ExtendedProperty>`;
}

/** What a mapped property needs beyond the item's data. */
export interface ItemFacts {
  readonly size: () => number;
  readonly lastModifiedTime: string;
  readonly searchKey: () => Uint8Array;
}

interface Mapped {
  readonly get: (d: MockItemData, facts: ItemFacts) => string[] | undefined;
  readonly set?: (d: MockItemData, values: readonly string[]) => MockItemData;
}

const seconds = (iso: string) => iso.replace(/\.\d{3}Z$/, "Z");
const IMPORTANCE = ["Low", "Normal", "High"] as const;
const SENSITIVITY = ["Normal", "Personal", "Private", "Confidential"] as const;

function indexOf<T extends string>(list: readonly T[], raw: string | undefined): T {
  const value = list[Number(raw)];
  if (value === undefined)
    throw new EwsResponseError("ErrorInvalidExtendedPropertyValue", `'${raw}' is out of range.`);
  return value;
}

/** Tags Exchange serves from (and writes to) first-class properties. */
const MAPPED_TAGS: ReadonlyMap<number, Mapped> = new Map<number, Mapped>([
  [0x0037, { get: (d) => [d.subject], set: (d, v) => ({ ...d, subject: v[0] ?? "" }) }],
  [0x0e1d, { get: (d) => [d.subject.replace(/^(re|fw|fwd):\s*/i, "")] }],
  [0x001a, { get: (d) => [d.itemClass] }],
  [
    0x1000,
    {
      get: (d) => [d.body.content],
      set: (d, v) => ({ ...d, body: { bodyType: "Text", content: v[0] ?? "" } }),
    },
  ],
  [
    0x0017,
    {
      get: (d) => [String(IMPORTANCE.indexOf(d.importance))],
      set: (d, v) => ({ ...d, importance: indexOf(IMPORTANCE, v[0]) }),
    },
  ],
  [
    0x0036,
    {
      get: (d) => [String(SENSITIVITY.indexOf(d.sensitivity))],
      set: (d, v) => ({ ...d, sensitivity: indexOf(SENSITIVITY, v[0]) }),
    },
  ],
  [
    // PidTagFlagStatus: absent when not flagged, 1 complete, 2 flagged.
    0x1090,
    {
      get: (d) => (d.flagStatus === "NotFlagged" ? undefined : [d.flagStatus === "Complete" ? "1" : "2"]),
      set: (d, v) => ({
        ...d,
        flagStatus: v[0] === "1" ? "Complete" : v[0] === "2" ? "Flagged" : "NotFlagged",
      }),
    },
  ],
  [
    // PidTagMessageFlags: mfRead 0x1, mfUnsent 0x8 (draft-state.ts), mfHasAttach 0x10.
    0x0e07,
    { get: (d) => [String(messageFlags(d))], set: (d, v) => withMessageFlags(d, v[0]) },
  ],
  [0x0e06, { get: (d) => [seconds(d.dateTimeReceived)] }],
  [0x0039, { get: (d) => [seconds(d.dateTimeSent)] }],
  [0x3007, { get: (d) => [seconds(d.dateTimeCreated)] }],
  [0x3008, { get: (_d, f) => [f.lastModifiedTime] }],
  [0x0e08, { get: (_d, f) => [String(f.size())] }],
  [
    0x0e1b,
    { get: (d) => [String(d.attachments.some((a) => !a.isInline) || (d.itemAttachments?.length ?? 0) > 0)] },
  ],
  [0x1035, { get: (d) => (d.internetMessageId === undefined ? undefined : [d.internetMessageId]) }],
  [0x0c1a, { get: (d) => (d.from === undefined ? undefined : [d.from.name]) }],
  [0x0042, { get: (d) => (d.from === undefined ? undefined : [d.from.name]) }],
  [0x0e04, { get: (d) => [d.toRecipients.map((a) => a.name).join("; ")] }],
  [0x0e03, { get: (d) => [d.ccRecipients.map((a) => a.name).join("; ")] }],
  [0x300b, { get: (_d, f) => [Buffer.from(f.searchKey()).toString("base64")] }],
]);

/** PublicStrings "Keywords": the categories. */
function isKeywords(uri: Omit<MockExtendedProperty, "values">): boolean {
  return (
    uri.propertySetId === DISTINGUISHED_PROPERTY_SETS.PublicStrings &&
    uri.propertyName?.toLowerCase() === "keywords"
  );
}

/** The property's values on the item, or undefined when the item does not have it. */
export function readExtended(
  data: MockItemData,
  uri: Omit<MockExtendedProperty, "values">,
  facts: ItemFacts,
): string[] | undefined {
  if (uri.propertyTag !== undefined) {
    const mapped = MAPPED_TAGS.get(uri.propertyTag);
    if (mapped !== undefined) return mapped.get(data, facts);
  }
  if (isKeywords(uri)) return data.categories.length === 0 ? undefined : [...data.categories];
  const stored = data.extendedProperties?.find((p) => sameProperty(p, uri));
  return stored === undefined ? undefined : [...stored.values];
}

/** Sets (values) or deletes (undefined) a property. */
export function writeExtended(
  data: MockItemData,
  property: Omit<MockExtendedProperty, "values">,
  values: readonly string[] | undefined,
): MockItemData {
  if (property.propertyTag !== undefined) {
    const mapped = MAPPED_TAGS.get(property.propertyTag);
    if (mapped !== undefined) {
      if (property.propertyTag === 0x1090) return mapped.set!(data, values ?? ["0"]);
      if (mapped.set === undefined || values === undefined)
        throw new EwsResponseError(
          "ErrorInvalidPropertySet",
          `The property 0x${property.propertyTag.toString(16)} is computed and cannot be changed.`,
        );
      return mapped.set(data, values);
    }
  }
  if (isKeywords(property)) return { ...data, categories: values === undefined ? [] : [...values] };
  const others = (data.extendedProperties ?? []).filter((p) => !sameProperty(p, property));
  if (values === undefined) return { ...data, extendedProperties: others };
  const stored: MockExtendedProperty = {
    ...(property.propertyTag === undefined ? {} : { propertyTag: property.propertyTag }),
    ...(property.propertySetId === undefined ? {} : { propertySetId: property.propertySetId }),
    ...(property.propertyId === undefined ? {} : { propertyId: property.propertyId }),
    ...(property.propertyName === undefined ? {} : { propertyName: property.propertyName }),
    propertyType: property.propertyType,
    values: [...values],
  };
  return { ...data, extendedProperties: [...others, stored] };
}
