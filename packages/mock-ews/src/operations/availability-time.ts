// Time for GetUserAvailability: the request's SerializableTimeZone (a bias and yearly standard /
// daylight rules, the Windows TIME_ZONE_INFORMATION layout) between UTC and the local times the
// request and response use, and the occurrences of a calendar item within a window.
import type { MockRecurrence } from "../model.js";
import { child, text, type XmlNode } from "../xml.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

interface ZoneRule {
  readonly bias: number;
  readonly month: number;
  /** 1..4, 5 = last. */
  readonly dayOrder: number;
  readonly dayOfWeek: number;
  readonly minutes: number;
}

export interface RequestTimeZone {
  /** Minutes east of UTC at `utcMs` (local = UTC + offset). */
  offsetAt(utcMs: number): number;
}

function parseRule(node: XmlNode | undefined): ZoneRule | undefined {
  if (node === undefined) return undefined;
  const month = Number(text(node, "Month") ?? "0");
  const [h, m] = (text(node, "Time") ?? "00:00:00").split(":").map(Number);
  return {
    bias: Number(text(node, "Bias") ?? "0"),
    month,
    dayOrder: Number(text(node, "DayOrder") ?? "1"),
    dayOfWeek: Math.max(0, DAYS.indexOf((text(node, "DayOfWeek") ?? "Sunday").trim())),
    minutes: (h ?? 0) * 60 + (m ?? 0),
  };
}

/** The local wall-clock ms (as if UTC) of a rule's change in `year`. */
function ruleInstant(rule: ZoneRule, year: number): number {
  if (rule.dayOrder >= 5) {
    const last = new Date(Date.UTC(year, rule.month, 0));
    const back = (last.getUTCDay() - rule.dayOfWeek + 7) % 7;
    return Date.UTC(year, rule.month - 1, last.getUTCDate() - back) + rule.minutes * 60_000;
  }
  const first = new Date(Date.UTC(year, rule.month - 1, 1));
  const ahead = (rule.dayOfWeek - first.getUTCDay() + 7) % 7;
  return Date.UTC(year, rule.month - 1, 1 + ahead + (rule.dayOrder - 1) * 7) + rule.minutes * 60_000;
}

/** The request's time zone; UTC when the request names none. */
export function parseTimeZone(node: XmlNode | undefined): RequestTimeZone {
  if (node === undefined) return { offsetAt: () => 0 };
  const bias = Number(text(node, "Bias") ?? "0");
  const standard = parseRule(child(node, "StandardTime"));
  const daylight = parseRule(child(node, "DaylightTime"));
  if (standard === undefined || daylight === undefined || standard.month === 0 || daylight.month === 0) {
    return { offsetAt: () => -(bias + (standard?.bias ?? 0)) };
  }
  return {
    offsetAt(utcMs) {
      const year = new Date(utcMs).getUTCFullYear();
      const standardLocal = utcMs - (bias + standard.bias) * 60_000;
      const start = ruleInstant(daylight, year);
      const end = ruleInstant(standard, year);
      const inDaylight =
        start < end
          ? standardLocal >= start && standardLocal < end
          : standardLocal >= start || standardLocal < end;
      return -(bias + (inDaylight ? daylight.bias : standard.bias));
    },
  };
}

/** A request dateTime to UTC ms: an unqualified time is local to `zone`, as in Exchange. */
export function toUtc(value: string, zone: RequestTimeZone): number {
  const trimmed = value.trim();
  if (/(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) return Date.parse(trimmed);
  const wall = Date.parse(`${trimmed}Z`);
  return wall - zone.offsetAt(wall - zone.offsetAt(wall) * 60_000) * 60_000;
}

/** UTC ms as the unqualified local dateTime of the response. */
export function toLocal(utcMs: number, zone: RequestTimeZone): string {
  return new Date(utcMs + zone.offsetAt(utcMs) * 60_000).toISOString().replace(/\.\d{3}Z$/, "");
}

const MAX_OCCURRENCES = 5000;

/**
 * Start times (UTC ms) of an item's occurrences that may overlap [from, to): the item itself, or
 * every occurrence of its recurrence (Daily, Weekly, AbsoluteMonthly, AbsoluteYearly patterns;
 * numbered, end-dated or endless ranges), each at the master's time of day.
 */
export function occurrenceStarts(
  startMs: number,
  durationMs: number,
  recurrence: MockRecurrence | undefined,
  from: number,
  to: number,
): number[] {
  if (recurrence === undefined) return startMs < to && startMs + durationMs > from ? [startMs] : [];
  const timeOfDay =
    startMs -
    Date.UTC(
      new Date(startMs).getUTCFullYear(),
      new Date(startMs).getUTCMonth(),
      new Date(startMs).getUTCDate(),
    );
  const rangeStart = Date.parse(`${recurrence.startDate.slice(0, 10)}T00:00:00Z`);
  const rangeEnd =
    recurrence.endDate === undefined
      ? Number.POSITIVE_INFINITY
      : Date.parse(`${recurrence.endDate.slice(0, 10)}T23:59:59Z`);
  const limit = recurrence.numberOfOccurrences ?? Number.POSITIVE_INFINITY;
  const interval = Math.max(1, recurrence.interval);
  const out: number[] = [];
  let count = 0;
  const day = 86_400_000;
  for (
    let d = rangeStart, i = 0;
    d <= rangeEnd && d < to && count < limit && i < MAX_OCCURRENCES * 40;
    d += day, i++
  ) {
    const date = new Date(d);
    const daysSince = Math.round((d - rangeStart) / day);
    let hit: boolean;
    switch (recurrence.pattern) {
      case "Daily":
        hit = daysSince % interval === 0;
        break;
      case "Weekly": {
        const days = recurrence.daysOfWeek ?? [DAYS[new Date(rangeStart).getUTCDay()]!];
        const week = Math.floor((daysSince + new Date(rangeStart).getUTCDay()) / 7);
        hit = week % interval === 0 && days.includes(DAYS[date.getUTCDay()]!);
        break;
      }
      case "AbsoluteMonthly": {
        const months =
          (date.getUTCFullYear() - new Date(rangeStart).getUTCFullYear()) * 12 +
          date.getUTCMonth() -
          new Date(rangeStart).getUTCMonth();
        hit =
          months % interval === 0 &&
          date.getUTCDate() === (recurrence.dayOfMonth ?? new Date(rangeStart).getUTCDate());
        break;
      }
      case "AbsoluteYearly": {
        const month =
          recurrence.month === undefined
            ? new Date(rangeStart).getUTCMonth()
            : new Date(`${recurrence.month} 1, 2000`).getMonth();
        hit = date.getUTCMonth() === month && date.getUTCDate() === (recurrence.dayOfMonth ?? 1);
        break;
      }
    }
    if (!hit) continue;
    count++;
    const start = d + timeOfDay;
    if (start < to && start + durationMs > from) out.push(start);
  }
  return out;
}
