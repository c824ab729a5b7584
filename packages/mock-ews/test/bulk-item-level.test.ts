// ExportItems -> UploadItems keeps what clients create item by item: extended properties (by tag,
// by set + id, by set + name, arrays; reminders and receipt requests among them), item
// attachments with their own properties and attachments, every contact indexed entry, a
// recurring series' exception and deleted occurrence, and a relative monthly pattern. The copy,
// uploaded into another mailbox, must read back through EWS exactly like the original.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Every PhoneNumberKeyType of types.xsd, as the server lists them.
import { PHONE_KEYS } from "../src/operations/indexed-properties.js";
import { ids, itemShape, responseCodes, soap } from "./helpers.js";

const EXTENDED = [
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6905" PropertyType="StringArray"/><t:Values><t:Value>a</t:Value><t:Value>b ✓</t:Value></t:Values></t:ExtendedProperty>`,
  `<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x-backup-test" PropertyType="String"/><t:Value>keep me</t:Value></t:ExtendedProperty>`,
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertySetId="c11ff724-aa03-4555-9952-8fa248a11c3e" PropertyId="42" PropertyType="Integer"/><t:Value>7</t:Value></t:ExtendedProperty>`,
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6906" PropertyType="Binary"/><t:Value>AAECAwQ=</t:Value></t:ExtendedProperty>`,
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6907" PropertyType="SystemTimeArray"/><t:Values><t:Value>2030-01-01T00:00:00Z</t:Value><t:Value>2031-06-30T12:00:00Z</t:Value></t:Values></t:ExtendedProperty>`,
].join("");

const EXTENDED_URIS = [
  `<t:ExtendedFieldURI PropertyTag="0x6905" PropertyType="StringArray"/>`,
  `<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x-backup-test" PropertyType="String"/>`,
  `<t:ExtendedFieldURI PropertySetId="c11ff724-aa03-4555-9952-8fa248a11c3e" PropertyId="42" PropertyType="Integer"/>`,
  `<t:ExtendedFieldURI PropertyTag="0x6906" PropertyType="Binary"/>`,
  `<t:ExtendedFieldURI PropertyTag="0x6907" PropertyType="SystemTimeArray"/>`,
].join("");

const CONTACT = `<t:Contact><t:FileAs>Lovelace, Ada</t:FileAs><t:GivenName>Ada</t:GivenName><t:CompanyName>Analytical</t:CompanyName><t:EmailAddresses><t:Entry Key="EmailAddress1">ada@x.test</t:Entry><t:Entry Key="EmailAddress2">ada2@x.test</t:Entry><t:Entry Key="EmailAddress3">ada3@x.test</t:Entry></t:EmailAddresses><t:PhysicalAddresses><t:Entry Key="Home"><t:Street>1 Engine Way</t:Street><t:City>London</t:City><t:PostalCode>N1</t:PostalCode></t:Entry><t:Entry Key="Business"><t:State>Berks</t:State><t:CountryOrRegion>UK</t:CountryOrRegion></t:Entry><t:Entry Key="Other"><t:City>Paris</t:City></t:Entry></t:PhysicalAddresses><t:PhoneNumbers>${PHONE_KEYS.map((k, i) => `<t:Entry Key="${k}">+44 ${i}</t:Entry>`).join("")}</t:PhoneNumbers><t:JobTitle>Countess</t:JobTitle><t:Surname>Lovelace</t:Surname></t:Contact>`;

const MESSAGE =
  `<t:Message><t:Subject>backup me</t:Subject><t:Body BodyType="HTML">&lt;p&gt;hi&lt;/p&gt;</t:Body>` +
  `<t:Attachments>` +
  `<t:FileAttachment><t:Name>f.bin</t:Name><t:Content>AAECAw==</t:Content></t:FileAttachment>` +
  `<t:ItemAttachment><t:Name>forwarded</t:Name><t:Message><t:Subject>inner mail</t:Subject><t:Body BodyType="Text">inner body</t:Body>` +
  `<t:Attachments><t:FileAttachment><t:Name>deep.txt</t:Name><t:Content>ZGVlcA==</t:Content></t:FileAttachment>` +
  `<t:ItemAttachment><t:Name>deeper</t:Name><t:Message><t:Subject>two down</t:Subject></t:Message></t:ItemAttachment></t:Attachments>` +
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6905" PropertyType="StringArray"/><t:Values><t:Value>inner</t:Value></t:Values></t:ExtendedProperty>` +
  `<t:IsRead>false</t:IsRead></t:Message></t:ItemAttachment>` +
  `<t:ItemAttachment><t:Name>a card</t:Name>${CONTACT}</t:ItemAttachment>` +
  `<t:ItemAttachment><t:Name>an event</t:Name><t:CalendarItem><t:Subject>launch</t:Subject><t:Start>2032-01-01T09:00:00Z</t:Start><t:End>2032-01-01T10:00:00Z</t:End></t:CalendarItem></t:ItemAttachment>` +
  `</t:Attachments>${EXTENDED}<t:IsReadReceiptRequested>true</t:IsReadReceiptRequested><t:IsDeliveryReceiptRequested>true</t:IsDeliveryReceiptRequested></t:Message>`;

const SERIES =
  `<t:CalendarItem><t:Subject>monthly review</t:Subject><t:ReminderIsSet>true</t:ReminderIsSet><t:ReminderMinutesBeforeStart>45</t:ReminderMinutesBeforeStart>` +
  `<t:Start>2034-01-03T08:00:00Z</t:Start><t:End>2034-01-03T09:00:00Z</t:End><t:Location>Room 1</t:Location>` +
  `<t:Recurrence><t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Tuesday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence>` +
  `<t:NumberedRecurrence><t:StartDate>2034-01-01</t:StartDate><t:NumberOfOccurrences>6</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence></t:CalendarItem>`;

/**
 * Ids and change keys differ between the original and its copy, and so does LastModifiedName
 * (the owner of the mailbox holding the item); everything else must not.
 */
function withoutIds(xml: string): string {
  return xml
    .replace(/<t:LastModifiedName>[^<]*<\/t:LastModifiedName>/g, "")
    .replace(/ (Id|ChangeKey|RootItemId|RootItemChangeKey|RecurringMasterId)="[^"]*"/g, ' $1="*"')
    .replace(/<t:ParentFolderId [^>]*\/>/g, "");
}

function exportBody(itemIds: readonly string[]): string {
  return `<m:ExportItems><m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:ExportItems>`;
}

describe("ExportItems / UploadItems keep item-level data", () => {
  let server: MockEwsServer;
  let source: string;
  let target: string;
  const originals: string[] = [];
  const copies: string[] = [];

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 3, mailboxes: 2, itemsPerMailbox: 20 });
    [source, target] = server.mailboxes as [string, string];
    // Originals and copies are compared with their LastModifiedTime (whole seconds): start the
    // few requests below at the top of a second so they do not straddle one.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const created = await soap(
      server,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items>${MESSAGE}</m:Items></m:CreateItem>`,
    );
    const contact = await soap(
      server,
      `<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="contacts"/></m:SavedItemFolderId><m:Items>${CONTACT}</m:Items></m:CreateItem>`,
    );
    const series = await soap(
      server,
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items>${SERIES}</m:Items></m:CreateItem>`,
    );
    for (const r of [created, contact, series]) expect(responseCodes(r.text), r.text).toEqual(["NoError"]);
    originals.push(ids(created.text)[0]!, ids(contact.text)[0]!, ids(series.text)[0]!);
    const master = originals[2]!;
    const changed = await soap(
      server,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="3"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>moved one</t:Subject></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>2034-03-08T15:00:00Z</t:Start></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>2034-03-08T16:00:00Z</t:End></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    const deleted = await soap(
      server,
      `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="5"/></m:ItemIds></m:DeleteItem>`,
    );
    for (const r of [changed, deleted]) expect(responseCodes(r.text), r.text).toEqual(["NoError"]);

    const exported = await soap(server, exportBody(originals));
    expect(responseCodes(exported.text)).toEqual(["NoError", "NoError", "NoError"]);
    const data = [...exported.text.matchAll(/<m:Data>([^<]*)<\/m:Data>/g)].map((m) => m[1]!);
    const folder = server.folderId(target, "inbox");
    const uploaded = await soap(
      server,
      `<m:UploadItems><m:Items>${data.map((d) => `<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${folder}"/><t:Data>${d}</t:Data></t:Item>`).join("")}</m:Items></m:UploadItems>`,
      { mailbox: target },
    );
    expect(responseCodes(uploaded.text)).toEqual(["NoError", "NoError", "NoError"]);
    copies.push(...ids(uploaded.text));
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function getItem(id: string, mailbox: string, extra = ""): Promise<string> {
    const result = await soap(
      server,
      `<m:GetItem>${itemShape("AllProperties", `<t:AdditionalProperties>${extra}</t:AdditionalProperties>`)}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
      { mailbox },
    );
    expect(responseCodes(result.text)).toEqual(["NoError"]);
    return withoutIds(result.body);
  }

  it("keeps the model of every item, nested attachments and all", () => {
    for (let i = 0; i < originals.length; i++) {
      expect(server.getItem(copies[i]!)).toStrictEqual(server.getItem(originals[i]!));
    }
    const message = server.getItem(copies[0]!);
    expect(message.itemAttachments).toHaveLength(3);
    expect(message.itemAttachments![0]!.item.itemAttachments![0]!.item.subject).toBe("two down");
    expect(server.getItem(copies[2]!).calendar!.recurrence!.dayOfWeekIndex).toBe("First");
  });

  it("reads back the same message: extended properties, receipt flags, attachments", async () => {
    const original = await getItem(originals[0]!, source, EXTENDED_URIS);
    for (const expected of ["keep me", "AAECAwQ=", "2031-06-30T12:00:00Z", "b ✓", "<t:Value>7</t:Value>"]) {
      expect(original).toContain(expected);
    }
    expect(original).toContain("<t:IsReadReceiptRequested>true</t:IsReadReceiptRequested>");
    expect(original).toContain("<t:ItemAttachment>");
    expect(await getItem(copies[0]!, target, EXTENDED_URIS)).toBe(original);
  });

  it("reads back the same item attachments through GetAttachment, with their own properties", async () => {
    const attachments = async (id: string, mailbox: string) => {
      const got = await soap(
        server,
        `<m:GetItem>${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties>`)}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
        { mailbox },
      );
      const attachmentIds = ids(got.text, "AttachmentId");
      expect(attachmentIds).toHaveLength(4);
      const result = await soap(
        server,
        `<m:GetAttachment><m:AttachmentShape><t:AdditionalProperties>${EXTENDED_URIS}</t:AdditionalProperties></m:AttachmentShape><m:AttachmentIds>${attachmentIds.map((a) => `<t:AttachmentId Id="${a}"/>`).join("")}</m:AttachmentIds></m:GetAttachment>`,
        { mailbox },
      );
      expect(responseCodes(result.text)).toEqual(["NoError", "NoError", "NoError", "NoError"]);
      return withoutIds(result.body);
    };
    const original = await attachments(originals[0]!, source);
    for (const expected of ["inner body", "deeper", "deep.txt", "+44 18", "1 Engine Way", "launch"]) {
      expect(original).toContain(expected);
    }
    expect(await attachments(copies[0]!, target)).toBe(original);
  });

  it("reads back the same contact: every phone key, three e-mail addresses, three postal addresses", async () => {
    const indexed = [
      ...PHONE_KEYS.map((k) => `<t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="${k}"/>`),
      ...["EmailAddress1", "EmailAddress2", "EmailAddress3"].map(
        (k) => `<t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="${k}"/>`,
      ),
      `<t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:City" FieldIndex="Other"/>`,
    ].join("");
    const original = await getItem(originals[1]!, source, indexed);
    expect(original).toContain(`<t:Entry Key="TtyTddPhone">+44 18</t:Entry>`);
    expect(original).toContain(`<t:Entry Key="EmailAddress3">ada3@x.test</t:Entry>`);
    expect(original).toContain("<t:State>Berks</t:State>");
    expect(await getItem(copies[1]!, target, indexed)).toBe(original);
  });

  it("reads back the same series: relative pattern, exception, deleted occurrence, reminder", async () => {
    const original = await getItem(originals[2]!, source);
    expect(original).toContain("<t:RelativeMonthlyRecurrence>");
    expect(original).toContain("<t:DayOfWeekIndex>First</t:DayOfWeekIndex>");
    expect(original).toContain("<t:ModifiedOccurrences>");
    expect(original).toContain("<t:DeletedOccurrences>");
    expect(original).toContain("<t:ReminderMinutesBeforeStart>45</t:ReminderMinutesBeforeStart>");
    expect(await getItem(copies[2]!, target)).toBe(original);
    // The moved occurrence itself reads back the same through its OccurrenceItemId.
    const occurrence = async (master: string, mailbox: string) =>
      withoutIds(
        (
          await soap(
            server,
            `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="3"/></m:ItemIds></m:GetItem>`,
            { mailbox },
          )
        ).body,
      );
    const moved = await occurrence(originals[2]!, source);
    expect(moved).toContain("moved one");
    expect(await occurrence(copies[2]!, target)).toBe(moved);
  });

  it("re-exports the uploaded copies to the same bytes", async () => {
    const first = (await soap(server, exportBody(originals))).text.match(/<m:Data>[^<]*<\/m:Data>/g);
    const again = (await soap(server, exportBody(copies), { mailbox: target })).text.match(
      /<m:Data>[^<]*<\/m:Data>/g,
    );
    expect(first).toHaveLength(3);
    expect(again).toEqual(first);
  });
});
