// An in-memory Exchange stand-in implementing MailboxSource and MailboxTarget: enough Exchange
// semantics (opaque folder-bound sync states, change keys, search keys, new ids on move,
// per-item errors, EWS_* codes) to test an engine quickly, and to be the reference the
// conformance suite runs against (packages/mailbox/test/memory-conformance.test.ts).
// End-to-end behaviour is proven against mock-ews over HTTP.
import { createHash, randomBytes } from "node:crypto";
import { EwsVaultError } from "../errors.js";
import type { FolderChangeProbe, FolderInfo, HierarchySyncPage, MailboxInfo } from "../port/folders.js";
import type {
  ExportRequest,
  ExportResult,
  ItemError,
  ItemSummary,
  ItemSyncPage,
  UploadRequest,
  UploadResult,
} from "../port/items.js";
import type { MailboxSource, SourceCapabilities, SyncOptions } from "../port/source.js";
import type { MailboxTarget } from "../port/target.js";
import type { MailboxFixture } from "./harness.js";
import { decodeSyncState, diffSince, encodeSyncState } from "./memory-sync-state.js";

export interface StoredItem {
  summary: ItemSummary;
  folderId: string;
  data: Uint8Array;
}

export interface MemoryMailboxState {
  folders: Map<string, FolderInfo>;
  items: Map<string, StoredItem>;
  distinguished: Record<string, string>;
  /** Per folder: changes to its items so far, and items deleted or moved out (probe markers). */
  marks: Map<string, { changes: number; deleted: number }>;
}

export interface MemoryExchangeOptions {
  /** Offer probeFolders (off by default: engines then sync every folder, as without the capability). */
  readonly probeFolders?: boolean;
}

const newId = () => randomBytes(12).toString("base64");
const DEFAULT_MAX_CHANGES = 512;
/** probeFolders' commitTimeMax: a fixed epoch plus one second per change, so equal means unchanged. */
const PROBE_EPOCH_MS = Date.UTC(2020, 0, 1);

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new EwsVaultError("EWS_ABORTED", "aborted", { cause: signal.reason });
}

function itemNotFound(message: string): ItemError {
  return { code: "EWS_SERVER_ERROR", message, responseCode: "ErrorItemNotFound", disposition: "skip" };
}

export class MemoryExchange implements MailboxSource, MailboxTarget {
  readonly capabilities: SourceCapabilities = {
    maxConcurrencyPerMailbox: 4,
    maxExportBatchBytes: 16 * 1024 * 1024,
    associatedItems: true,
  };
  readonly mailboxes = new Map<string, MemoryMailboxState>();
  /** item id -> error returned by exportItems for it. */
  readonly exportErrors = new Map<string, ItemError>();
  readonly calls: Record<string, number> = {};
  declare probeFolders?: MailboxSource["probeFolders"];

  constructor(options: MemoryExchangeOptions = {}) {
    if (options.probeFolders === true) this.probeFolders = (m, ids, signal) => this.#probe(m, ids, signal);
  }

  #count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  addMailbox(smtp: string): void {
    const root = newId();
    const state: MemoryMailboxState = {
      folders: new Map(),
      items: new Map(),
      distinguished: { msgfolderroot: root },
      marks: new Map(),
    };
    this.mailboxes.set(smtp, state);
    for (const [name, dn, cls] of [
      ["Inbox", "inbox", "IPF.Note"],
      ["Sent Items", "sentitems", "IPF.Note"],
      ["Calendar", "calendar", "IPF.Appointment"],
    ] as const) {
      const folder = this.addFolder(smtp, root, name, cls);
      state.folders.set(folder.folderId, { ...folder, distinguishedName: dn });
      state.distinguished[dn] = folder.folderId;
    }
  }

  #mailbox(smtp: string): MemoryMailboxState {
    const mailbox = this.mailboxes.get(smtp);
    if (!mailbox) throw new EwsVaultError("EWS_MAILBOX_NOT_FOUND", `no mailbox ${smtp}`);
    return mailbox;
  }

  /** A folder id (or distinguished name) resolved to an id the mailbox has; EWS_FOLDER_NOT_FOUND otherwise. */
  #folder(state: MemoryMailboxState, folderId: string): string {
    const id = state.distinguished[folderId] ?? folderId;
    if (state.folders.has(id) || Object.values(state.distinguished).includes(id)) return id;
    throw new EwsVaultError("EWS_FOLDER_NOT_FOUND", "no such folder", { details: { folderId } });
  }

  #touch(state: MemoryMailboxState, folderId: string, deleted = 0): void {
    const mark = state.marks.get(folderId) ?? { changes: 0, deleted: 0 };
    state.marks.set(folderId, { changes: mark.changes + 1, deleted: mark.deleted + deleted });
  }

  addFolder(smtp: string, parentFolderId: string, displayName: string, folderClass = "IPF.Note"): FolderInfo {
    const state = this.#mailbox(smtp);
    const folder: FolderInfo = {
      folderId: newId(),
      changeKey: newId(),
      parentFolderId: this.#folder(state, parentFolderId),
      displayName,
      folderClass,
    };
    state.folders.set(folder.folderId, folder);
    return folder;
  }

  renameFolder(smtp: string, folderId: string, displayName: string): void {
    const state = this.#mailbox(smtp);
    const folder = state.folders.get(this.#folder(state, folderId))!;
    state.folders.set(folder.folderId, { ...folder, displayName, changeKey: newId() });
  }

  /** Deletes a folder with its subfolders and their items. */
  deleteFolder(smtp: string, folderId: string): void {
    const state = this.#mailbox(smtp);
    const doomed = new Set([this.#folder(state, folderId), ...this.#descendants(state, folderId)]);
    for (const id of doomed) state.folders.delete(id);
    for (const [id, item] of state.items) if (doomed.has(item.folderId)) state.items.delete(id);
  }

  #descendants(state: MemoryMailboxState, rootId: string): string[] {
    const found: string[] = [];
    const queue = [rootId];
    for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
      for (const folder of state.folders.values()) {
        if (folder.parentFolderId !== parent) continue;
        found.push(folder.folderId);
        queue.push(folder.folderId);
      }
    }
    return found;
  }

  folderId(smtp: string, name: string): string {
    for (const folder of this.#mailbox(smtp).folders.values())
      if (folder.displayName === name) return folder.folderId;
    throw new Error(`no folder ${name}`);
  }

  /** `isAssociated`: a folder-associated item, seen only by associated syncs and findAssociatedItems. */
  addItem(
    smtp: string,
    folderId: string,
    subject: string,
    body: string,
    itemClass = "IPM.Note",
    isAssociated = false,
  ): string {
    const state = this.#mailbox(smtp);
    const folder = this.#folder(state, folderId);
    const itemId = newId();
    const searchKey = createHash("sha256").update(itemId).digest("base64").slice(0, 22);
    const data = new TextEncoder().encode(JSON.stringify({ subject, body, itemClass, searchKey }));
    state.items.set(itemId, {
      folderId: folder,
      data,
      summary: {
        itemId,
        changeKey: newId(),
        itemClass,
        subject,
        size: data.length,
        searchKey,
        isRead: false,
        ...(isAssociated ? { isAssociated: true } : {}),
      },
    });
    this.#touch(state, folder);
    return itemId;
  }

  modifyItem(smtp: string, itemId: string, body: string): void {
    const state = this.#mailbox(smtp);
    const item = state.items.get(itemId)!;
    const parsed = JSON.parse(new TextDecoder().decode(item.data));
    item.data = new TextEncoder().encode(JSON.stringify({ ...parsed, body }));
    item.summary = { ...item.summary, changeKey: newId(), size: item.data.length };
    this.#touch(state, item.folderId);
  }

  /** Sets the read flag: a new change key, reported as an update (which the contract allows). */
  setRead(smtp: string, itemId: string, isRead: boolean): void {
    const state = this.#mailbox(smtp);
    const item = state.items.get(itemId)!;
    item.summary = { ...item.summary, isRead, changeKey: newId() };
  }

  deleteItem(smtp: string, itemId: string): void {
    const state = this.#mailbox(smtp);
    const item = state.items.get(itemId);
    state.items.delete(itemId);
    if (item !== undefined) this.#touch(state, item.folderId, 1);
  }

  /** Moves an item: like Exchange, it gets a new id. */
  moveItem(smtp: string, itemId: string, folderId: string): string {
    const mailbox = this.#mailbox(smtp);
    const item = mailbox.items.get(itemId)!;
    mailbox.items.delete(itemId);
    const moved = newId();
    mailbox.items.set(moved, {
      ...item,
      folderId,
      summary: { ...item.summary, itemId: moved, changeKey: newId() },
    });
    this.#touch(mailbox, item.folderId, 1);
    this.#touch(mailbox, folderId);
    return moved;
  }

  itemsIn(smtp: string, folderId: string): StoredItem[] {
    return [...this.#mailbox(smtp).items.values()].filter((i) => i.folderId === folderId);
  }

  /** The conformance suite's view of one mailbox: changes made behind the source's back. */
  fixture(smtp: string): MailboxFixture {
    return {
      addFolder: (parent, name) => this.addFolder(smtp, parent, name).folderId,
      renameFolder: (folderId, name) => this.renameFolder(smtp, folderId, name),
      deleteFolder: (folderId) => this.deleteFolder(smtp, folderId),
      addItem: (folderId, item) => this.addItem(smtp, folderId, item.subject, item.body),
      modifyItem: (itemId, change) => this.modifyItem(smtp, itemId, change.body),
      setRead: (itemId, isRead) => this.setRead(smtp, itemId, isRead),
      deleteItem: (itemId) => this.deleteItem(smtp, itemId),
    };
  }

  async getMailboxInfo(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo> {
    this.#count("getMailboxInfo");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    return { smtpAddress: mailbox, distinguishedFolders: { ...state.distinguished } };
  }

  async syncFolderHierarchy(
    mailbox: string,
    options?: SyncOptions & { readonly rootFolderId?: string },
  ): Promise<HierarchySyncPage> {
    this.#count("syncFolderHierarchy");
    checkSignal(options?.signal);
    const state = this.#mailbox(mailbox);
    const root = this.#folder(state, options?.rootFolderId ?? "msgfolderroot");
    const { seen } = decodeSyncState(options?.syncState, `hierarchy:${root}`);
    const current = new Map(
      this.#descendants(state, root).map((id) => {
        const folder = state.folders.get(id)!;
        return [id, { changeKey: folder.changeKey, value: folder }] as const;
      }),
    );
    const diff = diffSince(current, seen, options?.maxChanges ?? DEFAULT_MAX_CHANGES);
    return {
      changes: diff.changes.map((change) =>
        change.kind === "delete"
          ? { kind: "delete", folderId: change.id }
          : { kind: change.kind, folder: change.value },
      ),
      syncState: encodeSyncState(`hierarchy:${root}`, diff.next),
      includesLastFolderInRange: diff.complete,
    };
  }

  async syncFolderItems(mailbox: string, folderId: string, options?: SyncOptions): Promise<ItemSyncPage> {
    this.#count("syncFolderItems");
    checkSignal(options?.signal);
    const state = this.#mailbox(mailbox);
    const folder = this.#folder(state, folderId);
    // A state remembers its scope: one of the other scope is refused, never silently reused.
    const scope = options?.includeAssociated === true ? `${folder}+fai` : folder;
    const { seen } = decodeSyncState(options?.syncState, scope);
    const current = new Map(
      this.#scoped(mailbox, folder, options?.includeAssociated === true ? undefined : false).map(
        ({ summary }) => [summary.itemId, { changeKey: summary.changeKey, value: summary }],
      ),
    );
    const diff = diffSince(current, seen, options?.maxChanges ?? DEFAULT_MAX_CHANGES);
    return {
      changes: diff.changes.map((change) =>
        change.kind === "delete"
          ? { kind: "delete", itemId: change.id }
          : { kind: change.kind, item: change.value },
      ),
      syncState: encodeSyncState(scope, diff.next),
      includesLastItemInRange: diff.complete,
    };
  }

  async findItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]> {
    this.#count("findItems");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    return this.#scoped(mailbox, this.#folder(state, folderId), false).map((i) => i.summary);
  }

  async findAssociatedItems(mailbox: string, folderId: string, signal?: AbortSignal): Promise<ItemSummary[]> {
    this.#count("findAssociatedItems");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    return this.#scoped(mailbox, this.#folder(state, folderId), true).map((i) => i.summary);
  }

  /** A folder's items that are (`true`) or are not (`false`) associated; undefined: all. */
  #scoped(mailbox: string, folderId: string, associated: boolean | undefined): StoredItem[] {
    const items = this.itemsIn(mailbox, folderId);
    return associated === undefined
      ? items
      : items.filter((i) => (i.summary.isAssociated === true) === associated);
  }

  /** Every folder under rootFolderId (deep); without a root, every folder of the mailbox. */
  async findFolders(mailbox: string, rootFolderId?: string, signal?: AbortSignal): Promise<FolderInfo[]> {
    this.#count("findFolders");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    if (rootFolderId === undefined) return [...state.folders.values()];
    return this.#descendants(state, this.#folder(state, rootFolderId)).map((id) => state.folders.get(id)!);
  }

  async *exportItems(
    mailbox: string,
    items: readonly ExportRequest[],
    signal?: AbortSignal,
  ): AsyncIterable<ExportResult> {
    this.#count("exportItems");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    for (const { itemId } of items) {
      checkSignal(signal);
      const error = this.exportErrors.get(itemId);
      const item = state.items.get(itemId);
      if (error) yield { ok: false, itemId, error };
      else if (!item) yield { ok: false, itemId, error: itemNotFound("gone") };
      else yield { ok: true, itemId, data: item.data };
    }
  }

  async getMimeContent(mailbox: string, itemId: string, signal?: AbortSignal): Promise<Uint8Array> {
    checkSignal(signal);
    const item = this.#mailbox(mailbox).items.get(itemId);
    if (!item)
      throw new EwsVaultError("EWS_SERVER_ERROR", "ErrorItemNotFound", {
        details: { responseCode: "ErrorItemNotFound" },
      });
    return new TextEncoder().encode(`Subject: ${item.summary.subject}\r\n\r\nbody\r\n`);
  }

  async #probe(
    mailbox: string,
    folderIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ReadonlyMap<string, FolderChangeProbe>> {
    this.#count("probeFolders");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    const probes = new Map<string, FolderChangeProbe>();
    for (const folderId of folderIds) {
      if (!state.folders.has(folderId)) continue;
      const mark = state.marks.get(folderId) ?? { changes: 0, deleted: 0 };
      const items = this.itemsIn(mailbox, folderId);
      probes.set(folderId, {
        commitTimeMax: new Date(PROBE_EPOCH_MS + mark.changes * 1000).toISOString(),
        deletedCountTotal: mark.deleted,
        totalCount: items.length,
        unreadCount: items.filter((item) => item.summary.isRead !== true).length,
      });
    }
    return probes;
  }

  async createFolder(
    mailbox: string,
    parentFolderId: string,
    displayName: string,
    folderClass?: string,
    signal?: AbortSignal,
  ): Promise<FolderInfo> {
    this.#count("createFolder");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    const parent = this.#folder(state, parentFolderId);
    for (const folder of state.folders.values()) {
      if (folder.parentFolderId === parent && folder.displayName === displayName)
        throw new EwsVaultError("EWS_FOLDER_EXISTS", `a folder ${displayName} exists`);
    }
    return this.addFolder(mailbox, parent, displayName, folderClass);
  }

  async uploadItems(
    mailbox: string,
    requests: readonly UploadRequest[],
    signal?: AbortSignal,
  ): Promise<UploadResult[]> {
    this.#count("uploadItems");
    checkSignal(signal);
    const state = this.#mailbox(mailbox);
    return requests.map((request): UploadResult => {
      let parsed: { subject: string; itemClass: string; searchKey: string };
      try {
        parsed = JSON.parse(new TextDecoder().decode(request.data));
      } catch {
        return {
          ok: false,
          error: {
            code: "EWS_SERVER_ERROR",
            message: "not an export",
            responseCode: "ErrorCorruptData",
            disposition: "skip",
          },
        };
      }
      let folderId: string;
      try {
        folderId = this.#folder(state, request.parentFolderId);
      } catch {
        return {
          ok: false,
          error: {
            code: "EWS_FOLDER_NOT_FOUND",
            message: "no such folder",
            responseCode: "ErrorFolderNotFound",
            disposition: "skip",
          },
        };
      }
      const existing = request.itemId === undefined ? undefined : state.items.get(request.itemId);
      if (request.mode === "Update" && existing === undefined)
        return { ok: false, error: itemNotFound("no such item") };
      const itemId = request.mode === "CreateNew" || existing === undefined ? newId() : request.itemId!;
      const changeKey = newId();
      state.items.set(itemId, {
        folderId,
        data: request.data.slice(),
        summary: {
          itemId,
          changeKey,
          subject: parsed.subject,
          itemClass: parsed.itemClass,
          searchKey: parsed.searchKey,
          size: request.data.length,
          ...(request.isAssociated === true ? { isAssociated: true } : {}),
        },
      });
      this.#touch(state, folderId);
      return { ok: true, itemId, changeKey };
    });
  }

  async close(): Promise<void> {}
}
