// `ewsvault backup`: mailboxes from --mailbox or a config file's backup set, progress on a TTY,
// JSON events with --json, and a report whose exit code tells complete (0) from partial (3).
import { join } from "node:path";
import { backup, type BackupEvent, type Selection } from "@ewsvault/core";
import picomatch from "picomatch";
import type { Command } from "commander";
import { type BackupSetConfig, loadConfigFile } from "../config-file.js";
import {
  type EwsOptions,
  ewsClientFromOptions,
  openRepositoryFromOptions,
  type RepoOptions,
} from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { bar, formatBytes, type Output } from "../output.js";
import { addEwsOptions, addRepoOptions, type CommandRunner, parseDate, positiveInteger } from "./shared.js";

interface BackupCommandOptions extends RepoOptions, EwsOptions {
  mailbox?: string[];
  excludeMailbox?: string[];
  config?: string;
  set?: string;
  mailboxConcurrency?: string;
  itemConcurrency?: string;
  includeFolder?: string[];
  excludeFolder?: string[];
  includeClass?: string[];
  excludeClass?: string[];
  after?: string;
  before?: string;
  archive?: boolean;
  recoverableItems?: boolean;
  publicFolders?: boolean;
  captureMime?: boolean;
  tag?: string[];
  indexDir?: string;
  checkpointInterval?: string;
  fullSync?: boolean;
  fullSyncInterval?: string;
}

export function registerBackupCommand(program: Command, run: CommandRunner): void {
  addEwsOptions(addRepoOptions(program.command("backup").description("back up mailboxes")))
    .option("--mailbox <smtp...>", "mailbox to back up (repeatable)")
    .option(
      "--exclude-mailbox <glob...>",
      "leave out mailboxes matching these globs (e.g. from a backup set)",
    )
    .option("--config <file>", "YAML/JSON config file with defaults and backup sets")
    .option("--set <name>", "back up the named set of the config file")
    .option("--mailbox-concurrency <n>", "mailboxes at once", "4")
    .option("--item-concurrency <n>", "EWS requests in flight per mailbox", "4")
    .option("--include-folder <glob...>", "only these folders (path glob or distinguished name)")
    .option("--exclude-folder <glob...>", "skip these folders")
    .option("--include-class <class...>", "only these item classes (prefix)")
    .option("--exclude-class <class...>", "skip these item classes")
    .option("--after <date>", "only items received at or after")
    .option("--before <date>", "only items received before")
    .option("--archive", "also the archive mailbox")
    .option("--recoverable-items", "also Recoverable Items")
    .option("--public-folders", "also public folders")
    .option("--capture-mime", "also store MIME of mail items for 'export'")
    .option("--tag <tag...>", "tags for the snapshots")
    .option("--index-dir <dir>", "per-mailbox index directory (default <cache-dir>/index/<repository id>)")
    .option("--checkpoint-interval <seconds>", "make finished work durable at least this often", "30")
    .option("--full-sync", "ask every folder for changes, even those whose change markers are unchanged")
    .option(
      "--full-sync-interval <hours>",
      "ask every folder for changes when the mailbox's last full sync is this old",
      "24",
    )
    .action((options: BackupCommandOptions & { json?: boolean; quiet?: boolean }) =>
      run(options, (out) => backupCommand(options, out)),
    );
}

async function backupCommand(cli: BackupCommandOptions, out: Output): Promise<number> {
  const config = cli.config ? await loadConfigFile(cli.config) : undefined;
  let set: BackupSetConfig = {};
  if (cli.set) {
    const found = config?.sets?.[cli.set];
    if (!found)
      throw new CliError(
        "BACKUP_SET_UNKNOWN",
        `no backup set "${cli.set}" in ${cli.config ?? "(no --config)"}`,
        ExitCode.usage,
      );
    set = found;
  }
  const excluded = [...(cli.excludeMailbox ?? []), ...(set.excludeMailboxes ?? [])].map((glob) =>
    picomatch(glob, { nocase: true }),
  );
  const mailboxes = (cli.mailbox ?? [...(set.mailboxes ?? [])]).filter(
    (m) => !excluded.some((match) => match(m)),
  );
  if (mailboxes.length === 0)
    throw new CliError("MAILBOX_REQUIRED", "name mailboxes with --mailbox or --set", ExitCode.usage);
  const options: BackupCommandOptions = {
    ...cli,
    repo: cli.repo ?? config?.repository,
    passwordFile: cli.passwordFile ?? config?.passwordFile,
    cacheDir: cli.cacheDir ?? config?.cacheDir,
    ewsUrl: cli.ewsUrl ?? config?.ews?.url,
    username: cli.username ?? config?.ews?.username,
    ewsPasswordFile: cli.ewsPasswordFile ?? config?.ews?.passwordFile,
    allowInsecureBasic: cli.allowInsecureBasic ?? config?.ews?.allowInsecureBasic,
  } as BackupCommandOptions;
  const roots: NonNullable<Selection["roots"]> = [
    ...(set.roots ?? ["mailbox"]),
    ...(options.archive ? (["archive"] as const) : []),
    ...(options.recoverableItems ? (["recoverable"] as const) : []),
    ...(options.publicFolders ? (["public"] as const) : []),
  ];
  const selection: Selection = {
    roots: [...new Set(roots)],
    ...pick("includeFolders", options.includeFolder ?? set.includeFolders),
    ...pick("excludeFolders", options.excludeFolder ?? set.excludeFolders),
    ...pick("includeItemClasses", options.includeClass ?? set.includeItemClasses),
    ...pick("excludeItemClasses", options.excludeClass ?? set.excludeItemClasses),
    ...(options.after ? { receivedAfter: parseDate(options.after, "--after") } : {}),
    ...(options.before ? { receivedBefore: parseDate(options.before, "--before") } : {}),
  };

  const opened = await openRepositoryFromOptions(options);
  const source = await ewsClientFromOptions(options).catch(async (error) => {
    await opened.close();
    throw error;
  });
  const abort = new AbortController();
  const onSignal = () => {
    out.info("stopping: making finished work durable (press Ctrl-C again to kill)");
    abort.abort();
    process.once("SIGINT", () => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  try {
    const progress = new Map<string, string>();
    // Failed mailboxes are reported at the end, once, so one cause is not printed per mailbox.
    const failedLines: string[] = [];
    const report = await backup({
      repository: opened.repository,
      source,
      mailboxes,
      indexDirectory: options.indexDir ?? join(opened.cacheDir, "index", opened.repository.config.id),
      mailboxConcurrency:
        positiveInteger(options.mailboxConcurrency, "--mailbox-concurrency") ?? set.mailboxConcurrency ?? 4,
      itemConcurrency:
        positiveInteger(options.itemConcurrency, "--item-concurrency") ?? set.itemConcurrency ?? 4,
      selection,
      captureMime: options.captureMime ?? set.captureMime ?? false,
      checkpointSeconds: Number(options.checkpointInterval ?? 30),
      fullSync: options.fullSync === true,
      fullSyncIntervalSeconds: hours(options.fullSyncInterval ?? "24", "--full-sync-interval") * 3600,
      tags: options.tag ?? [...(set.tags ?? [])],
      signal: abort.signal,
      onEvent: (event: BackupEvent) => {
        if (out.json) {
          out.event(event.type, { ...event } as Record<string, unknown>);
          return;
        }
        if (event.type === "progress") {
          const p = event.progress;
          progress.set(
            p.mailbox,
            `${p.mailbox} ${bar(p.foldersDone, p.foldersTotal, 10)} ${p.itemsDone}/${p.itemsTotal} items ${formatBytes(p.bytesRead)}${
              p.etaSeconds === undefined ? "" : ` eta ${p.etaSeconds}s`
            }`,
          );
          out.progress([...progress.values()].join(" | "));
        } else if (event.type === "item-failed") {
          out.info(
            `warning ${event.failure.code}: ${event.mailbox} ${event.failure.folderPath} "${event.failure.subject ?? event.failure.itemId}": ${event.failure.reason}`,
          );
        } else if (event.type === "mailbox-done") {
          progress.delete(event.report.mailbox);
          const r = event.report;
          if (r.status === "failed" || r.status === "skipped-locked") {
            failedLines.push(`${r.mailbox}: ${r.status} — error ${r.error?.code}: ${r.error?.message}`);
            return;
          }
          out.info(
            r.status === "completed" || r.status === "completed-with-warnings"
              ? `${r.mailbox}: ${r.status}, ${r.items} items (${r.itemsExported} exported, ${r.itemsDeleted} deleted, ${r.failedItems.length} failed), ${formatBytes(r.bytesRead)} read, ${formatBytes(r.bytesStored)} stored, ${(r.durationMs / 1000).toFixed(1)} s, snapshot ${r.snapshotId?.slice(0, 12)}`
              : `${r.mailbox}: ${r.status} — error ${r.error?.code}: ${r.error?.message}`,
          );
        }
      },
    });
    out.done();
    out.event("report", { ...report } as unknown as Record<string, unknown>);
    const statuses = report.mailboxes.map((m) => m.status);
    if (statuses.every((s) => s === "completed")) return ExitCode.ok;
    const collapsed =
      statuses.every((s) => s === "failed") && new Set(report.mailboxes.map((m) => m.error?.code)).size === 1;
    if (!collapsed) for (const line of failedLines) out.info(line);
    if (statuses.every((s) => s === "skipped-locked")) return ExitCode.locked;
    if (statuses.every((s) => s === "failed")) {
      const codes = new Set(report.mailboxes.map((m) => m.error?.code));
      // One cause for every mailbox (wrong password, endpoint down): say it once, as an error.
      if (codes.size === 1 && report.mailboxes[0]?.error) {
        const { code, message } = report.mailboxes[0].error;
        throw new CliError(
          code,
          report.mailboxes.length === 1 ? `${report.mailboxes[0].mailbox}: ${message}` : message,
        );
      }
      return ExitCode.failure;
    }
    return ExitCode.partial;
  } finally {
    process.off("SIGINT", onSignal);
    await source.close();
    await opened.close();
  }
}

function hours(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new CliError("INVALID_ARGUMENT", `${flag} must be a number of hours >= 0`, ExitCode.usage);
  return n;
}

function pick<K extends string>(
  key: K,
  value: readonly string[] | undefined,
): Partial<Record<K, readonly string[]>> {
  return value === undefined || value.length === 0 ? {} : ({ [key]: value } as Record<K, readonly string[]>);
}
