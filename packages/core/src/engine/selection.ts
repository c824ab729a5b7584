// Turning a Selection (folder globs, item classes, dates) into predicates. Folder patterns match
// either the '/'-joined display-name path ("Inbox/Projects/**") or a distinguished folder name
// ("inbox"), which also selects that folder's subtree, so selections survive localised names.
import picomatch from "picomatch";
import type { ItemSummary } from "../mailbox/types.js";
import type { Selection } from "./types.js";

export interface FolderRef {
  readonly path: readonly string[];
  /** Distinguished names of this folder and its ancestors. */
  readonly distinguishedNames: readonly string[];
}

function folderMatcher(patterns: readonly string[]): (folder: FolderRef) => boolean {
  const globs = patterns.map((p) => picomatch(p, { nocase: true, dot: true }));
  const names = new Set(patterns.map((p) => p.toLowerCase()));
  return (folder) => {
    if (folder.distinguishedNames.some((n) => names.has(n.toLowerCase()))) return true;
    const joined = folder.path.join("/");
    if (globs.some((glob) => glob(joined))) return true;
    // A pattern naming an ancestor path selects the subtree, like a distinguished name does.
    for (let depth = 1; depth < folder.path.length; depth++) {
      const ancestor = folder.path.slice(0, depth).join("/");
      if (globs.some((glob) => glob(ancestor))) return true;
    }
    return false;
  };
}

export function createFolderFilter(selection: Selection | undefined): (folder: FolderRef) => boolean {
  const include = selection?.includeFolders?.length ? folderMatcher(selection.includeFolders) : () => true;
  const exclude = selection?.excludeFolders?.length ? folderMatcher(selection.excludeFolders) : () => false;
  return (folder) => include(folder) && !exclude(folder);
}

function classMatches(prefixes: readonly string[], itemClass: string): boolean {
  const lower = itemClass.toLowerCase();
  return prefixes.some((p) => {
    const prefix = p.toLowerCase();
    return lower === prefix || lower.startsWith(`${prefix}.`);
  });
}

export function createItemFilter(selection: Selection | undefined): (item: ItemSummary) => boolean {
  const include = selection?.includeItemClasses ?? [];
  const exclude = selection?.excludeItemClasses ?? [];
  const after = selection?.receivedAfter?.getTime();
  const before = selection?.receivedBefore?.getTime();
  return (item) => {
    const itemClass = item.itemClass ?? "IPM";
    if (include.length > 0 && !classMatches(include, itemClass)) return false;
    if (exclude.length > 0 && classMatches(exclude, itemClass)) return false;
    if (after !== undefined || before !== undefined) {
      const received = item.receivedAt === undefined ? Number.NaN : Date.parse(item.receivedAt);
      if (Number.isNaN(received)) return true; // no date: keep rather than silently lose it
      if (after !== undefined && received < after) return false;
      if (before !== undefined && received >= before) return false;
    }
    return true;
  };
}
