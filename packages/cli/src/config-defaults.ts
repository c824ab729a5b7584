// Options every command shares beyond its own: `--config` (read and validated before the
// command runs, whichever it is), and the `--...-password-command` forms next to each
// `--...-password-file`. The config file's values become option defaults, below the command
// line and the environment: command line > environment > config file > built-in default.
import type { Command } from "commander";
import { configPath, loadConfigFile } from "./config-file.js";
import type { ConfigFile } from "./config-schema.js";

interface ConfigDefault {
  /** Dotted path in the config file. */
  readonly key: string;
  /** Commander attribute name of the option it fills. */
  readonly option: string;
  /** Environment variables that, when set, win over the file's value. */
  readonly env: readonly string[];
  /** Options given together: a file's value is used only when none of them is on the command line. */
  readonly exclusiveWith?: readonly string[];
}

const REPO_PASSWORD_ENV = ["EWSVAULT_PASSWORD", "EWSVAULT_PASSWORD_FILE", "EWSVAULT_PASSWORD_COMMAND"];
const EWS_PASSWORD_ENV = ["EWS_PASSWORD", "EWS_PASSWORD_FILE", "EWS_PASSWORD_COMMAND"];
const LDAP_PASSWORD_ENV = [
  "EWSVAULT_LDAP_PASSWORD",
  "EWSVAULT_LDAP_PASSWORD_FILE",
  "EWSVAULT_LDAP_PASSWORD_COMMAND",
];

const DEFAULTS: readonly ConfigDefault[] = [
  { key: "repository", option: "repo", env: ["EWSVAULT_REPOSITORY"] },
  { key: "passwordFile", option: "passwordFile", env: REPO_PASSWORD_ENV, exclusiveWith: ["passwordCommand"] },
  {
    key: "passwordCommand",
    option: "passwordCommand",
    env: REPO_PASSWORD_ENV,
    exclusiveWith: ["passwordFile"],
  },
  { key: "cacheDir", option: "cacheDir", env: ["EWSVAULT_CACHE_DIR"] },
  { key: "ews.url", option: "ewsUrl", env: ["EWS_URL"] },
  { key: "ews.username", option: "username", env: ["EWS_USERNAME"] },
  { key: "ews.domain", option: "domain", env: ["EWS_DOMAIN"] },
  {
    key: "ews.passwordFile",
    option: "ewsPasswordFile",
    env: EWS_PASSWORD_ENV,
    exclusiveWith: ["ewsPasswordCommand"],
  },
  {
    key: "ews.passwordCommand",
    option: "ewsPasswordCommand",
    env: EWS_PASSWORD_ENV,
    exclusiveWith: ["ewsPasswordFile"],
  },
  { key: "ews.auth", option: "auth", env: [] },
  { key: "ldap.url", option: "ldapUrl", env: [] },
  { key: "ldap.base", option: "ldapBase", env: [] },
  { key: "ldap.bindDn", option: "ldapBindDn", env: [] },
  { key: "ldap.caFile", option: "ldapCaFile", env: [] },
  {
    key: "ldap.passwordFile",
    option: "ldapPasswordFile",
    env: LDAP_PASSWORD_ENV,
    exclusiveWith: ["ldapPasswordCommand"],
  },
  {
    key: "ldap.passwordCommand",
    option: "ldapPasswordCommand",
    env: LDAP_PASSWORD_ENV,
    exclusiveWith: ["ldapPasswordFile"],
  },
  { key: "ews.tokenUrl", option: "tokenUrl", env: [] },
  { key: "ews.clientId", option: "clientId", env: [] },
  { key: "ews.impersonation", option: "impersonation", env: [] },
  { key: "ews.caFile", option: "caFile", env: [] },
  { key: "ews.allowInsecureBasic", option: "allowInsecureBasic", env: [] },
];

/** Every command without subcommands, depth first. */
function leafCommands(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leafCommands);
}

function has(command: Command, long: string): boolean {
  return command.options.some((option) => option.long === long);
}

/**
 * Adds `--config` to every command and the password-command options next to the password-file
 * ones, and validates the config file before any command's action runs.
 */
export function addCommonOptions(program: Command): void {
  for (const command of leafCommands(program)) {
    if (!has(command, "--config"))
      command.option("--config <file>", "YAML/JSON config file (env EWSVAULT_CONFIG)");
    if (has(command, "--password-file") && !has(command, "--password-command"))
      command.option(
        "--password-command <command>",
        "run this command and use its output as the repository password (env EWSVAULT_PASSWORD_COMMAND)",
      );
    if (has(command, "--ews-password-file") && !has(command, "--ews-password-command"))
      command.option(
        "--ews-password-command <command>",
        "run this command and use its output as the EWS password (env EWS_PASSWORD_COMMAND)",
      );
    if (has(command, "--target-ews-password-file") && !has(command, "--target-ews-password-command"))
      command.option(
        "--target-ews-password-command <command>",
        "run this command for the target server's EWS password (env EWS_TARGET_PASSWORD_COMMAND)",
      );
  }
  program.hook("preAction", async (_program, action) => {
    const path = configPath(action.getOptionValue("config") as string | undefined);
    if (path === undefined) return;
    applyConfigDefaults(action, await loadConfigFile(path));
  });
}

function valueAt(config: ConfigFile, key: string): unknown {
  let value: unknown = config;
  for (const part of key.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Fills options the command line left unset from the config file, unless the environment sets them. */
export function applyConfigDefaults(command: Command, config: ConfigFile): void {
  const known = new Set(command.options.map((option) => option.attributeName()));
  const fromCli = (name: string) => {
    const source = command.getOptionValueSource(name);
    return source !== undefined && source !== "default";
  };
  for (const entry of DEFAULTS) {
    const value = valueAt(config, entry.key);
    if (value === undefined || !known.has(entry.option)) continue;
    if (fromCli(entry.option) || (entry.exclusiveWith ?? []).some(fromCli)) continue;
    if (entry.env.some((name) => (process.env[name] ?? "") !== "")) continue;
    command.setOptionValueWithSource(entry.option, value, "config");
  }
}
