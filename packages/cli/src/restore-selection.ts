// What `restore` and `export` select in a snapshot, checked before anything is written: item
// ids as `ls` prints them (full ids, unique prefixes or the unique 16-character tails `ls`
// shows) are resolved to full ids, and a selection that matches nothing is an error with a
// non-zero exit, never "restored 0".
import { type EngineRepository, type ItemSearch, planRestore, type Snapshot } from "@ewsvault/core";
import { CliError, ExitCode } from "./errors.js";

type RestorePlan = Awaited<ReturnType<typeof planRestore>>;

export interface RestoreSelection {
  readonly folders?: readonly string[];
  readonly itemIds?: readonly string[];
  readonly search?: ItemSearch;
}

/** Shortest id text accepted as a prefix or tail (shorter ones match too much to be meant). */
const MIN_ID_TEXT = 6;

function describe(selection: RestoreSelection): string {
  const parts: string[] = [];
  if (selection.folders?.length) parts.push(`--folder ${selection.folders.join(" ")}`);
  if (selection.itemIds?.length) parts.push(`--item ${selection.itemIds.join(" ")}`);
  if (selection.search) parts.push(`search ${JSON.stringify(selection.search)}`);
  return parts.join(", ");
}

/** Full item ids for what the user typed, from every item of the snapshot. */
function resolveIds(typed: readonly string[], all: readonly string[], snapshot: Snapshot): string[] {
  const exact = new Set(all);
  return typed.map((text) => {
    if (exact.has(text)) return text;
    const matches =
      text.length < MIN_ID_TEXT ? [] : all.filter((id) => id.startsWith(text) || id.endsWith(text));
    const unique = [...new Set(matches)];
    if (unique.length === 1) return unique[0]!;
    if (unique.length === 0)
      throw new CliError(
        "NOTHING_MATCHED",
        `no item ${text} in snapshot ${snapshot.id.slice(0, 12)} of ${snapshot.mailbox} (ids as 'ls --items' prints them)`,
      );
    throw new CliError(
      "ITEM_AMBIGUOUS",
      `item id ${text} matches ${unique.length} items in snapshot ${snapshot.id.slice(0, 12)}; give more of it`,
      ExitCode.usage,
    );
  });
}

/**
 * The selection with item ids resolved, and its plan. MUST throw NOTHING_MATCHED when a
 * selection was given and matches no item, ITEM_AMBIGUOUS for an id text matching several.
 */
export async function checkedSelection(
  repository: EngineRepository,
  snapshot: Snapshot,
  selection: RestoreSelection,
): Promise<{ selection: RestoreSelection; plan: RestorePlan }> {
  let resolved = selection;
  if (selection.itemIds?.length) {
    const everything = await planRestore(repository, snapshot, {});
    const all = everything.folders.flatMap((folder) => folder.items.map((item) => item.itemId));
    resolved = { ...selection, itemIds: resolveIds(selection.itemIds, all, snapshot) };
  }
  const plan = await planRestore(repository, snapshot, resolved);
  const given = Boolean(selection.folders?.length || selection.itemIds?.length || selection.search);
  if (given && plan.items === 0) {
    throw new CliError(
      "NOTHING_MATCHED",
      `nothing in snapshot ${snapshot.id.slice(0, 12)} of ${snapshot.mailbox} matches ${describe(selection)}`,
    );
  }
  return { selection: resolved, plan };
}
