// `ewsvault forget` (drop snapshots by a retention policy, per mailbox and snapshot group) and
// `ewsvault prune` (delete or repack the data no snapshot references any more).
import type { ForgetPolicy } from "@ewsvault/core";
import type { Command } from "commander";
import { addGroupOptions, chosenGroup } from "../backup-selection.js";
import { openRepositoryFromOptions, type RepoOptions } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { formatBytes, type Output } from "../output.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

export function registerForgetPruneCommands(program: Command, run: CommandRunner): void {
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
