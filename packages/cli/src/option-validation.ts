// Every option value is checked while the command line is parsed, before any work: a bad value
// ends the run with exit 2 and commander's message naming the option
// ("error: option '--wait <seconds>' argument '-5' is invalid. ..."). One table here classifies
// options by their long name, and applyOptionValidation() attaches the checks to every command
// with commander's own facilities (Option.choices, argParser throwing InvalidArgumentError), so a
// command file declares an option once and gets its check for free. An option the table does
// not name still refuses an empty value.
//
// Checks return the value as a string (numbers trimmed, fractions spelled as the engine reads
// them), so the commands keep reading the same option types they always did.

import { folderPatternProblem, type Selection, validateSelection } from "@ewsvault/core";
import { type Command, InvalidArgumentError, type Option } from "commander";
import { CliError, ExitCode } from "./errors.js";

/** The EWS authentication schemes `--auth` (and `--target-auth`) accept. */
export const AUTH_SCHEMES = ["basic", "ntlm", "negotiate", "bearer", "client-credentials"] as const;
export type AuthScheme = (typeof AUTH_SCHEMES)[number];

/** What restore does with an item already present in the target folder. */
export const CONFLICT_POLICIES = ["skip", "overwrite", "duplicate"] as const;

type Check = (value: string) => string;

const WHOLE = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
const MiB = 1024 * 1024;

function wholeNumber(min: number): Check {
  return (value) => {
    const text = value.trim();
    const n = Number(text);
    if (!WHOLE.test(text) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`It must be a whole number >= ${min}.`);
    return text;
  };
}

function decimalNumber(min: number, max: number, unit: string, minExclusive = false): Check {
  return (value) => {
    const text = value.trim();
    const n = Number(text);
    if (!DECIMAL.test(text) || !Number.isFinite(n) || n < min || (minExclusive && n === min) || n > max) {
      const lower = minExclusive ? `more than ${min}` : `at least ${min}`;
      throw new InvalidArgumentError(
        `It must be a number of ${unit}, ${lower}${max === Infinity ? "" : ` and at most ${max}`}.`,
      );
    }
    return text;
  };
}

const packSizeMiB: Check = (value) => {
  const text = decimalNumber(0, 1024, "MiB", true)(value);
  if (Math.round(Number(text) * MiB) < 4096)
    throw new InvalidArgumentError("A pack holds at least 4096 bytes.");
  return text;
};

/** "10%", "0.1" or "n/t"; a fraction is handed on as a percentage, which the engine reads. */
const readDataSubset: Check = (value) => {
  const text = value.trim();
  const percent = /^([0-9]+(?:\.[0-9]+)?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 0 && p <= 100) return text;
  } else if (DECIMAL.test(text)) {
    const f = Number(text);
    if (f > 0 && f <= 1) return `${f * 100}%`;
  } else {
    const part = /^([0-9]+)\/([0-9]+)$/.exec(text);
    if (part && Number(part[1]) >= 1 && Number(part[1]) <= Number(part[2])) return text;
  }
  throw new InvalidArgumentError(
    "It must be a percentage (10%), a fraction in (0, 1] or n/t with 1 <= n <= t.",
  );
};

const duration: Check = (value) => {
  const text = value.trim();
  const match = /^([0-9]+)([hdwmy])$/.exec(text);
  if (!match || Number(match[1]) < 1)
    throw new InvalidArgumentError("It must be like 12h, 7d, 4w, 6m or 1y.");
  return text;
};

const date: Check = (value) => {
  parseStrictDate(value); // throws InvalidArgumentError
  return value.trim();
};

const folderGlob: Check = (value) => {
  const problem = folderPatternProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`Not a valid pattern: ${problem}.`);
  return value;
};

/** A snapshot id, a unique id prefix (4+ hex digits), "latest", or an ISO time. */
const snapshotRef: Check = (value) => {
  const text = value.trim();
  if (text === "latest" || /^[0-9a-f]{4,64}$/.test(text)) return text;
  if (/^[0-9]{4}-/.test(text)) return date(text);
  throw new InvalidArgumentError(
    "It must be a snapshot id (or a prefix of 4+ hex digits), 'latest' or an ISO time.",
  );
};

const nonEmpty: Check = (value) => {
  if (value.trim() === "") throw new InvalidArgumentError("It must not be empty.");
  return value;
};

/** Checks by long option name; every other option that takes a value gets `nonEmpty`. */
const CHECKS: Readonly<Record<string, Check>> = {
  "mailbox-concurrency": wholeNumber(1),
  "item-concurrency": wholeNumber(1),
  concurrency: wholeNumber(1),
  "lease-seconds": wholeNumber(1),
  runs: wholeNumber(1),
  "keep-last": wholeNumber(0),
  "keep-hourly": wholeNumber(0),
  "keep-daily": wholeNumber(0),
  "keep-weekly": wholeNumber(0),
  "keep-monthly": wholeNumber(0),
  "keep-yearly": wholeNumber(0),
  "keep-within": duration,
  "pack-size": packSizeMiB,
  wait: decimalNumber(0, Infinity, "seconds"),
  "checkpoint-interval": decimalNumber(0, Infinity, "seconds", true),
  "full-sync-interval": decimalNumber(0, Infinity, "hours"),
  "read-data-subset": readDataSubset,
  after: date,
  before: date,
  "include-folder": folderGlob,
  "exclude-folder": folderGlob,
  folder: folderGlob,
  "exclude-mailbox": folderGlob,
  "include-mailbox": folderGlob,
  snapshot: snapshotRef,
};

/** Options whose value is one of a fixed list (commander's Option.choices). */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  auth: AUTH_SCHEMES,
  "target-auth": AUTH_SCHEMES,
  conflict: CONFLICT_POLICIES,
};

/** The check an option gets (for tests: every numeric-looking option must have a real one). */
export function checkKindOf(longName: string): "choices" | "specific" | "non-empty" {
  if (CHOICES[longName] !== undefined) return "choices";
  return CHECKS[longName] !== undefined ? "specific" : "non-empty";
}

function attach(option: Option): void {
  if (!option.required && !option.optional) return; // a flag: no value to check
  const name = option.long?.replace(/^--/, "") ?? "";
  const choices = CHOICES[name];
  if (choices !== undefined) {
    option.choices(choices);
    return;
  }
  const check = CHECKS[name] ?? nonEmpty;
  const previousParser = option.parseArg;
  option.argParser((value: string, previous: unknown) => {
    const checked = check(value);
    if (previousParser) return previousParser(checked, previous);
    if (!option.variadic) return checked;
    // What commander does for a variadic option without a parser: collect the values.
    return Array.isArray(previous) && previous !== option.defaultValue ? [...previous, checked] : [checked];
  });
}

/** Attaches the checks to every option of `program` and its subcommands, and the cross-option rules. */
export function applyOptionValidation(program: Command): void {
  const visit = (command: Command) => {
    for (const option of command.options) attach(option);
    // Positional arguments named like an option get the same check (`ls [snapshot]`).
    for (const argument of command.registeredArguments) {
      const check = CHECKS[argument.name()];
      if (check !== undefined && argument.parseArg === undefined)
        argument.argParser((value: string) => check(value));
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  program.hook("preAction", (_program, action) => {
    const { after, before } = action.opts<{ after?: string; before?: string }>();
    if (after !== undefined && before !== undefined && parseStrictDate(before) <= parseStrictDate(after)) {
      action.error(`error: option '--before <date>' (${before}) must be later than '--after' (${after}).`, {
        exitCode: ExitCode.usage,
        code: "commander.invalidArgument",
      });
    }
  });
}

const ISO_DATE =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/i;

/**
 * An ISO 8601 date ("2024-05-01", UTC midnight) or date-time ("2024-05-01T08:30", local time;
 * "...Z" or "...+02:00" with a zone), with every field in range: no rollover of 2024-02-30 into
 * March, none of the guesses `new Date()` makes of "1" or "May 1". Throws InvalidArgumentError.
 */
export function parseStrictDate(text: string): number {
  const match = ISO_DATE.exec(text.trim());
  if (match === null)
    throw new InvalidArgumentError("It must be an ISO 8601 date like 2024-05-01 or 2024-05-01T08:30:00Z.");
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const zoneOk =
    zone === undefined ||
    zone.toUpperCase() === "Z" ||
    (Number(zone.slice(1, 3)) <= 14 && Number(zone.slice(-2)) <= 59);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth ||
    Number(h ?? 0) > 23 ||
    Number(mi ?? 0) > 59 ||
    Number(s ?? 0) > 59 ||
    !zoneOk
  )
    throw new InvalidArgumentError(`${text.trim()} is not a date that exists.`);
  const iso =
    h === undefined
      ? `${y}-${mo}-${d}`
      : `${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${fraction === undefined ? "" : `.${fraction.slice(0, 3).padEnd(3, "0")}`}${
          zone === undefined ? "" : zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`
        }`;
  const time = new Date(iso).getTime();
  if (!Number.isFinite(time)) throw new InvalidArgumentError(`${text.trim()} is not a date that exists.`);
  return time;
}

/**
 * The engine's own check of a whole selection (patterns from a config file's backup set too),
 * as a usage error: SELECTION_INVALID, exit 2, before the repository is opened.
 */
export function assertValidSelection(selection: Selection): void {
  try {
    validateSelection(selection);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "SELECTION_INVALID") throw error;
    throw new CliError("SELECTION_INVALID", (error as Error).message, ExitCode.usage);
  }
}

/** A mailbox glob (`--exclude-mailbox`, a backup set's excludeMailboxes) checked the same way. */
export function assertValidGlob(pattern: string, where: string): void {
  const problem = folderPatternProblem(pattern);
  if (problem !== undefined)
    throw new CliError(
      "INVALID_ARGUMENT",
      `${where}: "${pattern}" is not a valid pattern: ${problem}`,
      ExitCode.usage,
    );
}
