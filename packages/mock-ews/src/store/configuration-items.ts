// What a configuration object is in the store: as in Exchange (MS-OXOCFG), the configuration named
// N of folder F IS a folder-associated message of F with ItemClass IPM.Configuration.N, its
// parts being MAPI properties of that message:
//
//   PidTagRoamingDatatypes    0x7C06 Integer  which parts it has: 0x2 dictionary, 0x4 XML, 0x8 binary
//   PidTagRoamingDictionary   0x7C07 Binary   the dictionary stream (codec/roaming-dictionary.ts)
//   PidTagRoamingXmlStream    0x7C08 Binary   the XmlData bytes
//   PidTagRoamingBinaryStream 0x7C09 Binary   the BinaryData bytes
//
// Pure functions between those properties (or the whole item) and the parts EWS shows, shared by
// the generator (which seeds configuration objects) and store/user-configurations.ts (which finds,
// reads, writes and deletes them for GetUserConfiguration and the settings API).
import { decodeRoamingDictionary, encodeRoamingDictionary } from "../codec/roaming-dictionary.js";
import { unsent } from "../generator/item-kinds.js";
import type {
  MockAssociatedItemClass,
  MockConfigurationItemClass,
  MockExtendedProperty,
  MockItemData,
  MockMailAddress,
} from "../model.js";
import type { UserConfiguration } from "./settings.js";

export const CONFIGURATION_CLASS_PREFIX = "IPM.Configuration.";

/** The PidTagRoaming* property tags (MS-OXPROPS). */
export const ROAMING_TAG = {
  datatypes: 0x7c06,
  dictionary: 0x7c07,
  xmlStream: 0x7c08,
  binaryStream: 0x7c09,
} as const;

/** PidTagRoamingDatatypes bits (MS-OXOCFG 2.2.2.1). */
const HAS_DICTIONARY = 0x2;
const HAS_XML = 0x4;
const HAS_BINARY = 0x8;

/** The parts of a configuration object (each absent, or present and possibly empty). */
export type ConfigurationParts = Pick<UserConfiguration, "dictionary" | "xmlData" | "binaryData">;

export function configurationItemClass(name: string): MockConfigurationItemClass {
  return `${CONFIGURATION_CLASS_PREFIX}${name}`;
}

/** The configuration name an item class stands for, or undefined for any other class (prefix case-insensitive). */
export function configurationNameOf(itemClass: string): string | undefined {
  if (itemClass.length <= CONFIGURATION_CLASS_PREFIX.length) return undefined;
  const prefix = itemClass.slice(0, CONFIGURATION_CLASS_PREFIX.length);
  return prefix.toLowerCase() === CONFIGURATION_CLASS_PREFIX.toLowerCase()
    ? itemClass.slice(CONFIGURATION_CLASS_PREFIX.length)
    : undefined;
}

function isRoaming(property: MockExtendedProperty): boolean {
  return (
    property.propertySetId === undefined &&
    property.propertyTag !== undefined &&
    property.propertyTag >= ROAMING_TAG.datatypes &&
    property.propertyTag <= ROAMING_TAG.binaryStream
  );
}

/** The PidTagRoaming* properties of `parts`; the datatypes bitmask always (0 for an object without parts). */
export function configurationProperties(parts: ConfigurationParts): MockExtendedProperty[] {
  const binary = (propertyTag: number, base64: string): MockExtendedProperty => ({
    propertyTag,
    propertyType: "Binary",
    values: [base64],
  });
  const out: MockExtendedProperty[] = [];
  let datatypes = 0;
  if (parts.dictionary !== undefined) {
    datatypes |= HAS_DICTIONARY;
    const bytes = encodeRoamingDictionary(parts.dictionary);
    out.push(binary(ROAMING_TAG.dictionary, Buffer.from(bytes).toString("base64")));
  }
  if (parts.xmlData !== undefined) {
    datatypes |= HAS_XML;
    out.push(binary(ROAMING_TAG.xmlStream, parts.xmlData));
  }
  if (parts.binaryData !== undefined) {
    datatypes |= HAS_BINARY;
    out.push(binary(ROAMING_TAG.binaryStream, parts.binaryData));
  }
  return [
    { propertyTag: ROAMING_TAG.datatypes, propertyType: "Integer", values: [String(datatypes)] },
    ...out,
  ];
}

/**
 * The parts an item's properties hold. A part is present when its property is, and, when the
 * item has PidTagRoamingDatatypes, its bit is set there too (as MS-OXOCFG readers check it).
 * MUST throw RoamingDictionaryError when the dictionary stream is corrupt.
 */
export function configurationPartsOf(
  properties: readonly MockExtendedProperty[] | undefined,
): ConfigurationParts {
  const value = (tag: number, type: string) =>
    properties?.find((p) => isRoaming(p) && p.propertyTag === tag && p.propertyType === type)?.values[0];
  const datatypes = value(ROAMING_TAG.datatypes, "Integer");
  const flagged = (bit: number) => datatypes === undefined || (Number(datatypes) & bit) !== 0;
  const dictionary = flagged(HAS_DICTIONARY) ? value(ROAMING_TAG.dictionary, "Binary") : undefined;
  const xmlData = flagged(HAS_XML) ? value(ROAMING_TAG.xmlStream, "Binary") : undefined;
  const binaryData = flagged(HAS_BINARY) ? value(ROAMING_TAG.binaryStream, "Binary") : undefined;
  return {
    ...(dictionary === undefined
      ? {}
      : { dictionary: decodeRoamingDictionary(Buffer.from(dictionary, "base64")) }),
    ...(xmlData === undefined ? {} : { xmlData }),
    ...(binaryData === undefined ? {} : { binaryData }),
  };
}

/** `data` with its configuration parts replaced by `parts` (every other property kept). */
export function withConfigurationParts(data: MockItemData, parts: ConfigurationParts): MockItemData {
  const others = (data.extendedProperties ?? []).filter((p) => !isRoaming(p));
  return { ...data, extendedProperties: [...others, ...configurationProperties(parts)] };
}

/**
 * A folder-associated message as Outlook and Exchange make one (a configuration object, a rule, a
 * view): empty text body, from the owner, never sent, read.
 */
export function associatedItemData(
  itemClass: MockAssociatedItemClass,
  subject: string,
  owner: MockMailAddress,
  created: string,
  extendedProperties: MockExtendedProperty[],
): MockItemData {
  return {
    itemClass,
    subject,
    body: { bodyType: "Text", content: "" },
    from: owner,
    ...unsent(created),
    importance: "Normal",
    sensitivity: "Normal",
    categories: [],
    isRead: true,
    flagStatus: "NotFlagged",
    attachments: [],
    extendedProperties,
  };
}

/** A new configuration object's message: subject = item class, as Outlook and Exchange make it. */
export function configurationItemData(
  name: string,
  parts: ConfigurationParts,
  owner: MockMailAddress,
  created: string,
): MockItemData {
  const itemClass = configurationItemClass(name);
  return associatedItemData(itemClass, itemClass, owner, created, configurationProperties(parts));
}
