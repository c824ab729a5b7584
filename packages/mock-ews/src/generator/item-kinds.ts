// One maker per generated item kind (message, appointment, contact, task, sticky note) and the
// dispatch from a folder to the kind of item it holds.
import type {
  MockAttachment,
  MockCalendarFields,
  MockContactFields,
  MockFolderSpec,
  MockItemData,
  MockMailAddress,
  MockRecurrence,
  MockTaskFields,
} from "../model.js";
import { isoSeconds } from "./attachment-pool.js";
import {
  commonFlags,
  content,
  correspondent,
  EPOCH_END,
  FIXED_BYTES,
  hex,
  type ItemContext,
  itemClassFor,
  itemDates,
  ownerAddress,
  poolAttachment,
  RECIPIENT_BYTES,
  recipients,
  targetSize,
  YEAR_MS,
} from "./item-parts.js";
import type { Prng } from "./prng.js";
import {
  COMPANIES,
  displayName,
  EXTERNAL_DOMAINS,
  JOB_TITLES,
  LOCATIONS,
  MEETING_SUBJECTS,
  MONTHS,
  mailSubject,
  paragraphs,
  pickPerson,
  TASK_SUBJECTS,
  templateText,
} from "./text.js";

/** The fields of an item nobody sent (contact, task, note): no recipients, every date its creation. */
export function unsent(created: string) {
  return {
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: created,
    dateTimeSent: created,
    dateTimeCreated: created,
  };
}

export function makeItem(
  ctx: ItemContext,
  rng: Prng,
  folder: MockFolderSpec,
  mailboxIndex: number,
): MockItemData {
  const itemClass = itemClassFor(folder, rng);
  switch (itemClass) {
    case "IPM.Note":
    case "IPM.Post":
      return makeMessage(ctx, rng, folder, mailboxIndex, itemClass);
    case "IPM.Appointment":
      return makeAppointment(ctx, rng, mailboxIndex);
    case "IPM.Contact":
      return makeContact(ctx, rng);
    case "IPM.Task":
      return makeTask(ctx, rng, mailboxIndex);
    case "IPM.StickyNote":
      return makeStickyNote(rng);
  }
}

function makeMessage(
  ctx: ItemContext,
  rng: Prng,
  folder: MockFolderSpec,
  mailboxIndex: number,
  itemClass: "IPM.Note" | "IPM.Post",
): MockItemData {
  const me = ownerAddress(ctx, mailboxIndex, rng);
  const outgoing =
    folder.distinguishedName === "sentitems" ||
    folder.distinguishedName === "drafts" ||
    folder.distinguishedName === "outbox";
  const from = itemClass === "IPM.Post" || !outgoing ? correspondent(ctx, rng, mailboxIndex) : me;
  let size = targetSize(ctx, rng);
  const flags = commonFlags(rng);
  const replyRoll = rng.float();
  const prefix = replyRoll < 0.3 ? "RE: " : replyRoll < 0.4 ? "FW: " : "";
  const subject = prefix + mailSubject(rng);

  let toRecipients: MockMailAddress[] = [];
  let ccRecipients: MockMailAddress[] = [];
  let bccRecipients: MockMailAddress[] = [];
  if (itemClass === "IPM.Note") {
    if (rng.chance(0.02)) {
      // An expanded distribution list: hundreds of recipients in To and Cc.
      toRecipients = recipients(ctx, rng, mailboxIndex, rng.int(50, 400));
      ccRecipients = recipients(ctx, rng, mailboxIndex, rng.int(0, 100));
    } else {
      toRecipients = outgoing ? recipients(ctx, rng, mailboxIndex, rng.int(1, 4)) : [me];
      if (!outgoing && rng.chance(0.3))
        toRecipients.push(...recipients(ctx, rng, mailboxIndex, rng.int(1, 5)));
      if (rng.chance(0.3)) ccRecipients = recipients(ctx, rng, mailboxIndex, rng.int(1, 6));
    }
    if (outgoing && rng.chance(0.1)) bccRecipients = recipients(ctx, rng, mailboxIndex, rng.int(1, 3));
  }
  const headerBytes =
    FIXED_BYTES + RECIPIENT_BYTES * (toRecipients.length + ccRecipients.length + bccRecipients.length);
  size = Math.max(400, size - headerBytes);

  const { body, attachments } = content(ctx, rng, size, from, subject, {
    html: rng.chance(0.7),
    allowAttachments: true,
    quote: prefix !== "",
  });
  const dates = itemDates(rng, outgoing);
  const senderDomain = from.email.slice(from.email.indexOf("@") + 1);
  return {
    itemClass,
    subject,
    body,
    from,
    toRecipients,
    ccRecipients,
    bccRecipients,
    dateTimeReceived: dates.received,
    dateTimeSent: dates.sent,
    dateTimeCreated: dates.created,
    ...flags,
    isRead: outgoing ? true : flags.isRead,
    internetMessageId: `<${hex(rng, 2)}.${hex(rng, 1)}@${senderDomain}>`,
    attachments,
  };
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

function recurrence(rng: Prng, start: Date): MockRecurrence {
  const startDate = start.toISOString().slice(0, 10);
  const patternRoll = rng.float();
  const end: { numberOfOccurrences?: number; endDate?: string } = {};
  const endRoll = rng.float();
  if (endRoll < 0.4) end.numberOfOccurrences = rng.int(2, 52);
  else if (endRoll < 0.8)
    end.endDate = new Date(start.getTime() + rng.int(30, 730) * 86400000).toISOString().slice(0, 10);
  if (patternRoll < 0.2) return { pattern: "Daily", interval: rng.int(1, 3), startDate, ...end };
  if (patternRoll < 0.7) {
    const days = new Set<string>([WEEKDAYS[start.getUTCDay()]!]);
    if (rng.chance(0.3)) days.add(rng.pick(WEEKDAYS.slice(1, 6)));
    const daysOfWeek = WEEKDAYS.filter((d) => days.has(d));
    return { pattern: "Weekly", interval: rng.int(1, 2), daysOfWeek, startDate, ...end };
  }
  if (patternRoll < 0.9) {
    return {
      pattern: "AbsoluteMonthly",
      interval: rng.int(1, 3),
      dayOfMonth: start.getUTCDate(),
      startDate,
      ...end,
    };
  }
  return {
    pattern: "AbsoluteYearly",
    interval: 1,
    dayOfMonth: start.getUTCDate(),
    month: MONTHS[start.getUTCMonth()]!,
    startDate,
    ...end,
  };
}

function makeAppointment(ctx: ItemContext, rng: Prng, mailboxIndex: number): MockItemData {
  const me = ownerAddress(ctx, mailboxIndex, rng);
  const organizer = rng.chance(0.5) ? me : correspondent(ctx, rng, mailboxIndex);
  const allDay = rng.chance(0.1);
  const day = Math.floor((EPOCH_END - YEAR_MS * 2 + rng.float() * YEAR_MS * 2.5) / 86400000) * 86400000;
  const startMs = allDay ? day : day + rng.int(14, 36) * 30 * 60 * 1000;
  const endMs = allDay ? startMs + 86400000 : startMs + rng.pick([30, 30, 60, 60, 90, 120]) * 60 * 1000;
  const allHands = rng.chance(0.03);
  const requiredAttendees = recipients(ctx, rng, mailboxIndex, allHands ? rng.int(100, 300) : rng.int(0, 8));
  const optionalAttendees = recipients(ctx, rng, mailboxIndex, rng.chance(0.3) ? rng.int(1, 4) : 0);
  const start = new Date(startMs);
  const calendar: MockCalendarFields = {
    start: isoSeconds(startMs),
    end: isoSeconds(endMs),
    isAllDayEvent: allDay,
    location: rng.pick(LOCATIONS),
    organizer,
    requiredAttendees,
    optionalAttendees,
    ...(rng.chance(0.35) ? { recurrence: recurrence(rng, start) } : {}),
    legacyFreeBusyStatus: allDay ? "Free" : rng.pick(["Busy", "Busy", "Busy", "Tentative", "OOF"] as const),
  };
  const subject = templateText(MEETING_SUBJECTS, rng);
  const attendeeBytes = RECIPIENT_BYTES * 2 * (requiredAttendees.length + optionalAttendees.length);
  const size = Math.max(400, Math.round(targetSize(ctx, rng) * 0.6) - FIXED_BYTES - attendeeBytes);
  const { body, attachments } = content(ctx, rng, size, organizer, subject, {
    html: rng.chance(0.6),
    allowAttachments: true,
    quote: false,
  });
  const created = isoSeconds(Math.min(startMs, EPOCH_END) - rng.int(1, 60) * 86400000);
  return {
    itemClass: "IPM.Appointment",
    subject,
    body,
    from: organizer,
    toRecipients: requiredAttendees,
    ccRecipients: optionalAttendees,
    bccRecipients: [],
    dateTimeReceived: created,
    dateTimeSent: created,
    dateTimeCreated: created,
    ...commonFlags(rng),
    attachments,
    calendar,
  };
}

function makeContact(ctx: ItemContext, rng: Prng): MockItemData {
  const person = pickPerson(rng);
  const domain = rng.chance(0.3) ? ctx.domain : rng.pick(EXTERNAL_DOMAINS);
  const primary = `${person.asciiGiven}.${person.asciiSurname}@${domain}`;
  const emailAddresses = [primary];
  if (rng.chance(0.3)) emailAddresses.push(`${person.asciiGiven}${rng.int(1, 99)}@example.net`);
  const contact: MockContactFields = {
    givenName: person.givenName,
    surname: person.surname,
    companyName: rng.pick(COMPANIES),
    jobTitle: rng.pick(JOB_TITLES),
    emailAddresses,
    ...(rng.chance(0.8)
      ? { businessPhone: `+${rng.int(1, 98)} ${rng.int(10, 99)} ${rng.int(1000000, 9999999)}` }
      : {}),
    ...(rng.chance(0.6)
      ? { mobilePhone: `+${rng.int(1, 98)} ${rng.int(100, 999)} ${rng.int(100000, 999999)}` }
      : {}),
  };
  const attachments: MockAttachment[] = [];
  if (ctx.pool.smallImages.length > 0 && rng.chance(0.4)) {
    const index = rng.pick(ctx.pool.smallImages);
    if (ctx.pool.entries[index]!.size <= ctx.maxItemBytes / 2) {
      const photo = poolAttachment(ctx, index, false);
      attachments.push({ ...photo, name: "ContactPicture.jpg", isContactPhoto: true });
    }
  }
  const notes = rng.chance(0.5) ? paragraphs(rng, rng.int(100, 3000)).join("\n\n") : "";
  const created = isoSeconds(EPOCH_END - Math.floor(rng.float() * 4 * YEAR_MS));
  return {
    itemClass: "IPM.Contact",
    subject: displayName(person),
    body: { bodyType: "Text", content: notes },
    ...unsent(created),
    ...commonFlags(rng),
    attachments,
    contact,
  };
}

function makeTask(ctx: ItemContext, rng: Prng, mailboxIndex: number): MockItemData {
  const status = rng.pick([
    "NotStarted",
    "InProgress",
    "InProgress",
    "Completed",
    "WaitingOnOthers",
    "Deferred",
  ] as const);
  const percentComplete = status === "Completed" ? 100 : status === "NotStarted" ? 0 : rng.int(1, 19) * 5;
  const createdMs = EPOCH_END - Math.floor(rng.float() * 2 * YEAR_MS);
  const startMs = Math.floor(createdMs / 86400000) * 86400000;
  const task: MockTaskFields = {
    status,
    percentComplete,
    ...(rng.chance(0.7) ? { startDate: isoSeconds(startMs) } : {}),
    ...(rng.chance(0.7) ? { dueDate: isoSeconds(startMs + rng.int(1, 60) * 86400000) } : {}),
  };
  const subject = templateText(TASK_SUBJECTS, rng);
  const me = ownerAddress(ctx, mailboxIndex, rng);
  const size = Math.round(targetSize(ctx, rng) * 0.3);
  const { body, attachments } = content(ctx, rng, size, me, subject, {
    html: false,
    allowAttachments: rng.chance(0.3),
    quote: false,
  });
  const created = isoSeconds(createdMs);
  return {
    itemClass: "IPM.Task",
    subject,
    body,
    ...unsent(created),
    ...commonFlags(rng),
    attachments,
    task,
  };
}

function makeStickyNote(rng: Prng): MockItemData {
  const lines = paragraphs(rng, rng.int(20, 600));
  const text = lines.join("\n");
  const firstLine = (lines[0] ?? "").slice(0, 80);
  const created = isoSeconds(EPOCH_END - Math.floor(rng.float() * 3 * YEAR_MS));
  return {
    itemClass: "IPM.StickyNote",
    subject: firstLine,
    body: { bodyType: "Text", content: text },
    ...unsent(created),
    ...commonFlags(rng),
    attachments: [],
  };
}
