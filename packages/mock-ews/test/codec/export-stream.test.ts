import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeExportStream, ExportStreamError, encodeExportStream } from "../../src/codec/index.js";
import { createMailboxGenerator } from "../../src/generator/index.js";
import type { MockItemClass, MockItemData } from "../../src/model.js";

const MB = 1024 * 1024;

/** Fixed, hand-written item that uses every optional field, including edge values. */
function fullItem(): MockItemData {
  return {
    itemClass: "IPM.Appointment",
    subject: "Réunion 📅 مراجعة – עדכון",
    body: { bodyType: "HTML", content: "<p>Hallo Welt — 日本語</p>" },
    from: { name: "Jürgen Müller", email: "juergen.mueller@contoso.test" },
    toRecipients: [
      { name: "A", email: "a@contoso.test" },
      { name: "", email: "b@contoso.test" },
    ],
    ccRecipients: [{ name: "C", email: "c@fabrikam.test" }],
    bccRecipients: [],
    dateTimeReceived: "2024-03-01T10:00:00Z",
    dateTimeSent: "2024-03-01T09:59:00Z",
    dateTimeCreated: "2024-03-01T09:58:00Z",
    importance: "High",
    sensitivity: "Confidential",
    categories: ["Red Category", "Urgent ⚡", ""],
    isRead: false,
    flagStatus: "Flagged",
    internetMessageId: "<abc@contoso.test>",
    attachments: [
      {
        name: "agenda.pdf",
        contentType: "application/pdf",
        isInline: false,
        lastModifiedTime: "2024-02-28T08:00:00Z",
        content: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0, 255]),
      },
      {
        name: "image001.png",
        contentType: "image/png",
        contentId: "image001.png@01DA",
        isInline: true,
        isContactPhoto: false,
        lastModifiedTime: "2024-02-28T08:00:00Z",
        content: new Uint8Array(0),
      },
    ],
    calendar: {
      start: "2024-03-05T09:00:00Z",
      end: "2024-03-05T10:00:00Z",
      isAllDayEvent: false,
      location: "",
      organizer: { name: "Jürgen Müller", email: "juergen.mueller@contoso.test" },
      requiredAttendees: [{ name: "A", email: "a@contoso.test" }],
      optionalAttendees: [],
      recurrence: {
        pattern: "Weekly",
        interval: 2,
        daysOfWeek: [],
        startDate: "2024-03-05",
        endDate: "2024-12-31",
      },
      legacyFreeBusyStatus: "Tentative",
    },
    contact: {
      givenName: "G",
      surname: "S",
      companyName: "",
      jobTitle: "J",
      emailAddresses: [],
      mobilePhone: "+1",
    },
    task: { status: "InProgress", percentComplete: 37.5, dueDate: "2024-04-01T00:00:00Z" },
  };
}

/** One generated item per class (public folders supply posts). */
function itemsByClass(): Map<MockItemClass, MockItemData[]> {
  const gen = createMailboxGenerator({ seed: 7, mailboxes: 2, itemsPerMailbox: 300, maxItemBytes: 2 * MB });
  const byClass = new Map<MockItemClass, MockItemData[]>();
  const add = (item: MockItemData) => {
    const list = byClass.get(item.itemClass) ?? [];
    if (list.length < 25) list.push(item);
    byClass.set(item.itemClass, list);
  };
  for (let m = 0; m < 2; m++) {
    gen.folders(m).forEach((_, f) => {
      for (let i = 0; i < gen.itemCount(m, f); i++) add(gen.item(m, f, i));
    });
  }
  gen.publicFolders().forEach((_, f) => {
    for (let i = 0; i < gen.publicItemCount(f); i++) add(gen.publicItem(f, i));
  });
  return byClass;
}

interface RawRecord {
  tag: number;
  value: Uint8Array;
}

/** Top-level records of a valid stream. */
function parseTop(bytes: Uint8Array): RawRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RawRecord[] = [];
  for (let offset = 6; offset < bytes.length - 6; ) {
    const length = view.getUint32(offset + 2);
    records.push({ tag: view.getUint16(offset), value: bytes.slice(offset + 10, offset + 10 + length) });
    offset += 10 + length;
  }
  return records;
}

/** A stream with valid framing and checksums around whatever records it is given. */
function build(records: readonly RawRecord[]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x4d, 0x45, 0x58, 0x53, 1, 0])];
  for (const { tag, value } of records) {
    const header = new Uint8Array(10);
    const view = new DataView(header.buffer);
    view.setUint16(0, tag);
    view.setUint32(2, value.length);
    view.setUint32(6, crc32(value));
    parts.push(header, value);
  }
  parts.push(new Uint8Array([0xff, 0xff, 0, 0, 0, 0]));
  return new Uint8Array(Buffer.concat(parts));
}

/** toStrictEqual, but attachment contents are compared as buffers (vitest is slow on big arrays). */
function expectSameItem(actual: MockItemData, expected: MockItemData): void {
  const strip = (item: MockItemData) => ({
    ...item,
    attachments: item.attachments.map((a) => ({ ...a, content: a.content.length })),
  });
  expect(strip(actual)).toStrictEqual(strip(expected));
  expected.attachments.forEach((attachment, index) => {
    const content = actual.attachments[index]!.content;
    expect(content).toBeInstanceOf(Uint8Array);
    expect(sameBytes(content, attachment.content)).toBe(true);
  });
}

function flip(bytes: Uint8Array, offset: number, mask: number): void {
  bytes[offset] = (bytes[offset] ?? 0) ^ mask;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function expectCorrupt(bytes: Uint8Array): void {
  let error: unknown;
  try {
    decodeExportStream(bytes);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ExportStreamError);
  expect((error as ExportStreamError).code).toBe("CORRUPT_EXPORT_STREAM");
}

function changedBytes(a: Uint8Array, b: Uint8Array): number {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  return Math.max(a.length, b.length) - prefix - suffix;
}

describe("export stream encoding", () => {
  it("starts with the versioned magic header and ends with the checksum record", () => {
    const bytes = encodeExportStream(fullItem());
    expect([...bytes.subarray(0, 6)]).toEqual([0x4d, 0x45, 0x58, 0x53, 1, 0]);
    expect([...bytes.subarray(bytes.length - 6)]).toEqual([0xff, 0xff, 0, 0, 0, 0]);
    expect(sameBytes(build(parseTop(bytes)), bytes)).toBe(true);
  });

  it("round-trips a hand-written item using every optional field and edge values", () => {
    const item = fullItem();
    const searchKey = new Uint8Array([1, 2, 3, 0, 255]);
    const decoded = decodeExportStream(encodeExportStream(item, { searchKey }));
    expect(decoded.item).toStrictEqual(item);
    expect(decoded.searchKey).toStrictEqual(searchKey);
    expect(decodeExportStream(encodeExportStream(item)).searchKey).toBeUndefined();
    expect("searchKey" in decodeExportStream(encodeExportStream(item))).toBe(false);
  });

  it("round-trips generated items of every class, attachments and recurrence included", () => {
    const byClass = itemsByClass();
    expect([...byClass.keys()].sort()).toEqual([
      "IPM.Appointment",
      "IPM.Contact",
      "IPM.Note",
      "IPM.Post",
      "IPM.StickyNote",
      "IPM.Task",
    ]);
    let recurring = 0;
    let withAttachments = 0;
    for (const items of byClass.values()) {
      for (const item of items) {
        expectSameItem(decodeExportStream(encodeExportStream(item)).item, item);
        if (item.calendar?.recurrence) recurring++;
        if (item.attachments.length > 0) withAttachments++;
      }
    }
    expect(recurring).toBeGreaterThan(0);
    expect(withAttachments).toBeGreaterThan(0);
  });

  it("is byte-identical across encodings of an unchanged item", () => {
    const gen1 = createMailboxGenerator({ seed: 3, mailboxes: 1, itemsPerMailbox: 50 });
    const gen2 = createMailboxGenerator({ seed: 3, mailboxes: 1, itemsPerMailbox: 50 });
    for (let i = 0; i < gen1.itemCount(0, 0); i++) {
      const a = encodeExportStream(gen1.item(0, 0, i));
      expect(sameBytes(encodeExportStream(gen1.item(0, 0, i)), a)).toBe(true);
      expect(sameBytes(encodeExportStream(gen2.item(0, 0, i)), a)).toBe(true);
    }
  });

  it("changes only a few bytes when one property changes (locality for chunk dedup)", () => {
    const gen = createMailboxGenerator({ seed: 11, mailboxes: 1, itemsPerMailbox: 200 });
    const items: MockItemData[] = [];
    gen.folders(0).forEach((_, f) => {
      for (let i = 0; i < gen.itemCount(0, f); i++) items.push(gen.item(0, f, i));
    });
    const big = items.filter((item) => item.attachments.length > 0).slice(0, 10);
    expect(big.length).toBeGreaterThan(0);
    for (const item of [...big, ...items.slice(0, 20)]) {
      const before = encodeExportStream(item);
      const utf8Length = (text: string) => Buffer.byteLength(text);
      // [variant, the most bytes that may differ]: the changed record's length, checksum and value.
      const variants: [MockItemData, number][] = [
        [{ ...item, isRead: !item.isRead }, 5],
        [{ ...item, categories: [...item.categories, "Blue Category"] }, 10 + utf8Length("Blue Category")],
        [{ ...item, flagStatus: item.flagStatus === "Flagged" ? "Complete" : "Flagged" }, 8 + 10],
        [{ ...item, importance: item.importance === "High" ? "Low" : "High" }, 8 + 6],
        [{ ...item, subject: `${item.subject}!` }, 8 + utf8Length(item.subject) + 1],
      ];
      for (const [variant, limit] of variants) {
        expect(changedBytes(before, encodeExportStream(variant))).toBeLessThanOrEqual(limit);
      }
    }
    // Touching an attachment's metadata changes its group header, not its megabytes of content.
    const withFile = big.find((item) => item.attachments.some((a) => a.content.length > 100_000))!;
    expect(withFile).toBeDefined();
    const before = encodeExportStream(withFile);
    const touched = {
      ...withFile,
      attachments: withFile.attachments.map((a, index) =>
        index === 0 ? { ...a, lastModifiedTime: "2030-01-01T00:00:00Z" } : a,
      ),
    };
    expect(changedBytes(before, encodeExportStream(touched)) * 1000).toBeLessThan(before.length);
  });

  it("deduplicates under content-defined chunking: one changed property costs one or two chunks", () => {
    // A small gear-hash chunker (average about 8 KiB), the kind the backup engine uses.
    const gear = new Uint32Array(256).map(
      (_, i) => Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(i + 7, 0x85ebca6b),
    );
    const chunks = (bytes: Uint8Array): string[] => {
      const out: string[] = [];
      let start = 0;
      let hash = 0;
      for (let i = 0; i < bytes.length; i++) {
        hash = ((hash << 1) + gear[bytes[i]!]!) >>> 0;
        if ((i - start >= 2048 && (hash & 0x1fff) === 0) || i - start >= 65536 || i === bytes.length - 1) {
          out.push(crc32(bytes.subarray(start, i + 1)).toString(16) + ":" + (i + 1 - start));
          start = i + 1;
          hash = 0;
        }
      }
      return out;
    };
    const gen = createMailboxGenerator({
      seed: 31,
      mailboxes: 1,
      itemsPerMailbox: 400,
      maxItemBytes: 4 * MB,
    });
    let item: MockItemData | undefined;
    for (let f = 0; f < gen.folders(0).length && !item; f++) {
      for (let i = 0; i < gen.itemCount(0, f) && !item; i++) {
        const candidate = gen.item(0, f, i);
        if (encodeExportStream(candidate).length > 1 * MB) item = candidate;
      }
    }
    expect(item).toBeDefined();
    const before = new Set(chunks(encodeExportStream(item!)));
    for (const variant of [
      { ...item!, isRead: !item!.isRead },
      { ...item!, categories: [...item!.categories, "Green Category"] },
    ]) {
      const after = chunks(encodeExportStream(variant));
      const fresh = after.filter((chunk) => !before.has(chunk));
      expect(after.length).toBeGreaterThan(20);
      expect(fresh.length).toBeLessThanOrEqual(2);
    }
  });

  it("carries a configuration object's FAI of any name (IPM.Configuration.<name>)", () => {
    const item: MockItemData = { ...fullItem(), itemClass: "IPM.Configuration.Owa.Some-Thing" };
    expect(decodeExportStream(encodeExportStream(item)).item).toStrictEqual(item);
    for (const itemClass of ["IPM.Configuration.", "IPM.Configurations", "ipm.configuration.x"])
      expect(() => encodeExportStream({ ...item, itemClass } as unknown as MockItemData)).toThrow(TypeError);
  });

  it("MUST throw TypeError for items that do not match the model", () => {
    const item = fullItem();
    expect(() => encodeExportStream({ ...item, importance: "Huge" } as unknown as MockItemData)).toThrow(
      TypeError,
    );
    expect(() => encodeExportStream({ ...item, subject: undefined } as unknown as MockItemData)).toThrow(
      TypeError,
    );
    expect(() => encodeExportStream({ ...item, categories: "x" } as unknown as MockItemData)).toThrow(
      TypeError,
    );
  });
});

describe("export stream decoding rejects corrupt input", () => {
  const valid = encodeExportStream(fullItem(), { searchKey: new Uint8Array([9, 9]) });

  it("rejects every truncation, trailing garbage, bad magic, version and flags", () => {
    for (let length = 0; length < valid.length; length++) expectCorrupt(valid.slice(0, length));
    expectCorrupt(new Uint8Array([...valid, 0]));
    expectCorrupt(new Uint8Array([...valid, 0xff, 0xff, 0, 0, 0, 0]));
    expectCorrupt(new Uint8Array([...valid, ...valid.subarray(6)]));
    for (const offset of [0, 3, 4, 5]) {
      const bad = valid.slice();
      flip(bad, offset, 0x01);
      expectCorrupt(bad);
    }
  });

  it("rejects every single-byte flip", () => {
    for (let offset = 0; offset < valid.length; offset++) {
      const bad = valid.slice();
      flip(bad, offset, 0x5a);
      expectCorrupt(bad);
    }
  });

  it("rejects structural damage behind valid checksums", () => {
    const records = parseTop(valid);
    expect(records[0]!.tag).toBe(1);
    const replace = (index: number, record: RawRecord) => records.map((r, i) => (i === index ? record : r));
    const text = (value: string) => new TextEncoder().encode(value);
    expect(decodeExportStream(build(records)).item).toStrictEqual(fullItem());
    expectCorrupt(build(replace(0, { tag: 0x7777, value: records[0]!.value })));
    expectCorrupt(build([records[1]!, records[0]!, ...records.slice(2)]));
    expectCorrupt(build(records.slice(1)));
    expectCorrupt(build([records[0]!, ...records]));
    expectCorrupt(build(replace(0, { tag: 1, value: text("IPM.Nope") })));
    expectCorrupt(build(replace(0, { tag: 1, value: text("IPM.Configuration.") })));
    expectCorrupt(build(replace(1, { tag: 2, value: new Uint8Array([0x41, 0xc3]) })));
    const isRead = records.findIndex((r) => r.tag === 5);
    expectCorrupt(build(replace(isRead, { tag: 5, value: new Uint8Array([2]) })));
    expectCorrupt(build(replace(isRead, { tag: 5, value: new Uint8Array([1, 0]) })));
    // A nested group whose inner record runs past the group's end.
    const from = records.findIndex((r) => r.tag === 0x0c);
    const group = records[from]!.value.slice();
    new DataView(group.buffer).setUint32(2, 0xffff);
    expectCorrupt(build(replace(from, { tag: 0x0c, value: group })));
    // A NaN where a finite number belongs (the task's percentComplete, inside its group).
    const task = records.findIndex((r) => r.tag === 0x12);
    const taskValue = records[task]!.value.slice();
    const taskView = new DataView(taskValue.buffer);
    const statusLength = taskView.getUint32(2);
    taskView.setFloat64(6 + statusLength + 6, Number.NaN);
    expectCorrupt(build(replace(task, { tag: 0x12, value: taskValue })));
    // A top-level length running past the end.
    const pastEnd = valid.slice();
    new DataView(pastEnd.buffer).setUint32(8, 0x00ffffff);
    expectCorrupt(pastEnd);
    // Repeating a repeated property (a category) is, by contrast, valid.
    const category = records.findIndex((r) => r.tag === 7);
    const twice = [...records.slice(0, category + 1), records[category]!, ...records.slice(category + 1)];
    expect(decodeExportStream(build(twice)).item.categories).toEqual([
      "Red Category",
      "Red Category",
      "Urgent ⚡",
      "",
    ]);
  });

  it("survives a fuzz of truncations and flips: ExportStreamError or a valid item, nothing else", () => {
    const gen = createMailboxGenerator({
      seed: 5,
      mailboxes: 1,
      itemsPerMailbox: 60,
      maxItemBytes: 256 * 1024,
    });
    const streams: Uint8Array[] = [];
    gen.folders(0).forEach((_, f) => {
      for (let i = 0; i < gen.itemCount(0, f); i++) streams.push(encodeExportStream(gen.item(0, f, i)));
    });
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state;
    };
    let rejected = 0;
    let trials = 0;
    for (const stream of streams) {
      for (let round = 0; round < 20; round++) {
        let bytes: Uint8Array = stream.slice(0, round % 2 === 0 ? next() % stream.length : stream.length);
        for (let flips = next() % 4; flips > 0 && bytes.length > 0; flips--) {
          flip(bytes, next() % bytes.length, next() & 0xff || 1);
        }
        if (round % 3 === 0) {
          // Damage a record's value and re-seal it, so the decoder's structure checks are fuzzed
          // rather than only its checksums.
          const records = parseTop(stream);
          const victim = records[next() % records.length]!;
          const value = victim.value.slice();
          for (let flips = 1 + (next() % 3); flips > 0 && value.length > 0; flips--) {
            flip(value, next() % value.length, next() & 0xff || 1);
          }
          bytes = build(records.map((r) => (r === victim ? { tag: r.tag, value } : r)));
        }
        trials++;
        try {
          const { item } = decodeExportStream(bytes);
          // Anything accepted must be a well-formed item that re-encodes to exactly these bytes.
          expect(sameBytes(encodeExportStream(item), bytes)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ExportStreamError);
          rejected++;
        }
      }
    }
    expect(trials).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(trials / 2);
  });

  it("MUST throw TypeError when not given bytes", () => {
    expect(() => decodeExportStream("MEXS" as unknown as Uint8Array)).toThrow(TypeError);
  });
});
