// `ewsvault restore` (into the original mailbox, another mailbox, or another server) and
// `ewsvault export` (mail items as .eml files, from MIME captured at backup).
import {
  type ConflictPolicy,
  type ItemSearch,
  type MailboxTarget,
  type Repository,
  readPrincipalMapFile,
  restore,
  type Snapshot,
} from "@ewsvault/core";
import type { Command } from "commander";
import { addGroupOptions, chosenGroup } from "../backup-selection.js";
import {
  type EwsOptions,
  ewsClientFromOptions,
  openRepositoryFromOptions,
  type RepoOptions,
} from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { bar, type Output, shown } from "../output.js";
import { checkedSelection } from "../restore-selection.js";
import { SafeOutputTree } from "../safe-path.js";
import { parseSettingsKinds, SETTINGS_KIND_NAMES } from "../settings-kinds.js";
import { resolveSnapshotArgument } from "../snapshot-argument.js";
import { runSettingsRestore } from "./settings-restore.js";
import { addEwsOptions, addRepoOptions, type CommandRunner, parseDate, positiveInteger } from "./shared.js";

interface SelectionOptions {
  snapshot: string;
  group?: string;
  set?: string;
  config?: string;
  mailbox?: string;
  folder?: string[];
  item?: string[];
  subject?: string;
  from?: string;
  after?: string;
  before?: string;
  class?: string;
}

interface RestoreCommandOptions extends RepoOptions, EwsOptions, SelectionOptions {
  toMailbox?: string;
  intoFolder?: string;
  conflict: string;
  concurrency?: string;
  targetEwsUrl?: string;
  targetUsername?: string;
  targetEwsPasswordFile?: string;
  targetAuth?: "basic" | "ntlm" | "negotiate" | "bearer" | "client-credentials";
  targetDomain?: string;
  targetTokenUrl?: string;
  targetClientId?: string;
  targetTokenResource?: string;
  targetTokenScope?: string;
  targetInsecureTls?: boolean;
  targetCaFile?: string;
  targetAllowInsecureBasic?: boolean;
  dryRun?: boolean;
  /** true for a bare --settings, else the KINDS text. */
  settings?: true | string;
  mapPrincipals?: string;
  withItems?: boolean;
}

function addSelectionOptions(command: Command): Command {
  return addGroupOptions(command)
    .option(
      "--snapshot <id|latest|time>",
      "snapshot id (or prefix), 'latest', or the latest at an ISO time",
      "latest",
    )
    .option("--mailbox <smtp>", "mailbox whose snapshot is restored")
    .option("--folder <glob...>", "only these folders (path glob or distinguished name)")
    .option("--item <id...>", "only these item ids")
    .option("--subject <text>", "only items whose subject contains this")
    .option("--from <text>", "only items whose sender contains this")
    .option("--after <date>", "only items received at or after")
    .option("--before <date>", "only items received before")
    .option("--class <itemClass>", "only this item class (prefix)");
}

function searchFrom(options: SelectionOptions): ItemSearch | undefined {
  const search: ItemSearch = {
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.from ? { from: options.from } : {}),
    ...(options.after ? { receivedAfter: parseDate(options.after, "--after") } : {}),
    ...(options.before ? { receivedBefore: parseDate(options.before, "--before") } : {}),
    ...(options.class ? { itemClass: options.class } : {}),
  };
  return Object.keys(search).length === 0 ? undefined : search;
}

export function registerRestoreCommands(program: Command, run: CommandRunner): void {
  const restoreCommand = addSelectionOptions(
    addEwsOptions(
      addRepoOptions(program.command("restore").description("restore a mailbox, folders or items")),
    ),
  )
    .option("--to-mailbox <smtp>", "restore into this mailbox (default: the original one)")
    .option(
      "--into-folder <name>",
      "restore below a new top-level folder of this name instead of the original folders",
    )
    .option("--conflict <policy>", "items already present: skip | overwrite | duplicate", "skip")
    .option("--concurrency <n>", "uploads in flight", "4")
    .option("--dry-run", "only list what would be restored (settings: what would change); write nothing")
    .option(
      "--settings [kinds]",
      `restore mailbox settings instead of items: all the snapshot holds, or these (comma-separated: ${SETTINGS_KIND_NAMES})`,
    )
    .option("--with-items", "with --settings: restore the items (all, or those selected) too")
    .option(
      "--map-principals <file>",
      "with --settings: CSV of old,new SMTP addresses for users in permissions, delegates and rules (another organisation)",
    );
  addEwsOptions(restoreCommand, "target").action(
    (options: RestoreCommandOptions & { json?: boolean; quiet?: boolean }) =>
      run(options, (out) => restoreCmd(options, out)),
  );

  addSelectionOptions(
    addRepoOptions(program.command("export").description("export mail items as .eml files")),
  )
    .requiredOption("--out <dir>", "directory to write .eml files to")
    .action((options: RepoOptions & SelectionOptions & { out: string; json?: boolean; quiet?: boolean }) =>
      run(options, (out) => exportCmd(options, out)),
    );
}

async function restoreCmd(options: RestoreCommandOptions, out: Output): Promise<number> {
  if (!options.mailbox) throw new CliError("MAILBOX_REQUIRED", "--mailbox is required", ExitCode.usage);
  if (!["skip", "overwrite", "duplicate"].includes(options.conflict)) {
    throw new CliError("INVALID_ARGUMENT", "--conflict must be skip, overwrite or duplicate", ExitCode.usage);
  }
  const settings = options.settings === undefined ? undefined : parseSettingsKinds(options.settings);
  if (options.mapPrincipals !== undefined && settings === undefined)
    throw new CliError("INVALID_ARGUMENT", "--map-principals applies to --settings", ExitCode.usage);
  if (settings !== undefined && !options.withItems && hasItemSelection(options))
    throw new CliError(
      "INVALID_ARGUMENT",
      "--folder, --item and the search options select items: add --with-items to restore items with --settings",
      ExitCode.usage,
    );
  // Read and checked before the repository is opened: a bad map writes nothing, dry run or not.
  const principalMap =
    options.mapPrincipals === undefined ? undefined : await readPrincipalMapFile(options.mapPrincipals);
  const withItems = settings === undefined || options.withItems === true;
  const opened = await openRepositoryFromOptions(options);
  let target: MailboxTarget | undefined;
  // Ctrl-C: stop uploading; what was restored stays, and the same command again skips it
  // (items already present are recognised), so it resumes.
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  try {
    const snapshot = await resolveSnapshotArgument(
      opened.repository,
      options.snapshot,
      options.mailbox,
      await chosenGroup(options),
    );
    const openTarget = async () => {
      target ??= await restoreTarget(options);
      return target;
    };
    let exitCode: number = ExitCode.ok;
    if (withItems) {
      exitCode = await restoreItems(
        { ...options, mailbox: options.mailbox },
        opened.repository,
        snapshot,
        openTarget,
        abort.signal,
        out,
      );
      if (exitCode === ExitCode.interrupted) return exitCode;
    }
    if (settings !== undefined) {
      const settingsExit = await runSettingsRestore(
        {
          repository: opened.repository,
          target: await openTarget(),
          mailbox: options.mailbox,
          snapshotId: snapshot.id,
          ...(options.toMailbox ? { toMailbox: options.toMailbox } : {}),
          choice: settings,
          ...(principalMap ? { principalMap } : {}),
          dryRun: options.dryRun === true,
          signal: abort.signal,
        },
        out,
      ).catch((error: unknown) => {
        if (abort.signal.aborted) return interrupted(out);
        throw error;
      });
      if (exitCode === ExitCode.ok) exitCode = settingsExit;
    }
    return exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    await target?.close();
    await opened.close();
  }
}

function hasItemSelection(options: SelectionOptions): boolean {
  return [
    options.folder,
    options.item,
    options.subject,
    options.from,
    options.after,
    options.before,
    options.class,
  ].some((value) => value !== undefined);
}

/** The EWS target: another server (--target-...) or the backup's own. */
async function restoreTarget(options: RestoreCommandOptions) {
  if (options.targetEwsUrl === undefined) return ewsClientFromOptions(options);
  return ewsClientFromOptions(
    {
      ewsUrl: options.targetEwsUrl,
      username: options.targetUsername,
      ewsPasswordFile: options.targetEwsPasswordFile,
      auth: options.targetAuth,
      domain: options.targetDomain,
      tokenUrl: options.targetTokenUrl,
      clientId: options.targetClientId,
      tokenResource: options.targetTokenResource,
      tokenScope: options.targetTokenScope,
      insecureTls: options.targetInsecureTls,
      caFile: options.targetCaFile,
      allowInsecureBasic: options.targetAllowInsecureBasic,
    } as EwsOptions,
    "EWS_TARGET_PASSWORD",
  );
}

/** The items half of `restore`: the plan in a dry run, else the engine's restore(). */
async function restoreItems(
  options: RestoreCommandOptions & { mailbox: string },
  repository: Repository,
  snapshot: Snapshot,
  openTarget: () => Promise<MailboxTarget>,
  signal: AbortSignal,
  out: Output,
): Promise<number> {
  const search = searchFrom(options);
  const { selection, plan } = await checkedSelection(repository, snapshot, {
    ...(options.folder ? { folders: options.folder } : {}),
    ...(options.item ? { itemIds: options.item } : {}),
    ...(search ? { search } : {}),
  });
  if (options.dryRun) {
    for (const folder of plan.folders) {
      for (const item of folder.items) {
        out.event(
          "would-restore",
          { folder: folder.folder.path.join("/"), itemId: item.itemId, subject: item.subject ?? null },
          () => `${shown(folder.folder.path.join("/"))}  ${shown(item.subject ?? item.itemId)}`,
        );
      }
    }
    out.info(`${plan.items} item(s) would be restored`);
    return ExitCode.ok;
  }
  const target = await openTarget();
  try {
    const report = await restore({
      signal,
      repository,
      target,
      mailbox: options.mailbox,
      snapshot: snapshot.id,
      ...(options.toMailbox ? { toMailbox: options.toMailbox } : {}),
      ...(options.intoFolder ? { intoFolder: options.intoFolder } : {}),
      ...selection,
      conflict: options.conflict as ConflictPolicy,
      concurrency: positiveInteger(options.concurrency, "--concurrency") ?? 4,
      onEvent: (event) => {
        if (event.type === "item") {
          if (out.json) out.event("item", { ...event.item });
          else out.progress(`restoring ${bar(event.done, event.total)} ${event.done}/${event.total}`);
          if (event.item.status === "failed") {
            out.info(
              `failed ${event.item.error?.code}: ${shown(event.item.folderPath)} "${shown(event.item.subject ?? event.item.sourceItemId)}": ${shown(event.item.error?.message)}`,
            );
          }
        }
      },
    });
    out.done();
    out.event(
      "report",
      { ...report, items: out.json ? report.items : undefined } as Record<string, unknown>,
      () =>
        `restored ${report.restored}, skipped ${report.skipped} already present, failed ${report.failed}; ${report.foldersCreated} folder(s) created in ${report.toMailbox} from snapshot ${report.snapshotId.slice(0, 12)}`,
    );
    if (signal.aborted) return interrupted(out);
    return report.failed > 0 ? ExitCode.partial : ExitCode.ok;
  } catch (error) {
    if (signal.aborted) return interrupted(out);
    throw error;
  }
}

function interrupted(out: Output): number {
  out.done();
  out.info(
    "interrupted: items restored so far stay; the same restore again finishes it (with --conflict skip, the default, they are skipped)",
  );
  return ExitCode.interrupted;
}

function safeFileName(text: string): string {
  return (
    text
      .replace(/[^\p{L}\p{N} ._-]+/gu, "_")
      .trim()
      .slice(0, 80) || "item"
  );
}

async function exportCmd(
  options: RepoOptions & SelectionOptions & { out: string },
  out: Output,
): Promise<number> {
  if (!options.mailbox) throw new CliError("MAILBOX_REQUIRED", "--mailbox is required", ExitCode.usage);
  const opened = await openRepositoryFromOptions(options);
  try {
    const snapshot = await resolveSnapshotArgument(
      opened.repository,
      options.snapshot,
      options.mailbox,
      await chosenGroup(options),
    );
    const search = searchFrom({ ...options, class: options.class ?? "IPM.Note" });
    const { plan } = await checkedSelection(opened.repository, snapshot, {
      ...(options.folder ? { folders: options.folder } : {}),
      ...(options.item ? { itemIds: options.item } : {}),
      ...(search ? { search } : {}),
    });
    const selected = plan.folders.reduce((n, folder) => n + folder.items.length, 0);
    const withMime = plan.folders.reduce((n, folder) => n + folder.items.filter((i) => i.mime).length, 0);
    // Checked before the output directory is touched: nothing to export is an error, not "0 written".
    if (withMime === 0) {
      throw new CliError(
        "NOTHING_MATCHED",
        `none of the ${selected} selected item(s) has MIME in snapshot ${snapshot.id.slice(0, 12)} (back up with --capture-mime to export them)`,
      );
    }
    let written = 0;
    let withoutMime = 0;
    // Folder names come from the mailbox: only SafeOutputTree turns them into paths (safe-path.ts).
    const tree = await SafeOutputTree.open(options.out);
    for (const folder of plan.folders) {
      for (const item of folder.items) {
        if (!item.mime) {
          withoutMime++;
          continue;
        }
        const file = await tree.writeFile(
          folder.folder.path,
          `${safeFileName(item.subject ?? "")}-${item.itemId.replace(/[^A-Za-z0-9]/g, "").slice(-12)}`,
          ".eml",
          await opened.repository.loadData(item.mime.content),
          item.itemId,
        );
        written++;
        out.event("exported", { file, itemId: item.itemId }, () => file);
      }
    }
    if (withoutMime > 0) {
      out.info(
        `${withoutMime} item(s) have no MIME in this snapshot (back up with --capture-mime to export them)`,
      );
    }
    out.info(`${written} .eml file(s) written to ${options.out}`);
    return withoutMime > 0 ? ExitCode.partial : ExitCode.ok;
  } finally {
    await opened.close();
  }
}
