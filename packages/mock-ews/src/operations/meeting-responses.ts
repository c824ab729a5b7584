// The calendar response objects of CreateItem (t:AcceptItem, t:TentativelyAcceptItem,
// t:DeclineItem, t:CancelCalendarItem) and the item elements this mock cannot create. The mock
// models no meeting requests, so an attendee's answer is not served; what it does serve is what
// Exchange answers the organizer: accepting one's own meeting is ErrorCalendarIsOrganizerFor*,
// cancelling someone else's is ErrorCalendarIsNotOrganizer, and the organizer's cancel sends
// "Canceled: <subject>" to the attendees (those that are mailboxes here get it) and moves the
// meeting to Deleted Items.
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import { attr, child, type XmlNode } from "../xml.js";
import { resolveTarget } from "./calendar-view.js";
import type { OperationContext } from "./common.js";
import { deliver } from "./send.js";

export const MEETING_RESPONSE_ELEMENTS = [
  "AcceptItem",
  "TentativelyAcceptItem",
  "DeclineItem",
  "CancelCalendarItem",
];

/**
 * Elements of t:NonEmptyArrayOfAllItemsType CreateItem does not serve here: each gets
 * ErrorInvalidItemForOperationCreateItem in its place (never silence: a client counts the
 * response messages against its entries).
 */
export const UNSERVED_CREATE_ELEMENTS = [
  "SharingMessage",
  "DistributionList",
  "MeetingMessage",
  "MeetingRequest",
  "MeetingResponse",
  "MeetingCancellation",
  "RemoveItem",
  "SuppressReadReceipt",
  "PostReplyItem",
  "AcceptSharingInvitation",
  "RoleMember",
  "Network",
  "Person",
];

export function unservedEntry(element: string): never {
  throw new EwsResponseError(
    "ErrorInvalidItemForOperationCreateItem",
    `The CreateItem request of this server does not support ${element}.`,
  );
}

const ORGANIZER_CODE: Record<string, string> = {
  AcceptItem: "ErrorCalendarIsOrganizerForAccept",
  TentativelyAcceptItem: "ErrorCalendarIsOrganizerForTentative",
  DeclineItem: "ErrorCalendarIsOrganizerForDecline",
};

const NOT_A_MEETING_CODE: Record<string, string> = {
  AcceptItem: "ErrorInvalidItemForOperationAcceptItem",
  TentativelyAcceptItem: "ErrorInvalidItemForOperationTentative",
  DeclineItem: "ErrorInvalidItemForOperationDeclineItem",
  CancelCalendarItem: "ErrorInvalidItemForOperationCancelItem",
};

/** Runs one calendar response object; returns nothing to save (the answer carries no item). */
export function meetingResponse(ctx: OperationContext, element: string, node: XmlNode): void {
  const ref = child(node, "ReferenceItemId");
  if (ref === undefined || attr(ref, "Id") === undefined) {
    throw new EwsResponseError(
      "ErrorMissingInformationReferenceItemId",
      "Required information is missing: ReferenceItemId.",
    );
  }
  const { record, occurrence } = resolveTarget(ctx, "ItemId", ref);
  const data = ctx.store.itemData(record);
  const calendar = data.calendar;
  if (calendar === undefined || occurrence !== undefined) {
    throw new EwsResponseError(
      NOT_A_MEETING_CODE[element]!,
      "The reference item does not support the requested operation.",
    );
  }
  const organizer = calendar.organizer.email.toLowerCase() === ctx.mailbox.smtpAddress.toLowerCase();
  if (element !== "CancelCalendarItem") {
    if (organizer)
      throw new EwsResponseError(ORGANIZER_CODE[element]!, "The organizer cannot respond to the meeting.");
    throw new EwsResponseError(
      "ErrorInvalidItemForOperationCreateItem",
      `The CreateItem request of this server does not support ${element} (meeting requests are not modelled).`,
    );
  }
  if (!organizer)
    throw new EwsResponseError("ErrorCalendarIsNotOrganizer", "Only the organizer can cancel the meeting.");
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const cancellation: MockItemData = {
    itemClass: "IPM.Note",
    subject: `Canceled: ${data.subject}`,
    body: { bodyType: "Text", content: "" },
    from: { name: ctx.mailbox.displayName, email: ctx.mailbox.smtpAddress },
    toRecipients: [...calendar.requiredAttendees],
    ccRecipients: [...calendar.optionalAttendees],
    bccRecipients: [],
    dateTimeReceived: now,
    dateTimeSent: now,
    dateTimeCreated: now,
    importance: "High",
    sensitivity: data.sensitivity,
    categories: [],
    isRead: true,
    flagStatus: "NotFlagged",
    attachments: [],
  };
  deliver(ctx, cancellation);
  ctx.store.transferItem(record, ctx.store.distinguishedFolder(record.folder.mailbox, "deleteditems"), false);
}
