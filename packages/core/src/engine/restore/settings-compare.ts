// Restore of settings, dry run: whether an entry to be written equals what the target holds now,
// so `--dry-run` can say which entries would change. Values are compared as canonical JSON
// after leaving out what the server assigns or the restore does not write (rule ids and error
// flags, principals' SIDs and display names, addresses' case and display names).

import type {
  DelegateUser,
  FolderPermissionSet,
  InboxRule,
  PrincipalId,
  RuleParts,
  SettingsKind,
  SettingsValues,
  UserConfiguration,
} from "@ewsvault/mailbox";
import { canonicalJson } from "@ewsvault/repository";

function principal(user: PrincipalId): string {
  return (
    user.distinguishedUser ??
    user.primarySmtpAddress?.toLowerCase() ??
    user.externalUserIdentity ??
    user.sid ??
    ""
  );
}

function parts(value: RuleParts): unknown {
  return Object.fromEntries(
    Object.entries(value).map(([name, v]) => [
      name,
      "addresses" in v ? { addresses: v.addresses.map((a) => a.emailAddress.toLowerCase()) } : v,
    ]),
  );
}

function rule(r: InboxRule): unknown {
  return {
    displayName: r.displayName,
    priority: r.priority,
    isEnabled: r.isEnabled,
    conditions: parts(r.conditions),
    exceptions: parts(r.exceptions),
    actions: parts(r.actions),
  };
}

function permissionSet(set: FolderPermissionSet): unknown {
  return set.permissions.map((p) => ({ ...p, user: principal(p.user) }));
}

function delegate(user: DelegateUser): unknown {
  return { ...user, user: principal(user.user) };
}

function configuration(c: UserConfiguration): unknown {
  return { dictionary: c.dictionary ?? null, xmlData: c.xmlData ?? null, binaryData: c.binaryData ?? null };
}

/** The target's counterpart of each entry of a kind, keyed as PreparedEntry.targetKey, normalised. */
export function currentEntries<K extends SettingsKind>(
  kind: K,
  current: SettingsValues[K],
): Map<string, string> {
  const out = new Map<string, string>();
  const put = (key: string, value: unknown) => {
    if (!out.has(key)) out.set(key, canonicalJson(value));
  };
  switch (kind) {
    case "inboxRules":
      for (const r of current as SettingsValues["inboxRules"]) put(r.displayName, rule(r));
      break;
    case "oof":
      put("oof", current);
      break;
    case "folderPermissions":
      for (const set of current as SettingsValues["folderPermissions"]) put(set.folderId, permissionSet(set));
      break;
    case "delegates":
      for (const user of (current as SettingsValues["delegates"]).users)
        put(principal(user.user), delegate(user));
      break;
    default:
      for (const c of current as SettingsValues["userConfigurations"])
        put(`${c.folderId}/${c.name}`, configuration(c));
  }
  return out;
}

/** An entry's value to be written, normalised as currentEntries() normalises the target's. */
export function normalisedEntry(kind: SettingsKind, value: unknown): string {
  switch (kind) {
    case "inboxRules":
      return canonicalJson(rule(value as InboxRule));
    case "oof":
      return canonicalJson(value);
    case "folderPermissions":
      return canonicalJson(permissionSet(value as FolderPermissionSet));
    case "delegates":
      return canonicalJson(delegate(value as DelegateUser));
    default:
      return canonicalJson(configuration(value as UserConfiguration));
  }
}

/** The key of a delegate entry among currentEntries("delegates"). */
export function delegateKey(user: DelegateUser): string {
  return principal(user.user);
}
