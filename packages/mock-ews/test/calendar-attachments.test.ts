// Recurring series in CalendarView (occurrences, exceptions, deleted occurrences, occurrence
// ids, OccurrenceItemId / RecurringMasterItemId, Exchange's errors) and item attachments
// (CreateItem, CreateAttachment, GetAttachment with the embedded item, DeleteAttachment).
// Every response body is validated against messages.xsd at the end.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itemShape } from "./helpers.js";
import { all, capture, SchemaRecorder } from "./schema-recorder.js";

const ITEM_ID = /<t:ItemId Id="([^"]+)"/;

describe("calendar views and item attachments", () => {
  let server: MockEwsServer;
  const rec = new SchemaRecorder(() => server);

  const view = (start: string, end: string, max = "", folder = `<t:DistinguishedFolderId Id="calendar"/>`) =>
    rec.call(
      `FindItem CalendarView ${start}..${end}`,
      `<m:FindItem Traversal="Shallow">${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:CalendarItemType"/></t:AdditionalProperties>`)}<m:CalendarView ${max}StartDate="${start}" EndDate="${end}"/><m:ParentFolderIds>${folder}</m:ParentFolderIds></m:FindItem>`,
    );

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 3, mailboxes: 1, itemsPerMailbox: 200 });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("expands recurring series into occurrences and exceptions inside the window", async () => {
    // Weekly on Monday and Wednesday, 10:00-11:00 UTC, six occurrences from Monday 2032-02-02.
    let text = await rec.call(
      "CreateItem recurring",
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>series</t:Subject><t:Start>2032-02-02T10:00:00Z</t:Start><t:End>2032-02-02T11:00:00Z</t:End><t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday Wednesday</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2032-02-02</t:StartDate><t:NumberOfOccurrences>6</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    const master = capture(text, ITEM_ID);
    text = await view("2032-02-01T00:00:00Z", "2032-03-01T00:00:00Z");
    expect(all(text, /<t:Start>([^<]+)<\/t:Start>/)).toEqual([
      "2032-02-02T10:00:00Z",
      "2032-02-04T10:00:00Z",
      "2032-02-09T10:00:00Z",
      "2032-02-11T10:00:00Z",
      "2032-02-16T10:00:00Z",
      "2032-02-18T10:00:00Z",
    ]);
    expect(new Set(all(text, /<t:CalendarItemType>([^<]+)</))).toEqual(new Set(["Occurrence"]));
    const ids = all(text, ITEM_ID);
    expect(new Set(ids).size).toBe(6);
    expect(ids).not.toContain(master);
    // A narrower window; the occurrence ids GetItem accepts.
    text = await view("2032-02-09T10:30:00Z", "2032-02-11T10:00:00Z");
    expect(all(text, /<t:Start>([^<]+)<\/t:Start>/)).toEqual(["2032-02-09T10:00:00Z"]);
    text = await rec.call(
      "GetItem occurrence id",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:ItemId Id="${ids[2]}"/></m:ItemIds></m:GetItem>`,
    );
    expect(text).toContain("<t:CalendarItemType>Occurrence</t:CalendarItemType>");
    expect(text).toContain("<t:Start>2032-02-09T10:00:00Z</t:Start>");
    expect(text).toContain("<t:IsRecurring>true</t:IsRecurring>");
    expect(text).not.toContain("<t:Recurrence>");
    // OccurrenceItemId and RecurringMasterItemId.
    text = await rec.call(
      "GetItem OccurrenceItemId",
      `<m:GetItem>${itemShape("Default")}<m:ItemIds><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="4"/></m:ItemIds></m:GetItem>`,
    );
    expect(text).toContain("<t:Start>2032-02-11T10:00:00Z</t:Start>");
    expect(capture(text, ITEM_ID)).toBe(ids[3]);
    text = await rec.call(
      "GetItem RecurringMasterItemId",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:RecurringMasterItemId OccurrenceId="${ids[0]}"/></m:ItemIds></m:GetItem>`,
    );
    expect(capture(text, ITEM_ID)).toBe(master);
    expect(text).toContain("<t:CalendarItemType>RecurringMaster</t:CalendarItemType>");
    expect(text).toContain("<t:FirstOccurrence>");
    expect(text).toContain("<t:LastOccurrence>");
    // Delete the second occurrence, move the third (an exception).
    text = await rec.call(
      "DeleteItem occurrence",
      `<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToNone"><m:ItemIds><t:ItemId Id="${ids[1]}"/></m:ItemIds></m:DeleteItem>`,
    );
    expect(text).toContain("NoError");
    text = await rec.call(
      "UpdateItem occurrence",
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="3"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>moved one</t:Subject></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>2032-02-10T15:00:00Z</t:Start></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>2032-02-10T16:00:00Z</t:End></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(text).toContain("NoError");
    text = await view("2032-02-01T00:00:00Z", "2032-03-01T00:00:00Z");
    expect(all(text, /<t:Start>([^<]+)<\/t:Start>/)).toEqual([
      "2032-02-02T10:00:00Z",
      "2032-02-10T15:00:00Z",
      "2032-02-11T10:00:00Z",
      "2032-02-16T10:00:00Z",
      "2032-02-18T10:00:00Z",
    ]);
    expect(all(text, /<t:CalendarItemType>([^<]+)</)[1]).toBe("Exception");
    expect(all(text, /<t:Subject>([^<]+)</)[1]).toBe("moved one");
    text = await rec.call(
      "GetItem master after changes",
      `<m:GetItem>${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="calendar:ModifiedOccurrences"/><t:FieldURI FieldURI="calendar:DeletedOccurrences"/></t:AdditionalProperties>`)}<m:ItemIds><t:ItemId Id="${master}"/></m:ItemIds></m:GetItem>`,
    );
    expect(text).toContain(
      "<t:DeletedOccurrences><t:DeletedOccurrence><t:Start>2032-02-04T10:00:00Z</t:Start>",
    );
    expect(text).toContain("<t:OriginalStart>2032-02-09T10:00:00Z</t:OriginalStart>");
    // MaxEntriesReturned: the first entries, IncludesLastItemInRange false.
    text = await view("2032-02-01T00:00:00Z", "2032-03-01T00:00:00Z", `MaxEntriesReturned="2" `);
    expect(all(text, ITEM_ID)).toHaveLength(2);
    expect(text).toContain(`TotalItemsInView="5" IncludesLastItemInRange="false"`);
    // Exchange's errors.
    text = await rec.call(
      "GetItem deleted occurrence",
      `<m:GetItem>${itemShape()}<m:ItemIds><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="2"/><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="7"/></m:ItemIds></m:GetItem>`,
    );
    expect(text).toContain("ErrorCalendarOccurrenceIsDeletedFromRecurrence");
    expect(text).toContain("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange");
    text = await view("2032-03-01T00:00:00Z", "2032-02-01T00:00:00Z");
    expect(text).toContain("ErrorCalendarEndDateIsEarlierThanStartDate");
    text = await view(
      "2032-02-01T00:00:00Z",
      "2032-03-01T00:00:00Z",
      "",
      `<t:DistinguishedFolderId Id="inbox"/>`,
    );
    expect(text).toContain("ErrorCalendarFolderIsInvalidForCalendarView");
    text = await rec.call(
      "MoveItem occurrence",
      `<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="drafts"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${ids[0]}"/></m:ItemIds></m:MoveItem>`,
    );
    expect(text).toContain("ErrorCalendarCannotMoveOrCopyOccurrence");
  });

  it("expands a series without end years after its start, and by InstanceIndex", async () => {
    const text = await rec.call(
      "CreateItem no-end daily",
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>forever</t:Subject><t:Start>2020-01-01T07:00:00Z</t:Start><t:End>2020-01-01T07:15:00Z</t:End><t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>2020-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    const master = capture(text, ITEM_ID);
    // A second daily series: 2 x 730 entries in two years is past EWSFindCountLimit (1000).
    await rec.call(
      "CreateItem second no-end daily",
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>forever too</t:Subject><t:Start>2044-01-01T18:00:00Z</t:Start><t:End>2044-01-01T18:15:00Z</t:End><t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>2044-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    let big = await view("2045-01-01T00:00:00Z", "2047-01-01T00:00:00Z");
    expect(big).toContain("ErrorExceededFindCountLimit");
    expect(big).toContain(`<t:Value Name="PolicyLimit">1000</t:Value>`);
    big = await view("2045-01-01T00:00:00Z", "2047-01-01T00:00:00Z", `MaxEntriesReturned="1000" `);
    expect(all(big, ITEM_ID)).toHaveLength(1000);
    expect(big).toContain(`IncludesLastItemInRange="false"`);
    const tooLong = await view("2045-01-01T00:00:00Z", "2047-01-01T00:00:01Z");
    expect(tooLong).toContain("ErrorCalendarViewRangeTooBig");
    const window = await view("2045-06-01T00:00:00Z", "2045-06-03T00:00:00Z");
    const forever = all(window, /<t:Subject>forever<\/t:Subject><t:Start>([^<]+)</);
    expect(forever).toEqual(["2045-06-01T07:00:00Z", "2045-06-02T07:00:00Z"]);
    // 2020-01-01 is index 1: 2045-06-01 is 9283 days later.
    const byIndex = await rec.call(
      "GetItem far InstanceIndex",
      `<m:GetItem>${itemShape("Default")}<m:ItemIds><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="9284"/></m:ItemIds></m:GetItem>`,
    );
    expect(byIndex).toContain("<t:Start>2045-06-01T07:00:00Z</t:Start>");
    const masterXml = await rec.call(
      "GetItem no-end master",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:ItemId Id="${master}"/></m:ItemIds></m:GetItem>`,
    );
    expect(masterXml).toContain("<t:FirstOccurrence>");
    expect(masterXml).not.toContain("<t:LastOccurrence>");
  });

  it("expands relative monthly and yearly patterns and survives series with no day to fall on", async () => {
    const create = (name: string, pattern: string, range: string) =>
      rec.call(
        `CreateItem ${name}`,
        `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>${name}</t:Subject><t:Start>2033-01-11T12:00:00Z</t:Start><t:End>2033-01-11T13:00:00Z</t:End><t:Recurrence>${pattern}${range}</t:Recurrence></t:CalendarItem></m:Items></m:CreateItem>`,
      );
    const numbered = (n: number) =>
      `<t:NumberedRecurrence><t:StartDate>2033-01-01</t:StartDate><t:NumberOfOccurrences>${n}</t:NumberOfOccurrences></t:NumberedRecurrence>`;
    const monthly = capture(
      await create(
        "second tuesday",
        `<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Tuesday</t:DaysOfWeek><t:DayOfWeekIndex>Second</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence>`,
        numbered(3),
      ),
      ITEM_ID,
    );
    await create(
      "last weekday of june",
      `<t:RelativeYearlyRecurrence><t:DaysOfWeek>Weekday</t:DaysOfWeek><t:DayOfWeekIndex>Last</t:DayOfWeekIndex><t:Month>June</t:Month></t:RelativeYearlyRecurrence>`,
      numbered(2),
    );
    await create(
      "never either",
      `<t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval><t:DayOfMonth>x</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>`,
      `<t:NoEndRecurrence><t:StartDate>2033-01-01</t:StartDate></t:NoEndRecurrence>`,
    );
    await create(
      "never",
      `<t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Someday</t:DaysOfWeek></t:WeeklyRecurrence>`,
      `<t:NoEndRecurrence><t:StartDate>2033-01-01</t:StartDate></t:NoEndRecurrence>`,
    );
    const text = await view("2033-01-01T00:00:00Z", "2035-01-01T00:00:00Z");
    const starts = (subject: string) =>
      all(text, new RegExp(`<t:Subject>${subject}</t:Subject><t:Start>([^<]+)<`));
    expect(starts("second tuesday")).toEqual([
      "2033-01-11T12:00:00Z",
      "2033-02-08T12:00:00Z",
      "2033-03-08T12:00:00Z",
    ]);
    expect(starts("last weekday of june")).toEqual(["2033-06-30T12:00:00Z", "2034-06-30T12:00:00Z"]);
    expect(starts("never")).toEqual([]);
    expect(starts("never either")).toEqual([]);
    const master = await rec.call(
      "GetItem relative master",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:ItemId Id="${monthly}"/></m:ItemIds></m:GetItem>`,
    );
    expect(master).toContain(
      "<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Tuesday</t:DaysOfWeek><t:DayOfWeekIndex>Second</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence>",
    );
  });

  it("expands the generator's recurring items, which alone would show only their masters", async () => {
    const masters = await rec.call(
      "FindItem calendar masters",
      `<m:FindItem Traversal="Shallow">${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="calendar:CalendarItemType"/></t:AdditionalProperties>`)}<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="calendar:IsRecurring"/><t:FieldURIOrConstant><t:Constant Value="1"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
    );
    const generated = all(masters, /<t:CalendarItemType>([^<]+)</).filter((t) => t === "RecurringMaster");
    expect(generated.length).toBeGreaterThan(0);
    // Exchange refuses windows over two years: walk 2016-2036 two years at a time.
    const types: string[] = [];
    for (let year = 2016; year < 2036; year += 2) {
      // (the daily series of the test before fill these windows: cap them below EWSFindCountLimit)
      const text = await view(
        `${year}-01-01T00:00:00Z`,
        `${year + 2}-01-01T00:00:00Z`,
        `MaxEntriesReturned="1000" `,
      );
      expect(text).toContain("NoError");
      types.push(...all(text, /<t:CalendarItemType>([^<]+)</));
    }
    expect(types).not.toContain("RecurringMaster");
    expect(types.filter((t) => t === "Occurrence").length).toBeGreaterThan(generated.length);
  });

  it("creates, lists, reads and deletes item attachments", async () => {
    let text = await rec.call(
      "CreateItem with item attachments",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>parent</t:Subject><t:Attachments>` +
        `<t:ItemAttachment><t:Name>a contact</t:Name><t:Contact><t:GivenName>Alan</t:GivenName><t:PhoneNumbers><t:Entry Key="HomePhone">+44 1</t:Entry></t:PhoneNumbers><t:Surname>Turing</t:Surname></t:Contact></t:ItemAttachment>` +
        `<t:ItemAttachment><t:Name>an event</t:Name><t:CalendarItem><t:Subject>launch</t:Subject><t:Start>2032-01-01T09:00:00Z</t:Start><t:End>2032-01-01T10:00:00Z</t:End></t:CalendarItem></t:ItemAttachment>` +
        `</t:Attachments></t:Message></m:Items></m:CreateItem>`,
    );
    const parent = capture(text, ITEM_ID);
    const getParent = () =>
      rec.call(
        "GetItem parent",
        `<m:GetItem>${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="item:HasAttachments"/><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties>`)}<m:ItemIds><t:ItemId Id="${parent}"/></m:ItemIds></m:GetItem>`,
      );
    text = await getParent();
    expect(text).toContain("<t:HasAttachments>true</t:HasAttachments>");
    const attachmentIds = all(text, /<t:AttachmentId Id="([^"]+)"/);
    expect(attachmentIds).toHaveLength(2);
    text = await rec.call(
      "GetAttachment items",
      `<m:GetAttachment><m:AttachmentShape><t:IncludeMimeContent>1</t:IncludeMimeContent></m:AttachmentShape><m:AttachmentIds>${attachmentIds.map((id) => `<t:AttachmentId Id="${id}"/>`).join("")}</m:AttachmentIds></m:GetAttachment>`,
    );
    expect(text).toContain("<t:Name>a contact</t:Name>");
    expect(text).toContain(`<t:Entry Key="HomePhone">+44 1</t:Entry>`);
    expect(text).toContain("<t:Subject>launch</t:Subject>");
    expect(text).toContain("<t:MimeContent");
    // CreateAttachment on the existing item: an embedded message.
    text = await rec.call(
      "CreateAttachment",
      `<m:CreateAttachment><m:ParentItemId Id="${parent}"/><m:Attachments><t:ItemAttachment><t:Name>fwd</t:Name><t:Message><t:Subject>embedded mail</t:Subject><t:Body BodyType="Text">hi</t:Body><t:IsRead>0</t:IsRead></t:Message></t:ItemAttachment><t:FileAttachment><t:Name>f.bin</t:Name><t:Content>AAEC</t:Content></t:FileAttachment></m:Attachments></m:CreateAttachment>`,
    );
    expect(text).toContain(`RootItemId="${parent}"`);
    const created = all(text, /<t:AttachmentId Id="([^"]+)"/);
    expect(created).toHaveLength(2);
    text = await rec.call(
      "GetAttachment embedded message",
      `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${created[1]}"/></m:AttachmentIds></m:GetAttachment>`,
    );
    expect(text).toContain("<t:Subject>embedded mail</t:Subject>");
    expect(text).toContain("<t:IsRead>false</t:IsRead>");
    expect(text).not.toContain("<t:ItemId");
    text = await getParent();
    expect(all(text, /<t:AttachmentId Id="([^"]+)"/)).toHaveLength(4);
    // DeleteAttachment answers with the root item; the attachment is gone.
    text = await rec.call(
      "DeleteAttachment",
      `<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="${attachmentIds[0]}"/></m:AttachmentIds></m:DeleteAttachment>`,
    );
    expect(text).toContain(`<m:RootItemId RootItemId="${parent}"`);
    text = await getParent();
    expect(text).not.toContain("a contact");
    expect(all(text, /<t:AttachmentId Id="([^"]+)"/)).toHaveLength(3);
    text = await rec.call(
      "CreateAttachment without an item",
      `<m:CreateAttachment><m:ParentItemId Id="${parent}"/><m:Attachments><t:ItemAttachment><t:Name>empty</t:Name></t:ItemAttachment></m:Attachments></m:CreateAttachment>`,
    );
    expect(text).toContain("ErrorMissingItemForCreateItemAttachment");
    text = await rec.call(
      "GetAttachment bad id",
      `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="AAAA"/></m:AttachmentIds></m:GetAttachment>`,
    );
    expect(text).toContain("ErrorInvalidAttachmentId");
  });

  it("still exports items that carry the new data (item attachments, extended properties, exceptions)", async () => {
    const created = await rec.call(
      "CreateItem for export",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items>` +
        `<t:Message><t:Subject>export me</t:Subject><t:Attachments><t:ItemAttachment><t:Name>n</t:Name><t:Message><t:Subject>inner</t:Subject></t:Message></t:ItemAttachment></t:Attachments><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6905" PropertyType="StringArray"/><t:Values><t:Value>a</t:Value></t:Values></t:ExtendedProperty></t:Message>` +
        `<t:CalendarItem><t:Subject>export series</t:Subject><t:Start>2034-01-02T08:00:00Z</t:Start><t:End>2034-01-02T09:00:00Z</t:End><t:Recurrence><t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence><t:NumberedRecurrence><t:StartDate>2034-01-01</t:StartDate><t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence></t:CalendarItem>` +
        `</m:Items></m:CreateItem>`,
    );
    const [message, series] = all(created, ITEM_ID);
    await rec.call(
      "DeleteItem occurrence for export",
      `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:OccurrenceItemId RecurringMasterId="${series}" InstanceIndex="2"/></m:ItemIds></m:DeleteItem>`,
    );
    const text = await rec.call(
      "ExportItems new data",
      `<m:ExportItems><m:ItemIds><t:ItemId Id="${message}"/><t:ItemId Id="${series}"/></m:ItemIds></m:ExportItems>`,
    );
    expect(all(text, /<m:ResponseCode>([^<]+)</)).toEqual(["NoError", "NoError"]);
  });

  it("answers schema-valid XML throughout", async () => {
    expect(rec.bodies.length).toBeGreaterThan(20);
    expect((await rec.failures()).slice(0, 20)).toEqual([]);
  });
});
