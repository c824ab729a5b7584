// The cryptography every key slot shares: the master key is sealed (AES-256-GCM) under a
// key-encryption key its credential derives, with the slot's header and keyId as associated data;
// a password or recovery-code slot also stores a short check value of its credential, so a wrong
// credential is told apart from an altered slot. Per-credential derivations live beside their
// slots (password-slots.ts, escrow-slots.ts, recovery-code-slots.ts). Format:
// docs/repository-crypto.md, "Key files".

import { randomBytes, timingSafeEqual } from "node:crypto";
import { EwsVaultError } from "@ewsvault/mailbox";
import { createAeadCipher, KEY_BYTES, sealWithNonce } from "../crypto/aead.js";
import { hkdfSha256 } from "../crypto/keys.js";
import {
  CHECK_BYTES,
  type KeyFileHeader,
  keyFileAad,
  type ParsedKeyFile,
  serializeKeyFile,
  toBase64,
} from "./key-file.js";

export interface UnlockedKey {
  readonly masterKey: Uint8Array;
  /** The slot that was opened; removeKey refuses to remove it. */
  readonly keyId: string;
}

export const SALT_BYTES = 32;

/** HKDF info strings of the key-wrapping keys; part of the format. */
export const WRAP_INFO = Object.freeze({
  escrow: "ewsvault/v1/escrow-wrap",
  recoveryCode: "ewsvault/v1/recovery-code-wrap",
  /** From a password or recovery-code slot's KDF output: the key that seals the master key ... */
  slotWrapKey: "ewsvault/v1/slot-wrap-key",
  /** ... and the check value stored in the slot. */
  slotCheck: "ewsvault/v1/slot-check",
});

export function checkMasterKey(masterKey: Uint8Array): void {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== KEY_BYTES) {
    throw new TypeError(`master key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
}

export function newKeyId(): string {
  return randomBytes(16).toString("hex");
}

export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Splits a credential's KDF output into the wrapping key and the stored check value. The check
 * lets unlock tell "wrong password" from "right password, altered slot"; it helps a guesser no
 * more than the wrapped key itself does (both cost one KDF run per guess).
 */
function splitMaterial(material: Uint8Array): { wrapKey: Uint8Array; check: Uint8Array } {
  return {
    wrapKey: hkdfSha256(material, new Uint8Array(0), WRAP_INFO.slotWrapKey),
    check: hkdfSha256(material, new Uint8Array(0), WRAP_INFO.slotCheck, CHECK_BYTES),
  };
}

export type OpenOutcome = { masterKey: Uint8Array } | "wrong-credential" | "tampered";

/** Opens a password or recovery-code slot with its credential's KDF output. */
export function openChecked(material: Uint8Array, keyId: string, parsed: ParsedKeyFile): OpenOutcome {
  const { wrapKey, check } = splitMaterial(material);
  try {
    if (parsed.check === undefined || !timingSafeEqual(check, parsed.check)) return "wrong-credential";
    const masterKey = tryUnwrap(wrapKey, keyId, parsed);
    return masterKey === null ? "tampered" : { masterKey };
  } finally {
    wrapKey.fill(0);
  }
}

export function tamperedSlot(keyId: string): EwsVaultError {
  return new EwsVaultError(
    "CRYPTO_AUTH_FAILED",
    "the credential is right but its key slot was altered; it does not authenticate",
    { details: { keyId } },
  );
}

export function sealSlot(
  kek: Uint8Array,
  keyId: string,
  header: KeyFileHeader,
  masterKey: Uint8Array,
  nonce?: Uint8Array,
) {
  const aad = keyFileAad(keyId, header);
  const wrapped = nonce
    ? sealWithNonce(kek, nonce, masterKey, aad)
    : createAeadCipher(kek).seal(masterKey, aad);
  return serializeKeyFile(header, wrapped);
}

/** Opens a slot's wrapped key; null when the KEK is wrong or the slot was tampered with. */
export function tryUnwrap(kek: Uint8Array, keyId: string, parsed: ParsedKeyFile): Uint8Array | null {
  try {
    const key = createAeadCipher(kek).open(parsed.wrappedKey, keyFileAad(keyId, parsed.header));
    return key.length === KEY_BYTES ? key : null;
  } catch {
    return null;
  }
}

/**
 * Seals the master key in a password or recovery-code slot from its credential's KDF output:
 * the header (built around the base64 check value) and the wrapped key. The wrapping key is
 * zeroed afterwards.
 */
export function sealCheckedSlot(
  material: Uint8Array,
  keyId: string,
  headerWithCheck: (check: string) => KeyFileHeader,
  masterKey: Uint8Array,
  nonce?: Uint8Array,
): Uint8Array {
  const { wrapKey, check } = splitMaterial(material);
  try {
    return sealSlot(wrapKey, keyId, headerWithCheck(toBase64(check)), masterKey, nonce);
  } finally {
    wrapKey.fill(0);
  }
}
