// CalendarItem properties in CalendarItemType's xs:sequence order, with the recurrence XML.
import type { MockRecurrence } from "../model.js";
import { el } from "../xml.js";
import { attendees, isoSeconds, mailbox, type Prop, type PropContext, SERIES_PARTS } from "./render-base.js";

export function recurrenceXml(r: MockRecurrence): string {
  let pattern: string;
  const relative =
    r.dayOfWeekIndex === undefined
      ? undefined
      : `${el("t:DaysOfWeek", (r.daysOfWeek ?? ["Day"]).join(" "))}${el("t:DayOfWeekIndex", r.dayOfWeekIndex)}`;
  switch (r.pattern) {
    case "Daily":
      pattern = `<t:DailyRecurrence>${el("t:Interval", r.interval)}</t:DailyRecurrence>`;
      break;
    case "Weekly":
      pattern = `<t:WeeklyRecurrence>${el("t:Interval", r.interval)}${el("t:DaysOfWeek", (r.daysOfWeek ?? ["Monday"]).join(" "))}</t:WeeklyRecurrence>`;
      break;
    case "AbsoluteMonthly":
      if (relative !== undefined) {
        pattern = `<t:RelativeMonthlyRecurrence>${el("t:Interval", r.interval)}${relative}</t:RelativeMonthlyRecurrence>`;
        break;
      }
      pattern = `<t:AbsoluteMonthlyRecurrence>${el("t:Interval", r.interval)}${el("t:DayOfMonth", r.dayOfMonth ?? 1)}</t:AbsoluteMonthlyRecurrence>`;
      break;
    case "AbsoluteYearly":
      if (relative !== undefined) {
        pattern = `<t:RelativeYearlyRecurrence>${relative}${el("t:Month", r.month ?? "January")}</t:RelativeYearlyRecurrence>`;
        break;
      }
      pattern = `<t:AbsoluteYearlyRecurrence>${el("t:DayOfMonth", r.dayOfMonth ?? 1)}${el("t:Month", r.month ?? "January")}</t:AbsoluteYearlyRecurrence>`;
      break;
  }
  let range: string;
  if (r.numberOfOccurrences !== undefined) {
    range = `<t:NumberedRecurrence>${el("t:StartDate", r.startDate)}${el("t:NumberOfOccurrences", r.numberOfOccurrences)}</t:NumberedRecurrence>`;
  } else if (r.endDate !== undefined) {
    range = `<t:EndDateRecurrence>${el("t:StartDate", r.startDate)}${el("t:EndDate", r.endDate)}</t:EndDateRecurrence>`;
  } else {
    range = `<t:NoEndRecurrence>${el("t:StartDate", r.startDate)}</t:NoEndRecurrence>`;
  }
  return `<t:Recurrence>${pattern}${range}</t:Recurrence>`;
}

export function isoDuration(startIso: string, endIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(endIso) - Date.parse(startIso)) / 1000));
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `P${d > 0 ? `${d}D` : ""}T${h}H${m}M${s}S`;
}

export const CALENDAR: Prop[] = [
  {
    uri: "calendar:uid",
    def: false,
    render: (c) => el("t:UID", Buffer.from(c.store.searchKey(c.record)).toString("hex").toUpperCase()),
  },
  {
    uri: "calendar:recurrenceid",
    def: false,
    render: (c) => (c.occurrence === undefined ? "" : el("t:RecurrenceId", c.occurrence.originalStart)),
  },
  {
    uri: "calendar:start",
    def: true,
    render: (c) => (c.data.calendar ? el("t:Start", isoSeconds(c.data.calendar.start)) : ""),
  },
  {
    uri: "calendar:end",
    def: true,
    render: (c) => (c.data.calendar ? el("t:End", isoSeconds(c.data.calendar.end)) : ""),
  },
  {
    uri: "calendar:originalstart",
    def: false,
    render: (c) => (c.occurrence === undefined ? "" : el("t:OriginalStart", c.occurrence.originalStart)),
  },
  {
    uri: "calendar:isalldayevent",
    def: false,
    render: (c) => (c.data.calendar ? el("t:IsAllDayEvent", c.data.calendar.isAllDayEvent) : ""),
  },
  {
    uri: "calendar:legacyfreebusystatus",
    def: true,
    render: (c) =>
      c.data.calendar ? el("t:LegacyFreeBusyStatus", c.data.calendar.legacyFreeBusyStatus) : "",
  },
  {
    uri: "calendar:location",
    def: true,
    render: (c) => (c.data.calendar ? el("t:Location", c.data.calendar.location) : ""),
  },
  {
    uri: "calendar:ismeeting",
    def: false,
    render: (c) =>
      c.data.calendar
        ? el(
            "t:IsMeeting",
            c.data.calendar.requiredAttendees.length + c.data.calendar.optionalAttendees.length > 0,
          )
        : "",
  },
  { uri: "calendar:iscancelled", def: false, render: () => el("t:IsCancelled", false) },
  {
    uri: "calendar:isrecurring",
    def: false,
    // Exchange: true for occurrences and exceptions, false for masters and single items.
    render: (c) => el("t:IsRecurring", c.occurrence !== undefined),
  },
  {
    uri: "calendar:calendaritemtype",
    def: true,
    render: (c) =>
      el(
        "t:CalendarItemType",
        c.occurrence?.type ?? (c.data.calendar?.recurrence === undefined ? "Single" : "RecurringMaster"),
      ),
  },
  { uri: "calendar:myresponsetype", def: false, render: () => el("t:MyResponseType", "Organizer") },
  {
    uri: "calendar:organizer",
    def: true,
    render: (c) =>
      c.data.calendar ? `<t:Organizer>${mailbox(c.data.calendar.organizer)}</t:Organizer>` : "",
  },
  {
    uri: "calendar:requiredattendees",
    def: false,
    render: (c) => (c.data.calendar ? attendees("RequiredAttendees", c.data.calendar.requiredAttendees) : ""),
  },
  {
    uri: "calendar:optionalattendees",
    def: false,
    render: (c) => (c.data.calendar ? attendees("OptionalAttendees", c.data.calendar.optionalAttendees) : ""),
  },
  {
    uri: "calendar:duration",
    def: false,
    render: (c) =>
      c.data.calendar ? el("t:Duration", isoDuration(c.data.calendar.start, c.data.calendar.end)) : "",
  },
  {
    uri: "calendar:recurrence",
    def: false,
    render: (c) => (c.data.calendar?.recurrence ? recurrenceXml(c.data.calendar.recurrence) : ""),
  },
  // FirstOccurrence, LastOccurrence, ModifiedOccurrences, DeletedOccurrences (masters only).
  ...SERIES_PARTS.map((part) => ({
    uri: `calendar:${part.toLowerCase()}`,
    def: false,
    render: (c: PropContext) => (c.data.calendar?.recurrence && c.seriesXml ? c.seriesXml(part) : ""),
  })),
];
