// AES-256-GCM with a random 96-bit nonce per message. node:crypto (OpenSSL, AES-NI) is the
// hot path; @noble/ciphers is the portable reference that must produce identical bytes, so a
// repository written by one can always be read by the other.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { EwsVaultError } from "@ewsvault/mailbox";
import { gcm } from "@noble/ciphers/aes.js";

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes a sealed message carries on top of its plaintext. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export type AeadImplementation = "node" | "noble";

export interface AeadCipher {
  readonly implementation: AeadImplementation;
  /**
   * Encrypts and authenticates plaintext (and binds associatedData, which is not stored).
   * Returns nonce(12) || ciphertext || tag(16), a fresh random nonce every call.
   */
  seal(plaintext: Uint8Array, associatedData?: Uint8Array): Uint8Array;
  /**
   * Reverses seal(). MUST throw EwsVaultError CRYPTO_AUTH_FAILED on any tampering, truncation,
   * wrong key or wrong associatedData; it never returns unauthenticated bytes.
   */
  open(sealed: Uint8Array, associatedData?: Uint8Array): Uint8Array;
}

const EMPTY = new Uint8Array(0);

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new TypeError(`AES-256-GCM key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
}

function checkNonce(nonce: Uint8Array): void {
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
    throw new TypeError(`AES-GCM nonce must be a Uint8Array of ${NONCE_BYTES} bytes`);
  }
}

function authFailed(cause?: unknown): EwsVaultError {
  return new EwsVaultError(
    "CRYPTO_AUTH_FAILED",
    "authenticated decryption failed (tampered, truncated or wrong key)",
    {
      cause,
    },
  );
}

function nodeSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  if (aad.length > 0) cipher.setAAD(aad);
  const out = new Uint8Array(NONCE_BYTES + plaintext.length + TAG_BYTES);
  out.set(nonce, 0);
  const body = cipher.update(plaintext);
  out.set(body, NONCE_BYTES);
  // GCM is a stream mode: update() already returned every ciphertext byte, final() returns none.
  const rest = cipher.final();
  out.set(rest, NONCE_BYTES + body.length);
  out.set(cipher.getAuthTag(), NONCE_BYTES + plaintext.length);
  return out;
}

function nodeOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < SEAL_OVERHEAD) throw authFailed();
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    if (aad.length > 0) decipher.setAAD(aad);
    const plain = decipher.update(body);
    const rest = decipher.final();
    if (rest.length === 0) return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    const out = new Uint8Array(plain.length + rest.length);
    out.set(plain, 0);
    out.set(rest, plain.length);
    return out;
  } catch (error) {
    throw authFailed(error);
  }
}

function nobleSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const body = gcm(key, nonce, aad.length > 0 ? aad : undefined).encrypt(plaintext);
  const out = new Uint8Array(NONCE_BYTES + body.length);
  out.set(nonce, 0);
  out.set(body, NONCE_BYTES);
  return out;
}

function nobleOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < SEAL_OVERHEAD) throw authFailed();
  const nonce = sealed.slice(0, NONCE_BYTES);
  try {
    return gcm(key, nonce, aad.length > 0 ? aad : undefined).decrypt(sealed.subarray(NONCE_BYTES));
  } catch (error) {
    throw authFailed(error);
  }
}

/**
 * Seals with a caller-chosen nonce. Internal: only golden tests, cross-implementation tests and
 * callers that draw every nonce fresh from the CSPRNG in bulk (the mailbox index's nonce pool)
 * may call it, because reusing a nonce under one key destroys GCM's confidentiality and integrity.
 */
export function sealWithNonce(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array = EMPTY,
  implementation: AeadImplementation = "node",
): Uint8Array {
  checkKey(key);
  checkNonce(nonce);
  return implementation === "node"
    ? nodeSeal(key, nonce, plaintext, associatedData)
    : nobleSeal(key, nonce, plaintext, associatedData);
}

export function createAeadCipher(key: Uint8Array, implementation: AeadImplementation = "node"): AeadCipher {
  checkKey(key);
  if (implementation !== "node" && implementation !== "noble") {
    throw new TypeError(`unknown AEAD implementation: ${String(implementation)}`);
  }
  // A private copy: the caller may wipe or reuse its buffer.
  const k = Uint8Array.from(key);
  const sealFn = implementation === "node" ? nodeSeal : nobleSeal;
  const openFn = implementation === "node" ? nodeOpen : nobleOpen;
  return {
    implementation,
    seal(plaintext, associatedData = EMPTY) {
      return sealFn(k, randomBytes(NONCE_BYTES), plaintext, associatedData);
    },
    open(sealed, associatedData = EMPTY) {
      return openFn(k, sealed, associatedData);
    },
  };
}
