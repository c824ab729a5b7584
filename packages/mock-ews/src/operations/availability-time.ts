// Time for GetUserAvailability: the request's SerializableTimeZone (a bias and yearly standard /
// daylight rules, the Windows TIME_ZONE_INFORMATION layout) between UTC and the local times the
// request and response use. Occurrences of recurring items come from calendar-view.ts, the one
// recurrence expander.
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
