// The engine's view of an Exchange mailbox. The engine never imports EWS code: @ewsvault/ews
// implements these interfaces over SOAP, tests may implement them in memory. Everything
// here is plain data so that it can be stored in the index and the repository as-is.

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
  readonly folderId: string;
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
  readonly changes: readonly HierarchyChange[];
  /** Opaque; pass back to get the changes after this page. */
  readonly syncState: string;
  readonly includesLastFolderInRange: boolean;
}

/** What the engine keeps for browsing and searching an item without reading its data. */
export interface ItemSummary {
  readonly itemId: string;
  readonly changeKey: string;
  readonly parentFolderId?: string;
  readonly itemClass?: string;
  readonly subject?: string;
  readonly from?: string;
  readonly to?: readonly string[];
  /** ISO 8601. */
  readonly receivedAt?: string;
  /** Size in bytes as the server reports it (used to batch exports under a byte cap). */
  readonly size?: number;
  readonly hasAttachments?: boolean;
  readonly isRead?: boolean;
  readonly isAssociated?: boolean;
  /** Internet Message-ID for mail, when the server has one. */
  readonly internetMessageId?: string;
  /**
   * PR_SEARCH_KEY (0x300B) as base64: survives copy, export and upload, so restore uses it
   * to recognise items already present in a target folder (never the subject).
   */
  readonly searchKey?: string;
}

export type ItemChange =
  | { readonly kind: "create" | "update"; readonly item: ItemSummary }
  | { readonly kind: "delete"; readonly itemId: string }
  | { readonly kind: "readFlag"; readonly itemId: string; readonly isRead: boolean };

export interface ItemSyncPage {
  readonly changes: readonly ItemChange[];
  readonly syncState: string;
  readonly includesLastItemInRange: boolean;
}

export interface MailboxInfo {
  readonly smtpAddress: string;
  readonly displayName?: string;
  /** Folder ids of the distinguished folders this mailbox has (archive ones only when it has an archive). */
  readonly distinguishedFolders: Readonly<Partial<Record<DistinguishedFolderName, string>>>;
}

export interface ExportRequest {
  readonly itemId: string;
  /** Known size, used for batching; unknown sizes are exported alone. */
  readonly size?: number;
}

/** One item's export: the opaque full-fidelity stream, or why it could not be read. */
export type ExportResult =
  | { readonly ok: true; readonly itemId: string; readonly data: Uint8Array }
  | { readonly ok: false; readonly itemId: string; readonly error: ItemError };

/**
 * Classified per-item failure. `disposition` tells the engine what to do:
 * skip (report and move on: ErrorItemNotFound, ErrorCorruptData), retry (later in the run:
 * ErrorMailboxMoveInProgress), fatal (stop this mailbox: ErrorImpersonateUserDenied,
 * ErrorNonExistentMailbox).
 */
export interface ItemError {
  readonly code: string;
  readonly message: string;
  readonly responseCode?: string;
  readonly disposition: "skip" | "retry" | "fatal";
}

export interface SyncOptions {
  readonly syncState?: string;
  /** 1-512; default 512. */
  readonly maxChanges?: number;
  /**
   * syncFolderItems only: also report folder-associated items (views, rules, forms). Keep it
   * the same for every call with one sync state; default false.
   */
  readonly includeAssociated?: boolean;
  readonly signal?: AbortSignal;
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

export interface SourceCapabilities {
  /** Upper bound on concurrent requests per mailbox the source accepts. */
  readonly maxConcurrencyPerMailbox: number;
  /** Largest response the source will ask for in one ExportItems call (bytes). */
  readonly maxExportBatchBytes: number;
  /**
   * True when the bytes exportItems and getMimeContent yield are fresh and the source keeps no
   * reference to them: the engine may then move them to the repository's worker threads
   * instead of copying (their buffers become detached). Absent or false: the engine copies.
   */
  readonly handsOverItemBytes?: boolean;
}

/**
 * Reads a mailbox. Contract:
 * - Every method MUST reject with an EwsVaultError whose code is one of the EWS_* codes in
 *   the @ewsvault/ews README (EWS_MAILBOX_NOT_FOUND, EWS_IMPERSONATION_DENIED,
 *   EWS_AUTH_FAILED, EWS_INVALID_SYNC_STATE, EWS_THROTTLED, EWS_UNREACHABLE, ...).
 * - syncFolderItems MUST reject with EWS_INVALID_SYNC_STATE when the server refuses the state;
 *   the engine then resyncs that folder from scratch.
 * - exportItems MUST yield exactly one result per requested id, in any order; per-item failures
 *   are results, not rejections. Transient failures are retried inside the source.
 * - The data of an unchanged item MUST be byte-identical across exports (deduplication relies on it).
 */
export interface MailboxSource {
  readonly capabilities: SourceCapabilities;
  getMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo>;
  /** Changes to the folder tree under `rootFolderId` (default msgfolderroot). */
  syncFolderHierarchy(
    mailbox: string,
    options?: SyncOptions & { readonly rootFolderId?: string },
  ): Promise<HierarchySyncPage>;
  syncFolderItems(mailbox: string, folderId: string, options?: SyncOptions): Promise<ItemSyncPage>;
  /** Every item of one folder (public folders, where SyncFolderItems is not served). */
  findItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]>;
  /** Every folder under rootFolderId (deep), for trees SyncFolderHierarchy does not serve. */
  findFolders(mailbox: string, rootFolderId: string, signal?: AbortSignal): Promise<FolderInfo[]>;
  exportItems(
    mailbox: string,
    items: readonly ExportRequest[],
    signal?: AbortSignal,
  ): AsyncIterable<ExportResult>;
  /** RFC 822 MIME of a mail item (for .eml export). */
  getMimeContent(mailbox: string, itemId: string, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Optional: change markers of many folders at once (see FolderChangeProbe). Sources without
   * it get one SyncFolderItems per folder and run. Contract:
   * - MUST read all folders in as few requests as the server allows, never one per folder.
   * - Any change SyncFolderItems would report as Create, Update or Delete MUST change
   *   commitTimeMax, deletedCountTotal or totalCount; a read-flag change MAY show only in
   *   unreadCount. A folder the server reported without commitTimeMax is never trusted.
   * - A folder the server could not read (deleted meanwhile, no access) MUST be left out of the
   *   map, not fail the call; the engine then syncs it. Mailbox-wide failures reject with the
   *   EWS_* codes like every other method.
   */
  probeFolders?(
    mailbox: string,
    folderIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, FolderChangeProbe>>;
  close(): Promise<void>;
}

export type UploadMode = "CreateNew" | "Update" | "UpdateOrCreate";

export interface UploadRequest {
  readonly parentFolderId: string;
  readonly data: Uint8Array;
  readonly mode: UploadMode;
  /** Required for Update and UpdateOrCreate. */
  readonly itemId?: string;
  readonly isAssociated?: boolean;
}

export type UploadResult =
  | { readonly ok: true; readonly itemId: string; readonly changeKey: string }
  | { readonly ok: false; readonly error: ItemError };

/**
 * Writes into a mailbox (restore). Same error contract as MailboxSource.
 * uploadItems MUST return one result per request, in request order.
 */
export interface MailboxTarget {
  getMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo>;
  findFolders(mailbox: string, rootFolderId: string, signal?: AbortSignal): Promise<FolderInfo[]>;
  createFolder(
    mailbox: string,
    parentFolderId: string,
    displayName: string,
    folderClass?: string,
    signal?: AbortSignal,
  ): Promise<FolderInfo>;
  /** Items of a folder with searchKey and internetMessageId filled in, for conflict detection. */
  findItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]>;
  uploadItems(
    mailbox: string,
    items: readonly UploadRequest[],
    signal?: AbortSignal,
  ): Promise<UploadResult[]>;
  close(): Promise<void>;
}
