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

/**
 * Accumulates sealed blobs until the pack is full (the caller decides when), copying each into
 * one growing buffer as it arrives. Copying at add() rather than concatenating at finish() lets
 * the caller's blob buffers go at once (a worker's reply holds many blobs) and lets a writer
 * hand a finished pack's buffer to its next builder once the upload is done, so a backup reuses
 * a few pack buffers instead of allocating (and page-faulting in) a fresh one per pack.
 */
export class PackBuilder {
  private buffer: Uint8Array;
  private readonly list: PackEntry[] = [];
  size = 0;

  /** `buffer`: storage to reuse (its contents are overwritten); grown when a pack outgrows it. */
  constructor(buffer: Uint8Array = new Uint8Array(64 * 1024)) {
    this.buffer = buffer;
  }

  get count(): number {
    return this.list.length;
  }

  private reserve(bytes: number): void {
    const need = this.size + bytes;
    if (need <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(need, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.size), 0);
    this.buffer = grown;
  }

  add(type: BlobType, id: string, sealed: Uint8Array, rawLength: number): void {
    this.list.push({ type, id, offset: this.size, length: sealed.length, rawLength });
    this.reserve(sealed.length);
    this.buffer.set(sealed, this.size);
    this.size += sealed.length;
  }

  /**
   * Appends the sealed header and trailer. `bytes` of the result is a view of `buffer`: the
   * buffer may be given to a new builder only when nothing reads `bytes` any more.
   */
  finish(sealer: Sealer): FinishedPack & { readonly buffer: Uint8Array } {
    const header = sealer.seal(encodePackHeader(this.list), AD.packHeader);
    this.reserve(header.length + PACK_TRAILER_BYTES);
    this.buffer.set(header, this.size);
    const end = this.size + header.length + PACK_TRAILER_BYTES;
    const bytes = this.buffer.subarray(0, end);
    new DataView(bytes.buffer, bytes.byteOffset, end).setUint32(
      end - PACK_TRAILER_BYTES,
      header.length,
      true,
    );
    return { id: sha256Hex(bytes), bytes, entries: this.list.slice(), buffer: this.buffer };
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
