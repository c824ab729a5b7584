// An in-memory MailboxSource of one large mailbox, for building big repositories quickly without
// an HTTP round trip per batch: folders below a root, items whose export streams are unique
// mock-generated item fields and body text (JSON, a few KiB), plus a few real mock export streams
// ("real items") that a restore through EWS can upload back into the mock.
import { createHash } from "node:crypto";
import type {
  ExportRequest,
  ExportResult,
  FolderInfo,
  HierarchySyncPage,
  ItemSummary,
  ItemSyncPage,
  MailboxInfo,
  MailboxSource,
  SyncOptions,
} from "@ewsvault/core";
import { createMailboxGenerator } from "@ewsvault/mock-ews";

export interface SyntheticMailbox {
  readonly source: MailboxSource;
  /** Item ids (as backed up) whose data is a real mock export stream. */
  readonly realItemIds: readonly string[];
}

const ROOT = "AQMkc3ludGhldGljLXJvb3Q=";
const folderId = (f: number) => `AQMkZm9sZGVy${f.toString().padStart(4, "0")}=`;
const itemId = (n: number) => `AAMkc3ludGhldGlj${n.toString(36).padStart(10, "0")}=`;

export function syntheticMailbox(options: {
  mailbox: string;
  items: number;
  folders: number;
  /** Real export streams, placed at evenly spread item positions. */
  realStreams: readonly Uint8Array[];
}): SyntheticMailbox {
  const generator = createMailboxGenerator({
    seed: 5150,
    mailboxes: 1,
    itemsPerMailbox: 2000,
    maxItemBytes: 16 * 1024,
  });
  const templateFolders = generator.folders(0);
  const templates: Array<[number, number]> = [];
  templateFolders.forEach((_, f) => {
    for (let i = 0; i < generator.itemCount(0, f); i++) templates.push([f, i]);
  });
  const realAt = new Map<number, Uint8Array>();
  options.realStreams.forEach((stream, k) => {
    realAt.set(Math.floor(((k + 0.5) * options.items) / options.realStreams.length), stream);
  });
  const encoder = new TextEncoder();
  const data = (n: number): Uint8Array => {
    const real = realAt.get(n);
    if (real) return real;
    const [f, i] = templates[n % templates.length]!;
    const { attachments, ...fields } = generator.item(0, f, i);
    // The serial makes every item unique even where templates repeat.
    return encoder.encode(
      JSON.stringify({ serial: n, ...fields, attachments: attachments.map((a) => a.name) }),
    );
  };
  const summary = (n: number): ItemSummary => {
    const bytes = data(n);
    return {
      itemId: itemId(n),
      changeKey: `CQAAAB${n.toString(36)}`,
      parentFolderId: folderId(n % options.folders),
      itemClass: "IPM.Note",
      subject: `synthetic item ${n}`,
      size: bytes.length,
      searchKey: createHash("sha256").update(itemId(n)).digest("base64").slice(0, 22),
    };
  };
  const folderInfo = (f: number): FolderInfo => ({
    folderId: folderId(f),
    changeKey: "CgAAAA",
    parentFolderId: ROOT,
    displayName: f === 0 ? "Inbox" : `Folder ${f.toString().padStart(3, "0")}`,
    folderClass: "IPF.Note",
    ...(f === 0 ? { distinguishedName: "inbox" as const } : {}),
  });
  const byId = new Map<string, number>();
  for (let n = 0; n < options.items; n++) byId.set(itemId(n), n);
  const realItemIds = [...realAt.keys()].map(itemId);

  const source: MailboxSource = {
    capabilities: { maxConcurrencyPerMailbox: 16, maxExportBatchBytes: 16 * 1024 * 1024 },
    async getMailboxInfo(): Promise<MailboxInfo> {
      return {
        smtpAddress: options.mailbox,
        distinguishedFolders: { msgfolderroot: ROOT, inbox: folderId(0) },
      };
    },
    async syncFolderHierarchy(_mailbox, sync?: SyncOptions): Promise<HierarchySyncPage> {
      const changes =
        sync?.syncState === undefined
          ? Array.from({ length: options.folders }, (_, f) => ({
              kind: "create" as const,
              folder: folderInfo(f),
            }))
          : [];
      return { changes, syncState: "hierarchy-done", includesLastFolderInRange: true };
    },
    async syncFolderItems(_mailbox, folder, sync?: SyncOptions): Promise<ItemSyncPage> {
      const f = Number.parseInt(folder.slice(12, 16), 10);
      const start = sync?.syncState === undefined ? 0 : Number(sync.syncState);
      const max = sync?.maxChanges ?? 512;
      const changes: ItemSyncPage["changes"][number][] = [];
      let k = start;
      for (; k < options.items && changes.length < max; k++) {
        const n = k * options.folders + f;
        if (n >= options.items) {
          k = options.items;
          break;
        }
        changes.push({ kind: "create", item: summary(n) });
      }
      const done = k * options.folders + f >= options.items;
      return { changes, syncState: String(k), includesLastItemInRange: done };
    },
    async findItems() {
      return [];
    },
    async findFolders() {
      return [];
    },
    async *exportItems(_mailbox, items: readonly ExportRequest[]): AsyncIterable<ExportResult> {
      for (const { itemId: id } of items) {
        const n = byId.get(id);
        if (n === undefined)
          yield {
            ok: false,
            itemId: id,
            error: { code: "EWS_SERVER_ERROR", message: "no such item", responseCode: "ErrorItemNotFound", disposition: "skip" },
          };
        else yield { ok: true, itemId: id, data: data(n) };
      }
    },
    async getMimeContent() {
      throw new TypeError("the synthetic mailbox has no MIME");
    },
    async close() {},
  };
  return { source, realItemIds };
}
