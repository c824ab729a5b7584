// First-class properties this model has no field for but keeps as the MAPI property Exchange
// stores them in (they live with the item's other extended properties, so ExtendedFieldURI sees
// them too): reminders, receipt requests, a contact's own DisplayName and FileAs, InReplyTo, a
// task's CompleteDate (PidLidTaskDateCompleted).
import type { MockExtendedProperty, MockItemData } from "../model.js";
import { child, text, type XmlNode } from "../xml.js";
import {
  DISTINGUISHED_PROPERTY_SETS,
  normalizeValue,
  sameProperty,
  writeExtended,
} from "./extended-properties.js";

type Address = Omit<MockExtendedProperty, "values">;

const COMMON = DISTINGUISHED_PROPERTY_SETS.Common!;
const ADDRESS = DISTINGUISHED_PROPERTY_SETS.Address!;
const TASK = DISTINGUISHED_PROPERTY_SETS.Task!;

/** Lower-cased FieldURI -> the element that carries it and the property that stores it. */
export const STORED_FIELDS: Readonly<
  Record<string, { readonly element: string; readonly property: Address }>
> = {
  "item:reminderisset": {
    element: "ReminderIsSet",
    property: { propertySetId: COMMON, propertyId: 0x8503, propertyType: "Boolean" },
  },
  "item:reminderminutesbeforestart": {
    element: "ReminderMinutesBeforeStart",
    property: { propertySetId: COMMON, propertyId: 0x8501, propertyType: "Integer" },
  },
  "item:reminderdueby": {
    element: "ReminderDueBy",
    property: { propertySetId: COMMON, propertyId: 0x8502, propertyType: "SystemTime" },
  },
  "item:inreplyto": { element: "InReplyTo", property: { propertyTag: 0x1042, propertyType: "String" } },
  "message:isreadreceiptrequested": {
    element: "IsReadReceiptRequested",
    property: { propertyTag: 0x0029, propertyType: "Boolean" },
  },
  "message:isdeliveryreceiptrequested": {
    element: "IsDeliveryReceiptRequested",
    property: { propertyTag: 0x0023, propertyType: "Boolean" },
  },
  "message:isresponserequested": {
    element: "IsResponseRequested",
    property: { propertyTag: 0x0063, propertyType: "Boolean" },
  },
  "task:completedate": {
    element: "CompleteDate",
    property: { propertySetId: TASK, propertyId: 0x810f, propertyType: "SystemTime" },
  },
  "contacts:displayname": {
    element: "DisplayName",
    property: { propertyTag: 0x3001, propertyType: "String" },
  },
  "contacts:fileas": {
    element: "FileAs",
    property: { propertySetId: ADDRESS, propertyId: 0x8005, propertyType: "String" },
  },
};

/** A stored field's value as EWS writes it (undefined: never set, the item's default applies). */
export function storedValue(data: MockItemData, uri: string): string | undefined {
  const field = STORED_FIELDS[uri];
  if (field === undefined) return undefined;
  return data.extendedProperties?.find((p) => sameProperty(p, field.property))?.values[0];
}

export function storedFlag(data: MockItemData, uri: string): boolean | undefined {
  const value = storedValue(data, uri);
  return value === undefined ? undefined : value === "true";
}

/** The stored fields a typed item element (CreateItem) carries. */
export function storedFromXml(node: XmlNode, data: MockItemData, contact: boolean): MockItemData {
  let out = data;
  for (const [uri, { element, property }] of Object.entries(STORED_FIELDS)) {
    if (uri.startsWith("contacts:") && !contact) continue;
    const raw = text(node, element);
    if (raw !== undefined) out = writeExtended(out, property, [normalizeValue(property.propertyType, raw)]);
  }
  return out;
}

/**
 * SetItemField (source given) or DeleteItemField of a stored field; undefined when `uri` is not
 * one. Bad values throw (xs:boolean: ErrorSchemaValidation; others ErrorInvalidExtendedPropertyValue).
 */
export function applyStored(
  data: MockItemData,
  uri: string,
  source: XmlNode | undefined,
): MockItemData | undefined {
  const field = STORED_FIELDS[uri.toLowerCase()];
  if (field === undefined) return undefined;
  if (source === undefined) return writeExtended(data, field.property, undefined);
  const raw = text(source, field.element) ?? (child(source, field.element) === undefined ? undefined : "");
  if (raw === undefined) return writeExtended(data, field.property, undefined);
  return writeExtended(data, field.property, [normalizeValue(field.property.propertyType, raw)]);
}
