// @ewsvault/mock-ews — a mock Exchange 2016 EWS SOAP server for tests, demos and benchmarks.
// It serves generated mailboxes (deterministic, lazily regenerated item content) with real
// Exchange XML shapes, sync states, bulk export/upload, throttling and fault injection, and
// offers mutation helpers so a test can change a mailbox between two backups.
import { EwsResponseError, MockEwsError } from "./errors.js";
import type { MockItemData } from "./model.js";
import { type MockEwsCounters, type MockEwsServerOptions, startServerCore } from "./server/index.js";
import { type MailboxSettingsApi, settingsApi } from "./settings-api.js";
import { type Directory, directoryOf } from "./store/directory.js";
import { decodeId } from "./store/ids.js";
import type { Store } from "./store/mailbox-store.js";
import type { FolderRecord, MailboxState } from "./store/records.js";

// The item codecs, for benchmarks and tests that need mock-shaped export streams or MIME
// without a running server.
export {
  decodeExportStream,
  ExportStreamError,
  encodeExportStream,
  itemToMime,
  MimeParseError,
  mimeToItem,
} from "./codec/index.js";
export { EwsResponseError, MockEwsError } from "./errors.js";
export { createMailboxGenerator } from "./generator/index.js";
export type * from "./model.js";
export {
  type AuthFailureReason,
  type AuthScheme,
  authSchemes,
  DEFAULTS,
  FAULT_KINDS,
  type FaultKind,
  type FaultRule,
  type MockAuthCounters,
  type MockEwsCounters,
  type MockEwsServerOptions,
  type MockEwsUser,
  type ThrottlingOptions,
} from "./server/index.js";
export type * from "./settings-api.js";
export {
  DIRECTORY_KINDS,
  type Directory,
  type DirectoryEntry,
  type DirectoryEntryInput,
  type DirectoryKind,
} from "./store/directory.js";

/**
 * A folder named for the mutation helpers: a distinguished folder name ("inbox"), a
 * display-name path below the mailbox's msgfolderroot ("Inbox/Projects"), or a folder id.
 */
export type FolderRef = string;

export interface MockEwsServer {
  /** The EWS endpoint, e.g. http://127.0.0.1:41234/EWS/Exchange.asmx. */
  readonly url: string;
  /** The first configured user (by default one that may impersonate every mailbox). */
  readonly credentials: { readonly username: string; readonly password: string };
  /** PEM certificate of the HTTPS listener (a client passes it as its trusted CA); undefined over HTTP. */
  readonly certificate: string | undefined;
  /** SMTP addresses of the generated mailboxes. */
  readonly mailboxes: readonly string[];
  /**
   * The address book (GAL) the address book operations read: the generated mailboxes as users,
   * plus seeded shared, room and equipment mailboxes, distribution and room lists. add / setKind
   * / remove change it at once; add MUST throw MockEwsError INVALID_DIRECTORY_ENTRY for a bad entry.
   */
  readonly directory: Directory;
  /**
   * Mailbox settings (inbox rules, OOF, delegates, user configurations such as the category
   * list): seeded per mailbox from the seed; changes show at once in GetInboxRules,
   * GetUserOofSettings, GetDelegate and GetUserConfiguration. See README "Mailbox settings".
   */
  readonly settings: MailboxSettingsApi;
  stop(): Promise<void>;
  counters(): MockEwsCounters;
  resetCounters(): void;
  /** Folder id of a folder. MUST throw MockEwsError NOT_FOUND for an unknown mailbox or folder. */
  folderId(mailbox: string, folder: FolderRef): string;
  /** Normal (not folder-associated) item ids in a folder, in store order. */
  listItems(mailbox: string, folder: FolderRef): string[];
  /** Folder-associated item ids in a folder (rules, views, configuration), in store order. */
  listAssociatedItems(mailbox: string, folder: FolderRef): string[];
  /** The item's current content. MUST throw MockEwsError NOT_FOUND for an id of no live item. */
  getItem(itemId: string): MockItemData;
  /** PR_SEARCH_KEY of an item. */
  getSearchKey(itemId: string): Uint8Array;
  /** Creates an item; returns its id. */
  addItem(mailbox: string, folder: FolderRef, data: MockItemData): string;
  /** Replaces an item's content (a new change key; SyncFolderItems reports an Update, or a ReadFlagChange when only isRead changed). */
  modifyItem(itemId: string, change: Partial<MockItemData> | ((data: MockItemData) => MockItemData)): void;
  /** Moves an item; returns its new id (Exchange gives moved items new ids). */
  moveItem(itemId: string, folder: FolderRef): string;
  deleteItem(itemId: string): void;
  /** Creates a folder below `parent`; returns its id. */
  addFolder(mailbox: string, parent: FolderRef, displayName: string, folderClass?: string): string;
  renameFolder(folderId: string, displayName: string): void;
  /** Moves a folder below another (its id stays; SyncFolderHierarchy reports an Update). */
  moveFolder(folderId: string, parent: FolderRef): void;
  deleteFolder(folderId: string): void;
}

function notFound(message: string, cause?: unknown): MockEwsError {
  return new MockEwsError("NOT_FOUND", message, { cause });
}

function resolveMailbox(store: Store, smtp: string): MailboxState {
  const mailbox = store.mailboxBySmtp(smtp);
  if (mailbox === undefined) throw notFound(`no mailbox ${smtp}`);
  return mailbox;
}

function resolveFolder(store: Store, mailbox: MailboxState, ref: FolderRef): FolderRecord {
  try {
    if (decodeId(ref)?.kind === "folder") return store.findFolder(ref);
    if (mailbox.distinguished.has(ref.toLowerCase()) || ref.toLowerCase() === "publicfoldersroot") {
      return store.distinguishedFolder(mailbox, ref);
    }
  } catch (error) {
    throw notFound(`no folder ${ref}`, error);
  }
  let current = mailbox.distinguished.get("msgfolderroot")!;
  for (const name of ref.split("/").filter(Boolean)) {
    const next = current.children.find(
      (c) => !c.deleted && c.displayName.toLowerCase() === name.toLowerCase(),
    );
    if (next === undefined) throw notFound(`no folder ${ref} in ${mailbox.smtpAddress}`);
    current = next;
  }
  return current;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof EwsResponseError) throw notFound(error.message, error);
    throw error;
  }
}

/** Starts a mock EWS server. MUST reject with TypeError for invalid options. */
export async function startMockEwsServer(options: MockEwsServerOptions = {}): Promise<MockEwsServer> {
  for (const key of [
    "mailboxes",
    "itemsPerMailbox",
    "latencyMs",
    "bandwidthBytesPerSecond",
    "maxRequestBytes",
    "maxResponseBytes",
    "port",
  ] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 0))
      throw new TypeError(`${key} must be a non-negative integer`);
  }
  const core = await startServerCore(options);
  const store = core.store;
  const first = core.users[0];
  if (first === undefined) throw new TypeError("users must not be empty");
  return {
    url: core.url,
    credentials: { username: first.username, password: first.password },
    certificate: core.certificate,
    mailboxes: store.mailboxes.map((m) => m.smtpAddress),
    directory: directoryOf(store),
    settings: settingsApi(store),
    stop: () => core.close(),
    counters: () => core.counters(),
    resetCounters: () => core.resetCounters(),
    folderId: (mailbox, folder) =>
      store.folderIdOf(resolveFolder(store, resolveMailbox(store, mailbox), folder)),
    listItems: (mailbox, folder) =>
      store
        .folderItems(resolveFolder(store, resolveMailbox(store, mailbox), folder))
        .filter((r) => !r.isAssociated)
        .map((r) => store.itemIdOf(r)),
    listAssociatedItems: (mailbox, folder) =>
      store
        .folderItems(resolveFolder(store, resolveMailbox(store, mailbox), folder))
        .filter((r) => r.isAssociated)
        .map((r) => store.itemIdOf(r)),
    getItem: (itemId) => wrap(() => store.itemData(store.findItem(itemId))),
    getSearchKey: (itemId) => wrap(() => store.searchKey(store.findItem(itemId))),
    addItem: (mailbox, folder, data) => {
      const target = resolveFolder(store, resolveMailbox(store, mailbox), folder);
      return store.itemIdOf(store.addItem(target, { data }));
    },
    modifyItem: (itemId, change) =>
      wrap(() => {
        const record = store.findItem(itemId);
        const before = store.itemData(record);
        const after = typeof change === "function" ? change(before) : { ...before, ...change };
        const keys = (Object.keys(after) as (keyof MockItemData)[]).filter((k) => after[k] !== before[k]);
        store.updateItem(record, after, keys.length > 0 && keys.every((k) => k === "isRead"));
      }),
    moveItem: (itemId, folder) =>
      wrap(() => {
        const record = store.findItem(itemId);
        const target = resolveFolder(store, record.folder.mailbox, folder);
        return store.itemIdOf(store.transferItem(record, target, false));
      }),
    deleteItem: (itemId) => wrap(() => store.removeItem(store.findItem(itemId))),
    addFolder: (mailbox, parent, displayName, folderClass = "IPF.Note") =>
      wrap(() => {
        const target = resolveFolder(store, resolveMailbox(store, mailbox), parent);
        return store.folderIdOf(store.createFolder(target, displayName, folderClass));
      }),
    renameFolder: (folderId, displayName) =>
      wrap(() => store.renameFolder(store.findFolder(folderId), displayName)),
    moveFolder: (folderId, parent) =>
      wrap(() => {
        const folder = store.findFolder(folderId);
        store.moveFolder(folder, resolveFolder(store, folder.mailbox, parent));
      }),
    deleteFolder: (folderId) => wrap(() => store.deleteFolder(store.findFolder(folderId))),
  };
}
