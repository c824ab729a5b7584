// What a backup run selects (roots, folders, classes, dates), from a backup set and the
// command line, in one place: `backup` records it in each snapshot, and `restore`, `ls`,
// `forget` and `snapshots` turn `--set NAME` into the snapshot group the set's runs write.
import { type Selection, selectionGroup } from "@ewsvault/core";
import type { Command } from "commander";
import { parseDate } from "./commands/shared.js";
import { configPath, loadConfigFile } from "./config-file.js";
import type { BackupSetConfig } from "./config-schema.js";
import { CliError, ExitCode } from "./errors.js";

export interface SelectionOptions {
  readonly includeFolder?: readonly string[];
  readonly excludeFolder?: readonly string[];
  readonly includeClass?: readonly string[];
  readonly excludeClass?: readonly string[];
  readonly after?: string;
  readonly before?: string;
  readonly archive?: boolean;
  readonly recoverableItems?: boolean;
  readonly publicFolders?: boolean;
}

function pick<K extends string>(
  key: K,
  value: readonly string[] | undefined,
): Partial<Record<K, readonly string[]>> {
  return value === undefined || value.length === 0 ? {} : ({ [key]: value } as Record<K, readonly string[]>);
}

export function buildSelection(options: SelectionOptions, set: Partial<BackupSetConfig>): Selection {
  const roots: NonNullable<Selection["roots"]> = [
    ...(set.roots ?? ["mailbox"]),
    ...(options.archive ? (["archive"] as const) : []),
    ...(options.recoverableItems ? (["recoverable"] as const) : []),
    ...(options.publicFolders ? (["public"] as const) : []),
  ];
  return {
    roots: [...new Set(roots)],
    ...pick("includeFolders", options.includeFolder ?? set.includeFolders),
    ...pick("excludeFolders", options.excludeFolder ?? set.excludeFolders),
    ...pick("includeItemClasses", options.includeClass ?? set.includeItemClasses),
    ...pick("excludeItemClasses", options.excludeClass ?? set.excludeItemClasses),
    ...(options.after ? { receivedAfter: parseDate(options.after, "--after") } : {}),
    ...(options.before ? { receivedBefore: parseDate(options.before, "--before") } : {}),
  };
}

/** The named set of the config file; BACKUP_SET_UNKNOWN when there is no such set (or no file). */
export async function loadBackupSet(
  configOption: string | undefined,
  name: string,
): Promise<BackupSetConfig> {
  const path = configPath(configOption);
  const config = path === undefined ? undefined : await loadConfigFile(path);
  const set = config?.sets?.[name];
  if (set === undefined)
    throw new CliError(
      "BACKUP_SET_UNKNOWN",
      `no backup set "${name}" in ${path ?? "(no --config or EWSVAULT_CONFIG)"}`,
      ExitCode.usage,
    );
  return set;
}

/** Adds `--group` and `--set` to a command that chooses snapshots. */
export function addGroupOptions(command: Command): Command {
  return command
    .option("--group <id>", "snapshot group (ids from 'snapshots'; 'any' = every group)")
    .option("--set <name>", "the snapshot group of the config file's backup set NAME");
}

/**
 * The group a command was told to use: `--group ID` (or "any"), or the group `--set NAME`'s
 * runs write; undefined when neither was given (the default group applies).
 */
export async function chosenGroup(options: {
  group?: string;
  set?: string;
  config?: string;
}): Promise<string | undefined> {
  if (options.group !== undefined && options.set !== undefined)
    throw new CliError("INVALID_ARGUMENT", "give --group or --set, not both", ExitCode.usage);
  if (options.group !== undefined) return options.group;
  if (options.set === undefined) return undefined;
  return selectionGroup(buildSelection({}, await loadBackupSet(options.config, options.set)));
}
