// The engine: backup() and restore() orchestration over a MailboxSource/MailboxTarget and a
// repository, with progress events, run reports and the snapshot tree format.
export { backup } from "./backup/index.js";
export { describeError } from "./describe-error.js";
export { mailboxIndexDirectory } from "./mailbox-index-location.js";
export { checkSnapshotItems, itemBinding } from "./item-binding.js";
export { type SnapshotItemProblem, verifySnapshotItemBindings } from "./item-binding.js";
export type {
  BindableItem,
  ItemCheckProblem,
  ItemCheckProblemCode,
  ItemCheckReport,
} from "./item-binding.js";
export type {
  EngineLock,
  EngineRepository,
  EngineSnapshot,
  EngineSnapshotManifest,
  EngineWriter,
  SavedData,
} from "./repository-port.js";
export { planRestore, resolveSnapshot, restore } from "./restore/index.js";
export type { RestorePlan } from "./restore/index.js";
export {
  createFolderFilter,
  createItemFilter,
  folderPatternProblem,
  validateSelection,
} from "./selection.js";
export {
  fromSnapshotItem,
  loadSnapshotItems,
  toSnapshotItem,
  SNAPSHOT_TREE_VERSION,
  walkSnapshotFolders,
} from "./snapshot-tree.js";
export type {
  FolderTree,
  ItemPageTree,
  MailboxTree,
  SnapshotFolder,
  SnapshotItem,
  TreeRef,
} from "./snapshot-tree.js";
export type * from "./types.js";
