// restore(): one snapshot of one mailbox (or a selection of it) into a mailbox — the original
// one, another one, or one on another server (the target is just another MailboxTarget).
// Folders are matched by distinguished name first (so "Inbox" lands in a localised inbox), then
// by display name, and created when missing. Items already present are recognised by
// PR_SEARCH_KEY, which Exchange keeps across copy, export and upload — never by subject.
import pLimit from "p-limit";
import { EwsVaultError } from "@ewsvault/mailbox";
import { defaultGroup, describeSelection, groupsOf } from "../repository/snapshot-group.js";
import type { FolderInfo, MailboxInfo, MailboxTarget, UploadRequest } from "@ewsvault/mailbox";
import { describeError } from "./backup.js";
import { lookupItemFolders } from "./snapshot-item-lookup.js";
import type { EngineRepository, EngineSnapshot } from "./repository-port.js";
import { createFolderFilter } from "./selection.js";
import {
  loadMailboxTree,
  loadSnapshotItems,
  loadSnapshotItemsById,
  type SnapshotFolder,
  type SnapshotItem,
  walkSnapshotFolders,
} from "./snapshot-tree.js";
import type { ItemSearch, RestoredItem, RestoreOptions, RestoreReport } from "./types.js";

/** Largest UploadItems request the restore builds (item data before base64). */
const UPLOAD_BATCH_BYTES = 8 * 1024 * 1024;

const ROOT_LABELS = {
  archive: "Archive",
  recoverable: "Recoverable Items",
  public: "Public Folders",
} as const;

/**
 * The snapshot a restore means. An id is taken as is. "latest" and a time are chosen within a
 * snapshot group (what was backed up): `group` when given ("any" = every group, the caller's
 * explicit choice), else the mailbox's default group (defaultGroup: whole mailbox, or the only
 * group). With several groups and none of them the whole mailbox this MUST throw
 * SNAPSHOT_GROUP_AMBIGUOUS rather than restore part of a mailbox as if it were all of it.
 */
export async function resolveSnapshot(
  repository: EngineRepository,
  mailbox: string,
  snapshot: string | Date | undefined,
  group?: string,
): Promise<EngineSnapshot> {
  if (snapshot !== undefined && !(snapshot instanceof Date) && snapshot !== "latest") {
    return repository.loadSnapshot(snapshot);
  }
  const at = snapshot instanceof Date ? snapshot : "latest";
  let chosen = group === "any" ? undefined : group;
  if (group === undefined) {
    const all = await repository.listSnapshots({ mailbox });
    chosen = defaultGroup(all, mailbox);
    if (chosen === undefined && all.length > 0) {
      const groups = groupsOf(all, mailbox);
      throw new EwsVaultError(
        "SNAPSHOT_GROUP_AMBIGUOUS",
        `${mailbox} has snapshots of ${groups.length} different selections and none of the whole mailbox; choose a group (${groups
          .map((g) => `${g.group}: ${describeSelection(g.latest.selection)}`)
          .join("; ")})`,
        { details: { mailbox, groups: groups.map((g) => g.group) } },
      );
    }
  }
  const found = await repository.findSnapshot({
    mailbox,
    at,
    ...(chosen === undefined ? {} : { group: chosen }),
  });
  if (found === undefined) {
    throw new EwsVaultError(
      "REPO_SNAPSHOT_NOT_FOUND",
      `no snapshot of ${mailbox} matches ${String(snapshot ?? "latest")}${chosen === undefined ? "" : ` in group ${chosen}`}`,
      { details: { mailbox, ...(chosen === undefined ? {} : { group: chosen }) } },
    );
  }
  return found;
}

function matchesSearch(item: SnapshotItem, search: ItemSearch | undefined): boolean {
  if (search === undefined) return true;
  if (
    search.subject !== undefined &&
    !(item.subject ?? "").toLowerCase().includes(search.subject.toLowerCase())
  ) {
    return false;
  }
  if (search.from !== undefined && !(item.from ?? "").toLowerCase().includes(search.from.toLowerCase()))
    return false;
  if (search.itemClass !== undefined) {
    const wanted = search.itemClass.toLowerCase();
    const actual = (item.itemClass ?? "").toLowerCase();
    if (actual !== wanted && !actual.startsWith(`${wanted}.`)) return false;
  }
  if (search.receivedAfter !== undefined || search.receivedBefore !== undefined) {
    const received = item.receivedAt === undefined ? Number.NaN : Date.parse(item.receivedAt);
    if (Number.isNaN(received)) return false;
    if (search.receivedAfter !== undefined && received < search.receivedAfter.getTime()) return false;
    if (search.receivedBefore !== undefined && received >= search.receivedBefore.getTime()) return false;
  }
  return true;
}

interface PlannedFolder {
  readonly folder: SnapshotFolder;
  readonly items: readonly SnapshotItem[];
}

export interface RestorePlan {
  readonly folders: readonly PlannedFolder[];
  /** Every folder of the snapshot by '/'-joined path (parents of selected folders included). */
  readonly allFolders: ReadonlyMap<string, SnapshotFolder>;
  readonly items: number;
}

/**
 * Lists what a restore with these options would restore, without touching the target.
 * Restoring by item id reads the folder trees and, through the snapshot's item index, only the
 * item pages holding those ids; snapshots without an index (older ones) are searched page by page.
 */
export async function planRestore(
  repository: EngineRepository,
  snapshot: EngineSnapshot,
  options: Pick<RestoreOptions, "folders" | "itemIds" | "search">,
): Promise<RestorePlan> {
  const folderFilter = createFolderFilter(
    options.folders?.length ? { includeFolders: options.folders } : undefined,
  );
  const wantedIds = options.itemIds?.length ? new Set(options.itemIds) : undefined;
  const root = await loadMailboxTree(repository, snapshot.tree);
  // folder id -> the wanted ids the item index places there; undefined: search every page.
  let located: Map<string, Set<string>> | undefined;
  if (wantedIds !== undefined && root.itemIndex !== undefined) {
    const found = await lookupItemFolders(repository, root.itemIndex.subtree, wantedIds);
    if (found !== undefined) {
      located = new Map();
      for (const [itemId, folderIds] of found) {
        for (const folderId of folderIds) {
          const ids = located.get(folderId) ?? new Set<string>();
          ids.add(itemId);
          located.set(folderId, ids);
        }
      }
    }
  }
  const planned: PlannedFolder[] = [];
  const allFolders = new Map<string, SnapshotFolder>();
  const distinguishedByPath = new Map<string, string[]>();
  for await (const folder of walkSnapshotFolders(repository, root)) {
    const parentNames = distinguishedByPath.get(folder.path.slice(0, -1).join("/")) ?? [];
    const names = folder.tree.distinguishedName
      ? [...parentNames, folder.tree.distinguishedName]
      : parentNames;
    distinguishedByPath.set(folder.path.join("/"), names);
    allFolders.set(folder.path.join("/"), folder);
    if (!folder.tree.selected || !folderFilter({ path: folder.path, distinguishedNames: names })) continue;
    let candidates: SnapshotItem[];
    if (located === undefined) {
      candidates = await loadSnapshotItems(repository, folder.tree);
    } else {
      const here = located.get(folder.tree.folderId);
      if (here === undefined) continue;
      candidates = await loadSnapshotItemsById(repository, folder.tree, here);
      if (candidates.length !== here.size) {
        throw new EwsVaultError(
          "SNAPSHOT_TREE_INVALID",
          `the snapshot's item index places items in ${folder.path.join("/")} that it does not hold`,
        );
      }
    }
    const items = candidates.filter(
      (item) =>
        (wantedIds === undefined || wantedIds.has(item.itemId)) && matchesSearch(item, options.search),
    );
    if (items.length > 0 || (wantedIds === undefined && options.search === undefined))
      planned.push({ folder, items });
  }
  return { folders: planned, allFolders, items: planned.reduce((sum, p) => sum + p.items.length, 0) };
}

/** Finds or creates target folders by path; one instance per restore. */
class FolderResolver {
  readonly #target: MailboxTarget;
  readonly #mailbox: string;
  readonly #info: MailboxInfo;
  readonly #children = new Map<string, Map<string, string>>();
  readonly #resolved = new Map<string, Promise<string>>();
  readonly #signal: AbortSignal | undefined;
  created = 0;

  constructor(
    target: MailboxTarget,
    mailbox: string,
    info: MailboxInfo,
    existing: readonly FolderInfo[],
    signal?: AbortSignal,
  ) {
    this.#target = target;
    this.#mailbox = mailbox;
    this.#info = info;
    this.#signal = signal;
    for (const folder of existing) this.#remember(folder.parentFolderId, folder.displayName, folder.folderId);
  }

  #remember(parentId: string, name: string, folderId: string): void {
    const children = this.#children.get(parentId) ?? new Map<string, string>();
    if (!children.has(name.toLowerCase())) children.set(name.toLowerCase(), folderId);
    this.#children.set(parentId, children);
  }

  /** Child `name` of `parentId`, created when missing. Calls for one key share one creation. */
  child(parentId: string, name: string, folderClass: string | undefined): Promise<string> {
    const key = `${parentId}\u0000${name.toLowerCase()}`;
    let pending = this.#resolved.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const known = this.#children.get(parentId)?.get(name.toLowerCase());
        if (known !== undefined) return known;
        const folder = await this.#target.createFolder(
          this.#mailbox,
          parentId,
          name,
          folderClass,
          this.#signal,
        );
        this.created++;
        this.#remember(parentId, name, folder.folderId);
        return folder.folderId;
      })();
      this.#resolved.set(key, pending);
    }
    return pending;
  }

  distinguished(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    return (this.#info.distinguishedFolders as Record<string, string | undefined>)[name];
  }
}

export async function restore(options: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const { repository, target } = options;
  const snapshot = await resolveSnapshot(repository, options.mailbox, options.snapshot, options.group);
  const toMailbox = options.toMailbox ?? options.mailbox;
  const info = await target.getMailboxInfo(toMailbox, options.signal);
  const rootId = info.distinguishedFolders.msgfolderroot;
  if (rootId === undefined)
    throw new EwsVaultError("EWS_MALFORMED_RESPONSE", `${toMailbox} has no msgfolderroot`);
  const plan = await planRestore(repository, snapshot, options);
  const total = plan.items;
  options.onEvent?.({ type: "restore-start", snapshotId: snapshot.id, items: total });

  const resolver = new FolderResolver(
    target,
    toMailbox,
    info,
    await target.findFolders(toMailbox, rootId, options.signal),
    options.signal,
  );
  const base =
    options.intoFolder === undefined ? rootId : await resolver.child(rootId, options.intoFolder, "IPF.Note");

  // Target folder of every planned folder, resolved parent first (paths are unique per snapshot walk).
  const folderIds = new Map<string, Promise<string>>();
  const resolveFolder = (folder: SnapshotFolder): Promise<string> => {
    const key = folder.path.join("/");
    let pending = folderIds.get(key);
    if (pending !== undefined) return pending;
    pending = (async () => {
      const tree = folder.tree;
      let parentId: string;
      if (folder.path.length === 1) {
        if (
          tree.root === "mailbox" ||
          (tree.root === "archive" && resolver.distinguished("archivemsgfolderroot"))
        ) {
          if (options.intoFolder === undefined) {
            const distinguished = resolver.distinguished(tree.distinguishedName);
            if (distinguished !== undefined) return distinguished;
          }
          parentId =
            tree.root === "archive" && options.intoFolder === undefined
              ? resolver.distinguished("archivemsgfolderroot")!
              : base;
        } else {
          parentId = await resolver.child(
            base,
            ROOT_LABELS[tree.root as keyof typeof ROOT_LABELS],
            "IPF.Note",
          );
        }
      } else {
        const parent = plan.allFolders.get(folder.path.slice(0, -1).join("/"));
        if (parent === undefined)
          throw new EwsVaultError("SNAPSHOT_TREE_INVALID", `no parent folder for ${key}`);
        parentId = await resolveFolder(parent);
      }
      return resolver.child(parentId, tree.displayName, tree.folderClass);
    })();
    folderIds.set(key, pending);
    return pending;
  };

  const limit = pLimit(options.concurrency ?? 4);
  const uploadBatchItems = options.uploadBatchItems ?? 16;
  const conflict = options.conflict ?? "skip";
  const results: RestoredItem[] = [];
  let done = 0;
  const record = (item: RestoredItem) => {
    results.push(item);
    done++;
    options.onEvent?.({ type: "item", item, done, total });
  };

  await Promise.all(
    plan.folders.map(async ({ folder, items }) => {
      const folderPath = folder.path.join("/");
      let folderId: string;
      try {
        folderId = await resolveFolder(folder);
      } catch (error) {
        for (const item of items) {
          record({
            sourceItemId: item.itemId,
            folderPath,
            ...subjectOf(item),
            status: "failed",
            error: describeError(error),
          });
        }
        return;
      }
      if (items.length === 0) return;
      const existing = new Map<string, string>();
      if (conflict !== "duplicate") {
        for (const present of await limit(() => target.findItems(toMailbox, folderId, options.signal))) {
          if (present.searchKey !== undefined) existing.set(present.searchKey, present.itemId);
        }
      }
      // Items already present are settled at once; the rest go up in batches (one UploadItems
      // request per batch, by count and bytes), which is what makes a restore fast.
      const toUpload: Array<{ item: SnapshotItem; already?: string }> = [];
      for (const item of items) {
        const already = item.searchKey === undefined ? undefined : existing.get(item.searchKey);
        if (already !== undefined && conflict === "skip") {
          record({
            sourceItemId: item.itemId,
            folderPath,
            ...subjectOf(item),
            status: "skipped-existing",
            targetItemId: already,
          });
        } else {
          toUpload.push({ item, ...(already === undefined ? {} : { already }) });
        }
      }
      const batches: Array<typeof toUpload> = [];
      let bytes = 0;
      for (const entry of toUpload) {
        const current = batches.at(-1);
        if (
          current === undefined ||
          current.length >= uploadBatchItems ||
          bytes + entry.item.dataSize > UPLOAD_BATCH_BYTES
        ) {
          batches.push([entry]);
          bytes = entry.item.dataSize;
        } else {
          current.push(entry);
          bytes += entry.item.dataSize;
        }
      }
      const fail = (item: SnapshotItem, error: { code: string; message: string }) =>
        record({ sourceItemId: item.itemId, folderPath, ...subjectOf(item), status: "failed", error });
      await Promise.all(
        batches.map((batch) =>
          limit(async () => {
            const requests: UploadRequest[] = [];
            const sent: typeof batch = [];
            for (const { item, already } of batch) {
              try {
                const data = await repository.loadData(item.content);
                const request: UploadRequest =
                  already !== undefined && conflict === "overwrite"
                    ? { parentFolderId: folderId, data, mode: "Update", itemId: already }
                    : { parentFolderId: folderId, data, mode: "CreateNew" };
                requests.push({ ...request, ...(item.isAssociated ? { isAssociated: true } : {}) });
                sent.push({ item, ...(already === undefined ? {} : { already }) });
              } catch (error) {
                if (options.signal?.aborted) throw error;
                fail(item, describeError(error));
              }
            }
            if (requests.length === 0) return;
            let results: Awaited<ReturnType<MailboxTarget["uploadItems"]>>;
            try {
              results = await target.uploadItems(toMailbox, requests, options.signal);
            } catch (error) {
              if (options.signal?.aborted) throw error;
              for (const { item } of sent) fail(item, describeError(error));
              return;
            }
            sent.forEach(({ item }, index) => {
              const result = results[index];
              if (result?.ok) {
                record({
                  sourceItemId: item.itemId,
                  folderPath,
                  ...subjectOf(item),
                  status: requests[index]!.mode === "Update" ? "overwritten" : "restored",
                  targetItemId: result.itemId,
                });
              } else {
                const error =
                  result?.ok === false
                    ? result.error
                    : { code: "EWS_MALFORMED_RESPONSE", message: "no result" };
                fail(item, { code: error.code, message: error.message });
              }
            });
          }),
        ),
      );
    }),
  );

  return {
    snapshotId: snapshot.id,
    mailbox: options.mailbox,
    toMailbox,
    foldersCreated: resolver.created,
    items: results,
    restored: results.filter((r) => r.status === "restored" || r.status === "overwritten").length,
    skipped: results.filter((r) => r.status === "skipped-existing").length,
    failed: results.filter((r) => r.status === "failed").length,
    durationMs: Date.now() - started,
  };
}

function subjectOf(item: SnapshotItem): { subject?: string } {
  return item.subject === undefined ? {} : { subject: item.subject };
}
