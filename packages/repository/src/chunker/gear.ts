// The gear table: 256 pseudo-random 32-bit words, one per byte value. Derived with HKDF so that
// a keyed repository gets its own table (boundaries then reveal little about content) while an
// unkeyed chunker still has a fixed, documented table anyone can reproduce.

import { hkdfSync } from "node:crypto";

export const GEAR_HKDF_SALT = "ewsvault/v1/gear";
export const GEAR_HKDF_INFO = "ewsvault/v1/gear-table";
/** Input keying material of the unkeyed table: 32 zero bytes. */
const UNKEYED_IKM = new Uint8Array(32);

/**
 * 1024 bytes of HKDF-SHA256(ikm = chunkerKey or 32 zero bytes) read as 256 big-endian uint32s.
 * Big-endian fixes the layout regardless of the host's byte order.
 */
export function deriveGearTable(chunkerKey?: Uint8Array): Int32Array {
  if (chunkerKey !== undefined && (!(chunkerKey instanceof Uint8Array) || chunkerKey.length < 16)) {
    throw new TypeError("chunkerKey must be a Uint8Array of at least 16 bytes");
  }
  const bytes = new Uint8Array(
    hkdfSync("sha256", chunkerKey ?? UNKEYED_IKM, GEAR_HKDF_SALT, GEAR_HKDF_INFO, 1024),
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = view.getInt32(i * 4, false);
  return table;
}
