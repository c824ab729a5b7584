// Item and folder ids and change keys shaped like Exchange's: base64 of a binary structure that
// names the mailbox (its GUID as text, the way Exchange embeds it) and the object's serial
// number inside that mailbox. Ids are opaque to clients; the server decodes them to route.
import { createHash } from "node:crypto";

const ITEM_KIND = 0x00;
const FOLDER_KIND = 0x01;

export interface DecodedId {
  readonly kind: "item" | "folder";
  readonly mailboxGuid: string;
  readonly serial: number;
}

/** A GUID string (8-4-4-4-12 lowercase hex) derived from `parts`, stable across runs. */
export function deterministicGuid(...parts: (string | number)[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function guidBytes(guid: string): Buffer {
  return Buffer.from(guid.replace(/-/g, ""), "hex");
}

function encodeId(kind: number, mailboxGuid: string, serial: number): string {
  const buf = Buffer.alloc(66);
  buf[0] = kind;
  buf[1] = 0x03;
  buf[2] = 0x24;
  buf[3] = 0x00;
  buf.write(mailboxGuid, 4, "latin1");
  buf[40] = 0x00;
  buf[41] = kind === ITEM_KIND ? 0x46 : 0x2e;
  guidBytes(mailboxGuid).copy(buf, 44);
  buf.writeUInt32BE(serial, 60);
  return buf.toString("base64");
}

export function itemId(mailboxGuid: string, serial: number): string {
  return encodeId(ITEM_KIND, mailboxGuid, serial);
}

export function folderId(mailboxGuid: string, serial: number): string {
  return encodeId(FOLDER_KIND, mailboxGuid, serial);
}

/** Decodes an id the server issued, or returns undefined for anything else (malformed id). */
export function decodeId(id: string): DecodedId | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(id)) return undefined;
  const buf = Buffer.from(id, "base64");
  if (buf.length !== 66 || buf[1] !== 0x03 || buf[2] !== 0x24 || buf[3] !== 0x00) return undefined;
  const kind = buf[0] === ITEM_KIND ? "item" : buf[0] === FOLDER_KIND ? "folder" : undefined;
  if (kind === undefined) return undefined;
  const mailboxGuid = buf.toString("latin1", 4, 40);
  if (!/^[0-9a-f-]{36}$/.test(mailboxGuid)) return undefined;
  return { kind, mailboxGuid, serial: buf.readUInt32BE(60) };
}

/** A change key: changes whenever the object's change number does (every modification). */
export function changeKey(kind: "item" | "folder", mailboxGuid: string, changeNumber: number): string {
  const buf = Buffer.alloc(30);
  buf.writeUInt32LE(kind === "item" ? 0x0f : 0x02, 0);
  buf.writeUInt32LE(0x16, 4);
  guidBytes(mailboxGuid).copy(buf, 8);
  buf.writeUIntBE(changeNumber, 24, 6);
  return buf.toString("base64");
}

/** Attachment id: the item id plus the attachment's position. */
export function attachmentId(mailboxGuid: string, serial: number, index: number): string {
  const base = Buffer.from(itemId(mailboxGuid, serial), "base64");
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(0x0001, 0);
  tail.writeUInt16BE(index, 2);
  return Buffer.concat([base, tail]).toString("base64");
}

export function decodeAttachmentId(
  id: string,
): { mailboxGuid: string; serial: number; index: number } | undefined {
  const buf = Buffer.from(id, "base64");
  if (buf.length !== 70) return undefined;
  const decoded = decodeId(buf.subarray(0, 66).toString("base64"));
  if (decoded === undefined || decoded.kind !== "item") return undefined;
  return { mailboxGuid: decoded.mailboxGuid, serial: decoded.serial, index: buf.readUInt16BE(68) };
}

/** PR_SEARCH_KEY of a generated or created item: 16 random-looking bytes, deterministic. */
export function deriveSearchKey(mailboxGuid: string, serial: number): Uint8Array {
  return new Uint8Array(
    createHash("sha256").update(`search-key\u0000${mailboxGuid}\u0000${serial}`).digest().subarray(0, 16),
  );
}
