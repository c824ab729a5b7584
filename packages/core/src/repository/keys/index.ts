// Key management: the repository's random 256-bit master key never touches the destination in
// the clear; it is stored only wrapped in key slots ("keys/<keyId>"), each opened by one
// credential: a password (scrypt), an escrow X25519 private key held by the service provider
// (sealed box), or a one-time printed recovery code. Slots can be added and removed without
// re-encrypting any data. Format: docs/repository-crypto.md, "Key files".
export {
  DEFAULT_KDF_PARAMS,
  addEscrow,
  addPassword,
  changePassword,
  createRecoveryCode,
  generateEscrowKeyPair,
  initKeys,
  listKeys,
  recoverWithCode,
  recoverWithEscrow,
  removeKey,
  unlockWithPassword,
} from "./key-slots.js";
export type { KdfParams, KeySlotInfo, UnlockedKey } from "./key-slots.js";
export { KEYS_PREFIX, KEY_FILE_VERSION } from "./key-file.js";
export type { KeySlotKind } from "./key-file.js";
