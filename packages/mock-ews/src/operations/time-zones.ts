// GetServerTimeZones: the 45 Windows time zones of the table below, as TimeZoneDefinition elements with
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

type DstRule = "none" | "us" | "eu" | "aus" | "nz";

/** An xs:duration of a bias in minutes ("-PT5H30M"). */
function duration(minutes: number): string {
  const sign = minutes < 0 ? "-" : "";
  const abs = Math.abs(minutes);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  return `${sign}PT${h}H${m === 0 ? "" : `${m}M`}`;
}

// When each daylight saving rule starts and ends summer time, for a zone of standard `bias` minutes.
const DST_RULES: Readonly<Record<Exclude<DstRule, "none">, (bias: number) => { start: Rule; end: Rule }>> = {
  us: () => ({
    start: { month: 3, occurrence: 2, at: "PT2H" },
    end: { month: 11, occurrence: 1, at: "PT2H" },
  }),
  // The European Union changes at 01:00 UTC: local standard time then, local summer time back.
  eu: (bias) => {
    const startHour = 1 - bias / 60;
    return {
      start: { month: 3, occurrence: -1, at: `PT${startHour}H` },
      end: { month: 10, occurrence: -1, at: `PT${startHour + 1}H` },
    };
  },
  aus: () => ({
    start: { month: 10, occurrence: 1, at: "PT2H" },
    end: { month: 4, occurrence: 1, at: "PT3H" },
  }),
  nz: () => ({
    start: { month: 9, occurrence: -1, at: "PT2H" },
    end: { month: 4, occurrence: 1, at: "PT3H" },
  }),
};

function zone(id: string, name: string, bias: number, dst: DstRule): Zone {
  const standard = duration(bias);
  if (dst === "none") return { id, name, bias: standard };
  const { start, end } = DST_RULES[dst](bias);
  return { id, name, bias: standard, daylight: { bias: duration(bias - 60), start, end } };
}

// The Windows time zones most mailboxes use (id, display name, standard bias in minutes, rule).
const ZONES: readonly Zone[] = (
  [
    ["Dateline Standard Time", "(UTC-12:00) International Date Line West", 720, "none"],
    ["UTC-11", "(UTC-11:00) Coordinated Universal Time-11", 660, "none"],
    ["Hawaiian Standard Time", "(UTC-10:00) Hawaii", 600, "none"],
    ["Alaskan Standard Time", "(UTC-09:00) Alaska", 540, "us"],
    ["Pacific Standard Time", "(UTC-08:00) Pacific Time (US & Canada)", 480, "us"],
    ["US Mountain Standard Time", "(UTC-07:00) Arizona", 420, "none"],
    ["Mountain Standard Time", "(UTC-07:00) Mountain Time (US & Canada)", 420, "us"],
    ["Central America Standard Time", "(UTC-06:00) Central America", 360, "none"],
    ["Central Standard Time", "(UTC-06:00) Central Time (US & Canada)", 360, "us"],
    ["SA Pacific Standard Time", "(UTC-05:00) Bogota, Lima, Quito, Rio Branco", 300, "none"],
    ["Eastern Standard Time", "(UTC-05:00) Eastern Time (US & Canada)", 300, "us"],
    ["Atlantic Standard Time", "(UTC-04:00) Atlantic Time (Canada)", 240, "us"],
    ["E. South America Standard Time", "(UTC-03:00) Brasilia", 180, "none"],
    ["Argentina Standard Time", "(UTC-03:00) City of Buenos Aires", 180, "none"],
    ["UTC", "(UTC) Coordinated Universal Time", 0, "none"],
    ["GMT Standard Time", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", 0, "eu"],
    ["Greenwich Standard Time", "(UTC+00:00) Monrovia, Reykjavik", 0, "none"],
    ["W. Europe Standard Time", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", -60, "eu"],
    [
      "Central Europe Standard Time",
      "(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague",
      -60,
      "eu",
    ],
    ["Romance Standard Time", "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", -60, "eu"],
    ["Central European Standard Time", "(UTC+01:00) Sarajevo, Skopje, Warsaw, Zagreb", -60, "eu"],
    ["W. Central Africa Standard Time", "(UTC+01:00) West Central Africa", -60, "none"],
    ["GTB Standard Time", "(UTC+02:00) Athens, Bucharest", -120, "eu"],
    ["FLE Standard Time", "(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", -120, "eu"],
    ["E. Europe Standard Time", "(UTC+02:00) Chisinau", -120, "eu"],
    ["South Africa Standard Time", "(UTC+02:00) Harare, Pretoria", -120, "none"],
    ["Turkey Standard Time", "(UTC+03:00) Istanbul", -180, "none"],
    ["Russian Standard Time", "(UTC+03:00) Moscow, St. Petersburg", -180, "none"],
    ["Arab Standard Time", "(UTC+03:00) Kuwait, Riyadh", -180, "none"],
    ["Arabian Standard Time", "(UTC+04:00) Abu Dhabi, Muscat", -240, "none"],
    ["Pakistan Standard Time", "(UTC+05:00) Islamabad, Karachi", -300, "none"],
    ["India Standard Time", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", -330, "none"],
    ["SE Asia Standard Time", "(UTC+07:00) Bangkok, Hanoi, Jakarta", -420, "none"],
    ["China Standard Time", "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", -480, "none"],
    ["Singapore Standard Time", "(UTC+08:00) Kuala Lumpur, Singapore", -480, "none"],
    ["W. Australia Standard Time", "(UTC+08:00) Perth", -480, "none"],
    ["Taipei Standard Time", "(UTC+08:00) Taipei", -480, "none"],
    ["Tokyo Standard Time", "(UTC+09:00) Osaka, Sapporo, Tokyo", -540, "none"],
    ["Korea Standard Time", "(UTC+09:00) Seoul", -540, "none"],
    ["Cen. Australia Standard Time", "(UTC+09:30) Adelaide", -570, "aus"],
    ["AUS Central Standard Time", "(UTC+09:30) Darwin", -570, "none"],
    ["E. Australia Standard Time", "(UTC+10:00) Brisbane", -600, "none"],
    ["AUS Eastern Standard Time", "(UTC+10:00) Canberra, Melbourne, Sydney", -600, "aus"],
    ["New Zealand Standard Time", "(UTC+12:00) Auckland, Wellington", -720, "nz"],
    ["UTC+12", "(UTC+12:00) Coordinated Universal Time+12", -720, "none"],
  ] as const
).map(([id, name, bias, dst]) => zone(id, name, bias, dst));

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
