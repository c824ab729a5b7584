// Restore of settings, read: what a snapshot stores of each settings kind (its root tree's
// `settings` reference, the settings tree, each kind's document; docs/settings-document.md).
// A snapshot without that reference (written before settings were backed up, or without them)
// holds none: `present` is false and no kind is listed.

import type { SettingsKind } from "@ewsvault/mailbox";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { EngineRepository, EngineSnapshot } from "../repository-port.js";
import {
  decodeSettingsDocument,
  loadSettingsTree,
  SETTINGS_KINDS,
  type StoredFailure,
  toSettingsFailure,
} from "../settings-document.js";
import { loadMailboxTree, walkSnapshotFolders } from "../snapshot-tree.js";
import { resolveSnapshot } from "./plan.js";
import type { ReadSnapshotSettingsOptions, SnapshotSettings, StoredSettings } from "./settings-types.js";

function entryFailure(failure: StoredFailure & { readonly entry: string }) {
  return { entry: failure.entry, ...toSettingsFailure(failure) };
}

/** The settings `snapshot` stores, of `kinds` (default all). */
export async function loadStoredSettings(
  repository: Pick<EngineRepository, "loadTree" | "loadData">,
  snapshot: EngineSnapshot,
  kinds?: readonly SettingsKind[],
): Promise<SnapshotSettings> {
  const root = await loadMailboxTree(repository, snapshot.tree);
  const base = { snapshotId: snapshot.id, mailbox: snapshot.mailbox };
  if (root.settings === undefined) return { ...base, present: false, kinds: {} };
  const tree = await loadSettingsTree(repository, root.settings.subtree);
  const out: Record<string, unknown> = {};
  for (const kind of SETTINGS_KINDS) {
    const ref = tree.kinds[kind];
    if (ref === undefined || (kinds !== undefined && !kinds.includes(kind))) continue;
    if ("failure" in ref) {
      out[kind] = { ok: false, ...toSettingsFailure(ref.failure) };
      continue;
    }
    if ("documents" in ref) {
      const values: unknown[] = [];
      for (const part of ref.documents) {
        const document = decodeSettingsDocument(kind, await repository.loadData(part.content));
        if (!Array.isArray(document.value))
          throw new EwsVaultError("SETTINGS_DOCUMENT_INVALID", `settings document of ${kind} is not a list`);
        values.push(...(document.value as unknown[]));
      }
      out[kind] = { ok: true, value: values, entryFailures: ref.entryFailures.map(entryFailure) };
      continue;
    }
    const document = decodeSettingsDocument(kind, await repository.loadData(ref.content));
    out[kind] = { ok: true, value: document.value, entryFailures: document.entryFailures.map(entryFailure) };
  }
  return { ...base, present: true, kinds: out as StoredSettings };
}

/** What a snapshot holds per settings kind (values and the failures stored at backup), for `ls --settings`. */
export async function readSnapshotSettings(options: ReadSnapshotSettingsOptions): Promise<SnapshotSettings> {
  const snapshot = await resolveSnapshot(
    options.repository,
    options.mailbox,
    options.snapshot,
    options.group,
  );
  options.signal?.throwIfAborted();
  const stored = await loadStoredSettings(options.repository, snapshot, options.kinds);
  if (options.withFolderPaths !== true) return stored;
  const folderPaths: Record<string, string> = {};
  for await (const folder of walkSnapshotFolders(options.repository, snapshot.tree))
    folderPaths[folder.tree.folderId] = folder.path.join("/");
  return { ...stored, folderPaths };
}
