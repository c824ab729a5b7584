// The records the mailbox store keeps (store/mailbox-store.ts): mailboxes, folders, items and
// the tombstones of removed ones. Plain data, so that operations, renderers and the sync code can
// read them without going through the Store class; only the Store changes them.
import type { MockItemData } from "../model.js";

export interface ItemOrigin {
  /** Generator mailbox index, or -1 for the public folders. */
  readonly mailbox: number;
  readonly folderIndex: number;
  readonly itemIndex: number;
}

export interface ItemRecord {
  serial: number;
  folder: FolderRecord;
  createdSeq: number;
  /** Last change of any kind (drives the change key). */
  lastSeq: number;
  /** Last change other than the read flag. */
  lastContentSeq: number;
  lastReadSeq: number;
  isAssociated: boolean;
  origin?: ItemOrigin;
  data?: MockItemData;
  /** Explicit PR_SEARCH_KEY when it cannot be derived from (mailbox, serial): moved, copied, uploaded. */
  searchKey?: Uint8Array;
  lastModifiedTime: string;
  /** Cached item class, so IdOnly views need not regenerate the item. */
  itemClass?: string;
}

export interface Tombstone {
  readonly serial: number;
  readonly createdSeq: number;
  readonly deletedSeq: number;
  readonly isAssociated: boolean;
}

export interface FolderRecord {
  serial: number;
  mailbox: MailboxState;
  parent: FolderRecord | undefined;
  displayName: string;
  folderClass: string | undefined;
  distinguishedName: string | undefined;
  createdSeq: number;
  lastSeq: number;
  children: FolderRecord[];
  /** Generated items not materialised yet. */
  pending: { folderIndex: number; count: number; seqBase: number; serialBase: number } | undefined;
  items: Map<number, ItemRecord>;
  tombstones: Tombstone[];
  deleted: boolean;
  /** Unread normal items, computed on first use and then maintained (undefined: not computed yet). */
  unread: number | undefined;
  /**
   * PidTagLocalCommitTimeMax (0x670A) in ms since the epoch: the last item change in this folder
   * (create, modify, move in or out, delete), strictly increasing so that a change is never
   * hidden behind an equal timestamp. A change of the read flag alone does not move it (Exchange
   * is not guaranteed to either); UnreadCount reflects those.
   */
  commitTimeMax: number;
  /** PidTagDeletedCountTotal (0x670B): items ever removed from this folder (deleted or moved out). */
  deletedCountTotal: number;
}

export interface MailboxState {
  readonly index: number;
  readonly smtpAddress: string;
  readonly displayName: string;
  readonly guid: string;
  readonly hasArchive: boolean;
  seq: number;
  nextSerial: number;
  readonly folders: Map<number, FolderRecord>;
  readonly items: Map<number, ItemRecord>;
  readonly distinguished: Map<string, FolderRecord>;
  readonly folderTombstones: {
    serial: number;
    parentSerial: number;
    createdSeq: number;
    deletedSeq: number;
  }[];
}

/** The generator mailbox index of the public folders (ItemOrigin.mailbox, MailboxState.index). */
export const PUBLIC_MAILBOX_INDEX = -1;

/** What code outside the store needs to route an address or a mailbox GUID to its mailbox. */
export interface MailboxStore {
  readonly mailboxes: readonly MailboxState[];
  readonly publicFolders: MailboxState;
  mailboxBySmtp(smtp: string): MailboxState | undefined;
  mailboxByGuid(guid: string): MailboxState | undefined;
}
