// Restore stage 2, resolve folders: the target folder of every planned snapshot folder, found or
// created in the target mailbox. A top folder is matched by distinguished name first (so "Inbox"
// lands in a localised inbox), every folder then by display name (case-insensitive) under its
// resolved parent, and created when missing. With `intoFolder` the whole restore goes below one
// new top-level folder instead. Archive folders go to the target's archive when it has one;
// recoverable items and public folders, which a restore cannot write back in place, go below a
// labelled folder ("Recoverable Items", "Public Folders").

import type { FolderInfo, MailboxInfo, MailboxTarget } from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { SnapshotFolder } from "../snapshot-tree.js";
import type { RestorePlan } from "./plan.js";

/** Folders that hold what a root other than the mailbox (and a target's archive) restores into. */
const ROOT_LABELS = {
  archive: "Archive",
  recoverable: "Recoverable Items",
  public: "Public Folders",
} as const;

/** Folders created with a label or for `intoFolder` hold mail. */
const MAIL_FOLDER_CLASS = "IPF.Note";

/** What resolving folders asks of the target. */
export type FolderTarget = Pick<MailboxTarget, "findFolders" | "createFolder">;

/** The target folders of one restore; folderOf() calls for one folder share one resolution. */
export interface TargetFolders {
  /**
   * The target folder id of a planned snapshot folder, its parents resolved (and created) first.
   * MUST reject with SNAPSHOT_TREE_INVALID when the plan lacks the folder's parent.
   */
  folderOf(folder: SnapshotFolder): Promise<string>;
  /** Folders created so far. */
  readonly created: number;
}

/** Finds or creates target folders by parent and name; one instance per restore. */
class FolderResolver {
  readonly #target: FolderTarget;
  readonly #mailbox: string;
  readonly #info: MailboxInfo;
  readonly #children = new Map<string, Map<string, string>>();
  readonly #resolved = new Map<string, Promise<string>>();
  readonly #signal: AbortSignal | undefined;
  created = 0;

  constructor(
    target: FolderTarget,
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

/**
 * Reads the target's folders below `rootId` (its msgfolderroot) and, with `intoFolder`, finds or
 * creates that folder at once; the planned folders are resolved on demand by folderOf().
 */
export async function resolveTargetFolders(
  target: FolderTarget,
  toMailbox: string,
  info: MailboxInfo,
  rootId: string,
  plan: Pick<RestorePlan, "allFolders">,
  intoFolder: string | undefined,
  signal?: AbortSignal,
): Promise<TargetFolders> {
  const resolver = new FolderResolver(
    target,
    toMailbox,
    info,
    await target.findFolders(toMailbox, rootId, signal),
    signal,
  );
  const base =
    intoFolder === undefined ? rootId : await resolver.child(rootId, intoFolder, MAIL_FOLDER_CLASS);

  /** The parent a top folder of the snapshot goes below, or its own id when it maps onto one. */
  const placeTop = async (folder: SnapshotFolder): Promise<{ parentId: string } | { folderId: string }> => {
    const tree = folder.tree;
    const toArchive = tree.root === "archive" && resolver.distinguished("archivemsgfolderroot");
    if (tree.root !== "mailbox" && !toArchive) {
      const label = ROOT_LABELS[tree.root as keyof typeof ROOT_LABELS];
      return { parentId: await resolver.child(base, label, MAIL_FOLDER_CLASS) };
    }
    if (intoFolder !== undefined) return { parentId: base };
    const distinguished = resolver.distinguished(tree.distinguishedName);
    if (distinguished !== undefined) return { folderId: distinguished };
    return { parentId: tree.root === "archive" ? resolver.distinguished("archivemsgfolderroot")! : base };
  };

  // Paths are unique within one snapshot walk, so a path keys its folder.
  const folderIds = new Map<string, Promise<string>>();
  const folderOf = (folder: SnapshotFolder): Promise<string> => {
    const key = folder.path.join("/");
    let pending = folderIds.get(key);
    if (pending !== undefined) return pending;
    pending = (async () => {
      let parentId: string;
      if (folder.path.length === 1) {
        const place = await placeTop(folder);
        if ("folderId" in place) return place.folderId;
        parentId = place.parentId;
      } else {
        const parent = plan.allFolders.get(folder.path.slice(0, -1).join("/"));
        if (parent === undefined)
          throw new EwsVaultError("SNAPSHOT_TREE_INVALID", `no parent folder for ${key}`);
        parentId = await folderOf(parent);
      }
      return resolver.child(parentId, folder.tree.displayName, folder.tree.folderClass);
    })();
    folderIds.set(key, pending);
    return pending;
  };

  return {
    folderOf,
    get created() {
      return resolver.created;
    },
  };
}
