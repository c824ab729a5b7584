// Snapshot groups: a snapshot records *what* was backed up (its selection: hierarchy roots,
// folder globs, item classes, dates), and snapshots of one mailbox with the same selection form
// one group, as restic groups by host and paths. "latest", retention policies and the
// incremental parent are chosen within a group, so a run of a partial backup set never stands
// in for the whole mailbox. Pure functions over manifests: no repository access here.
import { canonicalJson, sha256Hex, utf8 } from "./format.js";

/** Version of the recorded selection object (`selection.v` in a snapshot manifest). */
export const SNAPSHOT_SELECTION_VERSION = 1;

/**
 * The selection as recorded in a snapshot, canonical: roots and lists sorted and deduplicated,
 * empty lists left out, dates as ISO 8601 UTC. Two runs that back up the same thing record
 * byte-identical selections whatever order their options were given in.
 */
export interface SnapshotSelection {
  readonly v: 1;
  /** Hierarchies: "mailbox", "archive", "recoverable", "public". */
  readonly roots: readonly string[];
  readonly includeFolders?: readonly string[];
  readonly excludeFolders?: readonly string[];
  readonly includeItemClasses?: readonly string[];
  readonly excludeItemClasses?: readonly string[];
  readonly receivedAfter?: string;
  readonly receivedBefore?: string;
}

/** What canonicalSelection() accepts: the engine's Selection or a recorded one. */
export interface SelectionInput {
  readonly roots?: readonly string[];
  readonly includeFolders?: readonly string[];
  readonly excludeFolders?: readonly string[];
  readonly includeItemClasses?: readonly string[];
  readonly excludeItemClasses?: readonly string[];
  readonly receivedAfter?: Date | string;
  readonly receivedBefore?: Date | string;
}

/**
 * Group of snapshots written before selections were recorded. They are NOT assumed to be
 * whole-mailbox snapshots: any of them may come from a partial backup set, and treating it as
 * the whole mailbox is exactly the silent partial restore groups exist to prevent.
 */
export const LEGACY_GROUP = "legacy";

/** Selection of `backup --mailbox X` with no filters: the primary mailbox, every folder and item. */
export const WHOLE_MAILBOX_SELECTION: SnapshotSelection = { v: 1, roots: ["mailbox"] };

const LISTS = ["includeFolders", "excludeFolders", "includeItemClasses", "excludeItemClasses"] as const;

function sortedUnique(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return [...new Set(values.map(String))].sort();
}

function isoDate(value: Date | string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`selection.${name} must be a valid date`);
  return date.toISOString();
}

export function canonicalSelection(input: SelectionInput | undefined): SnapshotSelection {
  const selection: Record<string, unknown> = {
    v: SNAPSHOT_SELECTION_VERSION,
    roots: sortedUnique(input?.roots) ?? ["mailbox"],
  };
  for (const key of LISTS) {
    const list = sortedUnique(input?.[key]);
    if (list !== undefined) selection[key] = list;
  }
  const after = isoDate(input?.receivedAfter, "receivedAfter");
  const before = isoDate(input?.receivedBefore, "receivedBefore");
  if (after !== undefined) selection.receivedAfter = after;
  if (before !== undefined) selection.receivedBefore = before;
  return selection as unknown as SnapshotSelection;
}

/**
 * The selection recorded in a stored manifest, or undefined when there is none (a legacy
 * snapshot) or it has a version this reader does not know (then the snapshot is a group of its
 * own, see groupOfRecorded). A malformed version-1 selection is treated like an unknown one
 * rather than failing the whole snapshot listing.
 */
export function parseRecordedSelection(raw: unknown): SnapshotSelection | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const value = raw as Record<string, unknown>;
  if (value.v !== SNAPSHOT_SELECTION_VERSION) return undefined;
  const stringList = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === "string");
  if (!stringList(value.roots)) return undefined;
  for (const key of LISTS) if (value[key] !== undefined && !stringList(value[key])) return undefined;
  for (const key of ["receivedAfter", "receivedBefore"])
    if (value[key] !== undefined && typeof value[key] !== "string") return undefined;
  try {
    return canonicalSelection(value as SelectionInput);
  } catch {
    return undefined;
  }
}

/** Group id of a selection: 12 hex digits of the SHA-256 of its canonical JSON. */
export function selectionGroup(selection: SelectionInput | undefined): string {
  return sha256Hex(utf8(canonicalJson(canonicalSelection(selection)))).slice(0, 12);
}

/**
 * Group id of a stored manifest's raw `selection` value: its selectionGroup, LEGACY_GROUP when
 * absent, and for a selection this reader cannot interpret a stable id of its own
 * ("unknown-" + hash), so such snapshots are never mistaken for any group this reader writes.
 */
export function groupOfRecorded(raw: unknown): string {
  if (raw === undefined || raw === null) return LEGACY_GROUP;
  const parsed = parseRecordedSelection(raw);
  if (parsed !== undefined) return selectionGroup(parsed);
  return `unknown-${sha256Hex(utf8(canonicalJson(raw))).slice(0, 12)}`;
}

/** One line for people: "mailbox; folders +inbox -junkemail; classes +IPM.Note; received >= ...". */
export function describeSelection(selection: SnapshotSelection | undefined): string {
  if (selection === undefined) return "legacy (selection not recorded)";
  const parts = [selection.roots.join("+")];
  const signed = (plus: readonly string[] | undefined, minus: readonly string[] | undefined) =>
    [...(plus ?? []).map((p) => `+${p}`), ...(minus ?? []).map((m) => `-${m}`)].join(" ");
  if (selection.includeFolders || selection.excludeFolders)
    parts.push(`folders ${signed(selection.includeFolders, selection.excludeFolders)}`);
  if (selection.includeItemClasses || selection.excludeItemClasses)
    parts.push(`classes ${signed(selection.includeItemClasses, selection.excludeItemClasses)}`);
  if (selection.receivedAfter) parts.push(`received >= ${selection.receivedAfter}`);
  if (selection.receivedBefore) parts.push(`received < ${selection.receivedBefore}`);
  return parts.join("; ");
}

/** The fields of a snapshot group choice need (kept structural so tests can pass plain objects). */
export interface GroupedSnapshot {
  readonly mailbox: string;
  readonly time: Date;
  readonly group: string;
}

/**
 * Which group "latest" of a mailbox means when the caller named none: the whole-mailbox group
 * when the mailbox has one; otherwise the only group there is; otherwise undefined (the caller
 * MUST make the user choose, never pick the newest snapshot of whichever group ran last).
 */
export function defaultGroup(snapshots: readonly GroupedSnapshot[], mailbox: string): string | undefined {
  const groups = new Set(snapshots.filter((s) => s.mailbox === mailbox).map((s) => s.group));
  const whole = selectionGroup(WHOLE_MAILBOX_SELECTION);
  if (groups.has(whole)) return whole;
  return groups.size === 1 ? [...groups][0] : undefined;
}

/** Groups of a mailbox with their newest snapshot, newest first (for "choose one of" messages). */
export function groupsOf<T extends GroupedSnapshot>(
  snapshots: readonly T[],
  mailbox: string,
): Array<{ group: string; latest: T; count: number }> {
  const byGroup = new Map<string, { group: string; latest: T; count: number }>();
  for (const s of snapshots) {
    if (s.mailbox !== mailbox) continue;
    const entry = byGroup.get(s.group);
    if (entry === undefined) byGroup.set(s.group, { group: s.group, latest: s, count: 1 });
    else {
      entry.count++;
      if (s.time.getTime() > entry.latest.time.getTime()) entry.latest = s;
    }
  }
  return [...byGroup.values()].sort((a, b) => b.latest.time.getTime() - a.latest.time.getTime());
}
