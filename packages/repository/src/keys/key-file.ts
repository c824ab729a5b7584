// The key file format (version 1): one JSON object per slot under "keys/<keyId>", each holding
// the master key sealed with AES-256-GCM under a key-encryption key (KEK) that the slot's
// credential derives, plus a short check value of that credential (so a tampered slot is told
// apart from a wrong password). Every field except the sealed key itself, plus the keyId, is bound in as
// associated data, so a changed parameter, date, kind or file name fails authentication.

import { EwsVaultError } from "@ewsvault/mailbox";
import { KEY_BYTES, SEAL_OVERHEAD } from "../crypto/aead.js";

export const KEY_FILE_VERSION = 1;
export const KEYS_PREFIX = "keys/";
/** Key files are tiny; anything bigger is not one of ours and is not parsed. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;
const AAD_PREFIX = "ewsvault/v1/key-file\n";

export type KeySlotKind = "password" | "escrow" | "recovery-code";

export interface ScryptParams {
  readonly name: "scrypt";
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** base64, 32 random bytes */
  readonly salt: string;
  /** base64, 8 bytes derived from the credential: tells a wrong password from a tampered slot */
  readonly check: string;
}

export interface HkdfParams {
  readonly name: "hkdf-sha256";
  /** base64, 32 random bytes */
  readonly salt: string;
  /** base64, 8 bytes derived from the credential */
  readonly check: string;
}

/** Bytes of a slot's credential check value. */
export const CHECK_BYTES = 8;

export interface EscrowParams {
  /** base64 X25519 public key of the one-off sender key pair */
  readonly ephemeralPublicKey: string;
  /** base64 X25519 public key of the escrow holder, so the holder can tell its slots apart */
  readonly recipientPublicKey: string;
}

export interface KeyFileHeader {
  readonly version: 1;
  readonly kind: KeySlotKind;
  /** ISO 8601 UTC */
  readonly createdAt: string;
  readonly hostname?: string;
  /** password: scrypt; recovery-code: hkdf-sha256; escrow: absent */
  readonly kdf?: ScryptParams | HkdfParams;
  /** escrow only */
  readonly escrow?: EscrowParams;
}

export interface KeyFile extends KeyFileHeader {
  /** base64 of nonce(12) || AES-256-GCM(KEK, masterKey) || tag(16) */
  readonly wrappedKey: string;
}

export const KEY_ID_PATTERN = /^[0-9a-f]{32}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const KNOWN_FIELDS = new Set(["version", "kind", "createdAt", "hostname", "kdf", "escrow", "wrappedKey"]);
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/** Accepted scrypt bounds, on read and on write: anything outside is refused (DoS guard). */
export const SCRYPT_LIMITS = Object.freeze({
  maxMemoryBytes: 1024 * 1024 * 1024,
  maxR: 32,
  maxP: 16,
  maxN: 2 ** 22,
});

export function scryptMemoryBytes(N: number, r: number): number {
  return 128 * N * r;
}

/** Null when valid, otherwise why not. */
export function checkScryptParams(N: unknown, r: unknown, p: unknown): string | null {
  if (!Number.isSafeInteger(N) || !Number.isSafeInteger(r) || !Number.isSafeInteger(p)) {
    return "scrypt N, r, p must be integers";
  }
  const n = N as number;
  if (n < 2 || n > SCRYPT_LIMITS.maxN || (n & (n - 1)) !== 0)
    return "scrypt N must be a power of two in [2, 2^22]";
  if ((r as number) < 1 || (r as number) > SCRYPT_LIMITS.maxR) return "scrypt r must be in [1, 32]";
  if ((p as number) < 1 || (p as number) > SCRYPT_LIMITS.maxP) return "scrypt p must be in [1, 16]";
  if (scryptMemoryBytes(n, r as number) > SCRYPT_LIMITS.maxMemoryBytes)
    return "scrypt N*r needs more than 1 GiB";
  return null;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function fromBase64(value: unknown, what: string, expectedLength?: number): Uint8Array {
  if (typeof value !== "string" || !BASE64_PATTERN.test(value)) throw corrupt(`${what} is not base64`);
  const bytes = new Uint8Array(Buffer.from(value, "base64"));
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw corrupt(`${what} must be ${expectedLength} bytes`);
  }
  return bytes;
}

export function corrupt(message: string, details?: Record<string, unknown>): EwsVaultError {
  return new EwsVaultError(
    "REPO_CORRUPT",
    `malformed key file: ${message}`,
    details ? { details } : undefined,
  );
}

/**
 * Associated data of a slot: a fixed prefix, the keyId, then the header re-serialized in a
 * fixed field order (never the file's own text, so whitespace and field order in the file do
 * not matter, only values do).
 */
export function keyFileAad(keyId: string, header: KeyFileHeader): Uint8Array {
  return new TextEncoder().encode(`${AAD_PREFIX}${keyId}\n${JSON.stringify(canonicalHeader(header))}`);
}

function canonicalHeader(header: KeyFileHeader): KeyFileHeader {
  const out: {
    version: 1;
    kind: KeySlotKind;
    createdAt: string;
    hostname?: string;
    kdf?: ScryptParams | HkdfParams;
    escrow?: EscrowParams;
  } = { version: header.version, kind: header.kind, createdAt: header.createdAt };
  if (header.hostname !== undefined) out.hostname = header.hostname;
  if (header.kdf !== undefined) {
    out.kdf =
      header.kdf.name === "scrypt"
        ? {
            name: "scrypt",
            N: header.kdf.N,
            r: header.kdf.r,
            p: header.kdf.p,
            salt: header.kdf.salt,
            check: header.kdf.check,
          }
        : { name: "hkdf-sha256", salt: header.kdf.salt, check: header.kdf.check };
  }
  if (header.escrow !== undefined) {
    out.escrow = {
      ephemeralPublicKey: header.escrow.ephemeralPublicKey,
      recipientPublicKey: header.escrow.recipientPublicKey,
    };
  }
  return out;
}

export function serializeKeyFile(header: KeyFileHeader, wrappedKey: Uint8Array): Uint8Array {
  const file: KeyFile = { ...canonicalHeader(header), wrappedKey: toBase64(wrappedKey) };
  return new TextEncoder().encode(`${JSON.stringify(file, null, 2)}\n`);
}

export interface ParsedKeyFile {
  readonly header: KeyFileHeader;
  readonly wrappedKey: Uint8Array;
  /** Decoded binary parameters, validated for length. */
  readonly salt?: Uint8Array;
  readonly check?: Uint8Array;
  readonly ephemeralPublicKey?: Uint8Array;
  readonly recipientPublicKey?: Uint8Array;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Nested objects may not carry fields the associated data does not cover either. */
function onlyFields(value: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) throw corrupt(`unknown field ${what}.${field}`);
  }
}

/** MUST throw REPO_CORRUPT for anything that is not a well-formed version 1 key file. */
export function parseKeyFile(bytes: Uint8Array): ParsedKeyFile {
  if (bytes.length > MAX_KEY_FILE_BYTES) throw corrupt("too large");
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw corrupt("not UTF-8 JSON");
  }
  if (!isRecord(raw)) throw corrupt("not a JSON object");
  if (raw.version !== KEY_FILE_VERSION) throw corrupt(`unsupported version ${String(raw.version)}`);
  const kind = raw.kind;
  if (kind !== "password" && kind !== "escrow" && kind !== "recovery-code") throw corrupt("unknown kind");
  for (const field of Object.keys(raw)) {
    // An unknown field would not be covered by the associated data, so it is refused outright.
    if (!KNOWN_FIELDS.has(field)) throw corrupt(`unknown field ${field}`);
  }
  if (typeof raw.createdAt !== "string" || !ISO_PATTERN.test(raw.createdAt)) throw corrupt("bad createdAt");
  if (raw.hostname !== undefined && (typeof raw.hostname !== "string" || raw.hostname.length > 255)) {
    throw corrupt("bad hostname");
  }
  const wrappedKey = fromBase64(raw.wrappedKey, "wrappedKey", KEY_BYTES + SEAL_OVERHEAD);
  const base: { version: 1; kind: KeySlotKind; createdAt: string; hostname?: string } = {
    version: 1,
    kind,
    createdAt: raw.createdAt,
    ...(raw.hostname === undefined ? {} : { hostname: raw.hostname as string }),
  };
  if (kind === "escrow") {
    if (raw.kdf !== undefined) throw corrupt("escrow slot has a kdf");
    if (!isRecord(raw.escrow)) throw corrupt("escrow slot without escrow parameters");
    onlyFields(raw.escrow, ["ephemeralPublicKey", "recipientPublicKey"], "escrow");
    const ephemeralPublicKey = fromBase64(raw.escrow.ephemeralPublicKey, "ephemeralPublicKey", 32);
    const recipientPublicKey = fromBase64(raw.escrow.recipientPublicKey, "recipientPublicKey", 32);
    return {
      header: {
        ...base,
        escrow: {
          ephemeralPublicKey: raw.escrow.ephemeralPublicKey as string,
          recipientPublicKey: raw.escrow.recipientPublicKey as string,
        },
      },
      wrappedKey,
      ephemeralPublicKey,
      recipientPublicKey,
    };
  }
  if (raw.escrow !== undefined) throw corrupt(`${kind} slot has escrow parameters`);
  if (!isRecord(raw.kdf)) throw corrupt("missing kdf");
  onlyFields(
    raw.kdf,
    kind === "password" ? ["name", "N", "r", "p", "salt", "check"] : ["name", "salt", "check"],
    "kdf",
  );
  const salt = fromBase64(raw.kdf.salt, "kdf salt", 32);
  const check = fromBase64(raw.kdf.check, "kdf check", CHECK_BYTES);
  if (kind === "password") {
    if (raw.kdf.name !== "scrypt") throw corrupt("password slot kdf must be scrypt");
    const problem = checkScryptParams(raw.kdf.N, raw.kdf.r, raw.kdf.p);
    if (problem !== null) throw corrupt(problem);
    return {
      header: {
        ...base,
        kdf: {
          name: "scrypt",
          N: raw.kdf.N as number,
          r: raw.kdf.r as number,
          p: raw.kdf.p as number,
          salt: raw.kdf.salt as string,
          check: raw.kdf.check as string,
        },
      },
      wrappedKey,
      salt,
      check,
    };
  }
  if (raw.kdf.name !== "hkdf-sha256") throw corrupt("recovery-code slot kdf must be hkdf-sha256");
  return {
    header: {
      ...base,
      kdf: { name: "hkdf-sha256", salt: raw.kdf.salt as string, check: raw.kdf.check as string },
    },
    wrappedKey,
    salt,
    check,
  };
}
