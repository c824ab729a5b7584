// Repository cryptography: AES-256-GCM sealing of every stored object (node:crypto on the hot
// path, @noble/ciphers as a byte-identical portable implementation), HKDF subkeys derived from
// the master key, and keyed content ids. The byte layout is specified in docs/repository-crypto.md.
export {
  KEY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  SEAL_OVERHEAD,
  createAeadCipher,
  sealWithNonce,
} from "./aead.js";
export type { AeadCipher, AeadImplementation } from "./aead.js";
export {
  HKDF_INFO,
  HKDF_SALT,
  contentBinding,
  deriveRepositoryKeys,
  keyedBlobId,
  randomKey,
} from "./keys.js";
export type { RepositoryKeys } from "./keys.js";
