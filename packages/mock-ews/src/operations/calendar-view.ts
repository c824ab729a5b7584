// Recurring series: expansion of a recurrence into occurrences, occurrence ids (ItemIds of the
// master plus the 1-based InstanceIndex, as opaque to clients as Exchange's), OccurrenceItemId /
// RecurringMasterItemId resolution, exceptions and deleted occurrences, and FindItem's
// CalendarView (occurrences and exceptions inside the window instead of the master).
import { EwsResponseError } from "../errors.js";
import {
  MONTH_NAMES,
  type MockCalendarFields,
  type MockItemData,
  type MockOccurrenceException,
  type MockRecurrence,
} from "../model.js";
import { decodeId, itemId } from "../store/ids.js";
import type { ItemRecord } from "../store/records.js";
import { attr, children, inDocumentOrder, type XmlNode } from "../xml.js";
import { type OperationContext, resolveItem } from "./common.js";

const DAY = 86_400_000;
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Occurrences a series may have before expansion stops (a safety cap; daily for 270 years). */
const MAX_OCCURRENCES = 100_000;
const OCCURRENCE_TAG = 0x0002;

export interface Occurrence {
  /** 1-based InstanceIndex within the series. */
  readonly index: number;
  readonly originalStart: number;
  readonly start: number;
  readonly end: number;
  /** Set for an exception (a changed occurrence). */
  readonly exception?: MockOccurrenceException;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** DayOfWeekType values as a set of getUTCDay() numbers (Day, Weekday and WeekendDay included). */
function weekdaySet(days: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const d of days) {
    if (d === "Day") for (let i = 0; i < 7; i++) out.add(i);
    else if (d === "Weekday") for (let i = 1; i < 6; i++) out.add(i);
    else if (d === "WeekendDay") out.add(0).add(6);
    else if (WEEKDAYS.includes(d)) out.add(WEEKDAYS.indexOf(d));
  }
  return out;
}

const ORDINALS = ["First", "Second", "Third", "Fourth"];

/** The Nth (or last) day of `month` whose weekday is in `days` (UTC midnight ms). */
function nthWeekday(year: number, month: number, days: ReadonlySet<number>, index: string): number {
  const matching: number[] = [];
  for (let d = 1; d <= daysInMonth(year, month); d++) {
    const day = Date.UTC(year, month, d);
    if (days.has(new Date(day).getUTCDay())) matching.push(day);
  }
  return index === "Last" ? matching[matching.length - 1]! : matching[Math.max(0, ORDINALS.indexOf(index))]!;
}

/** Candidate occurrence days (UTC midnight ms) of a pattern, in order, from the range's start. */
function* patternDays(r: MockRecurrence): Generator<number> {
  const first = Date.parse(`${r.startDate}T00:00:00Z`);
  const interval = Math.max(1, r.interval || 1);
  const start = new Date(first);
  // A series with no valid start or no day to fall on has no occurrences (and must not spin).
  if (Number.isNaN(first)) return;
  const byWeekday = r.pattern === "Weekly" || r.dayOfWeekIndex !== undefined;
  if (byWeekday && r.daysOfWeek !== undefined && weekdaySet(r.daysOfWeek).size === 0) return;
  switch (r.pattern) {
    case "Daily":
      for (let day = first; ; day += interval * DAY) yield day;
    case "Weekly": {
      const wanted = weekdaySet(r.daysOfWeek ?? [WEEKDAYS[start.getUTCDay()]!]);
      const weekStart = first - start.getUTCDay() * DAY;
      for (let week = weekStart; ; week += interval * 7 * DAY) {
        for (let d = 0; d < 7; d++) if (wanted.has(d) && week + d * DAY >= first) yield week + d * DAY;
      }
    }
    case "AbsoluteMonthly":
    case "AbsoluteYearly": {
      const yearly = r.pattern === "AbsoluteYearly";
      const step = yearly ? 12 * interval : interval;
      const dayOfMonth = r.dayOfMonth ?? start.getUTCDate();
      let month = yearly
        ? Math.max(0, (MONTH_NAMES as readonly string[]).indexOf(r.month ?? ""))
        : start.getUTCMonth();
      let year = start.getUTCFullYear();
      if (yearly && month < start.getUTCMonth()) year++;
      for (;;) {
        const day =
          r.dayOfWeekIndex === undefined
            ? Date.UTC(year, month, Math.min(dayOfMonth, daysInMonth(year, month)))
            : nthWeekday(year, month, weekdaySet(r.daysOfWeek ?? ["Day"]), r.dayOfWeekIndex);
        if (Number.isNaN(day)) return; // a DayOfMonth that is no number: no occurrences
        if (day >= first) yield day;
        month += step;
        year += Math.floor(month / 12);
        month %= 12;
      }
    }
  }
}

/**
 * Every occurrence of a series up to `until` (ms, exclusive), deleted ones left out and
 * exceptions applied. Series without an end stop at `until`.
 */
export function occurrences(
  cal: MockCalendarFields,
  until: number,
  maxIndex = Number.POSITIVE_INFINITY,
): Occurrence[] {
  const r = cal.recurrence;
  if (r === undefined) return [];
  const startMs = Date.parse(cal.start);
  const timeOfDay = ((startMs % DAY) + DAY) % DAY;
  const duration = Math.max(0, Date.parse(cal.end) - startMs);
  const endDay = r.endDate === undefined ? Number.POSITIVE_INFINITY : Date.parse(`${r.endDate}T00:00:00Z`);
  const count = r.numberOfOccurrences ?? Number.POSITIVE_INFINITY;
  const deleted = new Set((cal.deletedOccurrences ?? []).map((s) => Date.parse(s)));
  const modified = new Map((cal.modifiedOccurrences ?? []).map((m) => [Date.parse(m.originalStart), m]));
  const out: Occurrence[] = [];
  // An exception may start up to a year before its original start: look that far past `until`.
  const horizon = modified.size === 0 ? until : until + 366 * DAY;
  let index = 0;
  for (const day of patternDays(r)) {
    if (day > endDay || index >= count || index >= maxIndex || index >= MAX_OCCURRENCES) break;
    const originalStart = day + timeOfDay;
    if (originalStart >= horizon) break;
    index++;
    if (deleted.has(originalStart)) continue;
    const exception = modified.get(originalStart);
    if (exception !== undefined) {
      out.push({
        index,
        originalStart,
        start: Date.parse(exception.start),
        end: Date.parse(exception.end),
        exception,
      });
    } else {
      out.push({ index, originalStart, start: originalStart, end: originalStart + duration });
    }
  }
  return out;
}

/** The occurrence with InstanceIndex `index`, including deleted ones (flagged). */
function occurrenceAt(cal: MockCalendarFields, index: number): Occurrence | "deleted" | undefined {
  const all = occurrences({ ...cal, deletedOccurrences: [] }, Number.POSITIVE_INFINITY, index);
  const found = all.find((o) => o.index === index);
  if (found === undefined) return undefined;
  const deleted = (cal.deletedOccurrences ?? []).some((s) => Date.parse(s) === found.originalStart);
  return deleted ? "deleted" : found;
}

export function occurrenceId(mailboxGuid: string, serial: number, index: number): string {
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(OCCURRENCE_TAG, 0);
  tail.writeUInt32BE(index, 2);
  return Buffer.concat([Buffer.from(itemId(mailboxGuid, serial), "base64"), tail]).toString("base64");
}

/** Splits an occurrence id into the master's id and the InstanceIndex (undefined: not one). */
export function decodeOccurrenceId(id: string): { masterId: string; index: number } | undefined {
  if (!/^[A-Za-z0-9+/]+=*$/.test(id)) return undefined;
  const buf = Buffer.from(id, "base64");
  if (buf.length !== 72 || buf.readUInt16BE(66) !== OCCURRENCE_TAG) return undefined;
  const masterId = buf.subarray(0, 66).toString("base64");
  if (decodeId(masterId)?.kind !== "item") return undefined;
  return { masterId, index: buf.readUInt32BE(68) };
}

/** An item, or one occurrence of a recurring master. */
export interface ItemTarget {
  readonly record: ItemRecord;
  readonly occurrence?: Occurrence;
}

function seriesOf(ctx: OperationContext, masterId: string): { record: ItemRecord; cal: MockCalendarFields } {
  const record = resolveItem(ctx, { "@_Id": masterId });
  const cal = ctx.store.itemData(record).calendar;
  if (cal?.recurrence === undefined)
    throw new EwsResponseError(
      "ErrorCalendarCannotUseIdForOccurrenceId",
      "The Id of a calendar item that is not a recurring master cannot be used as an occurrence's master.",
    );
  return { record, cal };
}

function occurrenceTarget(ctx: OperationContext, masterId: string, index: number): ItemTarget {
  const { record, cal } = seriesOf(ctx, masterId);
  const found = occurrenceAt(cal, index);
  if (found === undefined)
    throw new EwsResponseError(
      "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
      "The occurrence index is out of the recurrence range.",
    );
  if (found === "deleted")
    throw new EwsResponseError(
      "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
      "The occurrence has been deleted from the recurrence.",
    );
  return { record, occurrence: found };
}

/** The item ids of a request container (ItemId, OccurrenceItemId, RecurringMasterItemId) in request order. */
export function itemRefsIn(container: XmlNode | undefined): { kind: string; node: XmlNode }[] {
  if (container === undefined) return [];
  return inDocumentOrder(
    ["ItemId", "OccurrenceItemId", "RecurringMasterItemId"].flatMap((kind) =>
      children(container, kind).map((node) => ({ kind, node })),
    ),
  );
}

/** Resolves ItemId (item or occurrence id), OccurrenceItemId and RecurringMasterItemId elements. */
export function resolveTarget(ctx: OperationContext, kind: string, node: XmlNode): ItemTarget {
  if (kind === "OccurrenceItemId") {
    const master = attr(node, "RecurringMasterId") ?? "";
    const index = Number(attr(node, "InstanceIndex"));
    if (!Number.isInteger(index) || index < 1)
      throw new EwsResponseError("ErrorInvalidArgument", "InstanceIndex must be a positive integer.");
    if (decodeOccurrenceId(master) !== undefined)
      throw new EwsResponseError(
        "ErrorCalendarCannotUseIdForOccurrenceId",
        "An occurrence's id cannot be used as RecurringMasterId.",
      );
    return occurrenceTarget(ctx, master, index);
  }
  const id = attr(node, kind === "RecurringMasterItemId" ? "OccurrenceId" : "Id") ?? "";
  const occurrence = decodeOccurrenceId(id);
  if (kind === "RecurringMasterItemId") {
    if (occurrence !== undefined) return { record: seriesOf(ctx, occurrence.masterId).record };
    const record = resolveItem(ctx, { "@_Id": id });
    if (ctx.store.itemData(record).calendar?.recurrence === undefined)
      throw new EwsResponseError(
        "ErrorCalendarCannotUseIdForRecurringMasterId",
        "The Id is not the id of an occurrence or a recurring master.",
      );
    return { record };
  }
  if (occurrence !== undefined) return occurrenceTarget(ctx, occurrence.masterId, occurrence.index);
  return { record: resolveItem(ctx, node) };
}

/** The data an occurrence is served with: the master's, with its own times and overrides. */
export function occurrenceData(master: MockItemData, o: Occurrence): MockItemData {
  const cal = master.calendar!;
  const { recurrence: _r, deletedOccurrences: _d, modifiedOccurrences: _m, ...single } = cal;
  return {
    ...master,
    subject: o.exception?.subject ?? master.subject,
    calendar: {
      ...single,
      start: iso(o.start),
      end: iso(o.end),
      location: o.exception?.location ?? cal.location,
    },
  };
}

/** Stores an occurrence's changed data as an exception of the master. */
export function withException(master: MockItemData, o: Occurrence, changed: MockItemData): MockItemData {
  const cal = master.calendar!;
  const exception: MockOccurrenceException = {
    originalStart: iso(o.originalStart),
    start: changed.calendar?.start ?? iso(o.start),
    end: changed.calendar?.end ?? iso(o.end),
    ...(changed.subject === master.subject ? {} : { subject: changed.subject }),
    ...(changed.calendar?.location === cal.location ? {} : { location: changed.calendar?.location ?? "" }),
  };
  const others = (cal.modifiedOccurrences ?? []).filter(
    (m) => Date.parse(m.originalStart) !== o.originalStart,
  );
  return { ...master, calendar: { ...cal, modifiedOccurrences: [...others, exception] } };
}

/** Removes one occurrence from its series. */
export function withoutOccurrence(master: MockItemData, o: Occurrence): MockItemData {
  const cal = master.calendar!;
  return {
    ...master,
    calendar: {
      ...cal,
      deletedOccurrences: [...(cal.deletedOccurrences ?? []), iso(o.originalStart)],
      modifiedOccurrences: (cal.modifiedOccurrences ?? []).filter(
        (m) => Date.parse(m.originalStart) !== o.originalStart,
      ),
    },
  };
}

/** FindItem's CalendarView attributes; MUST throw Exchange's errors for a bad window. */
export function parseCalendarView(view: XmlNode): { start: number; end: number; max: number } {
  const start = Date.parse(attr(view, "StartDate") ?? "");
  const end = Date.parse(attr(view, "EndDate") ?? "");
  if (Number.isNaN(start) || Number.isNaN(end))
    throw new EwsResponseError("ErrorSchemaValidation", "CalendarView needs StartDate and EndDate.");
  if (end < start)
    throw new EwsResponseError(
      "ErrorCalendarEndDateIsEarlierThanStartDate",
      "EndDate is earlier than StartDate",
    );
  // Exchange refuses windows longer than two years.
  const limit = new Date(start);
  limit.setUTCFullYear(limit.getUTCFullYear() + 2);
  if (end > limit.getTime())
    throw new EwsResponseError(
      "ErrorCalendarViewRangeTooBig",
      "The specified view range exceeds the maximum range of two years.",
    );
  const maxRaw = attr(view, "MaxEntriesReturned");
  const max = maxRaw === undefined ? Number.POSITIVE_INFINITY : Number(maxRaw);
  if (!Number.isInteger(max) && max !== Number.POSITIVE_INFINITY)
    throw new EwsResponseError("ErrorInvalidArgument", "MaxEntriesReturned is invalid.");
  return { start, end, max };
}

/** The calendar items and occurrences a window shows, ordered by start (then by item). */
export function calendarWindow(
  ctx: OperationContext,
  records: readonly ItemRecord[],
  window: { start: number; end: number },
): ItemTarget[] {
  const out: ItemTarget[] = [];
  // Exchange returns items that end exactly at the window's start, too (clients rely on it).
  const overlaps = (s: number, e: number) =>
    s < window.end && e >= window.start && !(s === e && s === window.end);
  for (const record of records) {
    const cal = ctx.store.itemData(record).calendar;
    if (cal === undefined) continue;
    if (cal.recurrence === undefined) {
      if (overlaps(Date.parse(cal.start), Date.parse(cal.end))) out.push({ record });
      continue;
    }
    for (const o of occurrences(cal, window.end))
      if (overlaps(o.start, o.end)) out.push({ record, occurrence: o });
  }
  const startOf = (t: ItemTarget) =>
    t.occurrence?.start ?? Date.parse(ctx.store.itemData(t.record).calendar!.start);
  return out.sort((a, b) => startOf(a) - startOf(b) || a.record.serial - b.record.serial);
}

export { iso as isoFromMs };
