// The export stream's records for the item-level data clients create (item attachments, extended
// properties, contact indexed entries, series exceptions and deleted occurrences, relative
// patterns): lossless round trips, a golden vector per record spelled out from the README's
// layout, and strict rejection of each record's malformed forms.
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeExportStream, ExportStreamError, encodeExportStream } from "../../src/codec/index.js";
import type { MockItemData } from "../../src/model.js";

function baseItem(overrides: Partial<MockItemData> = {}): MockItemData {
  return {
    itemClass: "IPM.Note",
    subject: "s",
    body: { bodyType: "Text", content: "b" },
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: "2024-01-01T00:00:00Z",
    dateTimeSent: "2024-01-01T00:00:00Z",
    dateTimeCreated: "2024-01-01T00:00:00Z",
    importance: "Normal",
    sensitivity: "Normal",
    categories: [],
    isRead: true,
    flagStatus: "NotFlagged",
    attachments: [],
    ...overrides,
  };
}

const CALENDAR_BASE = {
  start: "2024-03-04T09:00:00Z",
  end: "2024-03-04T10:00:00Z",
  isAllDayEvent: false,
  location: "",
  organizer: { name: "O", email: "o@contoso.test" },
  requiredAttendees: [],
  optionalAttendees: [],
  legacyFreeBusyStatus: "Busy" as const,
};

const CONTACT_BASE = { givenName: "G", surname: "S", companyName: "", jobTitle: "", emailAddresses: [] };

/** An item using every item-level field, nested two attachments deep. */
function itemLevelItem(): MockItemData {
  const contact = baseItem({
    itemClass: "IPM.Contact",
    subject: "Contact",
    contact: {
      ...CONTACT_BASE,
      emailAddresses: ["a@x.test", "b@x.test", "c@x.test"],
      businessPhone: "+1 1",
      phoneNumbers: { HomePhone: "+1 2", BusinessFax: "+1 3", Pager: "", "10": "numeric-looking key" },
      physicalAddresses: {
        Home: { street: "1 Main St", city: "Springfield", postalCode: "12345" },
        Business: { countryOrRegion: "DE" },
        Other: {},
      },
    },
    extendedProperties: [{ propertyTag: 0x3a45, propertyType: "String", values: ["Dr."] }],
  });
  const series = baseItem({
    itemClass: "IPM.Appointment",
    subject: "Series",
    calendar: {
      ...CALENDAR_BASE,
      recurrence: {
        pattern: "AbsoluteMonthly",
        interval: 1,
        daysOfWeek: ["Weekday"],
        dayOfWeekIndex: "Last",
        startDate: "2024-03-04",
        numberOfOccurrences: 6,
      },
      deletedOccurrences: ["2024-04-30T09:00:00Z"],
      modifiedOccurrences: [
        {
          originalStart: "2024-05-31T09:00:00Z",
          start: "2024-05-30T11:00:00Z",
          end: "2024-05-30T12:00:00Z",
          subject: "Moved",
          location: "Room 2",
        },
        { originalStart: "2024-06-28T09:00:00Z", start: "2024-06-28T10:00:00Z", end: "2024-06-28T11:00:00Z" },
      ],
    },
    itemAttachments: [
      { name: "card", isInline: false, lastModifiedTime: "2024-01-02T00:00:00Z", item: contact },
    ],
  });
  return baseItem({
    subject: "Top",
    attachments: [
      {
        name: "a.bin",
        contentType: "application/octet-stream",
        isInline: false,
        lastModifiedTime: "2024-01-01T00:00:00Z",
        content: new Uint8Array([1, 2, 3]),
      },
    ],
    itemAttachments: [
      { name: "meeting", isInline: true, lastModifiedTime: "2024-01-03T00:00:00Z", item: series },
      { name: "empty note", isInline: false, lastModifiedTime: "2024-01-04T00:00:00Z", item: baseItem() },
    ],
    extendedProperties: [
      { propertyTag: 0x0029, propertyType: "Boolean", values: ["true"] },
      {
        propertySetId: "00062008-0000-0000-c000-000000000046",
        propertyId: 0x8501,
        propertyType: "Integer",
        values: ["30"],
      },
      {
        propertySetId: "00020329-0000-0000-c000-000000000046",
        propertyName: "Custom ✓",
        propertyType: "StringArray",
        values: ["one", "", "three"],
      },
      { propertyTag: 0x6701, propertyType: "BinaryArray", values: [] },
    ],
  });
}

// Spelled-out framing (README, "Export stream"): nested records are tag:u16 length:u32 value.
const utf8 = (text: string) => Buffer.from(text, "utf8");
function rec(tag: number, value: Uint8Array): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16BE(tag, 0);
  header.writeUInt32BE(value.length, 2);
  return Buffer.concat([header, value]);
}
const str = (tag: number, text: string) => rec(tag, utf8(text));
const num = (tag: number, value: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return rec(tag, b);
};
const bool = (tag: number, value: boolean) => rec(tag, Buffer.from([value ? 1 : 0]));
const list = (tag: number, entries: readonly string[]) =>
  rec(
    tag,
    Buffer.concat(
      entries.map((e) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(utf8(e).length);
        return Buffer.concat([length, utf8(e)]);
      }),
    ),
  );
const group = (tag: number, ...records: Buffer[]) => rec(tag, Buffer.concat(records));

interface RawRecord {
  tag: number;
  value: Uint8Array;
}

function parseRecords(bytes: Uint8Array, start: number, end: number, headerBytes: number): RawRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RawRecord[] = [];
  for (let offset = start; offset < end; ) {
    const length = view.getUint32(offset + 2);
    records.push({
      tag: view.getUint16(offset),
      value: bytes.slice(offset + headerBytes, offset + headerBytes + length),
    });
    offset += headerBytes + length;
  }
  return records;
}

const topRecords = (bytes: Uint8Array) => parseRecords(bytes, 6, bytes.length - 6, 10);
const nestedRecords = (value: Uint8Array) => parseRecords(value, 0, value.length, 6);

/** A stream with valid framing and checksums around whatever top-level records it is given. */
function build(records: readonly RawRecord[]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x4d, 0x45, 0x58, 0x53, 1, 0])];
  for (const { tag, value } of records) {
    const header = Buffer.alloc(10);
    header.writeUInt16BE(tag, 0);
    header.writeUInt32BE(value.length, 2);
    header.writeUInt32BE(value.length === 0 ? 0 : crc32(value), 6);
    parts.push(header, value);
  }
  parts.push(new Uint8Array([0xff, 0xff, 0, 0, 0, 0]));
  return new Uint8Array(Buffer.concat(parts));
}

/** The stream of baseItem() with `tag`'s top-level record (and any after it) replaced by `values`. */
function withRecord(item: MockItemData, tag: number, ...values: Uint8Array[]): Uint8Array {
  const kept = topRecords(encodeExportStream(item)).filter((r) => r.tag !== tag);
  const added = values.map((value) => ({ tag, value }));
  return build([...kept, ...added].sort((a, b) => a.tag - b.tag));
}

function expectCorrupt(bytes: Uint8Array): void {
  let error: unknown;
  try {
    decodeExportStream(bytes);
  } catch (caught) {
    error = caught;
  }
  expect(error, "decoded a malformed stream").toBeInstanceOf(ExportStreamError);
  expect((error as ExportStreamError).code).toBe("CORRUPT_EXPORT_STREAM");
}

/** The value of the one top-level record with `tag` in `item`'s stream. */
function recordValue(item: MockItemData, tag: number): Buffer {
  const found = topRecords(encodeExportStream(item)).filter((r) => r.tag === tag);
  expect(found).toHaveLength(1);
  return Buffer.from(found[0]!.value);
}

describe("export stream: item-level records", () => {
  it("round-trips item attachments, extended properties, indexed entries, exceptions and relative patterns", () => {
    const item = itemLevelItem();
    const bytes = encodeExportStream(item, { searchKey: new Uint8Array([9]) });
    const decoded = decodeExportStream(bytes);
    expect(decoded.item).toStrictEqual(item);
    expect(
      Object.keys(decoded.item.itemAttachments![0]!.item.itemAttachments![0]!.item.contact!.phoneNumbers!),
    ).toContain("10");
    // Deterministic: map insertion order does not reach the bytes.
    const reordered = itemLevelItem();
    const contact = reordered.itemAttachments![0]!.item.itemAttachments![0]!.item.contact!;
    (contact as { phoneNumbers: Record<string, string> }).phoneNumbers = {
      "10": "numeric-looking key",
      Pager: "",
      BusinessFax: "+1 3",
      HomePhone: "+1 2",
    };
    expect(Buffer.compare(encodeExportStream(reordered, { searchKey: new Uint8Array([9]) }), bytes)).toBe(0);
  });

  it("writes no new record for items without the new fields, and treats empty lists and maps as absent", () => {
    const plain = encodeExportStream(baseItem());
    const empty = baseItem({
      itemAttachments: [],
      extendedProperties: [],
      itemClass: "IPM.Contact",
      contact: { ...CONTACT_BASE, phoneNumbers: {}, physicalAddresses: {} },
    });
    const tags = topRecords(encodeExportStream(empty)).map((r) => r.tag);
    expect(tags).not.toContain(0x17);
    expect(tags).not.toContain(0x18);
    expect(recordValue(empty, 0x11)).toStrictEqual(
      Buffer.concat([str(1, "G"), str(2, "S"), str(3, ""), str(4, "")]),
    );
    expect(decodeExportStream(encodeExportStream(empty)).item).toStrictEqual(
      baseItem({ itemClass: "IPM.Contact", contact: CONTACT_BASE }),
    );
    expect(topRecords(plain).map((r) => r.tag)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 0x14, 0x15]);
  });

  it("golden vector: 0018 extendedProperty (tag, set + id, set + name, arrays)", () => {
    const item = baseItem({
      extendedProperties: [
        { propertyTag: 0x0029, propertyType: "Boolean", values: ["true"] },
        {
          propertySetId: "00062008-0000-0000-c000-000000000046",
          propertyId: 0x8501,
          propertyType: "Integer",
          values: ["30"],
        },
        {
          propertySetId: "00020329-0000-0000-c000-000000000046",
          propertyName: "N",
          propertyType: "StringArray",
          values: ["a", ""],
        },
      ],
    });
    const values = topRecords(encodeExportStream(item))
      .filter((r) => r.tag === 0x18)
      .map((r) => Buffer.from(r.value));
    expect(values).toStrictEqual([
      Buffer.concat([num(1, 0x29), str(5, "Boolean"), list(6, ["true"])]),
      Buffer.concat([
        str(2, "00062008-0000-0000-c000-000000000046"),
        num(3, 0x8501),
        str(5, "Integer"),
        list(6, ["30"]),
      ]),
      Buffer.concat([
        str(2, "00020329-0000-0000-c000-000000000046"),
        str(4, "N"),
        str(5, "StringArray"),
        list(6, ["a", ""]),
      ]),
    ]);
    // And the literal bytes of the first one, so the helpers above cannot drift with the codec.
    expect(values[0]!.toString("hex")).toBe(
      "000100000008404480000000000000050000000742" +
        "6f" +
        "6f6c65616e" +
        "00060000000800000004" +
        "74727565",
    );
  });

  it("golden vector: 0017 itemAttachment with its embedded item", () => {
    const embedded = baseItem({ subject: "inner" });
    const item = baseItem({
      itemAttachments: [{ name: "n", isInline: true, lastModifiedTime: "t", item: embedded }],
    });
    const embeddedRecords = topRecords(encodeExportStream(embedded)).map((r) => rec(r.tag, r.value));
    expect(recordValue(item, 0x17)).toStrictEqual(
      Buffer.concat([str(1, "n"), bool(2, true), str(3, "t"), group(4, ...embeddedRecords)]),
    );
  });

  it("golden vector: calendar 0A deletedOccurrences, 0B modifiedOccurrence, recurrence 09 dayOfWeekIndex", () => {
    const item = baseItem({
      itemClass: "IPM.Appointment",
      calendar: {
        ...CALENDAR_BASE,
        recurrence: {
          pattern: "AbsoluteYearly",
          interval: 1,
          daysOfWeek: ["Tuesday"],
          dayOfWeekIndex: "Second",
          month: "March",
          startDate: "2024-03-12",
        },
        deletedOccurrences: ["d1", "d2"],
        modifiedOccurrences: [{ originalStart: "o", start: "s", end: "e", location: "l" }],
      },
    });
    const calendar = nestedRecords(recordValue(item, 0x10));
    expect(calendar.map((r) => r.tag)).toEqual([1, 2, 3, 4, 5, 6, 9, 0x0a, 0x0b]);
    expect(Buffer.from(calendar[6]!.value)).toStrictEqual(
      Buffer.concat([
        str(1, "AbsoluteYearly"),
        num(2, 1),
        list(3, ["Tuesday"]),
        str(5, "March"),
        str(6, "2024-03-12"),
        str(9, "Second"),
      ]),
    );
    expect(Buffer.from(calendar[7]!.value)).toStrictEqual(list(0, ["d1", "d2"]).subarray(6));
    expect(Buffer.from(calendar[8]!.value)).toStrictEqual(
      Buffer.concat([str(1, "o"), str(2, "s"), str(3, "e"), str(5, "l")]),
    );
  });

  it("golden vector: contact 08 phoneNumber and 09 physicalAddress entries, keys ascending", () => {
    const item = baseItem({
      itemClass: "IPM.Contact",
      contact: {
        ...CONTACT_BASE,
        phoneNumbers: { Pager: "2", HomePhone: "1" },
        physicalAddresses: { Home: { city: "c", street: "s" } },
      },
    });
    expect(recordValue(item, 0x11)).toStrictEqual(
      Buffer.concat([
        str(1, "G"),
        str(2, "S"),
        str(3, ""),
        str(4, ""),
        group(8, str(1, "HomePhone"), str(2, "1")),
        group(8, str(1, "Pager"), str(2, "2")),
        group(9, str(1, "Home"), group(2, str(1, "s"), str(2, "c"))),
      ]),
    );
  });
});

describe("export stream: malformed item-level records", () => {
  const note = baseItem();
  const contactItem = baseItem({ itemClass: "IPM.Contact", contact: CONTACT_BASE });
  const contactHead = [str(1, "G"), str(2, "S"), str(3, ""), str(4, "")];
  const calendarItem = baseItem({ itemClass: "IPM.Appointment", calendar: CALENDAR_BASE });
  const calendarHead = nestedRecords(recordValue(calendarItem, 0x10)).map((r) => rec(r.tag, r.value));
  const recurrence = [str(1, "AbsoluteMonthly"), num(2, 1), str(6, "2024-03-04")];

  it("accepts the well-formed forms these cases break (so each rejection is about the damage)", () => {
    const prop = Buffer.concat([num(1, 0x29), str(5, "Boolean"), list(6, ["true"])]);
    expect(decodeExportStream(withRecord(note, 0x18, prop)).item.extendedProperties).toHaveLength(1);
    const phones = [group(8, str(1, "A"), str(2, "1")), group(8, str(1, "B"), str(2, "2"))];
    expect(
      decodeExportStream(withRecord(contactItem, 0x11, Buffer.concat([...contactHead, ...phones]))).item
        .contact!.phoneNumbers,
    ).toStrictEqual({ A: "1", B: "2" });
    const rel = group(9, ...recurrence, str(9, "First"));
    expect(
      decodeExportStream(withRecord(calendarItem, 0x10, Buffer.concat([...calendarHead, rel]))).item.calendar!
        .recurrence!.dayOfWeekIndex,
    ).toBe("First");
  });

  it("rejects extended properties with a bad type, addressing or values record", () => {
    const bad = [
      [num(1, 0x29), str(5, "Bogus"), list(6, [])], // unknown MapiPropertyType
      [num(1, 0x29), str(2, "set"), str(5, "String"), list(6, [])], // tag and set together
      [str(2, "set"), str(5, "String"), list(6, [])], // set without id or name
      [str(2, "set"), num(3, 1), str(4, "n"), str(5, "String"), list(6, [])], // id and name
      [str(5, "String"), list(6, [])], // no address at all
      [num(1, 0x1_0000), str(5, "String"), list(6, [])], // tag out of range
      [num(1, 1.5), str(5, "String"), list(6, [])], // fractional tag
      [num(1, 0x29), str(5, "String")], // values missing
      [num(1, 0x29), str(5, "String"), rec(6, Buffer.from([0, 0, 0, 9, 0x61]))], // list entry past its record
      [num(1, 0x29), str(5, "String"), list(6, []), str(7, "x")], // unknown nested tag
      [num(1, 0x29), str(5, "String"), rec(6, Buffer.from([0, 0, 0, 1, 0xff]))], // invalid UTF-8
    ];
    for (const records of bad) expectCorrupt(withRecord(note, 0x18, Buffer.concat(records)));
  });

  it("rejects item attachments missing fields, with a damaged embedded item, or nested too deeply", () => {
    const inner = topRecords(encodeExportStream(baseItem())).map((r) => rec(r.tag, r.value));
    const good = (item: Buffer) => Buffer.concat([str(1, "n"), bool(2, false), str(3, "t"), group(4, item)]);
    expect(
      decodeExportStream(withRecord(note, 0x17, good(Buffer.concat(inner)))).item.itemAttachments,
    ).toHaveLength(1);
    expectCorrupt(withRecord(note, 0x17, Buffer.concat([str(1, "n"), bool(2, false), str(3, "t")]))); // no item
    expectCorrupt(withRecord(note, 0x17, Buffer.concat([str(1, "n"), bool(2, false), group(4, ...inner)]))); // no time
    expectCorrupt(withRecord(note, 0x17, good(Buffer.concat(inner.slice(1))))); // embedded itemClass missing
    // A searchKey (0013) is a stream-level property: unknown inside an embedded item.
    const withSearchKey = [...inner.slice(0, 9), rec(0x13, Buffer.from([1])), ...inner.slice(9)];
    expectCorrupt(withRecord(note, 0x17, good(Buffer.concat(withSearchKey))));
    expectCorrupt(withRecord(note, 0x17, good(Buffer.concat(inner).subarray(0, 20)))); // truncated
    // Nesting: 10 levels of item attachments decode, 11 do not.
    const nested = (levels: number): Buffer => {
      let item = Buffer.concat(inner);
      for (let i = 1; i < levels; i++) {
        const withChild = [...inner];
        withChild.splice(
          withChild.length,
          0,
          group(0x17, ...nestedRecords(good(item)).map((r) => rec(r.tag, r.value))),
        );
        item = Buffer.concat(withChild);
      }
      return good(item);
    };
    expect(decodeExportStream(withRecord(note, 0x17, nested(10))).item.itemAttachments).toHaveLength(1);
    expectCorrupt(withRecord(note, 0x17, nested(11)));
    expect(() => decodeExportStream(withRecord(note, 0x17, nested(11)))).toThrow(/nest too deeply/);
  });

  it("rejects phone and address entries out of order, repeated, without a key or with unknown fields", () => {
    const entry = (key: string, value: string) => group(8, str(1, key), str(2, value));
    const bad = [
      [entry("B", "1"), entry("A", "2")], // descending
      [entry("A", "1"), entry("A", "2")], // repeated key
      [group(8, str(2, "1"))], // no key
      [group(8, str(1, "A"))], // no value
      [group(8, str(1, "A"), str(2, "1"), str(3, "x"))], // unknown field
      [group(9, str(1, "Home"), group(2, str(6, "x")))], // unknown address field
      [group(9, str(1, "Home"), group(2, str(2, "c"), str(1, "s")))], // address fields out of order
      [group(9, str(1, "Home"), group(2)), group(9, str(1, "Home"), group(2))], // repeated address key
      [group(9, str(1, "Home"), group(2)), entry("A", "1")], // phones after addresses
    ];
    for (const records of bad)
      expectCorrupt(withRecord(contactItem, 0x11, Buffer.concat([...contactHead, ...records])));
  });

  it("rejects a bad dayOfWeekIndex, deleted-occurrence list or modified occurrence", () => {
    const cases = [
      [group(9, ...recurrence, str(9, "Fifth"))],
      [group(9, ...recurrence, str(9, "First"), str(9, "Last"))],
      [rec(0x0a, Buffer.from([0, 0, 0, 5, 0x61]))],
      [list(0x0a, ["a"]), list(0x0a, ["b"])],
      [group(0x0b, str(1, "o"), str(2, "s"))], // end missing
      [group(0x0b, str(1, "o"), str(2, "s"), str(3, "e"), str(6, "x"))],
      [group(0x0b, str(1, "o"), str(2, "s"), str(3, "e")), list(0x0a, [])], // out of order
    ];
    for (const records of cases)
      expectCorrupt(withRecord(calendarItem, 0x10, Buffer.concat([...calendarHead, ...records])));
  });

  it("survives truncations and flips of an item-level stream: ExportStreamError or a valid item", () => {
    const bytes = encodeExportStream(itemLevelItem());
    let random = 0x12345678;
    const next = () => {
      random = (Math.imul(random, 1103515245) + 12345) >>> 0;
      return random;
    };
    for (let i = 0; i < 3000; i++) {
      const copy = new Uint8Array(bytes);
      const at = next() % copy.length;
      copy[at] = copy[at]! ^ (1 << (next() % 8));
      const input = i % 3 === 0 ? copy.subarray(0, next() % copy.length) : copy;
      try {
        const { item } = decodeExportStream(input);
        expect(() => encodeExportStream(item)).not.toThrow();
      } catch (error) {
        expect(error).toBeInstanceOf(ExportStreamError);
      }
    }
    // Damage hidden behind recomputed checksums must also be caught inside nested records.
    for (const record of topRecords(bytes).filter((r) => r.tag >= 0x17)) {
      for (let at = 0; at < record.value.length; at += 7) {
        const value = new Uint8Array(record.value);
        value[at] = value[at]! ^ 0xff;
        const rebuilt = build(
          topRecords(bytes).map((r) =>
            r.tag === record.tag && Buffer.compare(r.value, record.value) === 0 ? { tag: r.tag, value } : r,
          ),
        );
        try {
          decodeExportStream(rebuilt);
        } catch (error) {
          expect(error).toBeInstanceOf(ExportStreamError);
        }
      }
    }
  });
});

describe("export stream: encoder refuses what the decoder would reject", () => {
  it("MUST throw TypeError for a badly addressed extended property or item attachments nested too deeply", () => {
    const bad = [
      { propertyTag: 1, propertySetId: "s", propertyType: "String", values: [] },
      { propertySetId: "s", propertyType: "String", values: [] },
      { propertyTag: 1.5, propertyType: "String", values: [] },
      { propertyTag: 1, propertyType: "Bogus", values: [] },
    ];
    for (const property of bad) {
      expect(() => encodeExportStream(baseItem({ extendedProperties: [property] }))).toThrow(TypeError);
    }
    const nest = (levels: number): MockItemData => {
      let item = baseItem();
      for (let i = 0; i < levels; i++) {
        item = baseItem({ itemAttachments: [{ name: "n", isInline: false, lastModifiedTime: "t", item }] });
      }
      return item;
    };
    expect(decodeExportStream(encodeExportStream(nest(10))).item).toStrictEqual(nest(10));
    expect(() => encodeExportStream(nest(11))).toThrow(TypeError);
    // A failed encode leaves no state behind: the next one works.
    expect(decodeExportStream(encodeExportStream(nest(10))).item).toStrictEqual(nest(10));
  });
});
