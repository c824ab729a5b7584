// The export stream's decoder: strict, so anything but a stream encodeExportStream made is an
// ExportStreamError (the format and the list of what is rejected are at the top of export-stream.ts).
import { crc32 } from "node:zlib";
import type { MockItemData } from "../model.js";
import { ExportStreamError } from "./errors.js";
import {
  END_RECORD,
  HEADER_BYTES,
  MAGIC,
  RECORD_HEADER_BYTES,
  TOP_RECORD_HEADER_BYTES,
  VERSION,
} from "./export-stream.js";
import {
  type Field,
  ITEM,
  ITEM_ADAPTER,
  isAllowedValue,
  MAX_EMBEDDED_DEPTH,
  type Scope,
} from "./export-stream-schema.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

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
      if (!isAllowedValue(field, text)) corrupt(`${path} has an unknown value`);
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
