// An in-memory Exchange stand-in for engine unit tests: enough of MailboxSource and
// MailboxTarget semantics (opaque sync states, change keys, search keys, per-item errors) to
// test the engine's logic quickly. End-to-end behaviour is proven against mock-ews over HTTP.
import { createHash, randomBytes } from "node:crypto";
import { EwsVaultError } from "@ewsvault/core";
import type {
  ExportRequest,
  ExportResult,
  FolderInfo,
  HierarchySyncPage,
  ItemError,
  ItemSummary,
  ItemSyncPage,
  MailboxInfo,
  MailboxSource,
  MailboxTarget,
  SyncOptions,
  UploadRequest,
  UploadResult,
} from "@ewsvault/core";

interface StoredItem {
  summary: ItemSummary;
  folderId: string;
  data: Uint8Array;
}

interface MemoryMailboxState {
  folders: Map<string, FolderInfo>;
  items: Map<string, StoredItem>;
  distinguished: Record<string, string>;
}

const newId = () => randomBytes(12).toString("base64");

function encodeState(map: Map<string, string>): string {
  return Buffer.from(JSON.stringify([...map.entries()])).toString("base64");
}

function decodeState(state: string | undefined): Map<string, string> {
  if (state === undefined) return new Map();
  try {
    const entries = JSON.parse(Buffer.from(state, "base64").toString("utf8")) as Array<[string, string]>;
    if (!Array.isArray(entries)) throw new Error("not an array");
    return new Map(entries);
  } catch (cause) {
    throw new EwsVaultError("EWS_INVALID_SYNC_STATE", "invalid sync state", { cause });
  }
}

export class MemoryExchange implements MailboxSource, MailboxTarget {
  readonly capabilities = { maxConcurrencyPerMailbox: 4, maxExportBatchBytes: 16 * 1024 * 1024 };
  readonly mailboxes = new Map<string, MemoryMailboxState>();
  /** item id -> error returned by exportItems for it. */
  readonly exportErrors = new Map<string, ItemError>();
  readonly calls: Record<string, number> = {};

  #count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  addMailbox(smtp: string): void {
    const root = newId();
    const state: MemoryMailboxState = {
      folders: new Map(),
      items: new Map(),
      distinguished: { msgfolderroot: root },
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

  addFolder(smtp: string, parentFolderId: string, displayName: string, folderClass = "IPF.Note"): FolderInfo {
    const folder: FolderInfo = {
      folderId: newId(),
      changeKey: newId(),
      parentFolderId,
      displayName,
      folderClass,
    };
    this.#mailbox(smtp).folders.set(folder.folderId, folder);
    return folder;
  }

  folderId(smtp: string, name: string): string {
    for (const folder of this.#mailbox(smtp).folders.values())
      if (folder.displayName === name) return folder.folderId;
    throw new Error(`no folder ${name}`);
  }

  addItem(smtp: string, folderId: string, subject: string, body: string, itemClass = "IPM.Note"): string {
    const itemId = newId();
    const searchKey = createHash("sha256").update(itemId).digest("base64").slice(0, 22);
    const data = new TextEncoder().encode(JSON.stringify({ subject, body, itemClass, searchKey }));
    this.#mailbox(smtp).items.set(itemId, {
      folderId,
      data,
      summary: {
        itemId,
        changeKey: newId(),
        itemClass,
        subject,
        size: data.length,
        searchKey,
        isRead: false,
      },
    });
    return itemId;
  }

  modifyItem(smtp: string, itemId: string, body: string): void {
    const item = this.#mailbox(smtp).items.get(itemId)!;
    const parsed = JSON.parse(new TextDecoder().decode(item.data));
    item.data = new TextEncoder().encode(JSON.stringify({ ...parsed, body }));
    item.summary = { ...item.summary, changeKey: newId(), size: item.data.length };
  }

  deleteItem(smtp: string, itemId: string): void {
    this.#mailbox(smtp).items.delete(itemId);
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
    return moved;
  }

  itemsIn(smtp: string, folderId: string): StoredItem[] {
    return [...this.#mailbox(smtp).items.values()].filter((i) => i.folderId === folderId);
  }

  async getMailboxInfo(mailbox: string): Promise<MailboxInfo> {
    this.#count("getMailboxInfo");
    const state = this.#mailbox(mailbox);
    return { smtpAddress: mailbox, distinguishedFolders: { ...state.distinguished } };
  }

  async syncFolderHierarchy(mailbox: string, options?: SyncOptions): Promise<HierarchySyncPage> {
    this.#count("syncFolderHierarchy");
    const state = this.#mailbox(mailbox);
    const known = decodeState(options?.syncState);
    const changes: HierarchySyncPage["changes"][number][] = [];
    const current = new Map<string, string>();
    for (const folder of state.folders.values()) {
      current.set(folder.folderId, folder.changeKey);
      const was = known.get(folder.folderId);
      if (was !== folder.changeKey) changes.push({ kind: was === undefined ? "create" : "update", folder });
    }
    for (const id of known.keys()) if (!current.has(id)) changes.push({ kind: "delete", folderId: id });
    return { changes, syncState: encodeState(current), includesLastFolderInRange: true };
  }

  async syncFolderItems(mailbox: string, folderId: string, options?: SyncOptions): Promise<ItemSyncPage> {
    this.#count("syncFolderItems");
    const state = this.#mailbox(mailbox);
    const known = decodeState(options?.syncState);
    const max = options?.maxChanges ?? 512;
    const next = new Map(known);
    const changes: ItemSyncPage["changes"][number][] = [];
    const present = new Set<string>();
    for (const item of state.items.values()) {
      if (item.folderId !== folderId) continue;
      present.add(item.summary.itemId);
      if (changes.length >= max) continue;
      const was = known.get(item.summary.itemId);
      if (was !== item.summary.changeKey) {
        changes.push({ kind: was === undefined ? "create" : "update", item: item.summary });
        next.set(item.summary.itemId, item.summary.changeKey);
      }
    }
    for (const id of known.keys()) {
      if (changes.length >= max) break;
      if (!present.has(id)) {
        changes.push({ kind: "delete", itemId: id });
        next.delete(id);
      }
    }
    const pendingCount = [...state.items.values()].filter(
      (i) => i.folderId === folderId && next.get(i.summary.itemId) !== i.summary.changeKey,
    ).length;
    const pendingDeletes = [...next.keys()].filter((id) => !present.has(id)).length;
    return {
      changes,
      syncState: encodeState(next),
      includesLastItemInRange: pendingCount + pendingDeletes === 0,
    };
  }

  async findItems(mailbox: string, folderId: string): Promise<ItemSummary[]> {
    this.#count("findItems");
    return this.itemsIn(mailbox, folderId).map((i) => i.summary);
  }

  async findFolders(mailbox: string): Promise<FolderInfo[]> {
    this.#count("findFolders");
    return [...this.#mailbox(mailbox).folders.values()];
  }

  async *exportItems(mailbox: string, items: readonly ExportRequest[]): AsyncIterable<ExportResult> {
    this.#count("exportItems");
    const state = this.#mailbox(mailbox);
    for (const { itemId } of items) {
      const error = this.exportErrors.get(itemId);
      const item = state.items.get(itemId);
      if (error) yield { ok: false, itemId, error };
      else if (!item)
        yield {
          ok: false,
          itemId,
          error: { code: "ErrorItemNotFound", message: "gone", disposition: "skip" },
        };
      else yield { ok: true, itemId, data: item.data };
    }
  }

  async getMimeContent(mailbox: string, itemId: string): Promise<Uint8Array> {
    const item = this.#mailbox(mailbox).items.get(itemId);
    if (!item) throw new EwsVaultError("EWS_SERVER_ERROR", "ErrorItemNotFound");
    return new TextEncoder().encode(`Subject: ${item.summary.subject}\r\n\r\nbody\r\n`);
  }

  async createFolder(
    mailbox: string,
    parentFolderId: string,
    displayName: string,
    folderClass?: string,
  ): Promise<FolderInfo> {
    this.#count("createFolder");
    return this.addFolder(mailbox, parentFolderId, displayName, folderClass);
  }

  async uploadItems(mailbox: string, requests: readonly UploadRequest[]): Promise<UploadResult[]> {
    this.#count("uploadItems");
    const state = this.#mailbox(mailbox);
    return requests.map((request) => {
      const parsed = JSON.parse(new TextDecoder().decode(request.data)) as {
        subject: string;
        itemClass: string;
        searchKey: string;
      };
      const itemId = request.mode === "CreateNew" ? newId() : request.itemId!;
      const changeKey = newId();
      state.items.set(itemId, {
        folderId: request.parentFolderId,
        data: request.data,
        summary: {
          itemId,
          changeKey,
          subject: parsed.subject,
          itemClass: parsed.itemClass,
          searchKey: parsed.searchKey,
          size: request.data.length,
        },
      });
      return { ok: true, itemId, changeKey };
    });
  }

  async close(): Promise<void> {}
}
