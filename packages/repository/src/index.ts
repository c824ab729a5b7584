// Repository: encrypted, deduplicating storage of mailbox data (see docs/repository-format.md).
// Packs of sealed, compressed, content-addressed blobs; the pack index (which pack holds which
// blob); per-mailbox snapshots that point at deduplicated trees; locks that keep prune away from
// running backups; verify, forget and prune. repository.ts lists the layers. The primitives
// (chunker, crypto, compress, keys) live in subfolders and are re-exported here. Must not import
// engine code.

// The primitives' public surface, by name: test-only helpers (fixed-nonce sealing, gear tables,
// raw key-file builders) stay internal.
export { type Chunker, type ChunkerParams, createChunker, DEFAULT_CHUNKER_PARAMS } from "./chunker/index.js";
export {
  type CompressionMethod,
  compressBlob,
  DEFAULT_COMPRESSION,
  DEFAULT_MAX_DECOMPRESSED,
  decompressBlob,
} from "./compress/index.js";
export type { RepositoryConfig } from "./config.js";
export { CONFIG_VERSION, type ConfigVersion } from "./config.js";
export {
  type AeadCipher,
  contentBinding,
  createAeadCipher,
  deriveRepositoryKeys,
  KEY_BYTES,
  keyedBlobId,
  NONCE_BYTES,
  type RepositoryKeys,
  randomKey,
  sealWithNonce,
} from "./crypto/index.js";
export {
  applyForgetPolicy,
  type ForgetDecision,
  type ForgetPolicy,
  validateForgetPolicy,
} from "./forget-policy.js";
export type { ForgetOptions, ForgetReport } from "./forget-snapshots.js";
export { type BlobType, canonicalJson, DEFAULT_PACK_SIZE, FORMAT_VERSION } from "./format.js";
export {
  addEscrow,
  addPassword,
  changePassword,
  createRecoveryCode,
  DEFAULT_KDF_PARAMS,
  generateEscrowKeyPair,
  initKeys,
  type KdfParams,
  type KeySlotInfo,
  type KeySlotKind,
  listKeys,
  recoverWithCode,
  recoverWithEscrow,
  removeKey,
  type UnlockedKey,
  unlockWithPassword,
} from "./keys/index.js";
export type { MailboxLock } from "./lock-manager.js";
export type { LockInfo, LockKind } from "./lock-objects.js";
export type { PrunePlan, PruneReport } from "./plan-prune.js";
export type { PruneOptions } from "./prune.js";
export type { RepairIndexOptions, RepairIndexReport } from "./repair.js";
export { initRepository, openRepository } from "./repository.js";
export type {
  InitRepositoryOptions,
  OpenRepositoryOptions,
  Repository,
  RepositoryStats,
} from "./repository-types.js";
export {
  canonicalSelection,
  defaultGroup,
  describeSelection,
  type GroupedSnapshot,
  groupsOf,
  LEGACY_GROUP,
  type SelectionInput,
  SNAPSHOT_SELECTION_VERSION,
  type SnapshotSelection,
  selectionGroup,
  WHOLE_MAILBOX_SELECTION,
} from "./snapshot-group.js";
export type { SnapshotQuery } from "./snapshot-store.js";
export type { Snapshot, SnapshotManifest } from "./snapshots.js";
export { collectTreeRefs, type TreeRefs } from "./tree-refs.js";
export type { VerifyOptions, VerifyProblem, VerifyProblemCode, VerifyReport } from "./verify.js";
export type { RepositoryWriter, SaveDataResult, WriterOptions } from "./writer.js";
