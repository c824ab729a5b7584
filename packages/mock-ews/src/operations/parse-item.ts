// Typed EWS item elements (CreateItem, UpdateItem's SetItemField) turned into MockItemData.
import { EwsResponseError } from "../errors.js";
import type {
  MockAttachment,
  MockCalendarFields,
  MockItemAttachment,
  MockItemClass,
  MockItemData,
  MockMailAddress,
  MockRecurrence,
} from "../model.js";
import { attr, boolText, child, children, text, type XmlNode, xsBoolean } from "../xml.js";
import { parseExtendedProperty, writeExtended } from "./extended-properties.js";
import { indexedFromXml } from "./indexed-properties.js";
import { applyStored, storedFromXml } from "./stored-fields.js";

const CLASS_BY_ELEMENT: Record<string, MockItemClass> = {
  Message: "IPM.Note",
  CalendarItem: "IPM.Appointment",
  Contact: "IPM.Contact",
  Task: "IPM.Task",
  PostItem: "IPM.Post",
  Item: "IPM.Note",
};

/**
 * xs:boolean elements of the item types in types.xsd. Those the model keeps are read where
 * they are used; every one is validated, so `yes` is ErrorSchemaValidation as in Exchange.
 */
const BOOLEAN_ELEMENTS = (
  "AllowNewTimeProposal AtAllMention BlockStatus CanDelete DoNotForwardMeeting HasAttachments HasBlockedImages " +
  "HasPicture HidePresenceAndProfile InviteFree IsAllDayEvent IsAssociated IsAutoUpdateDisabled IsCancelled " +
  "IsClutter IsComplete IsDeliveryReceiptRequested IsDraft IsFromMe IsHidden IsMeeting IsMessengerEnabled " +
  "IsOnlineMeeting IsOrganizer IsPendingOutbound IsPrivate IsRead IsReadReceiptRequested IsRecurring IsResend " +
  "IsResponseRequested IsSubmitted IsTeamTask IsUnmodified MeetingRequestWasSent MentionedMe MobileIMEnabled " +
  "NotInBirthdayCalendar ReminderIsSet SupportGroupFeeds UnifiedInbox"
).split(" ");

/** How deep item attachments may nest (Exchange refuses deeper ones too). */
const MAX_ATTACHMENT_DEPTH = 10;

export const ITEM_ELEMENTS = Object.keys(CLASS_BY_ELEMENT);

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function address(node: XmlNode | undefined): MockMailAddress | undefined {
  const mb = child(node, "Mailbox");
  if (mb === undefined) return undefined;
  const email = text(mb, "EmailAddress") ?? "";
  return { name: text(mb, "Name") ?? email, email };
}

export function addresses(node: XmlNode | undefined): MockMailAddress[] {
  return children(node, "Mailbox").map((mb) => {
    const email = text(mb, "EmailAddress") ?? "";
    return { name: text(mb, "Name") ?? email, email };
  });
}

export function attendees(node: XmlNode | undefined): MockMailAddress[] {
  return children(node, "Attendee")
    .map((a) => address(a))
    .filter((a): a is MockMailAddress => a !== undefined);
}

export function normalizeDate(value: string | undefined, fallback: string): string {
  if (value === undefined || value === "") return fallback;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? fallback : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function recurrence(node: XmlNode | undefined): MockRecurrence | undefined {
  if (node === undefined) return undefined;
  const patterns = [
    "DailyRecurrence",
    "WeeklyRecurrence",
    "AbsoluteMonthlyRecurrence",
    "AbsoluteYearlyRecurrence",
    "RelativeMonthlyRecurrence",
    "RelativeYearlyRecurrence",
  ] as const;
  const name = patterns.find((p) => child(node, p) !== undefined);
  if (name === undefined) return undefined;
  const p = child(node, name)!;
  const range =
    child(node, "NumberedRecurrence") ?? child(node, "EndDateRecurrence") ?? child(node, "NoEndRecurrence");
  const startDate = (text(range ?? {}, "StartDate") ?? "2024-01-01").slice(0, 10);
  const out: {
    -readonly [K in keyof MockRecurrence]: MockRecurrence[K];
  } = {
    pattern: name.replace("Recurrence", "").replace("Relative", "Absolute") as MockRecurrence["pattern"],
    interval: Number(text(p, "Interval") ?? "1"),
    startDate,
  };
  const days = text(p, "DaysOfWeek");
  if (days !== undefined) out.daysOfWeek = days.split(/\s+/).filter(Boolean);
  const dayOfMonth = text(p, "DayOfMonth");
  if (dayOfMonth !== undefined) out.dayOfMonth = Number(dayOfMonth);
  const month = text(p, "Month");
  if (month !== undefined) out.month = month;
  const index = text(p, "DayOfWeekIndex");
  if (name.startsWith("Relative"))
    out.dayOfWeekIndex = oneOf(index, ["First", "Second", "Third", "Fourth", "Last"] as const, "First");
  const count = text(range ?? {}, "NumberOfOccurrences");
  if (count !== undefined) out.numberOfOccurrences = Number(count);
  const endDate = text(range ?? {}, "EndDate");
  if (endDate !== undefined) out.endDate = endDate.slice(0, 10);
  return out;
}

function fileAttachments(node: XmlNode | undefined): MockAttachment[] {
  return children(node, "FileAttachment").map((a) => {
    const out: { -readonly [K in keyof MockAttachment]: MockAttachment[K] } = {
      name: text(a, "Name") ?? "attachment",
      contentType: text(a, "ContentType") ?? "application/octet-stream",
      isInline: boolText(a, "IsInline") === true,
      lastModifiedTime: nowIso(),
      content: new Uint8Array(Buffer.from(text(a, "Content") ?? "", "base64")),
    };
    const contentId = text(a, "ContentId");
    if (contentId !== undefined) out.contentId = contentId;
    if (boolText(a, "IsContactPhoto") === true) out.isContactPhoto = true;
    return out;
  });
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** The t:ItemAttachment elements of an Attachments container: each carries one typed item. */
export function itemAttachmentsFromXml(
  node: XmlNode | undefined,
  owner?: MockMailAddress,
  depth = 0,
): MockItemAttachment[] {
  return children(node, "ItemAttachment").map((a) => {
    const element = ITEM_ELEMENTS.find((e) => child(a, e) !== undefined);
    if (element === undefined)
      throw new EwsResponseError(
        "ErrorMissingItemForCreateItemAttachment",
        "An ItemAttachment must contain an item.",
      );
    if (depth >= MAX_ATTACHMENT_DEPTH)
      throw new EwsResponseError(
        "ErrorAttachmentNestLevelLimitExceeded",
        "Attachments are nested too deeply.",
      );
    const item = itemFromXml(element, child(a, element)!, owner, depth + 1);
    return {
      name: text(a, "Name") ?? item.subject,
      isInline: boolText(a, "IsInline") === true,
      lastModifiedTime: nowIso(),
      item,
    };
  });
}

/** A typed item element as MockItemData; fields the request leaves out get Exchange's defaults. */
export function itemFromXml(
  element: string,
  node: XmlNode,
  owner?: MockMailAddress,
  depth = 0,
): MockItemData {
  for (const name of BOOLEAN_ELEMENTS) boolText(node, name);
  const now = nowIso();
  const rawClass = text(node, "ItemClass");
  const itemClass = oneOf<MockItemClass>(
    rawClass,
    ["IPM.Note", "IPM.Appointment", "IPM.Contact", "IPM.Task", "IPM.StickyNote", "IPM.Post"],
    CLASS_BY_ELEMENT[element] ?? "IPM.Note",
  );
  const body = child(node, "Body");
  const data: { -readonly [K in keyof MockItemData]: MockItemData[K] } = {
    itemClass,
    subject: text(node, "Subject") ?? "",
    body: {
      bodyType: attr(body, "BodyType") === "HTML" ? "HTML" : "Text",
      content: body === undefined ? "" : (text(body) ?? ""),
    },
    toRecipients: addresses(child(node, "ToRecipients")),
    ccRecipients: addresses(child(node, "CcRecipients")),
    bccRecipients: addresses(child(node, "BccRecipients")),
    dateTimeReceived: normalizeDate(text(node, "DateTimeReceived"), now),
    dateTimeSent: normalizeDate(text(node, "DateTimeSent"), now),
    dateTimeCreated: normalizeDate(text(node, "DateTimeCreated"), now),
    importance: oneOf(text(node, "Importance"), ["Low", "Normal", "High"] as const, "Normal"),
    sensitivity: oneOf(
      text(node, "Sensitivity"),
      ["Normal", "Personal", "Private", "Confidential"] as const,
      "Normal",
    ),
    categories: children(child(node, "Categories"), "String").map((s) => text(s) ?? ""),
    // Items a user creates are read (Exchange sets the read flag on everything saved by its owner).
    isRead: boolText(node, "IsRead") ?? true,
    flagStatus: oneOf(
      text(child(node, "Flag") ?? {}, "FlagStatus"),
      ["NotFlagged", "Flagged", "Complete"] as const,
      "NotFlagged",
    ),
    attachments: fileAttachments(child(node, "Attachments")),
  };
  const itemAttachments = itemAttachmentsFromXml(child(node, "Attachments"), owner, depth);
  if (itemAttachments.length > 0) data.itemAttachments = itemAttachments;
  const from = address(child(node, "From"));
  if (from !== undefined) data.from = from;
  const messageId = text(node, "InternetMessageId");
  if (messageId !== undefined) data.internetMessageId = messageId;
  if (itemClass === "IPM.Appointment") {
    const start = normalizeDate(text(node, "Start"), now);
    const calendar: { -readonly [K in keyof MockCalendarFields]: MockCalendarFields[K] } = {
      start,
      end: normalizeDate(
        text(node, "End"),
        new Date(Date.parse(start) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ),
      isAllDayEvent: boolText(node, "IsAllDayEvent") === true,
      location: text(node, "Location") ?? "",
      organizer: address(child(node, "Organizer")) ?? from ?? owner ?? { name: "", email: "" },
      requiredAttendees: attendees(child(node, "RequiredAttendees")),
      optionalAttendees: attendees(child(node, "OptionalAttendees")),
      legacyFreeBusyStatus: oneOf(
        text(node, "LegacyFreeBusyStatus"),
        ["Free", "Tentative", "Busy", "OOF"] as const,
        "Busy",
      ),
    };
    const rec = recurrence(child(node, "Recurrence"));
    if (rec !== undefined) calendar.recurrence = rec;
    data.calendar = calendar;
  }
  if (itemClass === "IPM.Contact") {
    data.contact = indexedFromXml(node, {
      givenName: text(node, "GivenName") ?? "",
      surname: text(node, "Surname") ?? "",
      companyName: text(node, "CompanyName") ?? "",
      jobTitle: text(node, "JobTitle") ?? "",
      emailAddresses: [],
    });
  }
  if (itemClass === "IPM.Task") {
    const task: {
      -readonly [K in keyof NonNullable<MockItemData["task"]>]: NonNullable<MockItemData["task"]>[K];
    } = {
      status: oneOf(
        text(node, "Status"),
        ["NotStarted", "InProgress", "Completed", "WaitingOnOthers", "Deferred"] as const,
        "NotStarted",
      ),
      percentComplete: Number(text(node, "PercentComplete") ?? "0"),
    };
    const start = text(node, "StartDate");
    if (start !== undefined) task.startDate = normalizeDate(start, now);
    const due = text(node, "DueDate");
    if (due !== undefined) task.dueDate = normalizeDate(due, now);
    data.task = task;
  }
  let out: MockItemData = storedFromXml(node, data, itemClass === "IPM.Contact");
  for (const property of children(node, "ExtendedProperty").map(parseExtendedProperty))
    out = writeExtended(out, property, property.values);
  return out;
}

/**
 * Applies one SetItemField / DeleteItemField to `data`. MUST throw ErrorInvalidPropertySet for a
 * field this server cannot change.
 */
export function applyFieldUpdate(data: MockItemData, uri: string, source: XmlNode | undefined): MockItemData {
  const set = source !== undefined;
  const value = (name: string) => (source === undefined ? undefined : text(source, name));
  const stored = applyStored(data, uri, source);
  if (stored !== undefined) return stored;
  switch (uri.toLowerCase()) {
    case "item:subject":
      return { ...data, subject: value("Subject") ?? "" };
    case "message:isread":
      return { ...data, isRead: xsBoolean(value("IsRead")) === true };
    case "item:categories":
      return {
        ...data,
        categories: set ? children(child(source, "Categories"), "String").map((s) => text(s) ?? "") : [],
      };
    case "item:flag":
      return {
        ...data,
        flagStatus: set
          ? oneOf(
              text(child(source, "Flag") ?? {}, "FlagStatus"),
              ["NotFlagged", "Flagged", "Complete"] as const,
              "NotFlagged",
            )
          : "NotFlagged",
      };
    case "item:importance":
      return {
        ...data,
        importance: oneOf(value("Importance"), ["Low", "Normal", "High"] as const, "Normal"),
      };
    case "item:sensitivity":
      return {
        ...data,
        sensitivity: oneOf(
          value("Sensitivity"),
          ["Normal", "Personal", "Private", "Confidential"] as const,
          "Normal",
        ),
      };
    case "item:body": {
      const body = child(source, "Body");
      return {
        ...data,
        body: {
          bodyType: attr(body, "BodyType") === "HTML" ? "HTML" : "Text",
          content: body === undefined ? "" : (text(body) ?? ""),
        },
      };
    }
    case "calendar:isalldayevent":
      if (data.calendar === undefined) break;
      return {
        ...data,
        calendar: { ...data.calendar, isAllDayEvent: xsBoolean(value("IsAllDayEvent")) === true },
      };
    case "calendar:legacyfreebusystatus":
      if (data.calendar === undefined) break;
      return {
        ...data,
        calendar: {
          ...data.calendar,
          legacyFreeBusyStatus: oneOf(
            value("LegacyFreeBusyStatus"),
            ["Free", "Tentative", "Busy", "OOF"] as const,
            "Busy",
          ),
        },
      };
    case "calendar:recurrence": {
      if (data.calendar === undefined) break;
      const { recurrence: _old, ...rest } = data.calendar;
      const next = recurrence(child(source, "Recurrence"));
      return { ...data, calendar: next === undefined ? rest : { ...rest, recurrence: next } };
    }
    case "message:torecipients":
    case "message:ccrecipients":
    case "message:bccrecipients": {
      const element = {
        "message:torecipients": "ToRecipients",
        "message:ccrecipients": "CcRecipients",
        "message:bccrecipients": "BccRecipients",
      }[uri.toLowerCase()]!;
      const key = `${element.charAt(0).toLowerCase()}${element.slice(1)}` as "toRecipients";
      return { ...data, [key]: addresses(child(source, element)) };
    }
    case "message:from":
    case "message:sender": {
      const from = address(child(source, uri.toLowerCase() === "message:from" ? "From" : "Sender"));
      const { from: _old, ...rest } = data;
      return from === undefined ? rest : { ...rest, from };
    }
    case "calendar:location":
      if (data.calendar === undefined) break;
      return { ...data, calendar: { ...data.calendar, location: value("Location") ?? "" } };
    case "calendar:start":
      if (data.calendar === undefined) break;
      return {
        ...data,
        calendar: { ...data.calendar, start: normalizeDate(value("Start"), data.calendar.start) },
      };
    case "calendar:end":
      if (data.calendar === undefined) break;
      return { ...data, calendar: { ...data.calendar, end: normalizeDate(value("End"), data.calendar.end) } };
    case "task:status":
      if (data.task === undefined) break;
      return {
        ...data,
        task: {
          ...data.task,
          status: oneOf(
            value("Status"),
            ["NotStarted", "InProgress", "Completed", "WaitingOnOthers", "Deferred"] as const,
            "NotStarted",
          ),
        },
      };
    case "task:percentcomplete":
      if (data.task === undefined) break;
      return { ...data, task: { ...data.task, percentComplete: Number(value("PercentComplete") ?? "0") } };
    case "contacts:givenname":
    case "contacts:surname":
    case "contacts:companyname":
    case "contacts:jobtitle": {
      if (data.contact === undefined) break;
      const key = {
        "contacts:givenname": "givenName",
        "contacts:surname": "surname",
        "contacts:companyname": "companyName",
        "contacts:jobtitle": "jobTitle",
      }[uri.toLowerCase()] as "givenName";
      const element = key.charAt(0).toUpperCase() + key.slice(1);
      return { ...data, contact: { ...data.contact, [key]: value(element) ?? "" } };
    }
  }
  throw new EwsResponseError("ErrorInvalidPropertySet", `The property ${uri} cannot be set on this item.`);
}
