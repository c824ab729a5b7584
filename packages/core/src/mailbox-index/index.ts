// Per-mailbox LevelDB index: folder sync states and the current version of every item, so an
// incremental backup knows what changed and a browse or search needs no repository reads.
// A cache of the repository, rebuildable from the latest snapshot.

export type { ItemSet } from "./item-set.js";
export type {
  HierarchyRootName,
  IndexedFolder,
  IndexedItem,
  MailboxIndexMeta,
  StoredFolderProbe,
} from "./mailbox-index.js";
export {
  destroyMailboxIndex,
  MAILBOX_INDEX_FORMAT_VERSION,
  MailboxIndex,
  MailboxIndexBatch,
} from "./mailbox-index.js";
