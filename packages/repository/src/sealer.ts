// The one place the store seals and opens objects. Wrapping the primitives' AEAD lets tests
// swap in fixed nonces (golden vectors) and turns an authentication failure of a stored object
// into REPO_CORRUPT naming that object, which is what verify and callers branch on.

import { isEwsVaultError } from "@ewsvault/mailbox";
import { createAeadCipher, NONCE_BYTES, sealWithNonce } from "./crypto/index.js";
import { corrupt } from "./format.js";

export interface Sealer {
  /** nonce(12) || ciphertext || tag(16); binds `ad` (not stored). */
  seal(plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** MUST throw EwsVaultError CRYPTO_AUTH_FAILED on any tampering; never returns unauthenticated bytes. */
  open(sealed: Uint8Array, ad: Uint8Array): Uint8Array;
}

export function createSealer(dataKey: Uint8Array): Sealer {
  const cipher = createAeadCipher(dataKey);
  return { seal: (p, ad) => cipher.seal(p, ad), open: (s, ad) => cipher.open(s, ad) };
}

/**
 * TESTS ONLY: nonces are a counter starting at `firstNonce`, so the same inputs give the same
 * bytes (golden vectors). Never use it for a real repository: a repeated nonce under one key
 * breaks AES-GCM.
 */
export function createDeterministicSealer(dataKey: Uint8Array, firstNonce = 1): Sealer {
  const cipher = createAeadCipher(dataKey);
  let counter = firstNonce;
  return {
    seal(plaintext, ad) {
      const nonce = new Uint8Array(NONCE_BYTES);
      new DataView(nonce.buffer).setUint32(NONCE_BYTES - 4, counter++, false);
      return sealWithNonce(dataKey, nonce, plaintext, ad);
    },
    open: (s, ad) => cipher.open(s, ad),
  };
}

/** open() that reports a failed authentication as REPO_CORRUPT of the named object. */
export function openObject(
  sealer: Sealer,
  sealed: Uint8Array,
  ad: Uint8Array,
  details: Record<string, unknown>,
): Uint8Array {
  try {
    return sealer.open(sealed, ad);
  } catch (error) {
    if (isEwsVaultError(error, "CRYPTO_AUTH_FAILED")) {
      throw corrupt(`stored object failed authentication: ${String(details.object ?? "?")}`, details, error);
    }
    throw error;
  }
}
