// The export stream's encoder; the format is described at the top of export-stream.ts.
//
// The encoder writes straight into one reusable scratch buffer: headers go in place and get their
// length (and, at the top level, checksum) patched once the value is written, strings are encoded
// into the buffer itself, and the result is one exact-size copy. Building a list of small arrays
// and gathering them cost more than the encoding. Large byte values (attachment content, mostly
// the same few pool files) keep their CRC in a cache, so their bytes are copied but not summed
// again: the record's CRC is continued past them arithmetically (see crcShift).
import { crc32 } from "node:zlib";
import type { MockItemData } from "../model.js";
import { END_RECORD, MAGIC, RECORD_HEADER_BYTES, TOP_RECORD_HEADER_BYTES, VERSION } from "./export-stream.js";
import {
  type Field,
  ITEM,
  ITEM_ADAPTER,
  isAllowedValue,
  MAX_EMBEDDED_DEPTH,
  type Scope,
} from "./export-stream-schema.js";

const utf8 = new TextEncoder();

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
      if (!isAllowedValue(field, value)) {
        throw new TypeError(`${path} must be one of ${(field.values ?? []).join(", ")}`);
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
