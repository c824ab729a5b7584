// The engine: backup() and restore() orchestration over a MailboxSource/MailboxTarget and a
// repository, with progress events, run reports and the snapshot tree format.
export { backup } from "./backup/index.js";
export { describeError } from "./describe-error.js";
export type {
  BindableItem,
  ItemCheckProblem,
  ItemCheckProblemCode,
  ItemCheckReport,
} from "./item-binding.js";
export {
  checkSnapshotItems,
  itemBinding,
  type SnapshotItemProblem,
  verifySnapshotItemBindings,
} from "./item-binding.js";
export { mailboxIndexDirectory } from "./mailbox-index-location.js";
export type {
  EngineLock,
  EngineRepository,
  EngineSnapshot,
  EngineSnapshotManifest,
  EngineWriter,
  SavedData,
} from "./repository-port.js";
export type { RestorePlan } from "./restore/index.js";
export { planRestore, resolveSnapshot, restore } from "./restore/index.js";
export { readSnapshotSettings, restoreSettings } from "./restore/settings.js";
export type * from "./restore/settings-types.js";
export {
  createFolderFilter,
  createItemFilter,
  folderPatternProblem,
  validateSelection,
} from "./selection.js";
export type { SettingsDocument, SettingsTree, StoredKindRef } from "./settings-document.js";
export { SETTINGS_FORMAT_VERSION, SETTINGS_KINDS } from "./settings-document.js";
export type {
  FolderTree,
  ItemPageTree,
  MailboxTree,
  SnapshotFolder,
  SnapshotItem,
  TreeRef,
} from "./snapshot-tree.js";
export {
  fromSnapshotItem,
  loadSnapshotItems,
  SNAPSHOT_TREE_VERSION,
  toSnapshotItem,
  walkSnapshotFolders,
} from "./snapshot-tree.js";
export type * from "./types.js";
