// Commands that work on the repository alone: init, snapshots, ls, find, verify, forget,
// prune, unlock, stats.
import {
  describeSelection,
  type ForgetPolicy,
  initRepository,
  loadSnapshotItems,
  type Snapshot,
  verifySnapshotItemBindings,
  walkSnapshotFolders,
} from "@ewsvault/core";
import { addGroupOptions, chosenGroup } from "../backup-selection.js";
import { findInSnapshots, type FindOptions } from "../find.js";
import { resolveSnapshotArgument } from "../snapshot-argument.js";
import type { Command } from "commander";
import { openDestination } from "../destinations.js";
import { CliError, ExitCode } from "../errors.js";
import { openRepositoryFromOptions, type RepoOptions, repositoryLocation } from "../context.js";
import { formatBytes, jsonLine, type Output, shown } from "../output.js";
import { promptHidden, readPassword } from "../secrets.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

export function registerRepositoryCommands(program: Command, run: CommandRunner): void {
  addRepoOptions(program.command("init").description("create a new encrypted repository"))
    .option("--pack-size <MiB>", "target pack size in MiB", "16")
    .action((options) => run(options, (out) => initCommand(options, out)));

  addGroupOptions(addRepoOptions(program.command("snapshots").description("list snapshots")))
    .option("--mailbox <smtp>", "only this mailbox's snapshots")
    .action((options) => run(options, (out) => snapshotsCommand(options, out)));

  addRepoOptions(program.command("ls").description("list the folders and items of a snapshot"))
    .argument("[snapshot]", "snapshot id (or unique prefix), 'latest' or an ISO time", "latest")
    .option("--mailbox <smtp>", "mailbox (needed with 'latest')")
    .option("--group <id>", "snapshot group 'latest' is chosen in ('any' = every group)")
    .option("--items", "list items too, not only folders")
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

  addRepoOptions(
    program.command("verify").description("check the repository's structure, optionally its data"),
  )
    .option("--read-data", "download and check every pack")
    .option("--read-data-subset <subset>", "check a subset: '10%', '0.1' or 'n/t'")
    .action((options) => run(options, (out) => verifyCommand(options, out)));

  addGroupOptions(
    addRepoOptions(
      program
        .command("forget")
        .description("remove snapshots by a retention policy, applied per mailbox and snapshot group"),
    ),
  )
    .option("--mailbox <smtp>", "only this mailbox's snapshots")
    .option("--keep-last <n>", "keep the newest n")
    .option("--keep-hourly <n>", "keep one per hour for n hours")
    .option("--keep-daily <n>", "keep one per day for n days")
    .option("--keep-weekly <n>", "keep one per week for n weeks")
    .option("--keep-monthly <n>", "keep one per month for n months")
    .option("--keep-yearly <n>", "keep one per year for n years")
    .option("--keep-within <duration>", "keep everything newer than e.g. 7d, 12h")
    .option("--keep-tag <tag...>", "keep snapshots with these tags")
    .option("--dry-run", "only say what would be removed")
    .option("--prune", "prune afterwards")
    .action((options) => run(options, (out) => forgetCommand(options, out)));

  addRepoOptions(program.command("prune").description("remove data no snapshot references"))
    .option("--dry-run", "only say what would be done")
    .option("--wait <seconds>", "wait this long for running backups to finish", "0")
    .action((options) => run(options, (out) => pruneCommand(options, out)));

  addRepoOptions(program.command("unlock").description("remove stale locks"))
    .option("--all", "remove every lock not held by this process, not only stale ones")
    .action((options) => run(options, (out) => unlockCommand(options, out)));

  addRepoOptions(program.command("repair-index").description("rebuild the repository index from the packs"))
    .option("--wait <seconds>", "wait this long for running backups to finish", "0")
    .action((options) => run(options, (out) => repairIndexCommand(options, out)));

  addRepoOptions(program.command("stats").description("repository statistics")).action((options) =>
    run(options, (out) => statsCommand(options, out)),
  );
}

async function initCommand(options: RepoOptions & { packSize: string }, out: Output): Promise<number> {
  const destination = await openDestination(repositoryLocation(options));
  try {
    let password: string;
    const given =
      options.passwordFile !== undefined ||
      options.passwordCommand !== undefined ||
      ["EWSVAULT_PASSWORD", "EWSVAULT_PASSWORD_FILE", "EWSVAULT_PASSWORD_COMMAND"].some((name) =>
        Boolean(process.env[name]),
      );
    if (!given && process.stdin.isTTY) {
      password = await promptHidden("new repository password: ");
      if ((await promptHidden("repeat password: ")) !== password) {
        throw new CliError("PASSWORD_MISMATCH", "the passwords differ", ExitCode.usage);
      }
    } else {
      password = await readPassword({
        envName: "EWSVAULT_PASSWORD",
        ...(options.passwordFile === undefined ? {} : { file: options.passwordFile }),
        ...(options.passwordCommand === undefined ? {} : { command: options.passwordCommand }),
        prompt: "new repository password: ",
      });
    }
    const packSize = Math.round(Number(options.packSize) * 1024 * 1024);
    const repository = await initRepository({ destination, password, packSize });
    out.event(
      "initialized",
      { id: repository.config.id, location: destination.description },
      () => `created repository ${repository.config.id} at ${destination.description}`,
    );
    out.info(
      "keep the password safe: without it (or an escrow key / recovery code, see 'ewsvault key') the data cannot be read",
    );
    await repository.close();
    return ExitCode.ok;
  } finally {
    await destination.close();
  }
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
  options: RepoOptions & { mailbox?: string; items?: boolean; group?: string },
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

async function findCommand(options: RepoOptions & FindOptions, out: Output): Promise<number> {
  const opened = await openRepositoryFromOptions(options);
  try {
    return await findInSnapshots(opened.repository, options, out);
  } finally {
    await opened.close();
  }
}

async function verifyCommand(
  options: RepoOptions & { readData?: boolean; readDataSubset?: string },
  out: Output,
) {
  const opened = await openRepositoryFromOptions(options);
  try {
    const readData = options.readDataSubset ?? (options.readData ? true : undefined);
    const report = await opened.repository.verify(readData === undefined ? {} : { readData });
    for (const problem of report.problems) {
      out.event(
        "problem",
        { ...problem },
        () => `damage ${problem.code}: ${problem.message}${problem.object ? ` (${problem.object})` : ""}`,
      );
    }
    // The repository checks its objects; whether each item of a snapshot holds its own content
    // (not another item's blob list, swapped through a tampered cache) is the engine's item
    // binding, checked here from the trees alone. With --read-data, every blob also matched its id.
    const items = await checkItemBindings(opened.repository, out);
    const ok = report.ok && items.problems === 0;
    // Everything --json says is said in text too: unindexed packs are not damage, but an
    // administrator must see them (leftovers of killed backups, or objects someone put there).
    const unindexed = report.unindexedPacks.length;
    out.event(
      "verified",
      {
        ok,
        checked: { ...report.checked, items: items.items, itemsBound: items.bound },
        unindexedPacks: unindexed,
      },
      () =>
        `${
          ok
            ? `no errors: ${report.checked.packs} packs, ${report.checked.snapshots} snapshots, ${items.items} items (${items.bound} bound to their content), ${report.checked.packsRead} packs read (${formatBytes(report.checked.bytesRead)})`
            : `${report.problems.length + items.problems} problem(s) found`
        }${unindexed > 0 ? `; ${unindexed} pack(s) no index lists (left by interrupted backups; prune removes them)` : ""}`,
    );
    return ok ? ExitCode.ok : ExitCode.damaged;
  } finally {
    await opened.close();
  }
}

/** Checks every snapshot's item bindings (core's check); reports each problem as a `problem` event. */
async function checkItemBindings(
  repository: Parameters<typeof verifySnapshotItemBindings>[0] & {
    listSnapshots(): Promise<readonly { id: string; tree: string }[]>;
  },
  out: Output,
): Promise<{ items: number; bound: number; problems: number }> {
  return verifySnapshotItemBindings(repository, await repository.listSnapshots(), {
    onProblem: ({ snapshotId, code, message, folderId, itemId }) => {
      if (folderId === undefined || itemId === undefined) {
        // A tree that cannot be read is damage verify has reported by its object; say which
        // snapshot it stops (the check goes on with the others).
        out.event(
          "problem",
          { code, message, snapshot: snapshotId },
          () =>
            `damage ${code}: snapshot ${snapshotId.slice(0, 12)}'s items cannot be checked: ${shown(message)}`,
        );
        return;
      }
      out.event(
        "problem",
        { code, folderId, itemId, message, snapshot: snapshotId },
        () =>
          `damage ${code}: ${shown(message)} (snapshot ${snapshotId.slice(0, 12)}, folder ${shown(folderId)}, item ${shown(itemId)})`,
      );
    },
  });
}

function parseDuration(text: string): number {
  const match = /^(\d+)([hdwmy])$/.exec(text.trim());
  if (!match)
    throw new CliError(
      "INVALID_ARGUMENT",
      `--keep-within: "${text}" is not like 12h, 7d, 4w, 6m, 1y`,
      ExitCode.usage,
    );
  const hours = { h: 1, d: 24, w: 24 * 7, m: 24 * 30, y: 24 * 365 }[match[2] as "h"];
  return Number(match[1]) * hours * 3_600_000;
}

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new CliError("INVALID_ARGUMENT", `${name} must be a whole number`, ExitCode.usage);
  return n;
}

async function forgetCommand(options: RepoOptions & Record<string, unknown>, out: Output): Promise<number> {
  const policy: ForgetPolicy = Object.fromEntries(
    Object.entries({
      keepLast: count(options.keepLast as string | undefined, "--keep-last"),
      keepHourly: count(options.keepHourly as string | undefined, "--keep-hourly"),
      keepDaily: count(options.keepDaily as string | undefined, "--keep-daily"),
      keepWeekly: count(options.keepWeekly as string | undefined, "--keep-weekly"),
      keepMonthly: count(options.keepMonthly as string | undefined, "--keep-monthly"),
      keepYearly: count(options.keepYearly as string | undefined, "--keep-yearly"),
      keepWithinMs: options.keepWithin ? parseDuration(options.keepWithin as string) : undefined,
      keepTags: options.keepTag as string[] | undefined,
    }).filter(([, v]) => v !== undefined),
  );
  if (Object.keys(policy).length === 0) {
    throw new CliError(
      "POLICY_REQUIRED",
      "give at least one --keep-* option (forget never removes everything)",
      ExitCode.usage,
    );
  }
  const opened = await openRepositoryFromOptions(options);
  try {
    const group = await chosenGroup(options as { group?: string; set?: string; config?: string });
    const report = await opened.repository.forget(policy, {
      ...(options.mailbox ? { mailbox: options.mailbox as string } : {}),
      ...(group === undefined || group === "any" ? {} : { group }),
      dryRun: options.dryRun === true,
    });
    for (const { snapshot, reasons } of report.keep) {
      out.event(
        "keep",
        {
          id: snapshot.id,
          mailbox: snapshot.mailbox,
          group: snapshot.group,
          time: snapshot.time.toISOString(),
          reasons,
        },
        () =>
          `keep    ${snapshot.id.slice(0, 12)}  ${snapshot.time.toISOString()}  ${snapshot.mailbox}  group ${snapshot.group}  (${reasons.join(", ")})`,
      );
    }
    for (const snapshot of report.remove) {
      out.event(
        "remove",
        {
          id: snapshot.id,
          mailbox: snapshot.mailbox,
          group: snapshot.group,
          time: snapshot.time.toISOString(),
          dryRun: report.dryRun,
        },
        () =>
          `${report.dryRun ? "would remove" : "remove"}  ${snapshot.id.slice(0, 12)}  ${snapshot.time.toISOString()}  ${snapshot.mailbox}  group ${snapshot.group}`,
      );
    }
    if (options.prune && !report.dryRun) {
      const pruned = await opened.repository.prune({});
      out.event("pruned", { ...pruned }, () => pruneSummary(pruned));
    }
    return ExitCode.ok;
  } finally {
    await opened.close();
  }
}

async function pruneCommand(
  options: RepoOptions & { dryRun?: boolean; wait: string },
  out: Output,
): Promise<number> {
  const opened = await openRepositoryFromOptions(options);
  try {
    const wait = { waitMs: Number(options.wait) * 1000 };
    // --dry-run prints the plan (made under the exclusive lock, nothing changed); else execute it.
    const report =
      options.dryRun === true
        ? (await opened.repository.planPrune(wait)).report
        : await opened.repository.prune(wait);
    out.event("pruned", { ...report }, () => pruneSummary(report));
    return ExitCode.ok;
  } finally {
    await opened.close();
  }
}

function pruneSummary(report: {
  dryRun: boolean;
  packsDeleted: number;
  packsRepacked: number;
  unusedBlobs: number;
  bytesFreed: number;
  bytesUnreferenced: number;
  staleLocksRemoved: number;
}): string {
  const locks =
    report.staleLocksRemoved > 0
      ? `; ${report.staleLocksRemoved} stale lock(s) of stopped backups ${report.dryRun ? "to remove" : "removed"}`
      : "";
  return `${report.dryRun ? "would free" : "freed"} ${formatBytes(Math.max(0, report.bytesFreed))} (${report.packsDeleted} packs ${report.dryRun ? "to delete" : "deleted"}, ${report.packsRepacked} repacked, ${report.unusedBlobs} unused blobs); ${formatBytes(report.bytesUnreferenced)} still unreferenced in the packs kept (below the repack threshold)${locks}`;
}

async function unlockCommand(options: RepoOptions & { all?: boolean }, out: Output): Promise<number> {
  const opened = await openRepositoryFromOptions(options);
  try {
    const removed = await opened.repository.unlock({ staleOnly: options.all !== true });
    out.event("unlocked", { removed }, () =>
      removed.length === 0 ? "no locks removed" : `removed ${removed.join(", ")}`,
    );
    return ExitCode.ok;
  } finally {
    await opened.close();
  }
}

async function repairIndexCommand(options: RepoOptions & { wait: string }, out: Output): Promise<number> {
  const opened = await openRepositoryFromOptions(options);
  try {
    const report = await opened.repository.repairIndex({ waitMs: Number(options.wait) * 1000 });
    out.event(
      "repaired",
      { ...report },
      () =>
        `index rebuilt from ${report.packs} packs (${report.blobs} blobs), ${report.indexFilesReplaced} index file(s) replaced` +
        (report.unreadablePacks.length > 0
          ? `; ${report.unreadablePacks.length} unreadable pack(s): run verify`
          : ""),
    );
    return report.unreadablePacks.length > 0 ? ExitCode.damaged : ExitCode.ok;
  } finally {
    await opened.close();
  }
}

async function statsCommand(options: RepoOptions, out: Output): Promise<number> {
  const opened = await openRepositoryFromOptions(options);
  try {
    const stats = await opened.repository.stats();
    out.event("stats", { ...stats }, () =>
      [
        `snapshots:    ${stats.snapshots}`,
        `packs:        ${stats.packs} (${formatBytes(stats.storedBytes)} stored)`,
        `blobs:        ${stats.blobs} (${stats.dataBlobs} data, ${stats.treeBlobs} tree; ${formatBytes(stats.rawBytes)} raw)`,
        `index files:  ${stats.indexFiles}`,
        `ratio:        ${stats.rawBytes > 0 ? ((100 * stats.storedBytes) / stats.rawBytes).toFixed(1) : "0"} % of raw size stored`,
      ].join("\n"),
    );
    return ExitCode.ok;
  } finally {
    await opened.close();
  }
}
