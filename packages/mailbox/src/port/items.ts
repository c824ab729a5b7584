// Item-side data of the mailbox port: what the engine keeps of an item, item sync pages,
// export and upload requests and results, and the classified per-item error.
import type { ItemErrorCode } from "../error-codes.js";

/** What the engine keeps for browsing and searching an item without reading its data. */
export interface ItemSummary {
  /** Stable while the item stays in its folder; a moved item gets a new id (as in Exchange). */
  readonly itemId: string;
  /** Changes whenever the item's content or properties change (a read flag included). */
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
  /** At most maxChanges; each item at most once per page. */
  readonly changes: readonly ItemChange[];
  /** Opaque; pass back to get the changes after this page. */
  readonly syncState: string;
  /** False: more changes follow; call again with `syncState`. */
  readonly includesLastItemInRange: boolean;
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
  /**
   * An ErrorCode (EWS_SERVER_ERROR for an item the server no longer has, with the Exchange
   * code in responseCode); a source with no better classification may pass the Exchange
   * ResponseCode itself. A fatal item's code becomes the mailbox's EwsVaultError code.
   */
  readonly code: ItemErrorCode;
  readonly message: string;
  /** The server's own code for the failure (EWS ResponseCode), when there is one. */
  readonly responseCode?: string;
  readonly disposition: "skip" | "retry" | "fatal";
}

export type UploadMode = "CreateNew" | "Update" | "UpdateOrCreate";

export interface UploadRequest {
  readonly parentFolderId: string;
  /** Bytes a MailboxSource of the same kind exported (ExportResult.data). */
  readonly data: Uint8Array;
  readonly mode: UploadMode;
  /** Required for Update and UpdateOrCreate. */
  readonly itemId?: string;
  readonly isAssociated?: boolean;
}

export type UploadResult =
  | { readonly ok: true; readonly itemId: string; readonly changeKey: string }
  | { readonly ok: false; readonly error: ItemError };
