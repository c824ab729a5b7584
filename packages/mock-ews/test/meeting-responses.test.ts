// CreateItem's calendar response objects and unserved item elements over raw SOAP
// (src/operations/meeting-responses.ts): the organizer's cancel, the organizer's own answer
// refused as Exchange refuses it, and one error message per entry the mock cannot create,
// in request order. Every body validates against messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, responseCodes } from "./helpers.js";
import { SchemaRecorder } from "./schema-recorder.js";

describe("meeting response objects in CreateItem", () => {
  let server: MockEwsServer;
  const recorder = new SchemaRecorder(() => server);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 35, mailboxes: 2, itemsPerMailbox: 10 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const meeting = async (subject: string) => {
    const text = await recorder.call(
      subject,
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>${subject}</t:Subject><t:Start>2033-04-01T10:00:00Z</t:Start><t:End>2033-04-01T11:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>${server.mailboxes[1]}</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    return ids(text)[0]!;
  };

  it("the organizer cancels: attendees get the cancellation, the meeting goes to Deleted Items", async () => {
    const id = await meeting("planning");
    const text = await recorder.call(
      "CancelCalendarItem",
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem><t:ReferenceItemId Id="${id}"/></t:CancelCalendarItem></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(text)).toEqual(["NoError"]);
    const subjects = (mailbox: string, folder: string) =>
      server.listItems(mailbox, folder).map((i) => server.getItem(i).subject);
    expect(subjects(server.mailboxes[0]!, "calendar")).not.toContain("planning");
    expect(subjects(server.mailboxes[0]!, "deleteditems")).toContain("planning");
    expect(subjects(server.mailboxes[1]!, "inbox")).toContain("Canceled: planning");
  });

  it("refuses the organizer's own answer and what it cannot create, entry by entry in order", async () => {
    const id = await meeting("own meeting");
    const message = server.listItems(server.mailboxes[0]!, "inbox")[0]!;
    const text = await recorder.call(
      "mixed entries",
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>` +
        `<t:AcceptItem><t:ReferenceItemId Id="${id}"/></t:AcceptItem>` +
        `<t:DistributionList><t:DisplayName>list</t:DisplayName></t:DistributionList>` +
        `<t:DeclineItem><t:ReferenceItemId Id="${message}"/></t:DeclineItem>` +
        `<t:TentativelyAcceptItem><t:ReferenceItemId Id="${id}"/></t:TentativelyAcceptItem>` +
        `<t:CancelCalendarItem/>` +
        `</m:Items></m:CreateItem>`,
    );
    expect(responseCodes(text)).toEqual([
      "ErrorCalendarIsOrganizerForAccept",
      "ErrorInvalidItemForOperationCreateItem",
      "ErrorInvalidItemForOperationDeclineItem",
      "ErrorCalendarIsOrganizerForTentative",
      "ErrorMissingInformationReferenceItemId",
    ]);
    // A meeting someone else organises (an attendee's copy).
    const theirs = await meeting("their meeting");
    server.modifyItem(theirs, (d) => ({
      ...d,
      calendar: { ...d.calendar!, organizer: { name: "Other", email: server.mailboxes[1]! } },
    }));
    const other = await recorder.call(
      "as attendee",
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem><t:ReferenceItemId Id="${theirs}"/></t:CancelCalendarItem><t:AcceptItem><t:ReferenceItemId Id="${theirs}"/></t:AcceptItem></m:Items></m:CreateItem>`,
    );
    // Cancelling is the organizer's; answering a meeting request is not modelled (no requests).
    expect(responseCodes(other)).toEqual([
      "ErrorCalendarIsNotOrganizer",
      "ErrorInvalidItemForOperationCreateItem",
    ]);
  });

  it("answers schema-valid XML throughout", async () => {
    expect(await recorder.failures()).toEqual([]);
  });
});
