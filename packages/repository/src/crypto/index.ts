// Repository cryptography: AES-256-GCM sealing of every stored object (node:crypto on the hot
// path, @noble/ciphers as a byte-identical portable implementation), HKDF subkeys derived from
// the master key, and keyed content ids. The byte layout is specified in docs/repository-crypto.md.

export type { AeadCipher, AeadImplementation } from "./aead.js";
export {
  createAeadCipher,
  KEY_BYTES,
  NONCE_BYTES,
  SEAL_OVERHEAD,
  sealWithNonce,
  TAG_BYTES,
} from "./aead.js";
export type { RepositoryKeys } from "./keys.js";
export {
  contentBinding,
  deriveRepositoryKeys,
  HKDF_INFO,
  HKDF_SALT,
  keyedBlobId,
  randomKey,
} from "./keys.js";
