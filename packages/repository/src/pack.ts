// Pack files: many sealed blobs back to back, then a sealed header listing them, then a 4-byte
// trailer with the sealed header's length. Everything needed to read a pack is inside it, so a
// pack verifies on its own and a lost index can be rebuilt from the packs. Layout:
// docs/repository-format.md, "Packs".

import type { Destination } from "@ewsvault/destination";
import {
  AD,
  BLOB_TYPE_CODE,
  type BlobType,
  ByteReader,
  ByteWriter,
  blobTypeFromCode,
  corrupt,
  FORMAT_VERSION,
  sha256Hex,
} from "./format.js";
import { openObject, type Sealer } from "./sealer.js";

export interface PackEntry {
  readonly type: BlobType;
  readonly id: string;
  /** Byte offset of the sealed blob inside the pack. */
  readonly offset: number;
  /** Length of the sealed blob (nonce + ciphertext + tag). */
  readonly length: number;
  /** Length of the plaintext before compression. */
  readonly rawLength: number;
}

export interface FinishedPack {
  /** SHA-256 of the whole pack; the object name carries it. */
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly entries: readonly PackEntry[];
}

export const PACK_TRAILER_BYTES = 4;
/** version u8 + count u32 + per entry: type u8, id 32, offset u32, length u32, rawLength u32. */
export const PACK_HEADER_ENTRY_BYTES = 1 + 32 + 4 + 4 + 4;

export function encodePackHeader(entries: readonly PackEntry[]): Uint8Array {
  const w = new ByteWriter(5 + entries.length * PACK_HEADER_ENTRY_BYTES);
  w.u8(FORMAT_VERSION);
  w.u32(entries.length);
  for (const e of entries) {
    w.u8(BLOB_TYPE_CODE[e.type]);
    w.id(e.id);
    w.u32(e.offset);
    w.u32(e.length);
    w.u32(e.rawLength);
  }
  return w.finish();
}

/** Decodes a header and checks it describes blobs lying back to back in [0, dataEnd). */
export function decodePackHeader(plain: Uint8Array, dataEnd: number, what: string): PackEntry[] {
  const r = new ByteReader(plain, what);
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw corrupt(`${what}: unknown pack header version ${version}`);
  const count = r.u32();
  if (count * PACK_HEADER_ENTRY_BYTES !== r.remaining) throw corrupt(`${what}: header size mismatch`);
  const entries: PackEntry[] = [];
  let expected = 0;
  for (let i = 0; i < count; i++) {
    const type = blobTypeFromCode(r.u8());
    const id = r.id();
    const offset = r.u32();
    const length = r.u32();
    const rawLength = r.u32();
    if (type === undefined) throw corrupt(`${what}: unknown blob type`);
    if (offset !== expected || length === 0)
      throw corrupt(`${what}: blob ${id} is not where the header says`);
    expected = offset + length;
    entries.push({ type, id, offset, length, rawLength });
  }
  r.end();
  if (expected !== dataEnd) throw corrupt(`${what}: blobs do not fill the pack`);
  return entries;
}

/** Accumulates sealed blobs in memory until the pack is full (the caller decides when). */
export class PackBuilder {
  private readonly parts: Uint8Array[] = [];
  private readonly list: PackEntry[] = [];
  size = 0;

  get count(): number {
    return this.list.length;
  }

  add(type: BlobType, id: string, sealed: Uint8Array, rawLength: number): void {
    this.list.push({ type, id, offset: this.size, length: sealed.length, rawLength });
    this.parts.push(sealed);
    this.size += sealed.length;
  }

  finish(sealer: Sealer): FinishedPack {
    const header = sealer.seal(encodePackHeader(this.list), AD.packHeader);
    const bytes = new Uint8Array(this.size + header.length + PACK_TRAILER_BYTES);
    let at = 0;
    for (const part of this.parts) {
      bytes.set(part, at);
      at += part.length;
    }
    bytes.set(header, at);
    at += header.length;
    new DataView(bytes.buffer).setUint32(at, header.length, true);
    return { id: sha256Hex(bytes), bytes, entries: this.list.slice() };
  }
}

/** Parses a whole pack held in memory (verify, prune). MUST throw REPO_CORRUPT for any damage. */
export function parsePack(bytes: Uint8Array, sealer: Sealer, name: string): PackEntry[] {
  if (bytes.length < PACK_TRAILER_BYTES) throw corrupt(`${name}: too short for a pack`, { object: name });
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(
    bytes.length - PACK_TRAILER_BYTES,
    true,
  );
  const headerStart = bytes.length - PACK_TRAILER_BYTES - headerLength;
  if (headerStart < 0) throw corrupt(`${name}: header length out of range`, { object: name });
  const plain = openObject(
    sealer,
    bytes.subarray(headerStart, bytes.length - PACK_TRAILER_BYTES),
    AD.packHeader,
    { object: name },
  );
  return decodePackHeader(plain, headerStart, name);
}

/** Reads only the trailer and header of a stored pack (two ranged reads). */
export async function loadPackHeader(
  destination: Pick<Destination, "load">,
  name: string,
  size: number,
  sealer: Sealer,
): Promise<PackEntry[]> {
  if (size < PACK_TRAILER_BYTES) throw corrupt(`${name}: too short for a pack`, { object: name });
  const trailer = await destination.load(name, {
    offset: size - PACK_TRAILER_BYTES,
    length: PACK_TRAILER_BYTES,
  });
  const headerLength = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength).getUint32(
    0,
    true,
  );
  const headerStart = size - PACK_TRAILER_BYTES - headerLength;
  if (headerStart < 0) throw corrupt(`${name}: header length out of range`, { object: name });
  const sealed = await destination.load(name, { offset: headerStart, length: headerLength });
  const plain = openObject(sealer, sealed, AD.packHeader, { object: name });
  return decodePackHeader(plain, headerStart, name);
}
