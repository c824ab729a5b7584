// What `ewsvault ls SNAPSHOT --settings` says about each settings kind a snapshot holds: one
// summary line per kind ("inboxRules: 5 rules (1 disabled)"), indented detail lines under it
// (each rule, each folder's permission entries, each delegate, each configuration), and the
// failures stored with the snapshot. Pure functions of the engine's StoredSettingsKind, so the
// wording is tested without a repository.
import type {
  Delegates,
  FolderPermission,
  FolderPermissionSet,
  InboxRule,
  OofSettings,
  PrincipalId,
  SettingsKind,
  StoredSettingsKind,
  UserConfiguration,
} from "@ewsvault/core";

export interface KindSummary {
  /** The summary line. */
  readonly line: string;
  /** Detail lines, shown indented under it. */
  readonly details: readonly string[];
  /** Counts for --json (entries of the kind; disabled rules, ...). */
  readonly counts: Readonly<Record<string, number>>;
}

/** How a stored folder id is shown: its path in the snapshot where known. */
export type FolderName = (folderId: string) => string;

/** The summary of one stored kind (a kind stored as failed says why). */
export function summariseKind(
  kind: SettingsKind,
  stored: StoredSettingsKind,
  folderName: FolderName = (id) => id,
): KindSummary {
  if (!stored.ok) return { line: `${kind}: not backed up — ${failureText(stored)}`, details: [], counts: {} };
  const body = summariseValue(kind, stored.value, folderName);
  const failures = stored.entryFailures.map((f) => `failed ${folderName(f.entry)}: ${failureText(f)}`);
  return {
    line: failures.length === 0 ? body.line : `${body.line}; ${failures.length} entry(ies) not backed up`,
    details: [...body.details, ...failures],
    counts: { ...body.counts, entryFailures: stored.entryFailures.length },
  };
}

function summariseValue(kind: SettingsKind, value: unknown, folderName: FolderName): KindSummary {
  switch (kind) {
    case "inboxRules":
      return rules(value as readonly InboxRule[]);
    case "oof":
      return oof(value as OofSettings);
    case "folderPermissions":
      return permissions(value as readonly FolderPermissionSet[], folderName);
    case "delegates":
      return delegates(value as Delegates);
    case "userConfigurations":
      return configurations(value as readonly UserConfiguration[], folderName);
  }
}

function rules(value: readonly InboxRule[]): KindSummary {
  const disabled = value.filter((rule) => !rule.isEnabled).length;
  const sorted = [...value].sort((a, b) => a.priority - b.priority);
  return {
    line: `inboxRules: ${plural(value.length, "rule")}${disabled > 0 ? ` (${disabled} disabled)` : ""}`,
    details: sorted.map(
      (rule) =>
        `#${rule.priority} ${rule.displayName}${rule.isEnabled ? "" : " (disabled)"}${rule.isInError ? " (in error)" : ""}`,
    ),
    counts: { rules: value.length, disabled },
  };
}

function oof(value: OofSettings): KindSummary {
  const window =
    value.state === "Scheduled" && value.duration ? ` ${value.duration.start} to ${value.duration.end}` : "";
  const audience = value.state === "Disabled" ? "" : `, external replies to ${value.externalAudience}`;
  return {
    line: `oof: ${value.state}${window}${audience}`,
    details: [],
    counts: { enabled: value.state === "Disabled" ? 0 : 1 },
  };
}

function permissions(value: readonly FolderPermissionSet[], folderName: FolderName): KindSummary {
  const entries = value.reduce((n, set) => n + set.permissions.length, 0);
  // Most folders keep Exchange's defaults; list only those shared with someone.
  const shared = value.filter((set) => !set.permissions.every(isDefaultEntry));
  const rest = value.length - shared.length;
  return {
    line: `folderPermissions: ${plural(entries, "entry", "entries")} on ${plural(value.length, "folder")}, ${shared.length} shared`,
    details: [
      ...shared.map(
        (set) =>
          `${folderName(set.folderId)}: ${set.permissions.map((p) => `${principal(p.user)} ${p.level}`).join(", ")}`,
      ),
      ...(rest > 0 ? [`${plural(rest, "other folder")}: default permissions only`] : []),
    ],
    counts: { folders: value.length, entries, shared: shared.length },
  };
}

/** Exchange's own entries: Default or Anonymous with no access (calendars: free/busy only). */
function isDefaultEntry(permission: FolderPermission): boolean {
  return (
    permission.user.distinguishedUser !== undefined &&
    (permission.level === "None" || permission.level === "FreeBusyTimeOnly")
  );
}

function delegates(value: Delegates): KindSummary {
  const delivery = value.deliverMeetingRequests ? ` (meeting requests: ${value.deliverMeetingRequests})` : "";
  return {
    line: `delegates: ${plural(value.users.length, "delegate")}${delivery}`,
    details: value.users.map((user) => {
      const levels = Object.entries(user.permissions)
        .filter(([, level]) => level !== undefined && level !== "None")
        .map(([folder, level]) => `${folder} ${level}`);
      return `${principal(user.user)}: ${levels.join(", ") || "no folder permissions"}`;
    }),
    counts: { delegates: value.users.length },
  };
}

function configurations(value: readonly UserConfiguration[], folderName: FolderName): KindSummary {
  return {
    line: `userConfigurations: ${plural(value.length, "configuration")}`,
    details: value.map((c) => `${folderName(c.folderId)}/${c.name}`),
    counts: { configurations: value.length },
  };
}

/** A permission user or delegate as a person reads it. */
export function principal(user: PrincipalId): string {
  return user.distinguishedUser ?? user.primarySmtpAddress ?? user.displayName ?? user.sid ?? "?";
}

function failureText(failure: { code: string; message: string }): string {
  return `${failure.code}: ${failure.message}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
