// Restore of settings, prepare: each stored kind turned into what is written to the target —
// folder references mapped to the target's folders (settings-folders.ts), principals mapped
// when a principal map is given (map-principals.ts), configurations filtered by name — and the
// report entries it will be judged by. An entry that cannot be written is marked skipped with
// its code here; the rest are written (or compared, in a dry run) by settings.ts.

import type {
  DelegateUser,
  FolderPermissionSet,
  InboxRule,
  RuleParts,
  RuleValue,
  SettingsKind,
  SettingsValues,
  UserConfiguration,
} from "@ewsvault/mailbox";
import {
  mapDelegate,
  mapPermissions,
  mapRule,
  type PrincipalMap,
  principalLabel,
  type UnmappedSink,
} from "./map-principals.js";
import type { SettingsFolders } from "./settings-folders.js";

/** One entry of a kind on its way to the target. */
export interface PreparedEntry {
  /** The report's name of the entry (settings-types.ts SettingsEntryRestoreReport.entry). */
  readonly entry: string;
  /** How the target's report names it (EWS: rule name, folder id, address, folder/name). */
  readonly targetKey: string;
  /** Set when the entry is not written. */
  readonly skipped?: { readonly code: string; readonly message: string };
  /** The value written for this entry (undefined when skipped). */
  readonly value?: unknown;
}

export interface PreparedKind<K extends SettingsKind = SettingsKind> {
  readonly kind: K;
  /** What applySettings is given for the kind. */
  readonly value: SettingsValues[K];
  readonly entries: readonly PreparedEntry[];
}

export interface PrepareContext {
  readonly folders: SettingsFolders;
  readonly principalMap: PrincipalMap | undefined;
  readonly unmapped: UnmappedSink;
  /** Lower-case configuration names to restore; undefined: all. */
  readonly configurationNames: ReadonlySet<string> | undefined;
}

const FOLDER_UNMAPPED = "SETTINGS_FOLDER_UNMAPPED";
const PRINCIPAL_UNMAPPED = "SETTINGS_PRINCIPAL_UNMAPPED";

async function mapRuleFolders(
  parts: RuleParts,
  context: PrepareContext,
): Promise<{ parts: Record<string, RuleValue> } | { missing: string }> {
  const out: Record<string, RuleValue> = {};
  for (const [name, value] of Object.entries(parts)) {
    if (!("folderId" in value) || value.distinguished === true) {
      out[name] = value;
      continue;
    }
    const folderId = await context.folders.map(value.folderId);
    if (folderId === undefined)
      return { missing: `${name} names folder ${value.folderId}, which the snapshot does not hold` };
    out[name] = { folderId };
  }
  return { parts: out };
}

async function prepareRules(
  rules: readonly InboxRule[],
  context: PrepareContext,
): Promise<PreparedKind<"inboxRules">> {
  const entries: PreparedEntry[] = [];
  const value: InboxRule[] = [];
  for (const stored of [...rules].sort((a, b) => a.priority - b.priority)) {
    const entry = `rule:${stored.priority}:${stored.displayName}`;
    const targetKey = stored.displayName;
    let rule = stored;
    if (context.principalMap !== undefined) {
      const mapped = mapRule(rule, context.principalMap, entry, context.unmapped);
      if ("skipped" in mapped) {
        entries.push({ entry, targetKey, skipped: { code: PRINCIPAL_UNMAPPED, message: mapped.skipped } });
        continue;
      }
      rule = mapped.rule;
    }
    const actions = await mapRuleFolders(rule.actions, context);
    if ("missing" in actions) {
      entries.push({ entry, targetKey, skipped: { code: FOLDER_UNMAPPED, message: actions.missing } });
      continue;
    }
    const { ruleId: _id, ...rest } = rule;
    const written: InboxRule = { ...rest, actions: actions.parts };
    value.push(written);
    entries.push({ entry, targetKey, value: written });
  }
  return { kind: "inboxRules", value, entries };
}

async function preparePermissions(
  sets: readonly FolderPermissionSet[],
  context: PrepareContext,
): Promise<PreparedKind<"folderPermissions">> {
  const entries: PreparedEntry[] = [];
  const value: FolderPermissionSet[] = [];
  for (const set of sets) {
    const entry = `permissions:${context.folders.label(set.folderId)}`;
    const folderId = await context.folders.map(set.folderId);
    if (folderId === undefined) {
      const message = `folder ${set.folderId} is not in the snapshot`;
      entries.push({ entry, targetKey: set.folderId, skipped: { code: FOLDER_UNMAPPED, message } });
      continue;
    }
    const permissions =
      context.principalMap === undefined
        ? set.permissions
        : mapPermissions(set.permissions, context.principalMap, entry, context.unmapped);
    // Unknown entries are informational (unresolvable at backup): never written.
    const written: FolderPermissionSet = { folderId, calendar: set.calendar, permissions };
    value.push(written);
    entries.push({ entry, targetKey: folderId, value: written });
  }
  return { kind: "folderPermissions", value, entries };
}

function prepareDelegates(
  delegates: SettingsValues["delegates"],
  context: PrepareContext,
): PreparedKind<"delegates"> {
  const entries: PreparedEntry[] = [];
  const users: DelegateUser[] = [];
  for (const stored of delegates.users) {
    const entry = `delegate:${principalLabel(stored.user)}`;
    const user =
      context.principalMap === undefined
        ? stored
        : mapDelegate(stored, context.principalMap, entry, context.unmapped);
    if (user === undefined) {
      const message = `${principalLabel(stored.user)} is not in the principal map`;
      entries.push({
        entry,
        targetKey: principalLabel(stored.user),
        skipped: { code: PRINCIPAL_UNMAPPED, message },
      });
      continue;
    }
    users.push(user);
    entries.push({ entry, targetKey: user.user.distinguishedUser ?? principalLabel(user.user), value: user });
  }
  const value = {
    ...(delegates.deliverMeetingRequests === undefined
      ? {}
      : { deliverMeetingRequests: delegates.deliverMeetingRequests }),
    users,
  };
  return { kind: "delegates", value, entries };
}

async function prepareConfigurations(
  configurations: readonly UserConfiguration[],
  context: PrepareContext,
): Promise<PreparedKind<"userConfigurations">> {
  const entries: PreparedEntry[] = [];
  const value: UserConfiguration[] = [];
  for (const stored of configurations) {
    if (
      context.configurationNames !== undefined &&
      !context.configurationNames.has(stored.name.toLowerCase())
    )
      continue;
    const entry = `configuration:${context.folders.label(stored.folderId)}/${stored.name}`;
    const folderId = await context.folders.map(stored.folderId);
    if (folderId === undefined) {
      const message = `folder ${stored.folderId} is not in the snapshot`;
      entries.push({
        entry,
        targetKey: `${stored.folderId}/${stored.name}`,
        skipped: { code: FOLDER_UNMAPPED, message },
      });
      continue;
    }
    const written: UserConfiguration = { ...stored, folderId };
    value.push(written);
    entries.push({ entry, targetKey: `${folderId}/${stored.name}`, value: written });
  }
  return { kind: "userConfigurations", value, entries };
}

/** Prepares one stored kind for the target. */
export async function prepareKind<K extends SettingsKind>(
  kind: K,
  stored: SettingsValues[K],
  context: PrepareContext,
): Promise<PreparedKind> {
  switch (kind) {
    case "inboxRules":
      return prepareRules(stored as SettingsValues["inboxRules"], context);
    case "oof":
      return {
        kind: "oof",
        value: stored as SettingsValues["oof"],
        entries: [{ entry: "oof", targetKey: "oof", value: stored }],
      };
    case "folderPermissions":
      return preparePermissions(stored as SettingsValues["folderPermissions"], context);
    case "delegates":
      return prepareDelegates(stored as SettingsValues["delegates"], context);
    default:
      return prepareConfigurations(stored as SettingsValues["userConfigurations"], context);
  }
}
