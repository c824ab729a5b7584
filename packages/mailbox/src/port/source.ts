// MailboxSource: what a backup reads, with its contract. The conformance suite in
// "@ewsvault/mailbox/testing" checks every MUST below against an implementation.
import type { FolderChangeProbe, FolderInfo, HierarchySyncPage, MailboxInfo } from "./folders.js";
import type { ExportRequest, ExportResult, ItemSummary, ItemSyncPage } from "./items.js";
import type { MailboxSettingsSource, SettingsKind } from "./settings.js";

export interface SyncOptions {
  /** Absent: from the beginning (every current folder or item is reported as a create). */
  readonly syncState?: string;
  /**
   * syncFolderItems only: at most this many changes per page, 1-512; default 512. (EWS
   * SyncFolderHierarchy has no such limit: hierarchy pages are the source's choice.)
   */
  readonly maxChanges?: number;
  /**
   * syncFolderItems only: also report folder-associated items (views, rules, forms). Keep it
   * the same for every call with one sync state; default false.
   */
  readonly includeAssociated?: boolean;
  readonly signal?: AbortSignal;
}

/** What a source promises, as data the engine (and the conformance suite) read before calling it. */
export interface SourceCapabilities {
  /** Upper bound on concurrent requests per mailbox the source accepts (>= 1). */
  readonly maxConcurrencyPerMailbox: number;
  /** Largest response the source will ask for in one ExportItems call (bytes, > 0). */
  readonly maxExportBatchBytes: number;
  /**
   * True when the bytes exportItems and getMimeContent yield are fresh and the source keeps no
   * reference to them: the engine may then move them to the repository's worker threads
   * instead of copying (their buffers become detached). Absent or false: the engine copies.
   */
  readonly handsOverItemBytes?: boolean;
  /**
   * True when the source serves folder-associated items (FAI: rules, views, forms):
   * syncFolderItems honours `includeAssociated`, and exportItems / uploadItems (`isAssociated`)
   * handle them like other items. The engine then backs them up by default. Absent or false:
   * the engine never asks for them.
   */
  readonly associatedItems?: boolean;
  /**
   * Settings kinds getSettings reads (see port/settings.ts); absent or empty: the source reads
   * no settings and need not implement getSettings.
   */
  readonly settingsKinds?: readonly SettingsKind[];
}

/**
 * Reads a mailbox. Contract (every MUST is checked by runMailboxConformance):
 *
 * Errors
 * - Every method MUST reject with an EwsVaultError whose code is an ErrorCode (docs/error-codes.md;
 *   for EWS the EWS_* codes), never with a bare Error. Programmer mistakes (an empty mailbox
 *   name) MAY throw TypeError.
 * - A mailbox that does not exist: EWS_MAILBOX_NOT_FOUND (from every method taking `mailbox`).
 * - A folder id of no folder (deleted, or never existed) given to syncFolderItems, findItems or
 *   findFolders: EWS_FOLDER_NOT_FOUND.
 * - A sync state the source cannot resume from (garbage, or of another folder): syncFolderItems
 *   and syncFolderHierarchy MUST reject with EWS_INVALID_SYNC_STATE, never silently restart;
 *   the engine then resyncs that folder from scratch.
 * - A signal that is already aborted, or aborts while the call runs: the call MUST reject with
 *   EWS_ABORTED (exportItems: its iteration throws EWS_ABORTED) and stop working soon.
 * - Transient failures (throttling, busy server) are retried inside the source; what still
 *   fails after the source's retries rejects with the matching code.
 *
 * Sync
 * - Paging: an item sync page holds at most maxChanges changes (a hierarchy page as many as the
 *   source chooses); includesLast...InRange is false while
 *   more follow. Following syncState to the end yields every current folder / item exactly once
 *   as a create or update (order within a sync is the source's choice).
 * - Resumption: a syncState handed out MUST stay valid: syncing from it later reports exactly
 *   the changes made since (creates, updates, deletes, read-flag changes), and nothing for an
 *   unchanged mailbox. A sync state is opaque to the engine and stored as-is.
 * - Items reported by syncFolderItems and findItems for one folder are the same set, with the
 *   same itemId and changeKey; findFolders(root) and a full syncFolderHierarchy agree likewise.
 *
 * Export
 * - exportItems MUST yield exactly one result per requested id, in any order; per-item failures
 *   (an id of no item included) are results (`ok: false`), not rejections.
 * - The data of an unchanged item MUST be byte-identical across exports (deduplication relies on
 *   it), and MUST differ once the item's content changed.
 * - Exported data uploaded through a MailboxTarget of the same kind recreates the item (see
 *   MailboxTarget).
 *
 * Optional capability
 * - probeFolders is optional: a source offers it by implementing it (the conformance suite's
 *   `features.probeFolders` declares it, and the suite checks the declaration).
 *
 * close() releases connections; it MUST resolve, also when called twice.
 */
export interface MailboxSource extends MailboxSettingsSource {
  readonly capabilities: SourceCapabilities;
  /** The mailbox's address and distinguished folder ids. */
  getMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo>;
  /**
   * Changes to the folder tree under `rootFolderId` (default msgfolderroot), the root itself
   * excluded. A create of a parent comes before the creates of its children.
   */
  syncFolderHierarchy(
    mailbox: string,
    options?: SyncOptions & { readonly rootFolderId?: string },
  ): Promise<HierarchySyncPage>;
  /** Changes to the items of one folder (not its subfolders) since `options.syncState`. */
  syncFolderItems(mailbox: string, folderId: string, options?: SyncOptions): Promise<ItemSyncPage>;
  /** Every (non-associated) item of one folder (public folders, where SyncFolderItems is not served). */
  findItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]>;
  /** Every folder under rootFolderId (deep, the root excluded), for trees SyncFolderHierarchy does not serve. */
  findFolders(mailbox: string, rootFolderId: string, signal?: AbortSignal): Promise<FolderInfo[]>;
  /** Full-fidelity data of each requested item; see "Export" above. */
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
   * - Unchanged folders MUST probe equal twice in a row.
   * - A folder the server could not read (deleted meanwhile, no access) MUST be left out of the
   *   map, not fail the call; the engine then syncs it. Mailbox-wide failures reject with the
   *   codes like every other method.
   */
  probeFolders?(
    mailbox: string,
    folderIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, FolderChangeProbe>>;
  close(): Promise<void>;
}
