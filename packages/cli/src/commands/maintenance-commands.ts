// Repository upkeep an administrator runs by hand: `ewsvault unlock` (stale locks),
// `repair-index` (rebuild the index from the packs) and `stats`.
import type { Command } from "commander";
import { openRepositoryFromOptions, type RepoOptions } from "../context.js";
import { ExitCode } from "../errors.js";
import { formatBytes, type Output } from "../output.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

export function registerMaintenanceCommands(program: Command, run: CommandRunner): void {
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
