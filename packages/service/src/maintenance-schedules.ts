// Which maintenance jobs the config schedules: a set's `retention.prune` (prune the repository)
// and `verify` (verify it, reading back a subset of the pack data). Both are repository-wide:
// the set only names the schedule, so one set (or a few, on different days) is enough. Checked
// before the scheduler writes anything, like the sets' own schedules.
import { ServiceError } from "./errors.js";
import type { MaintenanceTask } from "./jobs.js";
import { assertValidSchedule, type ServiceSetConfig } from "./set-config.js";

export interface MaintenanceSchedule {
  readonly set: string;
  readonly task: MaintenanceTask;
  readonly cron: string;
  readonly timezone: string;
}

const SET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A verify's read-data subset as the repository takes it: a fraction in (0, 1], or "P%" with
 * 0 < P <= 100; false (structure only) when absent. Throws SERVICE_INVALID_SET otherwise.
 */
export function readDataSubsetOf(set: string, value: unknown): number | string | false {
  if (value === undefined || value === 0) return false;
  if (typeof value === "number" && value > 0 && value <= 1) return value;
  if (typeof value === "string") {
    const match = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
    const percent = Number(match?.[1]);
    if (match !== null && percent > 0 && percent <= 100) return `${match[1]}%`;
  }
  throw new ServiceError(
    "SERVICE_INVALID_SET",
    `set "${set}" verify.readDataSubset must be a fraction in (0, 1] or a percentage such as "10%"`,
    { details: { set, field: "verify.readDataSubset" } },
  );
}

/**
 * The prune and verify schedules of every set, validated (SERVICE_INVALID_CRON,
 * SERVICE_INVALID_TIMEZONE, SERVICE_INVALID_SET); the first problem is thrown.
 */
export function maintenanceSchedules(
  sets: Readonly<Record<string, ServiceSetConfig>> | undefined,
): MaintenanceSchedule[] {
  const result: MaintenanceSchedule[] = [];
  for (const [name, set] of Object.entries(sets ?? {})) {
    const wanted: Array<[MaintenanceTask, ServiceSetConfig["schedule"]]> = [
      ["prune", set.retention?.prune],
      ["verify", set.verify],
    ];
    for (const [task, schedule] of wanted) {
      if (schedule === undefined) continue;
      if (!SET_NAME.test(name))
        throw new ServiceError(
          "SERVICE_INVALID_SET",
          `set "${name}": a scheduled set's name must be 1-64 letters, digits, ".", "_" or "-"`,
          { details: { set: name } },
        );
      const where = `set "${name}" ${task === "prune" ? "retention.prune" : "verify"}`;
      assertValidSchedule(schedule, where);
      if (task === "verify") readDataSubsetOf(name, set.verify?.readDataSubset);
      result.push({ set: name, task, cron: schedule.cron.trim(), timezone: schedule.timezone ?? "UTC" });
    }
  }
  return result;
}
