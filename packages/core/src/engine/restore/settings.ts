// restoreSettings(): a snapshot's mailbox settings into a mailbox — the original one, another
// one, or one of another organisation (with a principal map). Stages, one file each:
//   settings-read.ts     what the snapshot stores per kind (also readSnapshotSettings, `ls --settings`)
//   settings-folders.ts  folder references -> the target's folders (found by path, created when missing)
//   map-principals.ts    principals through the principal map; the unmapped reported, never dropped silently
//   settings-prepare.ts  per kind: the value to write and its report entries
//   settings-compare.ts  dry run: which entries differ from the target's current ones
// Kinds are written one applySettings call each, in port order (permissions before delegates),
// so one kind's failure is that kind's report and the others go on. Contract: settings-types.ts.

import type {
  MailboxSettingsSource,
  SettingsApplyReport,
  SettingsKind,
  SettingsKindReport,
  SettingsValues,
} from "@ewsvault/mailbox";
import { SETTINGS_KINDS } from "../settings-document.js";
import { resolveSnapshot } from "./plan.js";
import { currentEntries, normalisedEntry } from "./settings-compare.js";
import { settingsFolders } from "./settings-folders.js";
import { type PreparedKind, prepareKind } from "./settings-prepare.js";
import { loadStoredSettings, readSnapshotSettings } from "./settings-read.js";
import type {
  RestoreSettingsOptions,
  SettingsEntryRestoreReport,
  SettingsKindRestoreReport,
  SettingsRestoreEvent,
  SettingsRestoreReport,
  StoredSettingsKind,
  UnmappedPrincipal,
} from "./settings-types.js";

export { readSnapshotSettings };

/**
 * Restores a snapshot's settings per `options`. Throws before writing anything when the snapshot
 * cannot be chosen (REPO_SNAPSHOT_NOT_FOUND, SNAPSHOT_GROUP_AMBIGUOUS) or its settings cannot be
 * read (SETTINGS_DOCUMENT_INVALID, REPO_*). After that every problem is reported per kind or per
 * entry; it rejects only when `signal` aborts (or the target fails outright, e.g. an unknown
 * target mailbox).
 */
export async function restoreSettings(options: RestoreSettingsOptions): Promise<SettingsRestoreReport> {
  const started = Date.now();
  const { repository, target, signal } = options;
  const dryRun = options.dryRun === true;
  const toMailbox = options.toMailbox ?? options.mailbox;
  const snapshot = await resolveSnapshot(repository, options.mailbox, options.snapshot, options.group);
  const stored = await loadStoredSettings(repository, snapshot);
  const asked = options.kinds ?? SETTINGS_KINDS.filter((kind) => stored.kinds[kind] !== undefined);
  const kinds = SETTINGS_KINDS.filter((kind) => asked.includes(kind));
  const emit = (event: SettingsRestoreEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's bug must not fail the restore.
    }
  };
  emit({ type: "settings-start", snapshotId: snapshot.id, kinds });

  const reports: Partial<Record<SettingsKind, SettingsKindRestoreReport>> = {};
  const unmappedPrincipals: UnmappedPrincipal[] = [];
  const finishKind = (kind: SettingsKind, report: SettingsKindRestoreReport) => {
    reports[kind] = report;
    emit({ type: "settings-kind", kind, report });
  };
  const done = (foldersCreated: number): SettingsRestoreReport => ({
    snapshotId: snapshot.id,
    mailbox: options.mailbox,
    toMailbox,
    dryRun,
    present: stored.present,
    kinds: reports,
    unmappedPrincipals,
    foldersCreated,
    durationMs: Date.now() - started,
  });

  const toWrite = kinds.filter((kind) => {
    const failure = notStored(kind, stored.kinds[kind]);
    if (failure !== undefined) finishKind(kind, { ok: false, failure, entries: [] });
    return failure === undefined;
  });
  const apply = target.applySettings?.bind(target);
  if (!dryRun && apply === undefined) {
    for (const kind of toWrite) {
      const message = "the target cannot write settings";
      finishKind(kind, { ok: false, failure: { code: "SETTINGS_TARGET_UNSUPPORTED", message }, entries: [] });
    }
    return done(0);
  }
  if (toWrite.length === 0) return done(0);

  const info = await target.getMailboxInfo(toMailbox, signal);
  const folders = await settingsFolders(repository, snapshot, target, toMailbox, info, dryRun, signal);
  const context = {
    folders,
    principalMap: options.principalMap,
    unmapped: (principal: UnmappedPrincipal) => {
      unmappedPrincipals.push(principal);
      emit({ type: "settings-unmapped", principal });
    },
    configurationNames:
      options.userConfigurationNames === undefined
        ? undefined
        : new Set(options.userConfigurationNames.map((n) => n.toLowerCase())),
  };
  const prepared: PreparedKind[] = [];
  for (const kind of toWrite) {
    signal?.throwIfAborted();
    const value = (stored.kinds[kind] as { value: SettingsValues[typeof kind] }).value;
    prepared.push(await prepareKind(kind, value, context));
  }

  if (dryRun) {
    const current = await readCurrent(target, toMailbox, prepared, signal);
    for (const kind of prepared) finishKind(kind.kind, compareKind(kind, current[kind.kind]));
    return done(0);
  }
  for (const kind of prepared) {
    signal?.throwIfAborted();
    const applied: SettingsApplyReport = await apply!(
      toMailbox,
      { [kind.kind]: kind.value },
      signal === undefined ? {} : { signal },
    );
    finishKind(kind.kind, judgeKind(kind, applied[kind.kind]));
  }
  return done(folders.created);
}

/** Why a stored kind cannot be restored (not backed up, or it failed then), or undefined. */
function notStored(
  kind: SettingsKind,
  stored: StoredSettingsKind | undefined,
): SettingsKindRestoreReport["failure"] | undefined {
  if (stored === undefined) return { code: "SETTINGS_NOT_STORED", message: `the snapshot holds no ${kind}` };
  if (stored.ok) return undefined;
  return {
    code: "SETTINGS_NOT_STORED",
    message: `the backup could not read ${kind} (${stored.code}: ${stored.message})`,
    ...(stored.responseCode === undefined ? {} : { responseCode: stored.responseCode }),
  };
}

/** The report of a written kind: each entry by the target's report of it. */
function judgeKind(kind: PreparedKind, applied: SettingsKindReport | undefined): SettingsKindRestoreReport {
  const byKey = new Map<string, SettingsKindReport["entries"][number][]>();
  for (const e of applied?.entries ?? []) {
    const list = byKey.get(e.entry.toLowerCase()) ?? [];
    list.push(e);
    byKey.set(e.entry.toLowerCase(), list);
  }
  const kindFailure =
    applied === undefined
      ? { code: "EWS_MALFORMED_RESPONSE", message: `the target reported nothing for ${kind.kind}` }
      : applied.failure;
  const entries: SettingsEntryRestoreReport[] = [];
  for (const e of kind.entries) {
    if (e.skipped !== undefined) {
      entries.push({ entry: e.entry, status: "skipped", ...e.skipped });
      continue;
    }
    const reported = byKey.get(e.targetKey.toLowerCase())?.shift();
    const failure =
      reported === undefined ? (applied?.ok === true ? undefined : kindFailure) : reported.failure;
    const ok = reported === undefined ? applied?.ok === true : reported.ok;
    entries.push(
      ok
        ? { entry: e.entry, status: "written" }
        : {
            entry: e.entry,
            status: "failed",
            code: failure?.code ?? "EWS_SERVER_ERROR",
            message: failure?.message ?? "the target refused it",
          },
    );
  }
  const ok = applied?.ok === true;
  return {
    ok,
    ...(ok || kindFailure === undefined
      ? {}
      : {
          failure: {
            code: kindFailure.code,
            message: kindFailure.message,
            ...("responseCode" in kindFailure && kindFailure.responseCode !== undefined
              ? { responseCode: kindFailure.responseCode }
              : {}),
          },
        }),
    entries,
  };
}

/** The target's current value of each prepared kind, when it can read settings (else none). */
async function readCurrent(
  target: Partial<MailboxSettingsSource> & object,
  toMailbox: string,
  prepared: readonly PreparedKind[],
  signal: AbortSignal | undefined,
): Promise<Partial<Record<SettingsKind, unknown>>> {
  const getSettings = target.getSettings?.bind(target);
  if (getSettings === undefined) return {};
  const permissions = prepared.find((k) => k.kind === "folderPermissions");
  // Placeholder ids of folders a real restore would create have nothing to compare with.
  const folderIds = (permissions?.entries ?? [])
    .filter((e) => e.skipped === undefined && !e.targetKey.startsWith("(not created"))
    .map((e) => e.targetKey);
  const read = await getSettings(
    toMailbox,
    prepared.map((k) => k.kind),
    { folderIds, ...(signal === undefined ? {} : { signal }) },
  ).catch(() => ({}) as Awaited<ReturnType<typeof getSettings>>);
  const out: Partial<Record<SettingsKind, unknown>> = {};
  for (const kind of prepared) {
    const result = read[kind.kind];
    if (result?.ok === true) out[kind.kind] = result.value;
  }
  return out;
}

/** A dry run's report of a kind: unchanged when equal to the target's current entry. */
function compareKind(kind: PreparedKind, current: unknown): SettingsKindRestoreReport {
  const now = current === undefined ? undefined : currentEntries(kind.kind, current as never);
  const entries: SettingsEntryRestoreReport[] = kind.entries.map((e) => {
    if (e.skipped !== undefined) return { entry: e.entry, status: "skipped", ...e.skipped };
    const key = kind.kind === "delegates" ? e.targetKey.toLowerCase() : e.targetKey;
    const same = now !== undefined && now.get(key) === normalisedEntry(kind.kind, e.value);
    return { entry: e.entry, status: same ? "unchanged" : "would-write" };
  });
  return { ok: true, entries };
}
