// The mock EWS generator's mailboxes as item exports, for measuring chunker parameters on the
// data the rest of the project tests with. Uses the mock's own export-stream codec when the
// package exports it; until then a stand-in with the same shape (property records in a fixed
// order, attachment bytes in place, a CRC-32 at the end).

import { crc32 } from "node:zlib";
import type { MockItemData } from "@ewsvault/mock-ews";
import * as mockEws from "@ewsvault/mock-ews";
import { concatBytes } from "../../src/format.js";

type Encoder = (item: MockItemData) => Uint8Array;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function record(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + value.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag);
  view.setUint32(2, value.length);
  out.set(value, 6);
  return out;
}

/** Stand-in for the mock's encodeExportStream: same locality, not the same bytes. */
export function encodeLikeExportStream(item: MockItemData): Uint8Array {
  const records: Uint8Array[] = [utf8("MEXS\u0001\u0000")];
  const props: Array<[number, string | undefined]> = [
    [1, item.itemClass],
    [2, item.subject],
    [3, item.importance],
    [4, item.sensitivity],
    [5, item.isRead ? "1" : "0"],
    [6, item.flagStatus],
  ];
  for (const [tag, value] of props) if (value !== undefined) records.push(record(tag, utf8(value)));
  for (const category of item.categories) records.push(record(7, utf8(category)));
  records.push(record(8, utf8(item.dateTimeCreated)), record(9, utf8(item.dateTimeSent)));
  records.push(record(10, utf8(item.dateTimeReceived)));
  if (item.internetMessageId !== undefined) records.push(record(11, utf8(item.internetMessageId)));
  if (item.from !== undefined) records.push(record(12, utf8(`${item.from.name} <${item.from.email}>`)));
  for (const to of item.toRecipients) records.push(record(13, utf8(`${to.name} <${to.email}>`)));
  for (const cc of item.ccRecipients) records.push(record(14, utf8(`${cc.name} <${cc.email}>`)));
  for (const extra of [item.calendar, item.contact, item.task]) {
    if (extra !== undefined) records.push(record(16, utf8(JSON.stringify(extra))));
  }
  records.push(record(20, utf8(item.body.bodyType)), record(21, utf8(item.body.content)));
  for (const attachment of item.attachments) {
    records.push(
      record(
        22,
        concatBytes([
          record(1, utf8(attachment.name)),
          record(2, utf8(attachment.contentType)),
          record(6, utf8(attachment.lastModifiedTime)),
          record(7, attachment.content),
        ]),
      ),
    );
  }
  const body = concatBytes(records);
  const end = new Uint8Array(10);
  new DataView(end.buffer).setUint16(0, 0xffff);
  new DataView(end.buffer).setUint32(2, 4);
  new DataView(end.buffer).setUint32(6, crc32(body) >>> 0);
  return concatBytes([body, end]);
}

export interface MockCorpus {
  readonly exports: Uint8Array[];
  readonly modifiedExports: Uint8Array[];
  /** "mock-ews codec" or "stand-in codec". */
  readonly codec: string;
}

/** Every item of `mailboxes` generated mailboxes; every tenth item re-exported read and flagged. */
export function mockExports(seed: number, mailboxes: number, itemsPerMailbox: number): MockCorpus {
  const exported = (mockEws as Record<string, unknown>).encodeExportStream;
  const encode: Encoder = typeof exported === "function" ? (exported as Encoder) : encodeLikeExportStream;
  const generator = mockEws.createMailboxGenerator({ seed, mailboxes, itemsPerMailbox });
  const exports: Uint8Array[] = [];
  const modifiedExports: Uint8Array[] = [];
  for (let m = 0; m < mailboxes; m++) {
    generator.folders(m).forEach((_, folder) => {
      for (let i = 0; i < generator.itemCount(m, folder); i++) {
        const item = generator.item(m, folder, i);
        exports.push(encode(item));
        if (exports.length % 10 === 1) {
          modifiedExports.push(
            encode({
              ...item,
              isRead: !item.isRead,
              flagStatus: item.flagStatus === "Flagged" ? "Complete" : "Flagged",
            }),
          );
        }
      }
    });
  }
  return {
    exports,
    modifiedExports,
    codec: typeof exported === "function" ? "mock-ews codec" : "stand-in codec",
  };
}
