// What `restore --settings[=KINDS]` and `ls --settings` call the settings kinds, and how a
// KINDS list becomes the engine's kinds. The short names (rules, oof, permissions, delegates,
// categories, configurations) are what an administrator types; the engine's names
// (inboxRules, folderPermissions, userConfigurations, as `ls --settings` prints them) are
// accepted too. `categories` is the one user configuration Outlook keeps its category list in.
import type { SettingsKind } from "@ewsvault/core";
import { CliError, ExitCode } from "./errors.js";

/** Short name -> engine kind (and, for categories, the configurations it is limited to). */
const KIND_NAMES: Readonly<Record<string, { kind: SettingsKind; configurations?: readonly string[] }>> = {
  rules: { kind: "inboxRules" },
  oof: { kind: "oof" },
  permissions: { kind: "folderPermissions" },
  delegates: { kind: "delegates" },
  categories: { kind: "userConfigurations", configurations: ["CategoryList"] },
  configurations: { kind: "userConfigurations" },
  inboxrules: { kind: "inboxRules" },
  folderpermissions: { kind: "folderPermissions" },
  userconfigurations: { kind: "userConfigurations" },
};

/** The names `--settings` takes, for help and errors. */
export const SETTINGS_KIND_NAMES = "rules, oof, permissions, delegates, categories, configurations";

export interface SettingsChoice {
  /** Engine kinds asked for; absent = every kind the snapshot holds (bare `--settings`). */
  readonly kinds?: readonly SettingsKind[];
  /** Only these user configurations (`categories` without `configurations`); absent = all. */
  readonly userConfigurationNames?: readonly string[];
}

/**
 * `--settings` as commander hands it over: true (bare flag) or the KINDS text.
 * MUST throw CliError INVALID_ARGUMENT (exit 2) naming the word for an unknown or empty kind.
 */
export function parseSettingsKinds(value: true | string): SettingsChoice {
  if (value === true) return {};
  const words = value.split(",").map((word) => word.trim().toLowerCase());
  if (words.some((word) => word === "all")) {
    if (words.length > 1) throw usage(`--settings all cannot be combined with other kinds`);
    return {};
  }
  const kinds = new Set<SettingsKind>();
  let wholeConfigurations = false;
  const configurationNames = new Set<string>();
  for (const word of words) {
    const entry = KIND_NAMES[word];
    if (entry === undefined)
      throw usage(
        word === ""
          ? `--settings has an empty kind in "${value}"`
          : `--settings: unknown kind "${word}"; kinds are ${SETTINGS_KIND_NAMES} (or all)`,
      );
    kinds.add(entry.kind);
    if (entry.kind !== "userConfigurations") continue;
    if (entry.configurations === undefined) wholeConfigurations = true;
    else for (const name of entry.configurations) configurationNames.add(name);
  }
  return {
    kinds: [...kinds],
    ...(configurationNames.size > 0 && !wholeConfigurations
      ? { userConfigurationNames: [...configurationNames] }
      : {}),
  };
}

function usage(message: string): CliError {
  return new CliError("INVALID_ARGUMENT", message, ExitCode.usage);
}
