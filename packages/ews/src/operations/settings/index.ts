// getSettings / applySettings of the EWS client: each kind read or written by its own module,
// and a failure of one kind (the server lacks the operation, refuses it, ...) turned into that
// kind's result by settingsFailure, so the other kinds still go through. Kinds are read at
// once and written one after the other (permissions before delegates, which depend on them).
import type {
  ApplySettingsOptions,
  GetSettingsOptions,
  MailboxSettingsRead,
  SettingsApplyReport,
  SettingsKind,
  SettingsKindReport,
  SettingsResult,
  SettingsValues,
} from "@ewsvault/mailbox";
import type { OperationScope } from "../../call.js";
import { applyDelegates, getDelegates } from "./delegates.js";
import { applyFolderPermissions, getFolderPermissions } from "./folder-permissions.js";
import { applyInboxRules, getInboxRules } from "./inbox-rules.js";
import { getOofSettings, setOofSettings } from "./oof.js";
import { settingsFailure } from "./settings-call.js";
import { applyUserConfigurations, getUserConfigurations } from "./user-configurations.js";

/** Every kind the EWS client reads and writes (SourceCapabilities.settingsKinds). */
export const EWS_SETTINGS_KINDS: readonly SettingsKind[] = [
  "inboxRules",
  "oof",
  "folderPermissions",
  "delegates",
  "userConfigurations",
];

async function readKind(
  scope: OperationScope,
  mailbox: string,
  kind: SettingsKind,
  options: GetSettingsOptions,
): Promise<SettingsResult<unknown>> {
  const { signal } = options;
  try {
    switch (kind) {
      case "inboxRules":
        return { ok: true, value: await getInboxRules(scope, mailbox, signal) };
      case "oof":
        return { ok: true, value: await getOofSettings(scope, mailbox, signal) };
      case "delegates":
        return { ok: true, value: await getDelegates(scope, mailbox, signal) };
      case "userConfigurations":
        return {
          ok: true,
          value: await getUserConfigurations(scope, mailbox, signal),
        };
      case "folderPermissions": {
        const { sets, failures } = await getFolderPermissions(
          scope,
          mailbox,
          options.folderIds ?? [],
          signal,
        );
        return {
          ok: true,
          value: sets,
          ...(failures.length > 0 ? { entryFailures: failures } : {}),
        };
      }
      default:
        return {
          ok: false,
          code: "EWS_OPERATION_UNSUPPORTED",
          message: `unknown settings kind ${String(kind)}`,
        };
    }
  } catch (error) {
    return { ok: false, ...settingsFailure(error) };
  }
}

export async function readSettings(
  scope: OperationScope,
  mailbox: string,
  kinds: readonly SettingsKind[],
  options: GetSettingsOptions = {},
): Promise<MailboxSettingsRead> {
  // Kinds are read at once: each is one to a few round trips, and an unchanged mailbox's
  // incremental run otherwise waits for all of them one after the other (bench:incremental).
  const unique = [...new Set(kinds)];
  const results = await Promise.all(unique.map((kind) => readKind(scope, mailbox, kind, options)));
  return Object.fromEntries(unique.map((kind, i) => [kind, results[i]])) as MailboxSettingsRead;
}

async function applyKind(
  scope: OperationScope,
  mailbox: string,
  settings: Partial<SettingsValues>,
  kind: SettingsKind,
  options: ApplySettingsOptions,
): Promise<SettingsKindReport> {
  try {
    switch (kind) {
      case "inboxRules":
        return await applyInboxRules(scope, mailbox, settings.inboxRules ?? [], options);
      case "oof":
        if (settings.oof !== undefined) await setOofSettings(scope, mailbox, settings.oof, options.signal);
        return { ok: true, entries: [{ entry: "oof", ok: true }] };
      case "folderPermissions":
        return await applyFolderPermissions(scope, mailbox, settings.folderPermissions ?? [], options);
      case "delegates":
        return await applyDelegates(scope, mailbox, settings.delegates ?? { users: [] }, options);
      case "userConfigurations":
        return await applyUserConfigurations(scope, mailbox, settings.userConfigurations ?? [], options);
    }
  } catch (error) {
    return { ok: false, failure: settingsFailure(error), entries: [] };
  }
}

/** Writes the kinds present in `settings`, in EWS_SETTINGS_KINDS order (permissions before delegates). */
export async function applySettings(
  scope: OperationScope,
  mailbox: string,
  settings: Partial<SettingsValues>,
  options: ApplySettingsOptions = {},
): Promise<SettingsApplyReport> {
  const report: Partial<Record<SettingsKind, SettingsKindReport>> = {};
  for (const kind of EWS_SETTINGS_KINDS) {
    if (settings[kind] === undefined) continue;
    report[kind] = await applyKind(scope, mailbox, settings, kind, options);
  }
  return report;
}
