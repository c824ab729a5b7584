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
} from "./repository.js";
export type { RepositoryWriter, SaveDataResult, WriterOptions } from "./writer.js";
export type { RepositoryConfig } from "./config.js";
export type { Snapshot, SnapshotManifest } from "./snapshots.js";
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
export * from "./chunker/index.js";
export * from "./compress/index.js";
export * from "./crypto/index.js";
export * from "./keys/index.js";
