// The optional config file (YAML or JSON): defaults for the repository and the EWS endpoint,
// and named backup sets. Command-line options always win over the file.
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { CliError, ExitCode } from "./errors.js";

export interface BackupSetConfig {
  readonly mailboxes?: readonly string[];
  /** Globs of mailboxes to leave out. */
  readonly excludeMailboxes?: readonly string[];
  readonly includeFolders?: readonly string[];
  readonly excludeFolders?: readonly string[];
  readonly includeItemClasses?: readonly string[];
  readonly excludeItemClasses?: readonly string[];
  readonly roots?: ReadonlyArray<"mailbox" | "archive" | "recoverable" | "public">;
  readonly tags?: readonly string[];
  readonly mailboxConcurrency?: number;
  readonly itemConcurrency?: number;
  readonly captureMime?: boolean;
}

export interface ConfigFile {
  readonly repository?: string;
  readonly passwordFile?: string;
  readonly cacheDir?: string;
  readonly ews?: {
    readonly url?: string;
    readonly username?: string;
    readonly passwordFile?: string;
    readonly auth?: "basic" | "bearer" | "client-credentials";
    readonly tokenUrl?: string;
    readonly clientId?: string;
    readonly impersonation?: boolean;
    /** Same as --allow-insecure-basic: a Basic password over plain http is refused without it. */
    readonly allowInsecureBasic?: boolean;
  };
  readonly sets?: Readonly<Record<string, BackupSetConfig>>;
}

const ROOT_KEYS = new Set(["repository", "passwordFile", "cacheDir", "ews", "sets"]);

export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new CliError(
      "CONFIG_UNREADABLE",
      `cannot read config file ${path}: ${(cause as NodeJS.ErrnoException).code}`,
    );
  }
  let value: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    value = parse(text, { maxAliasCount: 50 });
  } catch (cause) {
    throw new CliError(
      "CONFIG_INVALID",
      `config file ${path} is not valid YAML/JSON: ${(cause as Error).message}`,
      ExitCode.usage,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError("CONFIG_INVALID", `config file ${path} must hold an object`, ExitCode.usage);
  }
  for (const key of Object.keys(value)) {
    if (!ROOT_KEYS.has(key))
      throw new CliError("CONFIG_INVALID", `config file ${path}: unknown key "${key}"`, ExitCode.usage);
  }
  const config = value as ConfigFile;
  for (const [name, set] of Object.entries(config.sets ?? {})) {
    if (set.mailboxes !== undefined && !Array.isArray(set.mailboxes)) {
      throw new CliError("CONFIG_INVALID", `backup set "${name}": mailboxes must be a list`, ExitCode.usage);
    }
  }
  return config;
}
