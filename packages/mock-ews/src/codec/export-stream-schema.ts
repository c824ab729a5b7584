/*
 * The export stream's schema: which properties of MockItemData travel under which tag, with
 * which value type, in which order (the framing and value types are described at the top of
 * export-stream.ts). Adding a record here is a format change: give it a tag after its scope's
 * last one, make it optional so items without the data keep their bytes, and give it a golden
 * vector and corruption cases (test/codec/export-stream-item-level.test.ts shows how).
 *
 * Item tags: 0001 itemClass (a class listed below, or IPM.Configuration.<any name>), 0002 subject,
 * 0003 importance, 0004 sensitivity, 0005 isRead, 0006 flagStatus, 0007 category*,
 * 0008 dateTimeCreated, 0009 dateTimeSent, 000A dateTimeReceived, 000B internetMessageId?,
 * 000C from? (address), 000D to* / 000E cc* / 000F bcc* (address), 0010 calendar?, 0011 contact?,
 * 0012 task?, 0013 searchKey? (bytes, outside MockItemData), 0014 bodyType, 0015 body,
 * 0016 attachment*, 0017 itemAttachment*?, 0018 extendedProperty*?.
 * Address group: 01 name, 02 email. Attachment group: 01 name, 02 contentType, 03 contentId?,
 * 04 isInline, 05 isContactPhoto?, 06 lastModifiedTime, 07 content.
 * Calendar group: 01 start, 02 end, 03 isAllDayEvent, 04 location, 05 legacyFreeBusyStatus,
 * 06 organizer, 07 requiredAttendee*, 08 optionalAttendee*, 09 recurrence?,
 * 0A deletedOccurrences? (list of original starts), 0B modifiedOccurrence*?.
 * Recurrence group: 01 pattern, 02 interval, 03 daysOfWeek? (list), 04 dayOfMonth?, 05 month?,
 * 06 startDate, 07 numberOfOccurrences?, 08 endDate?, 09 dayOfWeekIndex? (First..Last: the
 * relative patterns, which keep their absolute `pattern`).
 * Modified-occurrence group: 01 originalStart, 02 start, 03 end, 04 subject?, 05 location?.
 * Contact group: 01 givenName, 02 surname, 03 companyName, 04 jobTitle, 05 emailAddress*,
 * 06 businessPhone?, 07 mobilePhone?, 08 phoneNumber*? (entry: 01 key, 02 number),
 * 09 physicalAddress*? (entry: 01 key, 02 group: 01 street?, 02 city?, 03 state?,
 * 04 countryOrRegion?, 05 postalCode?); entries in ascending key order (UTF-16 code units),
 * each key once. Task group: 01 status, 02 percentComplete, 03 startDate?, 04 dueDate?.
 * Item-attachment group: 01 name, 02 isInline, 03 lastModifiedTime, 04 item (the embedded item's
 * own records, the item tags above without 0013, nested at most 10 items deep).
 * Extended-property group: 01 propertyTag? (num), 02 propertySetId? (lower-case GUID),
 * 03 propertyId? (num), 04 propertyName?, 05 propertyType (EWS MapiPropertyTypeType),
 * 06 values (list, the values as EWS writes them); a tag alone, or a set with exactly one of
 * id and name.
 *
 * `*?` marks a repeated property that is absent when it has no records: an empty list (or map)
 * and an absent one encode alike, as no client can tell them apart. These item-level records
 * (0017, 0018, calendar 0A/0B, recurrence 09, contact 08/09) appear only on items that have
 * the data, so the stream of every other item is byte-for-byte what it was before they existed.
 */
import { MAPI_PROPERTY_TYPES, MOCK_ASSOCIATED_ITEM_CLASSES, type MockItemData } from "../model.js";

export const SEARCH_KEY_TAG = 0x13;

export type ValueType = "str" | "bool" | "num" | "bytes" | "list" | "group";

export interface Field {
  readonly tag: number;
  readonly key: string;
  readonly type: ValueType;
  /**
   * An array: zero or more records with this tag. Required (always an array on decode) unless
   * also `optional`: then no records decode as an absent property, so an empty list and an
   * absent one (which no client can tell apart) encode alike.
   */
  readonly repeated?: boolean;
  readonly optional?: boolean;
  /**
   * A string-keyed map (Record), optional: one group record per entry, `scope` holding a
   * 01 key (str) and 02 value, in ascending key order (deterministic; the decoder rejects any
   * other order, which also rejects a repeated key). An empty map encodes as an absent one.
   */
  readonly map?: boolean;
  readonly values?: readonly string[];
  /**
   * With `values`: a string also passes when it is one of these prefixes followed by at least one
   * character. The item class takes any IPM.Configuration.<name>: every configuration object is
   * an FAI of that class, whatever its name (store/configuration-items.ts).
   */
  readonly valuePrefixes?: readonly string[];
  readonly scope?: Scope;
  /** Group only: converts the model value to the group's record object and back. */
  readonly adapt?: Adapter;
  /** Group only: a cross-field rule the decoder enforces (returns what is wrong, or undefined). */
  readonly check?: (record: Record<string, unknown>) => string | undefined;
}

export interface Adapter {
  toRecord(value: unknown): Record<string, unknown>;
  fromRecord(record: Record<string, unknown>): unknown;
}

export type Scope = readonly Field[];

/** Whether a string may be the value of `field` (its `values`, or a value with one of its `valuePrefixes`). */
export function isAllowedValue(field: Field, value: string): boolean {
  if (field.values === undefined || field.values.includes(value)) return true;
  return (field.valuePrefixes ?? []).some(
    (prefix) => value.length > prefix.length && value.startsWith(prefix),
  );
}

const ADDRESS: Scope = [
  { tag: 1, key: "name", type: "str" },
  { tag: 2, key: "email", type: "str" },
];

const ATTACHMENT: Scope = [
  { tag: 1, key: "name", type: "str" },
  { tag: 2, key: "contentType", type: "str" },
  { tag: 3, key: "contentId", type: "str", optional: true },
  { tag: 4, key: "isInline", type: "bool" },
  { tag: 5, key: "isContactPhoto", type: "bool", optional: true },
  { tag: 6, key: "lastModifiedTime", type: "str" },
  { tag: 7, key: "content", type: "bytes" },
];

const RECURRENCE: Scope = [
  { tag: 1, key: "pattern", type: "str", values: ["Daily", "Weekly", "AbsoluteMonthly", "AbsoluteYearly"] },
  { tag: 2, key: "interval", type: "num" },
  { tag: 3, key: "daysOfWeek", type: "list", optional: true },
  { tag: 4, key: "dayOfMonth", type: "num", optional: true },
  { tag: 5, key: "month", type: "str", optional: true },
  { tag: 6, key: "startDate", type: "str" },
  { tag: 7, key: "numberOfOccurrences", type: "num", optional: true },
  { tag: 8, key: "endDate", type: "str", optional: true },
  {
    tag: 9,
    key: "dayOfWeekIndex",
    type: "str",
    optional: true,
    values: ["First", "Second", "Third", "Fourth", "Last"],
  },
];

const OCCURRENCE_EXCEPTION: Scope = [
  { tag: 1, key: "originalStart", type: "str" },
  { tag: 2, key: "start", type: "str" },
  { tag: 3, key: "end", type: "str" },
  { tag: 4, key: "subject", type: "str", optional: true },
  { tag: 5, key: "location", type: "str", optional: true },
];

const PHYSICAL_ADDRESS: Scope = [
  { tag: 1, key: "street", type: "str", optional: true },
  { tag: 2, key: "city", type: "str", optional: true },
  { tag: 3, key: "state", type: "str", optional: true },
  { tag: 4, key: "countryOrRegion", type: "str", optional: true },
  { tag: 5, key: "postalCode", type: "str", optional: true },
];

const PHONE_NUMBER_ENTRY: Scope = [
  { tag: 1, key: "key", type: "str" },
  { tag: 2, key: "value", type: "str" },
];

const PHYSICAL_ADDRESS_ENTRY: Scope = [
  { tag: 1, key: "key", type: "str" },
  { tag: 2, key: "value", type: "group", scope: PHYSICAL_ADDRESS },
];

function isUint(value: unknown, max: number): boolean {
  return (
    value === undefined || (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max)
  );
}

/** The addressing rules of MockExtendedProperty: a tag alone, or a set with an id or a name. */
function checkExtendedProperty(p: Record<string, unknown>): string | undefined {
  if (!isUint(p.propertyTag, 0xffff) || !isUint(p.propertyId, 0xffffffff)) return "has a bad tag or id";
  const bySet = p.propertySetId !== undefined;
  if (p.propertyTag !== undefined)
    return bySet || p.propertyId !== undefined || p.propertyName !== undefined
      ? "mixes a tag with a set"
      : undefined;
  if (!bySet) return "has neither a tag nor a property set";
  return (p.propertyId === undefined) === (p.propertyName === undefined)
    ? "needs exactly one of id and name"
    : undefined;
}

const EXTENDED_PROPERTY: Scope = [
  { tag: 1, key: "propertyTag", type: "num", optional: true },
  { tag: 2, key: "propertySetId", type: "str", optional: true },
  { tag: 3, key: "propertyId", type: "num", optional: true },
  { tag: 4, key: "propertyName", type: "str", optional: true },
  { tag: 5, key: "propertyType", type: "str", values: MAPI_PROPERTY_TYPES },
  { tag: 6, key: "values", type: "list" },
];

const CALENDAR: Scope = [
  { tag: 1, key: "start", type: "str" },
  { tag: 2, key: "end", type: "str" },
  { tag: 3, key: "isAllDayEvent", type: "bool" },
  { tag: 4, key: "location", type: "str" },
  { tag: 5, key: "legacyFreeBusyStatus", type: "str", values: ["Free", "Tentative", "Busy", "OOF"] },
  { tag: 6, key: "organizer", type: "group", scope: ADDRESS },
  { tag: 7, key: "requiredAttendees", type: "group", scope: ADDRESS, repeated: true },
  { tag: 8, key: "optionalAttendees", type: "group", scope: ADDRESS, repeated: true },
  { tag: 9, key: "recurrence", type: "group", scope: RECURRENCE, optional: true },
  { tag: 0x0a, key: "deletedOccurrences", type: "list", optional: true },
  {
    tag: 0x0b,
    key: "modifiedOccurrences",
    type: "group",
    scope: OCCURRENCE_EXCEPTION,
    repeated: true,
    optional: true,
  },
];

const CONTACT: Scope = [
  { tag: 1, key: "givenName", type: "str" },
  { tag: 2, key: "surname", type: "str" },
  { tag: 3, key: "companyName", type: "str" },
  { tag: 4, key: "jobTitle", type: "str" },
  { tag: 5, key: "emailAddresses", type: "str", repeated: true },
  { tag: 6, key: "businessPhone", type: "str", optional: true },
  { tag: 7, key: "mobilePhone", type: "str", optional: true },
  { tag: 8, key: "phoneNumbers", type: "group", scope: PHONE_NUMBER_ENTRY, map: true },
  { tag: 9, key: "physicalAddresses", type: "group", scope: PHYSICAL_ADDRESS_ENTRY, map: true },
];

const TASK: Scope = [
  {
    tag: 1,
    key: "status",
    type: "str",
    values: ["NotStarted", "InProgress", "Completed", "WaitingOnOthers", "Deferred"],
  },
  { tag: 2, key: "percentComplete", type: "num" },
  { tag: 3, key: "startDate", type: "str", optional: true },
  { tag: 4, key: "dueDate", type: "str", optional: true },
];

export const ITEM: Scope = [
  {
    tag: 0x01,
    key: "itemClass",
    type: "str",
    values: [
      "IPM.Note",
      "IPM.Appointment",
      "IPM.Contact",
      "IPM.Task",
      "IPM.StickyNote",
      "IPM.Post",
      ...MOCK_ASSOCIATED_ITEM_CLASSES,
    ],
    valuePrefixes: ["IPM.Configuration."],
  },
  { tag: 0x02, key: "subject", type: "str" },
  { tag: 0x03, key: "importance", type: "str", values: ["Low", "Normal", "High"] },
  {
    tag: 0x04,
    key: "sensitivity",
    type: "str",
    values: ["Normal", "Personal", "Private", "Confidential"],
  },
  { tag: 0x05, key: "isRead", type: "bool" },
  { tag: 0x06, key: "flagStatus", type: "str", values: ["NotFlagged", "Flagged", "Complete"] },
  { tag: 0x07, key: "categories", type: "str", repeated: true },
  { tag: 0x08, key: "dateTimeCreated", type: "str" },
  { tag: 0x09, key: "dateTimeSent", type: "str" },
  { tag: 0x0a, key: "dateTimeReceived", type: "str" },
  { tag: 0x0b, key: "internetMessageId", type: "str", optional: true },
  { tag: 0x0c, key: "from", type: "group", scope: ADDRESS, optional: true },
  { tag: 0x0d, key: "toRecipients", type: "group", scope: ADDRESS, repeated: true },
  { tag: 0x0e, key: "ccRecipients", type: "group", scope: ADDRESS, repeated: true },
  { tag: 0x0f, key: "bccRecipients", type: "group", scope: ADDRESS, repeated: true },
  { tag: 0x10, key: "calendar", type: "group", scope: CALENDAR, optional: true },
  { tag: 0x11, key: "contact", type: "group", scope: CONTACT, optional: true },
  { tag: 0x12, key: "task", type: "group", scope: TASK, optional: true },
  { tag: SEARCH_KEY_TAG, key: "searchKey", type: "bytes", optional: true },
  { tag: 0x14, key: "bodyType", type: "str", values: ["Text", "HTML"] },
  { tag: 0x15, key: "body", type: "str" },
  { tag: 0x16, key: "attachments", type: "group", scope: ATTACHMENT, repeated: true },
  {
    tag: 0x17,
    key: "itemAttachments",
    type: "group",
    get scope() {
      return ITEM_ATTACHMENT;
    },
    repeated: true,
    optional: true,
  },
  {
    tag: 0x18,
    key: "extendedProperties",
    type: "group",
    scope: EXTENDED_PROPERTY,
    repeated: true,
    optional: true,
    check: checkExtendedProperty,
  },
];

/** How deep item attachments may nest (the limit CreateItem enforces, as Exchange does). */
export const MAX_EMBEDDED_DEPTH = 10;

/** The body travels as two top-level properties (bodyType, body) rather than one group. */
export const ITEM_ADAPTER: Adapter = {
  toRecord(value) {
    const item = value as MockItemData;
    return { ...item, bodyType: item.body?.bodyType, body: item.body?.content };
  },
  fromRecord(record) {
    const { bodyType, body, ...rest } = record;
    return { ...rest, body: { bodyType, content: body } };
  },
};

/** An item inside an item attachment: the item's own records, without the stream-only searchKey. */
const EMBEDDED_ITEM: Scope = ITEM.filter((field) => field.tag !== SEARCH_KEY_TAG);

const ITEM_ATTACHMENT: Scope = [
  { tag: 1, key: "name", type: "str" },
  { tag: 2, key: "isInline", type: "bool" },
  { tag: 3, key: "lastModifiedTime", type: "str" },
  { tag: 4, key: "item", type: "group", scope: EMBEDDED_ITEM, adapt: ITEM_ADAPTER },
];
