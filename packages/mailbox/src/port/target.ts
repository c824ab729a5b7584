// MailboxTarget: what a restore writes, with its contract (checked by runMailboxConformance
// when the harness declares a target).
import type { FolderInfo, MailboxInfo } from "./folders.js";
import type { ItemSummary, UploadRequest, UploadResult } from "./items.js";
import type { MailboxSettingsTarget } from "./settings.js";

/**
 * Writes into a mailbox (restore). Same error contract as MailboxSource (EwsVaultError with an
 * ErrorCode; EWS_MAILBOX_NOT_FOUND, EWS_FOLDER_NOT_FOUND, EWS_ABORTED), plus:
 * - createFolder returns the new folder (its parentFolderId the given parent); a sibling of the
 *   same name already there: EWS_FOLDER_EXISTS. The folder shows in findFolders at once.
 * - uploadItems MUST return one result per request, in request order; per-item failures are
 *   results. An item uploaded with CreateNew from data a source of the same kind exported shows
 *   in findItems of its folder at once, with the exported item's subject, item class and
 *   searchKey (restore recognises items already present by searchKey); exporting it again gives
 *   the same content.
 * - close() MUST resolve, also when called twice.
 * - applySettings is optional (see MailboxSettingsTarget in port/settings.ts).
 */
export interface MailboxTarget extends MailboxSettingsTarget {
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
  /**
   * Optional: the folder's associated items (isAssociated true), filled in like findItems, so a
   * restore recognises FAI already present. Without it, associated items are never skipped.
   */
  findAssociatedItems?(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]>;
  uploadItems(
    mailbox: string,
    items: readonly UploadRequest[],
    signal?: AbortSignal,
  ): Promise<UploadResult[]>;
  close(): Promise<void>;
}
