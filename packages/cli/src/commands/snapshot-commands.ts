// Reading what a repository holds, without changing it: `ewsvault snapshots` (the list), `ls`
// (one snapshot's folders and items) and `find` (items across snapshots).
import {
  describeSelection,
  loadSnapshotItems,
  readSnapshotSettings,
  type Snapshot,
  type SnapshotSettings,
  type StoredSettingsKind,
  walkSnapshotFolders,
} from "@ewsvault/core";
import type { Command } from "commander";
import { addGroupOptions, chosenGroup } from "../backup-selection.js";
import { openRepositoryFromOptions, type RepoOptions } from "../context.js";
import { ExitCode } from "../errors.js";
import { type FindOptions, findInSnapshots } from "../find.js";
import { formatBytes, jsonLine, type Output, shown } from "../output.js";
import { type FolderName, summariseKind } from "../settings-summary.js";
import { resolveSnapshotArgument } from "../snapshot-argument.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

export function registerSnapshotCommands(program: Command, run: CommandRunner): void {
  addGroupOptions(addRepoOptions(program.command("snapshots").description("list snapshots")))
    .option("--mailbox <smtp>", "only this mailbox's snapshots")
    .action((options) => run(options, (out) => snapshotsCommand(options, out)));

  addRepoOptions(program.command("ls").description("list the folders and items of a snapshot"))
    .argument("[snapshot]", "snapshot id (or unique prefix), 'latest' or an ISO time", "latest")
    .option("--mailbox <smtp>", "mailbox (needed with 'latest')")
    .option("--group <id>", "snapshot group 'latest' is chosen in ('any' = every group)")
    .option("--items", "list items too, not only folders")
    .option("--settings", "list the mailbox settings the snapshot holds instead of its folders")
    .action((snapshot, options) => run(options, (out) => lsCommand(snapshot, options, out)));

  addRepoOptions(
    program
      .command("find")
      .description("search items in every snapshot, newest first; say which snapshots hold each"),
  )
    .option("--mailbox <smtp>", "only this mailbox")
    .option("--latest", "only the latest snapshot of each mailbox and snapshot group")
    .option("--group <id>", "only this snapshot group")
    .option("--subject <text>", "subject contains")
    .option("--from <text>", "sender contains")
    .option("--after <date>", "received at or after")
    .option("--before <date>", "received before")
    .option("--class <itemClass>", "item class prefix, e.g. IPM.Appointment")
    .action((options) => run(options, (out) => findCommand(options, out)));
}

function snapshotJson(snapshot: Snapshot): Record<string, unknown> {
  return {
    id: snapshot.id,
    mailbox: snapshot.mailbox,
    time: snapshot.time.toISOString(),
    hostname: snapshot.hostname,
    tags: snapshot.tags,
    tree: snapshot.tree,
    group: snapshot.group,
    selection: snapshot.selection ?? null,
    ...(snapshot.parent === undefined ? {} : { parent: snapshot.parent }),
    counts: snapshot.counts ?? {},
    sizes: snapshot.sizes ?? {},
  };
}

async function snapshotsCommand(
  options: RepoOptions & { mailbox?: string; group?: string; set?: string; config?: string },
  out: Output,
): Promise<number> {
  const group = await chosenGroup(options);
  const opened = await openRepositoryFromOptions(options);
  try {
    const snapshots = (
      await opened.repository.listSnapshots(options.mailbox ? { mailbox: options.mailbox } : {})
    ).filter((s) => group === undefined || group === "any" || s.group === group);
    if (out.json) {
      // The documented contract: one JSON array on stdout.
      process.stdout.write(jsonLine(snapshots.map(snapshotJson)));
      return ExitCode.ok;
    }
    if (snapshots.length === 0) {
      out.info("no snapshots");
      return ExitCode.ok;
    }
    // "items size" is the mailbox data the snapshot holds (what a restore writes back); "added"
    // is what this run stored anew after deduplication, compression and encryption.
    process.stdout.write(
      "id            time                      group         mailbox  items  items size  added  tags\n",
    );
    const groups = new Map<string, string>();
    for (const s of snapshots) {
      groups.set(s.group, describeSelection(s.selection));
      process.stdout.write(
        `${s.id.slice(0, 12)}  ${s.time.toISOString()}  ${s.group.padEnd(12)}  ${shown(s.mailbox)}  ${s.counts?.items ?? "?"}  ${formatBytes(
          s.sizes?.items ?? 0,
        )}  ${formatBytes(s.sizes?.stored ?? 0)}  ${shown(s.tags.join(","))}
`,
      );
    }
    out.info(
      "items size = the mailbox data the snapshot holds (what a restore writes); added = bytes this backup stored in the repository after deduplication and compression",
    );
    for (const [id, description] of groups) out.info(`group ${id}: ${description}`);
    return ExitCode.ok;
  } finally {
    await opened.close();
  }
}

async function lsCommand(
  snapshotArg: string,
  options: RepoOptions & { mailbox?: string; items?: boolean; group?: string; settings?: boolean },
  out: Output,
) {
  const opened = await openRepositoryFromOptions(options);
  try {
    const snapshot = await resolveSnapshotArgument(
      opened.repository,
      snapshotArg,
      options.mailbox,
      options.group,
    );
    if (options.settings) {
      const settings = await readSnapshotSettings({
        repository: opened.repository,
        mailbox: snapshot.mailbox,
        snapshot: snapshot.id,
        // Stored settings name folders by id: show the snapshot's path of each instead.
        withFolderPaths: true,
      });
      printSettings(settings, (id) => settings.folderPaths?.[id] ?? id, out);
      return ExitCode.ok;
    }
    for await (const folder of walkSnapshotFolders(opened.repository, snapshot.tree)) {
      const path = folder.path.join("/");
      out.event(
        "folder",
        { path, itemCount: folder.tree.itemCount, folderClass: folder.tree.folderClass ?? null },
        () => `${shown(path)}/  (${folder.tree.itemCount} items, ${formatBytes(folder.tree.itemBytes)})`,
      );
      if (!options.items) continue;
      for (const item of await loadSnapshotItems(opened.repository, folder.tree)) {
        out.event(
          "item",
          { folder: path, ...item },
          () => `  ${shown(item.itemId.slice(-16))}  ${shown(item.receivedAt)}  ${shown(item.subject)}`,
        );
      }
    }
    return ExitCode.ok;
  } finally {
    await opened.close();
  }
}

/** `ls --settings`: one line per kind (details indented), or one JSON event per kind. */
function printSettings(settings: SnapshotSettings, folderName: FolderName, out: Output): void {
  const head = { snapshotId: settings.snapshotId, mailbox: settings.mailbox };
  if (!settings.present) {
    out.event(
      "settings",
      { ...head, present: false },
      () => `${shown(settings.mailbox)}: this snapshot holds no settings`,
    );
    return;
  }
  out.event(
    "settings",
    { ...head, present: true },
    () => `settings of ${shown(settings.mailbox)} in snapshot ${settings.snapshotId.slice(0, 12)}`,
  );
  for (const [kind, stored] of Object.entries(settings.kinds) as [
    keyof typeof settings.kinds,
    StoredSettingsKind,
  ][]) {
    const summary = summariseKind(kind, stored, folderName);
    out.event(
      "settings-kind",
      {
        ...head,
        kind,
        ok: stored.ok,
        counts: summary.counts,
        ...(stored.ok
          ? { value: stored.value, entryFailures: stored.entryFailures }
          : {
              failure: {
                code: stored.code,
                message: stored.message,
                responseCode: stored.responseCode ?? null,
              },
            }),
      },
      () =>
        [summary.line, ...summary.details.map((line) => `  ${line}`)].map((line) => shown(line)).join("\n"),
    );
  }
}

async function findCommand(options: RepoOptions & FindOptions, out: Output): Promise<number> {
  const opened = await openRepositoryFromOptions(options);
  try {
    return await findInSnapshots(opened.repository, options, out);
  } finally {
    await opened.close();
  }
}
