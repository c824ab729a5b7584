/*
 * The mock's ExportItems / UploadItems data: a private property stream, opaque to clients the way
 * Exchange's own fast-transfer stream is. It is built so that a content-defined chunker
 * deduplicates well across exports:
 *
 *   - deterministic: the bytes are a pure function of the item (no clock, no random, no map order);
 *   - local: every property is its own record, in a fixed canonical order, and attachment content
 *     sits in place inside its record, so changing one property changes only that record (and,
 *     for a property inside a group such as an attachment, the group's length and checksum),
 *     never the rest of the stream. There is deliberately no whole-stream checksum or count:
 *     it would make every change touch the stream's end too.
 *
 * Layout (all integers big-endian):
 *
 *   stream  = magic version flags top-record* end
 *   magic   = "MEXS" (4D 45 58 53)
 *   version = u8, currently 1; flags = u8, must be 0
 *   top-record = tag:u16 length:u32 crc:u32 value[length]   (crc = CRC-32/IEEE of value)
 *   record  = tag:u16 length:u32 value[length]               (inside groups, covered by the
 *                                                              enclosing top-level crc)
 *   end     = FF FF 00 00 00 00 (tag FFFF, length 0)
 *
 * Nothing may follow the end record. Records appear in ascending tag order; a repeated property
 * (a recipient, a category, an attachment) is a run of records with the same tag, in list order.
 * Absent optional properties have no record. Value types, fixed per tag:
 *
 *   str   UTF-8 (validated on decode)        bool  one byte, 0 or 1
 *   num   finite IEEE 754 float64            bytes raw octets
 *   list  (u32 length, UTF-8)*  (an optional string list, where "empty" differs from "absent")
 *   group nested records in the same framing, ascending tags, no end record
 *
 * Item tags: 0001 itemClass, 0002 subject, 0003 importance, 0004 sensitivity, 0005 isRead,
 * 0006 flagStatus, 0007 category*, 0008 dateTimeCreated, 0009 dateTimeSent, 000A dateTimeReceived,
 * 000B internetMessageId?, 000C from? (address), 000D to* / 000E cc* / 000F bcc* (address),
 * 0010 calendar?, 0011 contact?, 0012 task?, 0013 searchKey? (bytes, outside MockItemData),
 * 0014 bodyType, 0015 body, 0016 attachment*, 0017 itemAttachment*?, 0018 extendedProperty*?.
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
 *
 * The decoder rejects, with ExportStreamError (code CORRUPT_EXPORT_STREAM), anything else: bad
 * magic, unknown version or flags, unknown or out-of-order tags, repeated singletons, missing
 * required properties, lengths past the end, invalid UTF-8, values outside an enum, a checksum
 * mismatch, a missing end record and trailing bytes; also map entries out of key order or
 * repeated, an extended property addressed both or neither way, and item attachments nested
 * deeper than 10.
 */
import { crc32 } from "node:zlib";
import type { MockItemData } from "../model.js";
import { ExportStreamError } from "./errors.js";

export { ExportStreamError } from "./errors.js";

const MAGIC = [0x4d, 0x45, 0x58, 0x53] as const;
const VERSION = 1;
const HEADER_BYTES = 6;
const RECORD_HEADER_BYTES = 6;
const TOP_RECORD_HEADER_BYTES = 10;
const END_RECORD = [0xff, 0xff, 0, 0, 0, 0] as const;
const SEARCH_KEY_TAG = 0x13;

type ValueType = "str" | "bool" | "num" | "bytes" | "list" | "group";

interface Field {
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
  readonly scope?: Scope;
  /** Group only: converts the model value to the group's record object and back. */
  readonly adapt?: Adapter;
  /** Group only: a cross-field rule the decoder enforces (returns what is wrong, or undefined). */
  readonly check?: (record: Record<string, unknown>) => string | undefined;
}

interface Adapter {
  toRecord(value: unknown): Record<string, unknown>;
  fromRecord(record: Record<string, unknown>): unknown;
}

type Scope = readonly Field[];

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

/** EWS MapiPropertyTypeType. */
const MAPI_PROPERTY_TYPES = [
  "ApplicationTime",
  "ApplicationTimeArray",
  "Binary",
  "BinaryArray",
  "Boolean",
  "CLSID",
  "CLSIDArray",
  "Currency",
  "CurrencyArray",
  "Double",
  "DoubleArray",
  "Error",
  "Float",
  "FloatArray",
  "Integer",
  "IntegerArray",
  "Long",
  "LongArray",
  "Null",
  "Object",
  "ObjectArray",
  "Short",
  "ShortArray",
  "SystemTime",
  "SystemTimeArray",
  "String",
  "StringArray",
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

const ITEM: Scope = [
  {
    tag: 0x01,
    key: "itemClass",
    type: "str",
    values: ["IPM.Note", "IPM.Appointment", "IPM.Contact", "IPM.Task", "IPM.StickyNote", "IPM.Post"],
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
const MAX_EMBEDDED_DEPTH = 10;

/** The body travels as two top-level properties (bodyType, body) rather than one group. */
const ITEM_ADAPTER: Adapter = {
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

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------
// Encoding
//
// The encoder writes straight into one reusable scratch buffer: headers go in place and get their
// length (and, at the top level, checksum) patched once the value is written, strings are encoded
// into the buffer itself, and the result is one exact-size copy. Building a list of small arrays
// and gathering them cost more than the encoding. Large byte values (attachment content, mostly
// the same few pool files) keep their CRC in a cache, so their bytes are copied but not summed
// again: the record's CRC is continued past them arithmetically (see crcShift).

/** Byte values this large keep their CRC across calls (smaller ones are summed every time). */
const CRC_CACHE_MIN_BYTES = 64 * 1024;
/** Scratch buffers above this are dropped after the call rather than kept for the next one. */
const SCRATCH_KEEP_BYTES = 8 * 1024 * 1024;

class StreamWriter {
  buffer: Uint8Array;
  view: DataView;
  at = 0;
  /** Running CRC of the current top-level value up to crcFrom (summed lazily). */
  crc = 0;
  crcFrom = 0;
  /** Open nested records whose headers are patched later: their bytes cannot be summed yet. */
  openNested = 0;

  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  reserve(bytes: number): void {
    const needed = this.at + bytes;
    if (needed <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.at));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  bytes(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.at);
    this.at += value.length;
  }

  utf8(value: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 for 2 units).
    this.reserve(value.length * 3);
    this.at += utf8.encodeInto(value, this.buffer.subarray(this.at)).written;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.at, value);
    this.at += 4;
  }

  /** Sums the bytes written since crcFrom into the running CRC. */
  foldCrc(): void {
    if (this.at > this.crcFrom) this.crc = crc32(this.buffer.subarray(this.crcFrom, this.at), this.crc);
    this.crcFrom = this.at;
  }
}

let scratch: Uint8Array = new Uint8Array(256 * 1024);

const crcCache = new WeakMap<Uint8Array, number>();

function cachedCrc(value: Uint8Array): number {
  let crc = crcCache.get(value);
  if (crc === undefined) {
    crc = crc32(value);
    crcCache.set(value, crc);
  }
  return crc;
}

// CRC-32 is affine in its input, so crc(A || B) = shift(crc(A), |B|) ^ crc(B), where shift is
// the linear map "feed |B| zero bytes through the register without the pre/post inversion".
// Each map is a 32x32 matrix over GF(2), kept as 32 column words; the one for 2^k zero bits is
// the square of the one for 2^(k-1), so any length costs a few dozen matrix products.
const CRC_POLY = 0xedb88320;

function gf2Apply(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i]!;
  return sum >>> 0;
}

function gf2Square(matrix: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let i = 0; i < 32; i++) out[i] = gf2Apply(matrix, matrix[i]!);
  return out;
}

/** shiftByBit[k]: the register advanced by 2^k zero bits. */
const shiftByBit: Uint32Array[] = (() => {
  const one = new Uint32Array(32);
  one[0] = CRC_POLY;
  for (let i = 1; i < 32; i++) one[i] = (1 << (i - 1)) >>> 0;
  const table: Uint32Array[] = [one];
  for (let k = 1; k < 48; k++) table.push(gf2Square(table[k - 1]!));
  return table;
})();

function crcShift(crc: number, bytes: number): number {
  let bits = bytes * 8;
  let value = crc >>> 0;
  for (let k = 0; bits > 0; k++, bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) value = gf2Apply(shiftByBit[k]!, value);
  }
  return value;
}

function writeValue(field: Field, value: unknown, out: StreamWriter, path: string): void {
  switch (field.type) {
    case "str": {
      if (typeof value !== "string") throw new TypeError(`${path} must be a string`);
      if (field.values && !field.values.includes(value)) {
        throw new TypeError(`${path} must be one of ${field.values.join(", ")}`);
      }
      out.utf8(value);
      break;
    }
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`${path} must be a boolean`);
      out.reserve(1);
      out.buffer[out.at++] = value ? 1 : 0;
      break;
    case "num": {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new TypeError(`${path} must be a finite number`);
      }
      out.reserve(8);
      out.view.setFloat64(out.at, value);
      out.at += 8;
      break;
    }
    case "bytes":
      if (!(value instanceof Uint8Array)) throw new TypeError(`${path} must be a Uint8Array`);
      if (value.length >= CRC_CACHE_MIN_BYTES && out.openNested === 0) {
        out.foldCrc();
        out.bytes(value);
        out.crc = (crcShift(out.crc, value.length) ^ cachedCrc(value)) >>> 0;
        out.crcFrom = out.at;
      } else {
        out.bytes(value);
      }
      break;
    case "list": {
      if (!Array.isArray(value)) throw new TypeError(`${path} must be an array of strings`);
      for (const entry of value) {
        if (typeof entry !== "string") throw new TypeError(`${path} must be an array of strings`);
        const lengthAt = out.at;
        out.u32(0);
        out.utf8(entry);
        out.view.setUint32(lengthAt, out.at - lengthAt - 4);
      }
      break;
    }
    case "group": {
      if (typeof value !== "object" || value === null) throw new TypeError(`${path} must be an object`);
      // The encoder refuses what the decoder would reject, so every stream it writes reads back.
      const problem = field.check?.(value as Record<string, unknown>);
      if (problem !== undefined) throw new TypeError(`${path} ${problem}`);
      if (field.adapt === undefined) {
        writeScope(field.scope!, value as Record<string, unknown>, out, path, false);
        break;
      }
      if (encodeDepth >= MAX_EMBEDDED_DEPTH) throw new TypeError(`${path}: item attachments nest too deeply`);
      encodeDepth++;
      try {
        writeScope(field.scope!, field.adapt.toRecord(value), out, path, false);
      } finally {
        encodeDepth--;
      }
      break;
    }
  }
}

/** How many embedded items enclose the one being written. */
let encodeDepth = 0;

function writeRecord(field: Field, value: unknown, out: StreamWriter, path: string, checked: boolean): void {
  const headerAt = out.at;
  out.reserve(checked ? TOP_RECORD_HEADER_BYTES : RECORD_HEADER_BYTES);
  out.view.setUint16(headerAt, field.tag);
  if (checked) {
    out.at += TOP_RECORD_HEADER_BYTES;
    out.crc = 0;
    out.crcFrom = out.at;
  } else if (field.type === "bytes" && value instanceof Uint8Array) {
    // Known length: the header is final now, so a cached CRC may be continued past the value.
    out.view.setUint32(headerAt + 2, value.length);
    out.at += RECORD_HEADER_BYTES;
    writeValue(field, value, out, path);
    return;
  } else {
    out.at += RECORD_HEADER_BYTES;
    out.openNested++;
  }
  const valueAt = out.at;
  writeValue(field, value, out, path);
  const length = out.at - valueAt;
  if (length > 0xffffffff) throw new TypeError(`export stream record ${field.tag} is larger than 4 GiB`);
  out.view.setUint32(headerAt + 2, length);
  if (checked) {
    out.foldCrc();
    out.view.setUint32(headerAt + 6, length === 0 ? 0 : out.crc);
  } else {
    out.openNested--;
  }
}

function writeScope(
  scope: Scope,
  object: Record<string, unknown>,
  out: StreamWriter,
  path: string,
  checked: boolean,
): void {
  for (const field of scope) {
    const value = object[field.key];
    if (field.map) {
      if (value === undefined) continue;
      if (typeof value !== "object" || value === null)
        throw new TypeError(`${path}.${field.key} must be an object`);
      // Code-unit order, not localeCompare: the bytes must not depend on the platform's locale.
      const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const key of keys) {
        const entry = { key, value: (value as Record<string, unknown>)[key] };
        writeRecord(field, entry, out, `${path}.${field.key}[${key}]`, checked);
      }
    } else if (field.repeated) {
      if (value === undefined && field.optional) continue;
      if (!Array.isArray(value)) throw new TypeError(`${path}.${field.key} must be an array`);
      for (let index = 0; index < value.length; index++) {
        writeRecord(field, value[index], out, `${path}.${field.key}[${index}]`, checked);
      }
    } else if (value === undefined) {
      if (!field.optional) throw new TypeError(`${path}.${field.key} is required`);
    } else {
      writeRecord(field, value, out, `${path}.${field.key}`, checked);
    }
  }
}

/**
 * Encodes one item as the mock's export stream. Pure and deterministic: equal items give equal
 * bytes. MUST throw TypeError when the item does not match MockItemData (missing required
 * property, wrong type, value outside an enum).
 */
export function encodeExportStream(item: MockItemData, extra?: { searchKey?: Uint8Array }): Uint8Array {
  const object = ITEM_ADAPTER.toRecord(item);
  object.searchKey = extra?.searchKey;
  const out = new StreamWriter(scratch);
  out.bytes(Uint8Array.from(MAGIC));
  out.reserve(2);
  out.buffer[out.at++] = VERSION;
  out.buffer[out.at++] = 0;
  writeScope(ITEM, object, out, "item", true);
  out.bytes(Uint8Array.from(END_RECORD));
  if (out.buffer.length <= SCRATCH_KEEP_BYTES) scratch = out.buffer;
  return out.buffer.slice(0, out.at);
}

// ---------------------------------------------------------------------------------------------
// Decoding

function corrupt(message: string): never {
  throw new ExportStreamError(message);
}

function decodeValue(field: Field, bytes: Uint8Array, start: number, end: number, path: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = end - start;
  switch (field.type) {
    case "str": {
      let text: string;
      try {
        text = strictUtf8.decode(bytes.subarray(start, end));
      } catch (error) {
        throw new ExportStreamError(`${path} is not valid UTF-8`, { cause: error });
      }
      if (field.values && !field.values.includes(text)) corrupt(`${path} has an unknown value`);
      return text;
    }
    case "bool":
      if (length !== 1) corrupt(`${path} has length ${length}, expected 1`);
      if (bytes[start]! > 1) corrupt(`${path} is not 0 or 1`);
      return bytes[start] === 1;
    case "num":
      if (length !== 8) corrupt(`${path} has length ${length}, expected 8`);
      {
        const value = view.getFloat64(start);
        if (!Number.isFinite(value)) corrupt(`${path} is not a finite number`);
        return value;
      }
    case "bytes":
      return bytes.slice(start, end);
    case "list": {
      const list: string[] = [];
      let offset = start;
      while (offset < end) {
        if (end - offset < 4) corrupt(`${path} list entry is truncated`);
        const entryLength = view.getUint32(offset);
        offset += 4;
        if (entryLength > end - offset) corrupt(`${path} list entry runs past its record`);
        list.push(
          decodeValue({ ...field, type: "str" }, bytes, offset, offset + entryLength, path) as string,
        );
        offset += entryLength;
      }
      return list;
    }
    case "group": {
      if (field.adapt === undefined)
        return enforceCheck(field, decodeScope(field.scope!, bytes, start, end, path, false), path);
      // Only embedded items adapt: bound their nesting before recursing into one.
      if (embeddedDepth >= MAX_EMBEDDED_DEPTH) corrupt(`${path}: item attachments nest too deeply`);
      embeddedDepth++;
      try {
        return field.adapt.fromRecord(decodeScope(field.scope!, bytes, start, end, path, false));
      } finally {
        embeddedDepth--;
      }
    }
  }
}

let embeddedDepth = 0;

function enforceCheck(field: Field, record: Record<string, unknown>, path: string): Record<string, unknown> {
  const problem = field.check?.(record);
  if (problem !== undefined) corrupt(`${path} ${problem}`);
  return record;
}

function decodeScope(
  scope: Scope,
  bytes: Uint8Array,
  start: number,
  end: number,
  path: string,
  checked: boolean,
): Record<string, unknown> {
  const headerBytes = checked ? TOP_RECORD_HEADER_BYTES : RECORD_HEADER_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const result: Record<string, unknown> = {};
  for (const field of scope) if (field.repeated && !field.optional) result[field.key] = [];
  const lastMapKey = new Map<string, string>();
  let fieldIndex = 0;
  let lastTag = -1;
  let offset = start;
  while (offset < end) {
    if (end - offset < headerBytes) corrupt(`${path}: truncated record header at ${offset}`);
    const tag = view.getUint16(offset);
    const length = view.getUint32(offset + 2);
    const valueStart = offset + headerBytes;
    if (length > end - valueStart) corrupt(`${path}: record ${tag} at ${offset} runs past the end`);
    if (
      checked &&
      view.getUint32(offset + 6) !==
        (length === 0 ? 0 : crc32(bytes.subarray(valueStart, valueStart + length)))
    ) {
      corrupt(`${path}: record ${tag} at ${offset} fails its checksum`);
    }
    if (tag < lastTag) corrupt(`${path}: tag ${tag} at ${offset} is out of order`);
    while (fieldIndex < scope.length && scope[fieldIndex]!.tag < tag) fieldIndex++;
    const field = scope[fieldIndex];
    if (!field || field.tag !== tag) corrupt(`${path}: unknown tag ${tag} at ${offset}`);
    if (tag === lastTag && !field.repeated && !field.map) corrupt(`${path}.${field.key} appears twice`);
    const value = decodeValue(field, bytes, valueStart, valueStart + length, `${path}.${field.key}`);
    if (field.map) {
      const entry = value as { key: string; value: unknown };
      if (result[field.key] === undefined) result[field.key] = {};
      const map = result[field.key] as Record<string, unknown>;
      // Tracked apart from the map: Object.keys lists integer-like keys first, not in insertion order.
      const previous = lastMapKey.get(field.key);
      if (previous !== undefined && !(previous < entry.key))
        corrupt(`${path}.${field.key} keys are not ascending`);
      lastMapKey.set(field.key, entry.key);
      // defineProperty: a key such as "__proto__" stays an own entry rather than a prototype.
      Object.defineProperty(map, entry.key, {
        value: entry.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (field.repeated) {
      if (result[field.key] === undefined) result[field.key] = [];
      (result[field.key] as unknown[]).push(value);
    } else result[field.key] = value;
    lastTag = tag;
    offset = valueStart + length;
  }
  for (const field of scope) {
    if (!field.repeated && !field.optional && !field.map && !(field.key in result)) {
      corrupt(`${path}.${field.key} is missing`);
    }
  }
  return result;
}

/**
 * Decodes a stream made by encodeExportStream. MUST throw ExportStreamError (code
 * CORRUPT_EXPORT_STREAM) for any input that is not exactly such a stream; it never returns a
 * partially decoded or guessed item.
 */
export function decodeExportStream(bytes: Uint8Array): { item: MockItemData; searchKey?: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("decodeExportStream expects a Uint8Array");
  try {
    return decodeUnchecked(bytes);
  } catch (error) {
    if (error instanceof ExportStreamError) throw error;
    throw new ExportStreamError("export stream could not be decoded", { cause: error });
  }
}

function decodeUnchecked(bytes: Uint8Array): { item: MockItemData; searchKey?: Uint8Array } {
  if (bytes.length < HEADER_BYTES + END_RECORD.length) corrupt("export stream is truncated");
  if (MAGIC.some((byte, index) => bytes[index] !== byte)) corrupt("export stream has a bad magic number");
  if (bytes[4] !== VERSION) corrupt(`unsupported export stream version ${bytes[4]}`);
  if (bytes[5] !== 0) corrupt("export stream has unknown flags");
  const endOffset = bytes.length - END_RECORD.length;
  if (END_RECORD.some((byte, index) => bytes[endOffset + index] !== byte)) {
    corrupt("export stream has no end record (truncated or trailing bytes)");
  }
  embeddedDepth = 0;
  const { searchKey, ...fields } = decodeScope(ITEM, bytes, HEADER_BYTES, endOffset, "item", true);
  const item = ITEM_ADAPTER.fromRecord(fields) as MockItemData;
  return searchKey === undefined ? { item } : { item, searchKey: searchKey as Uint8Array };
}
