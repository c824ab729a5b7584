// Folder-side data of the mailbox port: the distinguished names, a folder as the engine stores
// it, hierarchy sync pages, mailbox info and per-folder change probes. Plain data only, so the
// index and the repository can store it as-is.

/** Distinguished folders the engine asks for by name (a subset of EWS DistinguishedFolderIdNameType). */
export type DistinguishedFolderName =
  | "root"
  | "msgfolderroot"
  | "inbox"
  | "sentitems"
  | "deleteditems"
  | "drafts"
  | "outbox"
  | "junkemail"
  | "calendar"
  | "contacts"
  | "tasks"
  | "notes"
  | "archivemsgfolderroot"
  | "archiveroot"
  | "recoverableitemsroot"
  | "recoverableitemsdeletions"
  | "publicfoldersroot";

export interface FolderInfo {
  /** Stable for the folder's life, also across renames and moves. */
  readonly folderId: string;
  /** Changes whenever the folder itself (name, parent, class) changes. */
  readonly changeKey: string;
  /** Parent's folderId; the hierarchy root's parent is outside the synced tree. */
  readonly parentFolderId: string;
  readonly displayName: string;
  /** IPF.Note, IPF.Appointment, IPF.Contact, IPF.Task, IPF.StickyNote, ... (may be absent). */
  readonly folderClass?: string;
  /** Set when the folder is a distinguished folder. */
  readonly distinguishedName?: DistinguishedFolderName;
  readonly totalCount?: number;
  /** True for search folders: views over other folders, whose items the engine must not back up twice. */
  readonly isSearchFolder?: boolean;
}

export type HierarchyChange =
  | { readonly kind: "create" | "update"; readonly folder: FolderInfo }
  | { readonly kind: "delete"; readonly folderId: string };

export interface HierarchySyncPage {
  /** In the order they must be applied (a parent's create before its children's). */
  readonly changes: readonly HierarchyChange[];
  /** Opaque; pass back to get the changes after this page. */
  readonly syncState: string;
  /** False: more changes follow; call again with `syncState`. */
  readonly includesLastFolderInRange: boolean;
}

export interface MailboxInfo {
  readonly smtpAddress: string;
  readonly displayName?: string;
  /**
   * Folder ids of the distinguished folders this mailbox has (archive ones only when it has an
   * archive). MUST hold at least msgfolderroot, the default root of syncFolderHierarchy.
   */
  readonly distinguishedFolders: Readonly<Partial<Record<DistinguishedFolderName, string>>>;
}

/**
 * Per-folder values that move when the folder's contents change, read for many folders in one
 * request (EWS: GetFolder with PidTagLocalCommitTimeMax 0x670A, PidTagDeletedCountTotal 0x670B,
 * TotalCount and UnreadCount). The engine compares them with the values it stored when the
 * folder's last sync committed and skips SyncFolderItems when they are equal.
 */
export interface FolderChangeProbe {
  /** ISO 8601: the last change of an item in the folder (not in its subfolders). */
  readonly commitTimeMax?: string;
  /** Items ever deleted or moved out of the folder. */
  readonly deletedCountTotal?: number;
  readonly totalCount?: number;
  /** Moves when only a read flag changed (which may leave commitTimeMax as it was). */
  readonly unreadCount?: number;
}
