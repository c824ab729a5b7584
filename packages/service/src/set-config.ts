// What the service needs of a backup set in the config file: its mailboxes and, new here, a
// `schedule` (cron + IANA time zone), a `retention` (forget policy applied after each run) with
// `prune` on its own schedule, and `verify` (a read-data subset on a schedule). The CLI's config
// schema must accept these fields; the service validates them itself, so a scheduler refuses a
// bad set before it enqueues anything.
import { type ForgetPolicy, validateForgetPolicy } from "@ewsvault/core";
import cronParser from "cron-parser";
import picomatch from "picomatch";
import { ServiceError } from "./errors.js";

/** When a task is due: a cron expression read in an IANA time zone. */
export interface ScheduleConfig {
  /**
   * Five fields (minute hour day-of-month month day-of-week), or six with seconds first, in
   * the grammar of cron-parser 4 (the parser BullMQ's job schedulers use, so what validates
   * here is what Redis will run).
   */
  readonly cron: string;
  /** IANA zone name ("Europe/Berlin"); default "UTC". Daylight-saving shifts follow the zone. */
  readonly timezone?: string;
}

export interface RetentionConfig extends ForgetPolicy {
  /** When to prune the repository (an exclusive job); default: never by schedule. */
  readonly prune?: ScheduleConfig;
}

export interface VerifyConfig extends ScheduleConfig {
  /**
   * Share of pack data read back on each verify: a fraction 0 < x <= 1 or a percentage such as
   * "10%"; default none (structure only).
   */
  readonly readDataSubset?: number | string;
}

/** The service's view of one `sets.<name>` entry (other keys are the engine's selection). */
export interface ServiceSetConfig {
  readonly mailboxes?: readonly string[];
  /** Globs (case-insensitive) of mailboxes to leave out. */
  readonly excludeMailboxes?: readonly string[];
  readonly schedule?: ScheduleConfig;
  readonly retention?: RetentionConfig;
  readonly verify?: VerifyConfig;
  readonly [other: string]: unknown;
}

/** A set that is due on a schedule, checked and with its mailbox list resolved. */
export interface ScheduledSet {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly mailboxes: readonly string[];
  readonly retention?: ForgetPolicy;
}

const SET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws SERVICE_INVALID_TIMEZONE unless `zone` is an IANA zone Intl knows. */
export function assertValidTimezone(zone: string, where: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new ServiceError("SERVICE_INVALID_TIMEZONE", `${where}: unknown time zone "${zone}"`, {
      details: { where, timezone: zone },
    });
  }
}

/** Throws SERVICE_INVALID_CRON unless `cron` parses (and SERVICE_INVALID_TIMEZONE for its zone). */
export function assertValidSchedule(schedule: ScheduleConfig, where: string): void {
  if (schedule === null || typeof schedule !== "object" || typeof schedule.cron !== "string")
    throw new ServiceError("SERVICE_INVALID_CRON", `${where}: schedule needs a "cron" string`, {
      details: { where },
    });
  const timezone = schedule.timezone ?? "UTC";
  assertValidTimezone(timezone, where);
  const fields = schedule.cron.trim().split(/\s+/);
  // cron-parser also accepts fewer fields (filling in "*"), which would make a typo such as
  // "0 3" run every day of every month at 03:00 without complaint.
  if (fields.length < 5 || fields.length > 6)
    throw new ServiceError(
      "SERVICE_INVALID_CRON",
      `${where}: cron "${schedule.cron}" must have 5 fields (or 6 with seconds first)`,
      { details: { where, cron: schedule.cron } },
    );
  try {
    cronParser.parseExpression(schedule.cron, { tz: timezone }).next();
  } catch (cause) {
    throw new ServiceError(
      "SERVICE_INVALID_CRON",
      `${where}: cron "${schedule.cron}" is invalid: ${(cause as Error).message}`,
      { cause, details: { where, cron: schedule.cron } },
    );
  }
}

/** The set's mailboxes with its excludes applied, deduplicated, in the order given. */
export function resolveMailboxes(name: string, set: ServiceSetConfig): string[] {
  if (set.mailboxes !== undefined && !Array.isArray(set.mailboxes))
    throw new ServiceError("SERVICE_INVALID_SET", `set "${name}": mailboxes must be a list`, {
      details: { set: name },
    });
  const excluded = (set.excludeMailboxes ?? []).map((glob) => picomatch(glob, { nocase: true }));
  const seen = new Set<string>();
  const mailboxes: string[] = [];
  for (const mailbox of set.mailboxes ?? []) {
    if (typeof mailbox !== "string" || mailbox.trim() === "")
      throw new ServiceError(
        "SERVICE_INVALID_SET",
        `set "${name}": every mailbox must be a non-empty string`,
        {
          details: { set: name },
        },
      );
    const key = mailbox.toLowerCase();
    if (seen.has(key) || excluded.some((match) => match(mailbox))) continue;
    seen.add(key);
    mailboxes.push(mailbox);
  }
  return mailboxes;
}

/**
 * The sets of a config that carry a `schedule`, validated and resolved; throws the first
 * problem found (SERVICE_INVALID_CRON, SERVICE_INVALID_TIMEZONE, SERVICE_NO_MAILBOXES,
 * SERVICE_INVALID_RETENTION, SERVICE_INVALID_SET) so a scheduler enqueues nothing for a bad config.
 */
export function scheduledSets(sets: Readonly<Record<string, ServiceSetConfig>> | undefined): ScheduledSet[] {
  const result: ScheduledSet[] = [];
  for (const [name, set] of Object.entries(sets ?? {})) {
    if (set.schedule === undefined) continue;
    if (!SET_NAME.test(name))
      throw new ServiceError(
        "SERVICE_INVALID_SET",
        `set "${name}": a scheduled set's name must be 1-64 letters, digits, ".", "_" or "-"`,
        { details: { set: name } },
      );
    assertValidSchedule(set.schedule, `set "${name}" schedule`);
    if (set.verify !== undefined) assertValidSchedule(set.verify, `set "${name}" verify`);
    if (set.retention?.prune !== undefined)
      assertValidSchedule(set.retention.prune, `set "${name}" retention.prune`);
    const mailboxes = resolveMailboxes(name, set);
    if (mailboxes.length === 0)
      throw new ServiceError("SERVICE_NO_MAILBOXES", `set "${name}" names no mailbox (after its excludes)`, {
        details: { set: name },
      });
    let retention: ForgetPolicy | undefined;
    if (set.retention !== undefined) {
      const { prune: _prune, ...policy } = set.retention;
      try {
        validateForgetPolicy(policy);
      } catch (cause) {
        throw new ServiceError(
          "SERVICE_INVALID_RETENTION",
          `set "${name}" retention: ${(cause as Error).message}`,
          {
            cause,
            details: { set: name },
          },
        );
      }
      retention = policy;
    }
    result.push({
      name,
      cron: set.schedule.cron.trim(),
      timezone: set.schedule.timezone ?? "UTC",
      mailboxes,
      ...(retention === undefined ? {} : { retention }),
    });
  }
  return result;
}
