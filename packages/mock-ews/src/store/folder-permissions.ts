// Folder permissions (the folder's ACL as EWS shows it in PermissionSet / CalendarPermissionSet),
// kept per folder beside the store. A folder nobody changed has Exchange 2016's defaults: the
// Default user None (FreeBusyTimeOnly on calendar folders, AvailabilityOnly in Outlook's words)
// and Anonymous None. A permission level other than Custom fixes every right, as Exchange's
// role definitions do; Custom keeps the rights the client sent.
import { createHash } from "node:crypto";
import type { FolderRecord } from "./records.js";

export type PermissionAction = "None" | "Owned" | "All";

/** The user an entry is for: Default, Anonymous, or a directory user. */
export interface PermissionUser {
  readonly distinguished?: "Default" | "Anonymous";
  readonly smtpAddress?: string;
  readonly displayName?: string;
}

export interface FolderPermission {
  readonly user: PermissionUser;
  readonly canCreateItems: boolean;
  readonly canCreateSubFolders: boolean;
  readonly isFolderOwner: boolean;
  readonly isFolderVisible: boolean;
  readonly isFolderContact: boolean;
  readonly editItems: PermissionAction;
  readonly deleteItems: PermissionAction;
  /** None / FullDetails (calendar folders also TimeOnly / TimeAndSubjectAndLocation). */
  readonly readItems: string;
  /** PermissionLevel, or CalendarPermissionLevel on calendar folders. */
  readonly level: string;
}

type Rights = Omit<FolderPermission, "user" | "level">;

const r = (
  create: boolean,
  sub: boolean,
  owner: boolean,
  visible: boolean,
  contact: boolean,
  edit: PermissionAction,
  del: PermissionAction,
  read: string,
): Rights => ({
  canCreateItems: create,
  canCreateSubFolders: sub,
  isFolderOwner: owner,
  isFolderVisible: visible,
  isFolderContact: contact,
  editItems: edit,
  deleteItems: del,
  readItems: read,
});

/** The rights each fixed level stands for (Exchange's folder roles). */
export const LEVEL_RIGHTS: Readonly<Record<string, Rights>> = {
  None: r(false, false, false, false, false, "None", "None", "None"),
  Owner: r(true, true, true, true, true, "All", "All", "FullDetails"),
  PublishingEditor: r(true, true, false, true, false, "All", "All", "FullDetails"),
  Editor: r(true, false, false, true, false, "All", "All", "FullDetails"),
  PublishingAuthor: r(true, true, false, true, false, "Owned", "Owned", "FullDetails"),
  Author: r(true, false, false, true, false, "Owned", "Owned", "FullDetails"),
  NoneditingAuthor: r(true, false, false, true, false, "None", "Owned", "FullDetails"),
  Reviewer: r(false, false, false, true, false, "None", "None", "FullDetails"),
  Contributor: r(true, false, false, true, false, "None", "None", "None"),
  FreeBusyTimeOnly: r(false, false, false, false, false, "None", "None", "TimeOnly"),
  FreeBusyTimeAndSubjectAndLocation: r(
    false,
    false,
    false,
    false,
    false,
    "None",
    "None",
    "TimeAndSubjectAndLocation",
  ),
};

export const CALENDAR_ONLY_LEVELS: ReadonlySet<string> = new Set([
  "FreeBusyTimeOnly",
  "FreeBusyTimeAndSubjectAndLocation",
]);

export function isCalendarFolder(folder: FolderRecord): boolean {
  return folder.folderClass?.startsWith("IPF.Appointment") === true;
}

function entry(user: PermissionUser, level: string): FolderPermission {
  return { user, level, ...LEVEL_RIGHTS[level]! };
}

const permissions = new WeakMap<FolderRecord, FolderPermission[]>();

/** The folder's permission entries (its defaults until something set them). */
export function folderPermissions(folder: FolderRecord): readonly FolderPermission[] {
  return (
    permissions.get(folder) ?? [
      entry({ distinguished: "Default" }, isCalendarFolder(folder) ? "FreeBusyTimeOnly" : "None"),
      entry({ distinguished: "Anonymous" }, "None"),
    ]
  );
}

/**
 * Replaces the folder's entries. Default and Anonymous are always present (Exchange keeps them
 * when a client leaves them out): a missing one gets level None. Bumps the folder's change key.
 */
export function setFolderPermissions(folder: FolderRecord, entries: readonly FolderPermission[]): void {
  const list = [...entries];
  for (const distinguished of ["Default", "Anonymous"] as const) {
    if (!list.some((e) => e.user.distinguished === distinguished))
      list.push(entry({ distinguished }, "None"));
  }
  list.sort((a, b) => rank(a) - rank(b));
  permissions.set(folder, list);
  folder.lastSeq = ++folder.mailbox.seq;
}

/**
 * The folder's generated entries (seeded sharing, generator/settings-generator.ts): like
 * setFolderPermissions but part of the generated state, so it bumps no change key or sequence.
 */
export function seedFolderPermissions(
  folder: FolderRecord,
  entries: readonly ({ readonly user: PermissionUser; readonly level: string } | FolderPermission)[],
): void {
  const list = entries.map((e) => ("readItems" in e ? e : entry(e.user, e.level)));
  list.sort((a, b) => rank(a) - rank(b));
  permissions.set(folder, list);
}

/** Back to the defaults (DeleteFolderField folder:PermissionSet). */
export function resetFolderPermissions(folder: FolderRecord): void {
  permissions.delete(folder);
  folder.lastSeq = ++folder.mailbox.seq;
}

/** Copies a folder's entries to its copy (CopyFolder). */
export function copyFolderPermissions(from: FolderRecord, to: FolderRecord): void {
  const list = permissions.get(from);
  if (list !== undefined) permissions.set(to, [...list]);
}

function rank(e: FolderPermission): number {
  return e.user.distinguished === "Default" ? 0 : e.user.distinguished === "Anonymous" ? 1 : 2;
}

/** A stable, SID-shaped identifier for a directory user (Exchange returns the user's AD SID). */
export function userSid(smtpAddress: string): string {
  const digest = createHash("sha256").update(smtpAddress.toLowerCase()).digest();
  const parts = [0, 4, 8, 12].map((offset) => digest.readUInt32BE(offset) % 4_000_000_000);
  return `S-1-5-21-${parts[0]}-${parts[1]}-${parts[2]}-${1000 + (parts[3]! % 100_000)}`;
}
