// Turning a Selection (folder globs, item classes, dates) into predicates. Folder patterns match
// either the '/'-joined display-name path ("Inbox/Projects/**") or a distinguished folder name
// ("inbox"), which also selects that folder's subtree, so selections survive localised names.
//
// A selection is validated before any work (validateSelection, also run by both filter
// factories): a pattern that cannot compile would otherwise match nothing, and a backup with it
// would write an empty snapshot that becomes the mailbox's latest.

import type { ItemSummary } from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import picomatch from "picomatch";
import type { Selection } from "./types.js";

const ROOT_NAMES = new Set(["mailbox", "archive", "recoverable", "public"]);

function invalid(field: string, message: string, value?: unknown): EwsVaultError {
  return new EwsVaultError("SELECTION_INVALID", `selection ${field}: ${message}`, {
    details: { field, ...(value === undefined ? {} : { value }) },
  });
}

/**
 * Why `pattern` is not a usable folder glob, or undefined when it is. picomatch accepts almost
 * anything and turns what it cannot compile ("[z-a]", "{a,b") into a regex that never matches;
 * strictBrackets and debug make it say so instead.
 */
export function folderPatternProblem(pattern: string): string | undefined {
  if (typeof pattern !== "string" || pattern.trim() === "") return "empty pattern";
  try {
    picomatch.makeRe(pattern, { nocase: true, dot: true, strictBrackets: true, debug: true });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Throws SELECTION_INVALID when `selection` has a pattern, class or date range that cannot match. */
export function validateSelection(selection: Selection | undefined): void {
  if (selection === undefined) return;
  for (const root of selection.roots ?? []) {
    if (!ROOT_NAMES.has(root)) throw invalid("roots", `unknown root "${root}"`, root);
  }
  for (const field of ["includeFolders", "excludeFolders"] as const) {
    for (const pattern of selection[field] ?? []) {
      const problem = folderPatternProblem(pattern);
      if (problem !== undefined)
        throw invalid(field, `"${pattern}" is not a valid pattern: ${problem}`, pattern);
    }
  }
  for (const field of ["includeItemClasses", "excludeItemClasses"] as const) {
    for (const prefix of selection[field] ?? []) {
      if (typeof prefix !== "string" || prefix.trim() === "")
        throw invalid(field, "empty item class", prefix);
    }
  }
  for (const field of ["receivedAfter", "receivedBefore"] as const) {
    const date = selection[field];
    if (date !== undefined && !(date instanceof Date && Number.isFinite(date.getTime())))
      throw invalid(field, "not a valid date");
  }
  const { receivedAfter: after, receivedBefore: before } = selection;
  if (after !== undefined && before !== undefined && before.getTime() <= after.getTime()) {
    throw invalid(
      "receivedBefore",
      `${before.toISOString()} is not after receivedAfter ${after.toISOString()}: nothing can match`,
    );
  }
}

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
  validateSelection(selection);
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
  validateSelection(selection);
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
