// End to end: data a user creates item by item through EWS (extended properties, reminder and
// receipt flags, item attachments nested two deep, every contact phone key, e-mail and postal
// address, a relative monthly series with an exception and a deleted occurrence) survives
// `ewsvault backup` and `restore` into another mailbox, compared property by property.
import type { EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { mailboxContent, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliArgs, mockEwsClient, restoreInto } from "./helpers.js";

const PHONE_KEYS =
  "AssistantPhone BusinessFax BusinessPhone BusinessPhone2 Callback CarPhone CompanyMainPhone HomeFax HomePhone HomePhone2 Isdn MobilePhone OtherFax OtherTelephone Pager PrimaryPhone RadioPhone Telex TtyTddPhone".split(
    " ",
  );

const CONTACT = `<t:Contact><t:GivenName>Ada</t:GivenName><t:EmailAddresses><t:Entry Key="EmailAddress1">ada@x.test</t:Entry><t:Entry Key="EmailAddress2">ada2@x.test</t:Entry><t:Entry Key="EmailAddress3">ada3@x.test</t:Entry></t:EmailAddresses><t:PhysicalAddresses><t:Entry Key="Home"><t:Street>1 Engine Way</t:Street><t:City>London</t:City></t:Entry><t:Entry Key="Business"><t:State>Berks</t:State></t:Entry><t:Entry Key="Other"><t:PostalCode>75001</t:PostalCode></t:Entry></t:PhysicalAddresses><t:PhoneNumbers>${PHONE_KEYS.map((k, i) => `<t:Entry Key="${k}">+44 ${i}</t:Entry>`).join("")}</t:PhoneNumbers><t:Surname>Lovelace</t:Surname></t:Contact>`;

const MESSAGE =
  `<t:Message><t:Subject>item-level backup</t:Subject><t:Attachments>` +
  `<t:ItemAttachment><t:Name>forwarded</t:Name><t:Message><t:Subject>inner</t:Subject><t:Attachments><t:ItemAttachment><t:Name>deeper</t:Name><t:Message><t:Subject>two down</t:Subject></t:Message></t:ItemAttachment></t:Attachments>` +
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6905" PropertyType="StringArray"/><t:Values><t:Value>inner</t:Value></t:Values></t:ExtendedProperty></t:Message></t:ItemAttachment>` +
  `<t:ItemAttachment><t:Name>card</t:Name>${CONTACT}</t:ItemAttachment></t:Attachments>` +
  `<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x-backup-test" PropertyType="String"/><t:Value>keep me</t:Value></t:ExtendedProperty>` +
  `<t:ExtendedProperty><t:ExtendedFieldURI PropertySetId="c11ff724-aa03-4555-9952-8fa248a11c3e" PropertyId="42" PropertyType="IntegerArray"/><t:Values><t:Value>1</t:Value><t:Value>2</t:Value></t:Values></t:ExtendedProperty>` +
  `<t:IsReadReceiptRequested>true</t:IsReadReceiptRequested></t:Message>`;

const SERIES =
  `<t:CalendarItem><t:Subject>monthly review</t:Subject><t:ReminderMinutesBeforeStart>45</t:ReminderMinutesBeforeStart>` +
  `<t:Start>2034-01-03T08:00:00Z</t:Start><t:End>2034-01-03T09:00:00Z</t:End>` +
  `<t:Recurrence><t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Tuesday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence>` +
  `<t:NumberedRecurrence><t:StartDate>2034-01-01</t:StartDate><t:NumberOfOccurrences>6</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence></t:CalendarItem>`;

let server: MockEwsServer;
let client: EwsClient;
let work: { path: string; cleanup: () => Promise<void> };

async function soap(mailbox: string, body: string): Promise<string> {
  const response = await fetch(server.url, {
    method: "POST",
    headers: {
      "content-type": "text/xml; charset=utf-8",
      authorization: `Basic ${Buffer.from(`${server.credentials.username}:${server.credentials.password}`).toString("base64")}`,
    },
    body:
      `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">` +
      `<soap:Header><t:RequestServerVersion Version="Exchange2016"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>${mailbox}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header>` +
      `<soap:Body>${body}</soap:Body></soap:Envelope>`,
  });
  const text = await response.text();
  const codes = [...text.matchAll(/<m:ResponseCode>([^<]+)</g)].map((m) => m[1]);
  expect(codes.length, text).toBeGreaterThan(0);
  expect(
    codes.every((c) => c === "NoError"),
    text,
  ).toBe(true);
  return text;
}

const firstItemId = (text: string) => /<t:ItemId Id="([^"]+)"/.exec(text)![1]!;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 5, mailboxes: 2, itemsPerMailbox: 6 });
  client = mockEwsClient(server);
  work = await tempDir();
  const source = server.mailboxes[0]!;
  const create = (folder: string, items: string) =>
    soap(
      source,
      `<m:CreateItem MessageDisposition="SaveOnly" SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="${folder}"/></m:SavedItemFolderId><m:Items>${items}</m:Items></m:CreateItem>`,
    );
  await create("inbox", MESSAGE);
  await create("contacts", CONTACT);
  const master = firstItemId(await create("calendar", SERIES));
  await soap(
    source,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="3"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>moved one</t:Subject></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>2034-03-08T15:00:00Z</t:Start></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>2034-03-08T16:00:00Z</t:End></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  await soap(
    source,
    `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:OccurrenceItemId RecurringMasterId="${master}" InstanceIndex="5"/></m:ItemIds></m:DeleteItem>`,
  );
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  await work?.cleanup();
});

describe("backup and restore keep item-level data", { timeout: 120_000 }, () => {
  it("restores extended properties, item attachments, indexed entries and series exceptions into another mailbox", async () => {
    const [source, target] = server.mailboxes as [string, string];
    const { common, ews, env } = cliArgs(work.path, server, "item-level repository password");
    const init = await cli(["init", ...common, "--json"], env);
    expect(init.code, init.stderr).toBe(0);
    const backup = await cli(["backup", ...common, ...ews, "--json", "--mailbox", source], env);
    expect(backup.code, backup.stderr).toBe(0);
    const restore = await cli(
      ["restore", ...common, ...ews, ...restoreInto(source, target, "Restored")],
      env,
    );
    expect(restore.code, restore.stderr).toBe(0);

    const original = await mailboxContent(client, server, source);
    const copy = await mailboxContent(client, server, target, { under: "Restored" });
    expect(copy).toEqual(original);
    // The comparison covers the user-created data, not only generated items.
    const all = [...copy.values()].flat().join("\n");
    for (const expected of [
      '"propertyName":"x-backup-test"',
      '"values":["1","2"]',
      '"subject":"two down"',
      '"TtyTddPhone":"+44 18"',
      '"postalCode":"75001"',
      '"dayOfWeekIndex":"First"',
      '"subject":"moved one"',
      '"deletedOccurrences":["2034-05-02T08:00:00Z"]',
    ]) {
      expect(all).toContain(expected);
    }
  });
});
