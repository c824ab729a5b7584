// GetUserAvailability (the body element is GetUserAvailabilityRequest): free/busy of each
// requested mailbox from the calendar items of its Calendar folder (recurrences expanded), as
// calendar events and/or a merged free/busy string, in the request's time zone. Detail follows
// the calendar's permissions as in Exchange: a caller who may open the mailbox sees everything;
// others get what the Default entry allows (FreeBusyTimeOnly: times only, so a Detailed request
// answers FreeBusy). Suggestions are not computed: a request for them gets an empty
// SuggestionsResponse.
import { EwsResponseError, SoapFaultError } from "../errors.js";
import { directoryOf } from "../store/directory.js";
import { folderPermissions } from "../store/folder-permissions.js";
import type { MailboxState } from "../store/records.js";
import { child, children, el, esc, text, type XmlNode } from "../xml.js";
import { parseTimeZone, type RequestTimeZone, toLocal, toUtc } from "./availability-time.js";
import { occurrences } from "./calendar-view.js";
import type { Operation, OperationContext } from "./common.js";

const MAX_MAILBOXES = 100;
const MAX_WINDOW_DAYS = 42;
const VIEWS = new Set(["None", "MergedOnly", "FreeBusy", "FreeBusyMerged", "Detailed", "DetailedMerged"]);
/** MergedFreeBusy digits: 0 free, 1 tentative, 2 busy, 3 out of office, 4 no data. */
const DIGIT: Readonly<Record<string, number>> = {
  Free: 0,
  Tentative: 1,
  Busy: 2,
  OOF: 3,
  WorkingElsewhere: 1,
};

interface Event {
  readonly start: number;
  readonly end: number;
  readonly busyType: string;
  readonly subject: string;
  readonly location: string;
  readonly isMeeting: boolean;
  readonly isRecurring: boolean;
  readonly isPrivate: boolean;
}

interface Window {
  readonly from: number;
  readonly to: number;
  readonly interval: number;
  readonly view: string;
  readonly zone: RequestTimeZone;
}

function fault(code: string, message: string): SoapFaultError {
  return new SoapFaultError(code, message);
}

function parseWindow(request: XmlNode): Window {
  const zone = parseTimeZone(child(request, "TimeZone"));
  const options = child(request, "FreeBusyViewOptions");
  const window = child(options, "TimeWindow");
  const startText = text(window, "StartTime");
  const endText = text(window, "EndTime");
  if (startText === undefined || endText === undefined)
    throw fault("ErrorInvalidTimeInterval", "The time window needs a start and an end.");
  const from = toUtc(startText, zone);
  const to = toUtc(endText, zone);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from)
    throw fault("ErrorInvalidTimeInterval", "The end of the time window must be after its start.");
  if (to - from > MAX_WINDOW_DAYS * 86_400_000)
    throw fault("ErrorTimeIntervalTooBig", `The time window is longer than ${MAX_WINDOW_DAYS} days.`);
  const interval = Number(text(options, "MergedFreeBusyIntervalInMinutes") ?? "30");
  if (!Number.isInteger(interval) || interval < 5 || interval > 1440)
    throw fault(
      "ErrorInvalidMergedFreeBusyInterval",
      "MergedFreeBusyIntervalInMinutes must be within 5..1440.",
    );
  const view = (text(options, "RequestedView") ?? "FreeBusy").trim();
  if (!VIEWS.has(view)) throw fault("ErrorInvalidFreeBusyViewType", `RequestedView ${view} is invalid.`);
  return { from, to, interval, view, zone };
}

function calendarEvents(ctx: OperationContext, mailbox: MailboxState, from: number, to: number): Event[] {
  const calendar = ctx.store.distinguishedFolder(mailbox, "calendar");
  const events: Event[] = [];
  for (const record of ctx.store.folderItems(calendar)) {
    if (record.isAssociated) continue;
    const data = ctx.store.itemData(record);
    const cal = data.calendar;
    if (cal === undefined) continue;
    // A series is expanded as CalendarView expands it (deleted occurrences left out, exceptions
    // at their own times); a single item is its own span.
    const start = Date.parse(cal.start);
    const spans =
      cal.recurrence === undefined
        ? [{ start, end: start + Math.max(0, Date.parse(cal.end) - start) }]
        : occurrences(cal, to);
    for (const span of spans) {
      if (!(span.start < to && span.end > from)) continue;
      events.push({
        start: span.start,
        end: span.end,
        busyType: cal.legacyFreeBusyStatus,
        subject: data.subject,
        location: cal.location,
        isMeeting: cal.requiredAttendees.length + cal.optionalAttendees.length > 0,
        isRecurring: cal.recurrence !== undefined,
        isPrivate: data.sensitivity === "Private",
      });
    }
  }
  return events.sort((a, b) => a.start - b.start || a.end - b.end);
}

function merged(events: readonly Event[], w: Window): string {
  const step = w.interval * 60_000;
  let out = "";
  for (let t = w.from; t < w.to; t += step) {
    let digit = 0;
    for (const e of events)
      if (e.start < t + step && e.end > t) digit = Math.max(digit, DIGIT[e.busyType] ?? 0);
    out += String(digit);
  }
  return out;
}

/** How much of a calendar the caller may read: "full", "subject" (and location) or "time". */
function detailLevel(ctx: OperationContext, mailbox: MailboxState): "full" | "subject" | "time" {
  if (ctx.mayAccess(mailbox)) return "full";
  const calendar = ctx.store.distinguishedFolder(mailbox, "calendar");
  const read = folderPermissions(calendar).find((p) => p.user.distinguished === "Default")?.readItems;
  return read === "FullDetails" ? "full" : read === "TimeAndSubjectAndLocation" ? "subject" : "time";
}

const WORKING_HOURS =
  "<t:WorkingHours><t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone><t:WorkingPeriodArray><t:WorkingPeriod><t:DayOfWeek>Monday Tuesday Wednesday Thursday Friday</t:DayOfWeek><t:StartTimeInMinutes>480</t:StartTimeInMinutes><t:EndTimeInMinutes>1020</t:EndTimeInMinutes></t:WorkingPeriod></t:WorkingPeriodArray></t:WorkingHours>";

function eventXml(e: Event, w: Window, level: "full" | "subject" | "time", detailed: boolean): string {
  let details = "";
  if (detailed && level !== "time") {
    const hidden = e.isPrivate && level !== "full";
    details =
      `<t:CalendarEventDetails>${hidden ? "" : `${el("t:Subject", e.subject)}${el("t:Location", e.location)}`}` +
      `${el("t:IsMeeting", e.isMeeting)}${el("t:IsRecurring", e.isRecurring)}${el("t:IsException", false)}` +
      `${el("t:IsReminderSet", false)}${el("t:IsPrivate", e.isPrivate)}</t:CalendarEventDetails>`;
  }
  return `<t:CalendarEvent>${el("t:StartTime", toLocal(e.start, w.zone))}${el("t:EndTime", toLocal(e.end, w.zone))}${el("t:BusyType", e.busyType)}${details}</t:CalendarEvent>`;
}

function freeBusyView(ctx: OperationContext, mailbox: MailboxState | undefined, w: Window): string {
  const events = mailbox === undefined ? [] : calendarEvents(ctx, mailbox, w.from, w.to);
  const level = mailbox === undefined ? "time" : detailLevel(ctx, mailbox);
  const wantsDetail = w.view === "Detailed" || w.view === "DetailedMerged";
  const detailed = wantsDetail && level !== "time";
  const isMerged = w.view.endsWith("Merged") || w.view === "MergedOnly";
  const viewType =
    w.view === "None" || w.view === "MergedOnly"
      ? w.view
      : `${detailed ? "Detailed" : "FreeBusy"}${isMerged ? "Merged" : ""}`;
  let body = el("t:FreeBusyViewType", viewType);
  if (isMerged) body += el("t:MergedFreeBusy", merged(events, w));
  if (w.view !== "MergedOnly" && w.view !== "None") {
    body += `<t:CalendarEventArray>${events.map((e) => eventXml(e, w, level, detailed)).join("")}</t:CalendarEventArray>${WORKING_HOURS}`;
  }
  return `<m:FreeBusyView>${body}</m:FreeBusyView>`;
}

function errorResponse(error: EwsResponseError): string {
  const xml = error.messageXml === undefined ? "" : `<m:MessageXml>${error.messageXml}</m:MessageXml>`;
  return `<m:FreeBusyResponse><m:ResponseMessage ResponseClass="Error"><m:MessageText>${esc(error.message)}</m:MessageText><m:ResponseCode>${esc(error.code)}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${xml}</m:ResponseMessage><m:FreeBusyView><t:FreeBusyViewType>None</t:FreeBusyViewType></m:FreeBusyView></m:FreeBusyResponse>`;
}

const SUGGESTIONS =
  '<m:SuggestionsResponse><m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage><m:SuggestionDayResultArray/></m:SuggestionsResponse>';

export const getUserAvailability: Operation = {
  messageName: "GetUserAvailabilityResponse",
  framing: "self",
  entries: { container: "MailboxDataArray", names: ["MailboxData"] },
  renderRequestError(error, request) {
    const count = Math.max(1, children(child(request, "MailboxDataArray"), "MailboxData").length);
    return `<m:GetUserAvailabilityResponse><m:FreeBusyResponseArray>${errorResponse(error).repeat(count)}</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>`;
  },
  run(request, ctx) {
    const list = children(child(request, "MailboxDataArray"), "MailboxData");
    if (list.length === 0) throw fault("ErrorMailboxDataArrayEmpty", "MailboxDataArray is empty.");
    if (list.length > MAX_MAILBOXES)
      throw fault("ErrorMailboxDataArrayTooBig", `At most ${MAX_MAILBOXES} mailboxes may be asked for.`);
    const wantsFreeBusy = child(request, "FreeBusyViewOptions") !== undefined;
    const wantsSuggestions = child(request, "SuggestionsViewOptions") !== undefined;
    if (!wantsFreeBusy && !wantsSuggestions)
      throw fault("ErrorInvalidRequest", "Neither FreeBusyViewOptions nor SuggestionsViewOptions was given.");
    let responses = "";
    if (wantsFreeBusy) {
      const window = parseWindow(request);
      const directory = directoryOf(ctx.store);
      for (const data of list) {
        const address = (text(child(data, "Email"), "Address") ?? "").trim();
        const mailbox = ctx.store.mailboxBySmtp(address);
        const entry = directory.get(address);
        if (
          mailbox === undefined &&
          (entry === undefined || entry.kind === "DistributionList" || entry.kind === "RoomList")
        ) {
          responses += errorResponse(
            new EwsResponseError(
              "ErrorMailRecipientNotFound",
              "No mailbox with such guid or address was found.",
            ),
          );
          continue;
        }
        // Directory-only resources (rooms, equipment without a store mailbox) have empty calendars.
        responses += `<m:FreeBusyResponse><m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage>${freeBusyView(ctx, mailbox, window)}</m:FreeBusyResponse>`;
      }
    }
    const freeBusy = wantsFreeBusy ? `<m:FreeBusyResponseArray>${responses}</m:FreeBusyResponseArray>` : "";
    return `<m:GetUserAvailabilityResponse>${freeBusy}${wantsSuggestions ? SUGGESTIONS : ""}</m:GetUserAvailabilityResponse>`;
  },
};
