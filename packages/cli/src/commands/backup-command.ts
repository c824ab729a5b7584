// `ewsvault backup`: mailboxes from --mailbox or a config file's backup set, progress on a TTY,
// JSON events with --json, and a report whose exit code tells complete (0) from partial (3).
import { join } from "node:path";
import { type BackupEvent, backup } from "@ewsvault/core";
import type { Command } from "commander";
import { buildSelection, loadBackupSet, type SelectionOptions } from "../backup-selection.js";
import type { BackupSetConfig } from "../config-schema.js";
import {
  discoverFromOptions,
  type EwsOptions,
  ewsClientFromOptions,
  type LdapOptions,
  openRepositoryFromOptions,
  type RepoOptions,
} from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { type MailboxListOptions, resolveMailboxes } from "../mailbox-list.js";
import { assertValidGlob, assertValidSelection } from "../option-validation.js";
import { formatBytes, type Output, shown } from "../output.js";
import { createBackupProgress, progressMode } from "../progress.js";
import { addEwsOptions, addRepoOptions, type CommandRunner, positiveInteger } from "./shared.js";

interface BackupCommandOptions
  extends RepoOptions,
    EwsOptions,
    LdapOptions,
    SelectionOptions,
    MailboxListOptions {
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
  /** False with --no-associated (commander sets true when the flag is absent). */
  associated?: boolean;
  /** False with --no-settings (commander sets true when the flag is absent). */
  settings?: boolean;
  tag?: string[];
  indexDir?: string;
  checkpointInterval?: string;
  fullSync?: boolean;
  fullSyncInterval?: string;
}

export function registerBackupCommand(program: Command, run: CommandRunner): void {
  addEwsOptions(addRepoOptions(program.command("backup").description("back up mailboxes")))
    .option("--mailbox <smtp...>", "mailbox to back up (repeatable)")
    .option("--all-mailboxes", "every mailbox of the address book (FindPeople, else ResolveNames)")
    .option("--include-mailbox <glob...>", "with --all-mailboxes: only mailboxes matching these globs")
    .option(
      "--mailbox-kind <kind...>",
      "with --all-mailboxes: user, shared, room, equipment (default user shared)",
    )
    .option(
      "--ldap-url <url>",
      "with --all-mailboxes: read Active Directory (ldaps:// or ldap:// + StartTLS)",
    )
    .option("--ldap-base <dn>", "LDAP search base (default: the server's defaultNamingContext)")
    .option("--ldap-bind-dn <dn>", "LDAP bind DN or UPN (default: --username)")
    .option("--ldap-ca-file <file>", "PEM CA of the directory's certificate")
    .option("--ldap-password-file <file>", "LDAP password file (else EWSVAULT_LDAP_PASSWORD[_FILE|_COMMAND])")
    .option("--ldap-password-command <command>", "command printing the LDAP password")
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
    .option("--no-associated", "skip folder-associated items (rules, views, forms; backed up by default)")
    .option(
      "--no-settings",
      "skip mailbox settings (rules, out-of-office, permissions, delegates, configurations; backed up by default)",
    )
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

async function backupCommand(options: BackupCommandOptions, out: Output): Promise<number> {
  // The config file's repository and EWS defaults are already applied (config-defaults.ts).
  const set: Partial<BackupSetConfig> = options.set ? await loadBackupSet(options.config, options.set) : {};
  for (const glob of [...(options.excludeMailbox ?? []), ...(set.excludeMailboxes ?? [])])
    assertValidGlob(glob, "excludeMailboxes");
  for (const glob of [...(options.includeMailbox ?? []), ...(set.includeMailboxes ?? [])])
    assertValidGlob(glob, "includeMailboxes");
  const selection = buildSelection(options, set);
  assertValidSelection(selection); // a backup set's patterns too, before the repository is opened
  const { mailboxes, discovery } = await resolveMailboxes(options, set, () => discoverFromOptions(options));
  if (discovery !== undefined)
    out.event(
      "discovery",
      {
        method: discovery.method,
        ...(discovery.fallbackReason ? { fallbackReason: discovery.fallbackReason } : {}),
        found: discovery.mailboxes.length,
        selected: mailboxes,
      },
      () => {
        out.info(
          `address book (${discovery.method}${discovery.fallbackReason ? `, FindPeople refused: ${shown(discovery.fallbackReason)}` : ""}): ${discovery.mailboxes.length} mailbox(es), ${mailboxes.length} selected`,
        );
        return undefined;
      },
    );

  const opened = await openRepositoryFromOptions(options);
  const source = await ewsClientFromOptions(options).catch(async (error) => {
    await opened.close();
    throw error;
  });
  const abort = new AbortController();
  const view = createBackupProgress({
    mailboxes: mailboxes.length,
    mode: progressMode(options),
    quietLog: (text) => out.info(text),
  });
  const onSignal = () => {
    view.log("stopping: making finished work durable (press Ctrl-C again to kill)");
    abort.abort();
    process.once("SIGINT", () => process.exit(ExitCode.interrupted));
  };
  process.once("SIGINT", onSignal);
  try {
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
      ...associatedOption(options.associated === false ? false : set.associatedItems),
      ...settingsOption(options.settings === false ? false : set.settings),
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
        view.onEvent(event);
        if (event.type === "item-failed") {
          view.log(
            `warning ${event.failure.code}: ${shown(event.mailbox)} ${shown(event.failure.folderPath)} "${shown(event.failure.subject ?? event.failure.itemId)}": ${shown(event.failure.reason)}`,
          );
        } else if (event.type === "mailbox-done") {
          const r = event.report;
          if (r.status === "failed" || r.status === "skipped-locked") {
            failedLines.push(`${r.mailbox}: ${r.status} — error ${r.error?.code}: ${r.error?.message}`);
            return;
          }
          for (const failure of r.settings?.failures ?? [])
            view.log(
              `warning ${failure.code}: ${shown(r.mailbox)} settings ${failure.kind}${failure.entry === undefined ? "" : ` ${shown(failure.entry)}`}: ${shown(failure.message)}`,
            );
          view.log(
            `${r.mailbox}: ${r.status}, ${r.items} items (${r.itemsExported} exported, ${r.itemsDeleted} deleted, ${r.failedItems.length} failed), ${formatBytes(r.bytesRead)} read, ${formatBytes(r.bytesStored)} stored, ${(r.durationMs / 1000).toFixed(1)} s${r.settings === undefined ? "" : `, settings: ${r.settings.stored.length} kind(s) stored`}, snapshot ${r.snapshotId?.slice(0, 12)}`,
          );
        }
      },
    });
    view.finish();
    if (abort.signal.aborted) {
      // Everything checkpointed before the stop is durable; the next run resumes from there.
      out.event("interrupted", { report } as unknown as Record<string, unknown>, () => undefined);
      out.info("interrupted: finished work is saved; run the same backup again to resume");
      return ExitCode.interrupted;
    }
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
    view.finish();
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

/** The engine's `associatedItems`: absent leaves it to the engine (on where the source serves FAI). */
function associatedOption(value: boolean | undefined): { associatedItems?: boolean } {
  return value === undefined ? {} : { associatedItems: value };
}

/** The engine's `settings`: absent leaves it to the engine (on where the source reads settings). */
function settingsOption(value: boolean | undefined): { settings?: boolean } {
  return value === undefined ? {} : { settings: value };
}
