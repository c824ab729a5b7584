// Key management: the repository's random 256-bit master key never touches the destination in
// the clear; it is stored only wrapped in key slots ("keys/<keyId>"), each opened by one
// credential: a password (scrypt), an escrow X25519 private key held by the service provider
// (sealed box), or a one-time printed recovery code. Slots can be added and removed without
// re-encrypting any data. Format: docs/repository-crypto.md, "Key files".
export { addEscrow, generateEscrowKeyPair, recoverWithEscrow } from "./escrow-slots.js";
export type { KeySlotKind } from "./key-file.js";
export { KEY_FILE_VERSION, KEYS_PREFIX } from "./key-file.js";
export { initKeys, removeKey } from "./key-slots.js";
export {
  addPassword,
  changePassword,
  DEFAULT_KDF_PARAMS,
  type KdfParams,
  unlockWithPassword,
} from "./password-slots.js";
export { createRecoveryCode, recoverWithCode } from "./recovery-code-slots.js";
export type { UnlockedKey } from "./slot-crypto.js";
export { type KeySlotInfo, listKeys } from "./slot-store.js";
