// Repository: encrypted, deduplicating storage of mailbox data (see docs/repository-format.md).
// Packs of sealed, compressed, content-addressed blobs; index files; per-mailbox snapshots that
// point at deduplicated trees; locks that keep prune away from running backups; verify, forget
// and prune. The primitives (chunker, crypto, compress, keys) live in subfolders and are
// re-exported here. Must not import engine code.
export {
  initRepository,
  openRepository,
  type ForgetOptions,
  type ForgetReport,
  type InitRepositoryOptions,
  type MailboxLock,
  type OpenRepositoryOptions,
  type Repository,
  type RepositoryStats,
  type SnapshotQuery,
} from "./repository.js";
export type { RepositoryWriter, SaveDataResult, WriterOptions } from "./writer.js";
export type { RepositoryConfig } from "./config.js";
export type { Snapshot, SnapshotManifest } from "./snapshots.js";
export {
  canonicalSelection,
  defaultGroup,
  describeSelection,
  type GroupedSnapshot,
  groupsOf,
  LEGACY_GROUP,
  type SelectionInput,
  selectionGroup,
  SNAPSHOT_SELECTION_VERSION,
  type SnapshotSelection,
  WHOLE_MAILBOX_SELECTION,
} from "./snapshot-group.js";
export {
  applyForgetPolicy,
  validateForgetPolicy,
  type ForgetDecision,
  type ForgetPolicy,
} from "./forget-policy.js";
export type { LockInfo, LockKind } from "./locks.js";
export type { PruneOptions, PruneReport } from "./prune.js";
export type { RepairIndexOptions, RepairIndexReport } from "./repair.js";
export type { VerifyOptions, VerifyProblem, VerifyProblemCode, VerifyReport } from "./verify.js";
export { collectTreeRefs, type TreeRefs } from "./tree-refs.js";
export { canonicalJson, DEFAULT_PACK_SIZE, FORMAT_VERSION, type BlobType } from "./format.js";
// The primitives' public surface, by name: test-only helpers (fixed-nonce sealing, gear tables,
// raw key-file builders) stay internal.
export { type Chunker, type ChunkerParams, createChunker, DEFAULT_CHUNKER_PARAMS } from "./chunker/index.js";
export { compressBlob, DEFAULT_MAX_DECOMPRESSED, decompressBlob } from "./compress/index.js";
export {
  type AeadCipher,
  createAeadCipher,
  deriveRepositoryKeys,
  KEY_BYTES,
  keyedBlobId,
  type RepositoryKeys,
  randomKey,
} from "./crypto/index.js";
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
