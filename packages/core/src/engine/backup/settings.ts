// Backup stage, settings: read the mailbox's settings (every kind the source declares, folder
// permissions of every backed-up folder) while its folders sync, then store one settings
// document per kind and the settings tree naming them (settings-document.ts,
// docs/settings-document.md). A kind that cannot be read is stored as its failure and reported;
// it never fails the mailbox's items. EWS_OPERATION_UNSUPPORTED (the server lacks the
// operation) and an entry's EWS_FOLDER_NOT_FOUND (a folder deleted meanwhile) are only
// warnings; any other failure (EWS_ACCESS_DENIED, ...) also makes the mailbox
// "completed-with-warnings".

import type { MailboxSettingsRead, SettingsFailure, SettingsKind } from "@ewsvault/mailbox";
import { type EwsVaultError, isEwsVaultError } from "@ewsvault/mailbox";
import type { IndexedFolder } from "../../mailbox-index/index.js";
import { describeError } from "../describe-error.js";
import type { EngineWriter } from "../repository-port.js";
import {
  type DocumentRef,
  encodeSettingsDocument,
  SETTINGS_FORMAT_VERSION,
  SETTINGS_KINDS,
  type SettingsTree,
  SPLIT_KINDS,
  type StoredKindRef,
  storedFailure,
} from "../settings-document.js";
import type { TreeRef } from "../snapshot-tree.js";
import type { MailboxSettingsBackupReport, SettingsBackupFailure } from "../types.js";
import type { MailboxRun } from "./context.js";
import type { BackupProgress } from "./progress.js";

/** Failure codes that are warnings only: they do not make the mailbox "completed-with-warnings". */
const WARNING_ONLY = new Set(["EWS_OPERATION_UNSUPPORTED", "EWS_FOLDER_NOT_FOUND"]);

/** Hierarchies whose folders' permissions are read (public folders are shared; recoverable items have none to restore). */
const PERMISSION_ROOTS = new Set(["mailbox", "archive"]);

/** The kinds this run backs up: those the source declares, unless `settings: false` or the mailbox root is not backed up; in port order. */
export function settingsKindsOf(run: Pick<MailboxRun, "options" | "source" | "roots">): SettingsKind[] {
  const declared = run.source.capabilities.settingsKinds ?? [];
  if (run.options.settings === false || run.source.getSettings === undefined) return [];
  // Settings belong to the mailbox: a run of only its archive or public folders leaves them out.
  if (!run.roots.includes("mailbox")) return [];
  return SETTINGS_KINDS.filter((kind) => declared.includes(kind));
}

/** The folders whose permissions are read: every selected folder of the mailbox and archive. */
export function permissionFolderIds(folders: readonly IndexedFolder[]): string[] {
  return folders.filter((f) => PERMISSION_ROOTS.has(f.root)).map((f) => f.folder.folderId);
}

/** What reading settings gave: the source's answer, or the error that stopped the whole call. */
export type SettingsReadOutcome =
  | { readonly read: MailboxSettingsRead }
  | { readonly error: unknown }
  | { readonly none: true };

/**
 * Starts reading the settings (through the mailbox's request limiter), with the permissions of
 * `folders`. Never rejects: an error of the whole call is kept for storeSettings, so a folder
 * sync failing meanwhile leaves no unhandled rejection behind.
 *
 * The engine starts it with the folders the index already knows, alongside the hierarchy sync,
 * and completes it with completeSettingsRead() once the selected folders are known: an
 * unchanged mailbox then waits for its settings no longer than for its hierarchy.
 */
export function readSettings(
  run: MailboxRun,
  folders: readonly IndexedFolder[],
): Promise<SettingsReadOutcome> {
  const kinds = settingsKindsOf(run);
  if (kinds.length === 0 || run.source.getSettings === undefined) return Promise.resolve({ none: true });
  const folderIds = kinds.includes("folderPermissions") ? permissionFolderIds(folders) : [];
  return callGetSettings(run, kinds, folderIds);
}

function callGetSettings(
  run: MailboxRun,
  kinds: readonly SettingsKind[],
  folderIds: readonly string[],
): Promise<SettingsReadOutcome> {
  const getSettings = run.source.getSettings!.bind(run.source);
  return run
    .request(() =>
      getSettings(run.mailbox, kinds, {
        folderIds,
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      }),
    )
    .then(
      (read) => ({ read }),
      (error: unknown) => ({ error }),
    );
}

/**
 * The read started by readSettings(run, known) made right for the `selected` folders: the
 * permissions of selected folders it did not cover are read now, and those (and the failures)
 * of folders no longer selected (deleted, excluded) are left out; sets are ordered by folder id.
 */
export async function completeSettingsRead(
  run: MailboxRun,
  started: Promise<SettingsReadOutcome>,
  known: readonly IndexedFolder[],
  selected: readonly IndexedFolder[],
): Promise<SettingsReadOutcome> {
  const outcome = await started;
  if (!("read" in outcome)) return outcome;
  const permissions = outcome.read.folderPermissions;
  if (permissions === undefined || !permissions.ok) return outcome;
  const wanted = permissionFolderIds(selected);
  const covered = new Set(permissionFolderIds(known));
  const missing = wanted.filter((id) => !covered.has(id));
  let sets = [...permissions.value];
  let failures = [...(permissions.entryFailures ?? [])];
  if (missing.length > 0) {
    const more = await callGetSettings(run, ["folderPermissions"], missing);
    if ("error" in more && isEwsVaultError(more.error, "EWS_ABORTED")) throw more.error;
    const extra = "read" in more ? more.read.folderPermissions : undefined;
    if (extra?.ok === true) {
      sets = [...sets, ...extra.value];
      failures = [...failures, ...(extra.entryFailures ?? [])];
    } else {
      // The second call failed as a whole: each folder it was to read is an entry failure.
      const failure = extra ?? wholeCallFailure("error" in more ? more.error : undefined);
      const { ok: _ok, ...described } = failure;
      failures = [...failures, ...missing.map((entry) => ({ entry, ...(described as SettingsFailure) }))];
    }
  }
  // Ordered by folder id, not by the folder list: that order differs between the first run
  // (the hierarchy sync's) and later ones (the index's), and the settings tree of an unchanged
  // mailbox must stay the same tree (docs/settings-document.md).
  const keep = new Set(wanted);
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  sets = sets.filter((set) => keep.has(set.folderId)).sort((a, b) => byId(a.folderId, b.folderId));
  failures = failures.filter((f) => keep.has(f.entry)).sort((a, b) => byId(a.entry, b.entry));
  const folderPermissions = {
    ok: true as const,
    value: sets,
    ...(failures.length > 0 ? { entryFailures: failures } : {}),
  };
  return { read: { ...outcome.read, folderPermissions } };
}

/** The stored settings: the tree's reference (undefined when none were read) and the report. */
export interface StoredSettings {
  readonly ref: TreeRef | undefined;
  readonly report: MailboxSettingsBackupReport | undefined;
}

/**
 * Stores what readSettings gave with the mailbox's writer (its next checkpoint makes it durable) and
 * reports each failure on `progress`. Rethrows only an aborted run (EWS_ABORTED); any other
 * error of the whole call is stored as every kind's failure.
 */
export async function storeSettings(
  run: MailboxRun,
  outcome: SettingsReadOutcome,
  startWriter: () => Promise<EngineWriter>,
  progress: BackupProgress,
): Promise<StoredSettings> {
  if ("none" in outcome) return { ref: undefined, report: undefined };
  if ("error" in outcome && isEwsVaultError(outcome.error, "EWS_ABORTED")) throw outcome.error;
  const writer = await startWriter();
  const kinds = settingsKindsOf(run);
  const read: MailboxSettingsRead =
    "read" in outcome
      ? outcome.read
      : Object.fromEntries(kinds.map((k) => [k, wholeCallFailure(outcome.error)]));

  const entries: Partial<Record<SettingsKind, StoredKindRef>> = {};
  const stored: SettingsKind[] = [];
  const failures: SettingsBackupFailure[] = [];
  let bytesNew = 0;
  for (const kind of kinds) {
    const result = read[kind] ?? {
      ok: false as const,
      code: "EWS_MALFORMED_RESPONSE" as const,
      message: `the source gave no result for ${kind}`,
    };
    if (!result.ok) {
      const failure = storedFailure(result);
      entries[kind] = { failure };
      failures.push({ kind, ...failure });
      continue;
    }
    const entryFailures = result.entryFailures ?? [];
    const save = async (bytes: Uint8Array): Promise<DocumentRef> => {
      const saved = await writer.saveData(bytes);
      progress.addBytes(saved.size, saved.newBytes, saved.storedBytes);
      bytesNew += saved.newBytes;
      return { content: saved.blobIds, size: saved.size };
    };
    if (SPLIT_KINDS.has(kind)) {
      const documents: DocumentRef[] = [];
      for (const entry of result.value as readonly unknown[])
        documents.push(await save(encodeSettingsDocument(kind, [entry] as never)));
      entries[kind] = { documents, entryFailures: entryFailures.map(storedFailure) };
    } else {
      entries[kind] = await save(encodeSettingsDocument(kind, result.value as never, entryFailures));
    }
    stored.push(kind);
    for (const failure of entryFailures) failures.push({ kind, ...storedFailure(failure) });
  }
  for (const failure of failures) {
    const where = failure.entry === undefined ? failure.kind : `${failure.kind} of ${failure.entry}`;
    progress.warn(failure.code, `settings: ${where} not backed up: ${failure.message}`);
  }
  const tree: SettingsTree = { kind: "settings", v: SETTINGS_FORMAT_VERSION, kinds: entries };
  return { ref: { subtree: await writer.saveTree(tree) }, report: { stored, failures, bytesNew } };
}

/** Whether the settings failures make the mailbox "completed-with-warnings". */
export function settingsNeedAttention(report: MailboxSettingsBackupReport | undefined): boolean {
  return report?.failures.some((f) => !WARNING_ONLY.has(f.code)) ?? false;
}

function wholeCallFailure(error: unknown) {
  const described = describeError(error);
  const code = isEwsVaultError(error) ? error.code : "EWS_SERVER_ERROR";
  return {
    ok: false as const,
    code: code as EwsVaultError["code"],
    message: described.message,
  };
}
