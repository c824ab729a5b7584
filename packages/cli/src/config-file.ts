// The optional config file (YAML or JSON, `--config FILE` or EWSVAULT_CONFIG): defaults for the
// repository and the EWS endpoint, and named backup sets. Validated against config-schema.ts
// before any command runs; the first problem is one error naming the key and the file.
// Command-line options and environment variables win over the file (see config-defaults.ts).
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { z } from "zod";
import { type BackupSetConfig, type ConfigFile, configSchema, objectAt } from "./config-schema.js";
import { CliError, ExitCode } from "./errors.js";

export type { BackupSetConfig, ConfigFile };

/** The config file a command reads: `--config`, else EWSVAULT_CONFIG, else none. */
export function configPath(option: string | undefined): string | undefined {
  const path = option ?? process.env.EWSVAULT_CONFIG;
  return path === undefined || path === "" ? undefined : path;
}

export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new CliError(
      "CONFIG_UNREADABLE",
      `cannot read config file ${path}: ${(cause as NodeJS.ErrnoException).code}`,
      ExitCode.usage,
    );
  }
  let value: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    value = parse(text, { maxAliasCount: 50 });
  } catch (cause) {
    throw new CliError(
      "CONFIG_INVALID",
      `config file ${path} is not valid YAML/JSON: ${(cause as Error).message.split("\n")[0]}`,
      ExitCode.usage,
    );
  }
  // An empty file is an empty config, not an error.
  const result = configSchema.safeParse(value ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new CliError("CONFIG_INVALID", `config file ${path}: ${describeIssue(issue)}`, ExitCode.usage);
  }
  return result.data;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** One line per issue: the key's dotted path first, then what is wrong with it. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const at = keyPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(objectAt(issue.path)?.shape ?? {});
    return issue.keys
      .map((key) => {
        const full = at === "" ? key : `${at}.${key}`;
        const near = closest(key, known);
        return `unknown key "${full}"${near === undefined ? "" : ` (did you mean "${near}"?)`}`;
      })
      .join("; ");
  }
  if (issue.code === "invalid_value")
    return `"${at}" must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "invalid_type")
    return `"${at || "(root)"}" must be ${issue.expected === "object" ? "a mapping" : `a ${issue.expected}`}`;
  return `"${at}": ${issue.message}`;
}

/** The known key within edit distance 2 (case-insensitive), for "did you mean". */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}
