// GetServerTimeZones: the Windows time zones the mock knows, as TimeZoneDefinition elements with
// Exchange's period ids (trule:Microsoft/Registry/<zone>/<year>-<Standard|Daylight>), one
// transition group of yearly RecurringDayTransitions for zones with daylight saving time.
import { EwsResponseError } from "../errors.js";
import { boolAttr, child, children, esc, text } from "../xml.js";
import { type Operation, perEntry, successMessage } from "./common.js";

interface Rule {
  readonly month: number;
  /** 1..4 for the first..fourth week, -1 for the last. */
  readonly occurrence: number;
  /** Local time of the change, e.g. "PT2H". */
  readonly at: string;
}

interface Zone {
  readonly id: string;
  readonly name: string;
  /** Standard bias as an xs:duration (UTC = local + bias). */
  readonly bias: string;
  readonly daylight?: { readonly bias: string; readonly start: Rule; readonly end: Rule };
}

const ZONES: readonly Zone[] = [
  { id: "UTC", name: "(UTC) Coordinated Universal Time", bias: "PT0H" },
  {
    id: "GMT Standard Time",
    name: "(UTC+00:00) Dublin, Edinburgh, Lisbon, London",
    bias: "PT0H",
    daylight: {
      bias: "-PT1H",
      start: { month: 3, occurrence: -1, at: "PT1H" },
      end: { month: 10, occurrence: -1, at: "PT2H" },
    },
  },
  {
    id: "W. Europe Standard Time",
    name: "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
    bias: "-PT1H",
    daylight: {
      bias: "-PT2H",
      start: { month: 3, occurrence: -1, at: "PT2H" },
      end: { month: 10, occurrence: -1, at: "PT3H" },
    },
  },
  {
    id: "Eastern Standard Time",
    name: "(UTC-05:00) Eastern Time (US & Canada)",
    bias: "PT5H",
    daylight: {
      bias: "PT4H",
      start: { month: 3, occurrence: 2, at: "PT2H" },
      end: { month: 11, occurrence: 1, at: "PT2H" },
    },
  },
  {
    id: "Pacific Standard Time",
    name: "(UTC-08:00) Pacific Time (US & Canada)",
    bias: "PT8H",
    daylight: {
      bias: "PT7H",
      start: { month: 3, occurrence: 2, at: "PT2H" },
      end: { month: 11, occurrence: 1, at: "PT2H" },
    },
  },
  { id: "Tokyo Standard Time", name: "(UTC+09:00) Osaka, Sapporo, Tokyo", bias: "-PT9H" },
];

function periodId(zone: Zone, kind: "Standard" | "Daylight"): string {
  return `trule:Microsoft/Registry/${zone.id}/2006-${kind}`;
}

function transition(target: string, rule: Rule): string {
  return `<t:RecurringDayTransition><t:To Kind="Period">${esc(target)}</t:To><t:TimeOffset>${rule.at}</t:TimeOffset><t:Month>${rule.month}</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek><t:Occurrence>${rule.occurrence}</t:Occurrence></t:RecurringDayTransition>`;
}

function definition(zone: Zone, full: boolean): string {
  const head = `<t:TimeZoneDefinition Id="${esc(zone.id)}" Name="${esc(zone.name)}"`;
  if (!full) return `${head}/>`;
  const standard = `<t:Period Bias="${zone.bias}" Name="Standard" Id="${esc(periodId(zone, "Standard"))}"/>`;
  if (zone.daylight === undefined) {
    return `${head}><t:Periods>${standard}</t:Periods><t:TransitionsGroups><t:TransitionsGroup Id="0"><t:Transition><t:To Kind="Period">${esc(periodId(zone, "Standard"))}</t:To></t:Transition></t:TransitionsGroup></t:TransitionsGroups><t:Transitions><t:Transition><t:To Kind="Group">0</t:To></t:Transition></t:Transitions></t:TimeZoneDefinition>`;
  }
  const daylight = `<t:Period Bias="${zone.daylight.bias}" Name="Daylight" Id="${esc(periodId(zone, "Daylight"))}"/>`;
  return `${head}><t:Periods>${standard}${daylight}</t:Periods><t:TransitionsGroups><t:TransitionsGroup Id="0">${transition(periodId(zone, "Daylight"), zone.daylight.start)}${transition(periodId(zone, "Standard"), zone.daylight.end)}</t:TransitionsGroup></t:TransitionsGroups><t:Transitions><t:Transition><t:To Kind="Group">0</t:To></t:Transition></t:Transitions></t:TimeZoneDefinition>`;
}

/**
 * GetServerTimeZones: every known zone, or those named in Ids (an unknown id is ErrorTimeZone,
 * as Exchange answers); ReturnFullTimeZoneData="false" leaves only Id and Name.
 */
export const getServerTimeZones: Operation = {
  messageName: "GetServerTimeZonesResponseMessage",
  errorTail: "<m:TimeZoneDefinitions/>",
  run(request, ctx) {
    void ctx;
    const full = boolAttr(request, "ReturnFullTimeZoneData") ?? true;
    const ids = children(child(request, "Ids"), "Id").map((node) => (text(node) ?? "").trim());
    return perEntry(this, [ids], (wanted) => {
      const zones = wanted.length === 0 ? ZONES : wanted.map((id) => ZONES.find((z) => z.id === id));
      if (zones.some((z) => z === undefined))
        throw new EwsResponseError("ErrorTimeZone", "The time zone is not known to the server.");
      return successMessage(
        this.messageName,
        `<m:TimeZoneDefinitions>${(zones as Zone[]).map((z) => definition(z, full)).join("")}</m:TimeZoneDefinitions>`,
      );
    });
  },
};
