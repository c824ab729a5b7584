// restore(): one snapshot of one mailbox (or a selection of it) into a mailbox — the original
// one, another one, or one on another server (the target is just another MailboxTarget).
// It runs as named stages, one file each:
//   plan.ts             which snapshot, which folders and items (selection, search, item ids)
//   resolve-folders.ts  find or create the target folders (intoFolder, root labels)
//   read.ts             read an upload batch's item data, each item checked against its binding
//   upload.ts           conflict policy, batches (planBatches), UploadItems under one p-limit
//   report.ts           item events and the RestoreReport
// Knobs (upload concurrency, batch items and bytes) come from restoreLimits() in limits.ts.

import { EwsVaultError } from "@ewsvault/mailbox";
import pLimit from "p-limit";
import { restoreLimits } from "../limits.js";
import type { RestoreOptions, RestoreReport } from "../types.js";
import { planRestore, resolveSnapshot } from "./plan.js";
import { RestoreRecorder } from "./report.js";
import { resolveTargetFolders } from "./resolve-folders.js";
import { type UploadContext, uploadFolder } from "./upload.js";

export type { PlannedFolder, RestorePlan } from "./plan.js";
export { planRestore, resolveSnapshot } from "./plan.js";

/**
 * Restores a snapshot per `options`. Throws before writing anything when the snapshot cannot be
 * chosen (REPO_SNAPSHOT_NOT_FOUND, SNAPSHOT_GROUP_AMBIGUOUS), the folder patterns cannot match
 * (SELECTION_INVALID) or the target has no msgfolderroot (EWS_MALFORMED_RESPONSE). After that,
 * what goes wrong with an item or a folder fails those items in the report and the restore goes
 * on; it rejects only when `signal` aborts (or the target fails outright).
 */
export async function restore(options: RestoreOptions): Promise<RestoreReport> {
  const started = Date.now();
  const { repository, target, signal } = options;
  const limits = restoreLimits(options);
  const snapshot = await resolveSnapshot(repository, options.mailbox, options.snapshot, options.group);
  const toMailbox = options.toMailbox ?? options.mailbox;
  const info = await target.getMailboxInfo(toMailbox, signal);
  const rootId = info.distinguishedFolders.msgfolderroot;
  if (rootId === undefined)
    throw new EwsVaultError("EWS_MALFORMED_RESPONSE", `${toMailbox} has no msgfolderroot`);
  const plan = await planRestore(repository, snapshot, options);
  options.onEvent?.({ type: "restore-start", snapshotId: snapshot.id, items: plan.items });

  const recorder = new RestoreRecorder(plan.items, options.onEvent);
  const folders = await resolveTargetFolders(
    target,
    toMailbox,
    info,
    rootId,
    plan,
    options.intoFolder,
    signal,
  );
  const context: UploadContext = {
    repository,
    target,
    toMailbox,
    conflict: options.conflict ?? "skip",
    limits,
    limit: pLimit(limits.uploads),
    recorder,
    ...(signal === undefined ? {} : { signal }),
  };
  await Promise.all(
    plan.folders.map(async (planned) => {
      let folderId: string;
      try {
        folderId = await folders.folderOf(planned.folder);
      } catch (error) {
        // A folder that cannot be resolved fails its items; the other folders go on.
        const folderPath = planned.folder.path.join("/");
        for (const item of planned.items) recorder.failed(item, folderPath, error);
        return;
      }
      await uploadFolder(context, planned, folderId);
    }),
  );

  return recorder.report(
    { snapshotId: snapshot.id, mailbox: options.mailbox, toMailbox, foldersCreated: folders.created },
    started,
  );
}
