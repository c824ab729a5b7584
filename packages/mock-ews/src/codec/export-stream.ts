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
 * The tags of every scope are listed, with their schema, in export-stream-schema.ts; the encoder
 * is export-stream-encode.ts, the decoder export-stream-decode.ts.
 *
 * The decoder rejects, with ExportStreamError (code CORRUPT_EXPORT_STREAM), anything else: bad
 * magic, unknown version or flags, unknown or out-of-order tags, repeated singletons, missing
 * required properties, lengths past the end, invalid UTF-8, values outside an enum, a checksum
 * mismatch, a missing end record and trailing bytes; also map entries out of key order or
 * repeated, an extended property addressed both or neither way, and item attachments nested
 * deeper than 10.
 */

export const MAGIC = [0x4d, 0x45, 0x58, 0x53] as const;
export const VERSION = 1;
export const HEADER_BYTES = 6;
export const RECORD_HEADER_BYTES = 6;
export const TOP_RECORD_HEADER_BYTES = 10;
export const END_RECORD = [0xff, 0xff, 0, 0, 0, 0] as const;
