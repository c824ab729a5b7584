// Recovery codes: 128 random bits plus a 32-bit checksum, written in Crockford base32 as eight
// groups of four characters. Crockford's alphabet has no I, L, O or U and reads 0/O and 1/I/L
// alike, so a code copied from paper survives the usual misreadings; the checksum catches the
// rest (a random typo passes with probability 2^-32) before any key slot is tried.

import { createHash, randomBytes } from "node:crypto";
import { EwsVaultError } from "@ewsvault/mailbox";

export const RECOVERY_ENTROPY_BYTES = 16;
const CHECKSUM_BYTES = 4;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHECKSUM_DOMAIN = "ewsvault/v1/recovery-code-checksum";
const GROUP = 4;
/** (16 + 4) bytes * 8 bits / 5 bits per character */
const CODE_CHARS = 32;

function checksum(entropy: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(CHECKSUM_DOMAIN).update(entropy).digest()).subarray(
    0,
    CHECKSUM_BYTES,
  );
}

function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function invalid(message: string): EwsVaultError {
  return new EwsVaultError("RECOVERY_CODE_INVALID", message);
}

/** Formats entropy (16 bytes) as "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX". */
export function formatRecoveryCode(entropy: Uint8Array): string {
  if (entropy.length !== RECOVERY_ENTROPY_BYTES)
    throw new TypeError("recovery code entropy must be 16 bytes");
  const payload = new Uint8Array(RECOVERY_ENTROPY_BYTES + CHECKSUM_BYTES);
  payload.set(entropy, 0);
  payload.set(checksum(entropy), RECOVERY_ENTROPY_BYTES);
  const chars = encodeBase32(payload);
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += GROUP) groups.push(chars.slice(i, i + GROUP));
  return groups.join("-");
}

export function newRecoveryEntropy(): Uint8Array {
  return new Uint8Array(randomBytes(RECOVERY_ENTROPY_BYTES));
}

/**
 * Parses a typed code back to its entropy. Case, spaces and hyphens are ignored; O reads as 0,
 * I and L as 1. MUST throw RECOVERY_CODE_INVALID for a wrong length, a character outside the
 * alphabet or a checksum mismatch.
 */
export function parseRecoveryCode(code: string): Uint8Array {
  if (typeof code !== "string") throw new TypeError("recovery code must be a string");
  const cleaned = code.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (cleaned.length !== CODE_CHARS) throw invalid(`recovery code must have ${CODE_CHARS} characters`);
  const bytes = new Uint8Array(RECOVERY_ENTROPY_BYTES + CHECKSUM_BYTES);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of cleaned) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw invalid("recovery code contains a character outside its alphabet");
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[index++] = (buffer >>> bits) & 0xff;
      buffer &= (1 << bits) - 1;
    }
  }
  const entropy = bytes.slice(0, RECOVERY_ENTROPY_BYTES);
  const expected = checksum(entropy);
  for (let i = 0; i < CHECKSUM_BYTES; i++) {
    if (bytes[RECOVERY_ENTROPY_BYTES + i] !== expected[i])
      throw invalid("recovery code checksum does not match");
  }
  return entropy;
}
