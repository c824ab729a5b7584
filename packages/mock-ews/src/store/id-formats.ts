// The alternate id formats of ConvertId, built from what a mock id holds (kind, mailbox GUID,
// serial), shaped like Exchange's so that clients that inspect them see familiar layouts:
//   EntryId     MAPI entry id bytes, base64: folders 46 bytes (flags, provider UID = mailbox GUID,
//               type 0x0001, database GUID, 6-byte global counter = serial, pad), items 70
//               bytes (flags, provider UID, type 0x0007, then the same pair for the message);
//   HexEntryId  the same bytes as upper-case hex;
//   StoreId     base64 of the entry id followed by a one-byte object type (1 item, 3 folder);
//   OwaId       base64 of the entry id's length (uint32 LE: "RgAAAA" for items, "LgAAAA" for
//               folders, as OWA ids begin) followed by the entry id;
//   EwsLegacyId base64 of the Exchange 2007 layout: a zero byte, the mailbox's primary SMTP
//               address as moniker (length byte, bytes), then the entry id;
//   EwsId       the id every other operation takes.
// Every format decodes back to (kind, mailbox, serial); anything else is undefined (malformed).
import { decodeId, folderId, guidBytes, itemId } from "./ids.js";

export const ID_FORMATS = ["EwsLegacyId", "EwsId", "EntryId", "HexEntryId", "StoreId", "OwaId"] as const;
export type IdFormat = (typeof ID_FORMATS)[number];

export interface PlainId {
  readonly kind: "item" | "folder";
  readonly mailboxGuid: string;
  readonly serial: number;
}

const FOLDER_ENTRY = 46;
const ITEM_ENTRY = 70;

function guidOf(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function counter(serial: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUIntBE(serial, 0, 6);
  return buf;
}

export function entryIdBytes(id: PlainId): Buffer {
  const guid = guidBytes(id.mailboxGuid);
  const type = Buffer.alloc(2);
  type.writeUInt16LE(id.kind === "folder" ? 0x0001 : 0x0007);
  const head = Buffer.concat([Buffer.alloc(4), guid, type, guid]);
  // An item's entry id names its folder too; the mock's ids do not carry it, so the pair repeats.
  return id.kind === "folder"
    ? Buffer.concat([head, counter(id.serial)])
    : Buffer.concat([head, counter(id.serial), guid, counter(id.serial)]);
}

function fromEntryId(bytes: Buffer): PlainId | undefined {
  if (bytes.length !== FOLDER_ENTRY && bytes.length !== ITEM_ENTRY) return undefined;
  if (bytes.readUInt32LE(0) !== 0) return undefined;
  const type = bytes.readUInt16LE(20);
  const kind =
    bytes.length === FOLDER_ENTRY && type === 0x0001 ? "folder" : type === 0x0007 ? "item" : undefined;
  if (kind === undefined) return undefined;
  const serial = bytes.readUIntBE(kind === "folder" ? 38 : 62, 6);
  return { kind, mailboxGuid: guidOf(bytes.subarray(4, 20)), serial };
}

const BASE64 = /^[A-Za-z0-9+/]+=*$/;

/** Encodes `id` in `format`; `smtp` is the mailbox's primary address (EwsLegacyId moniker). */
export function encodeAlternateId(id: PlainId, format: IdFormat, smtp: string): string {
  const entry = entryIdBytes(id);
  switch (format) {
    case "EwsId":
      return id.kind === "item" ? itemId(id.mailboxGuid, id.serial) : folderId(id.mailboxGuid, id.serial);
    case "EntryId":
      return entry.toString("base64");
    case "HexEntryId":
      return entry.toString("hex").toUpperCase();
    case "StoreId":
      return Buffer.concat([entry, Buffer.from([id.kind === "item" ? 1 : 3])]).toString("base64");
    case "OwaId": {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(entry.length);
      return Buffer.concat([length, entry]).toString("base64");
    }
    case "EwsLegacyId": {
      const moniker = Buffer.from(smtp.toLowerCase(), "utf8");
      return Buffer.concat([Buffer.from([0, moniker.length]), moniker, entry]).toString("base64");
    }
  }
}

/** Decodes an id given in `format`; undefined when it is not one this server could have issued. */
export function decodeAlternateId(
  value: string,
  format: IdFormat,
): (PlainId & { readonly moniker?: string }) | undefined {
  const id = value.trim();
  switch (format) {
    case "EwsId": {
      const decoded = decodeId(id);
      return decoded === undefined ? undefined : { ...decoded };
    }
    case "HexEntryId":
      return /^([0-9A-Fa-f]{2})+$/.test(id) ? fromEntryId(Buffer.from(id, "hex")) : undefined;
    case "EntryId":
      return BASE64.test(id) ? fromEntryId(Buffer.from(id, "base64")) : undefined;
    case "StoreId": {
      if (!BASE64.test(id)) return undefined;
      const bytes = Buffer.from(id, "base64");
      const decoded = fromEntryId(bytes.subarray(0, bytes.length - 1));
      const type = bytes[bytes.length - 1];
      return decoded !== undefined && type === (decoded.kind === "item" ? 1 : 3) ? decoded : undefined;
    }
    case "OwaId": {
      if (!BASE64.test(id)) return undefined;
      const bytes = Buffer.from(id, "base64");
      if (bytes.length < 4 || bytes.readUInt32LE(0) !== bytes.length - 4) return undefined;
      return fromEntryId(bytes.subarray(4));
    }
    case "EwsLegacyId": {
      if (!BASE64.test(id)) return undefined;
      const bytes = Buffer.from(id, "base64");
      if (bytes.length < 2 || bytes[0] !== 0) return undefined;
      const length = bytes[1]!;
      const decoded = fromEntryId(bytes.subarray(2 + length));
      return decoded === undefined
        ? undefined
        : { ...decoded, moniker: bytes.toString("utf8", 2, 2 + length) };
    }
  }
}
