// FindItem's other views and searches (FractionalPageItemView, ContactsView, QueryString) and
// UpdateItem's AppendToItemField and list fields. Every response is validated against
// messages.xsd at the end.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itemShape } from "./helpers.js";
import { all, capture, SchemaRecorder } from "./schema-recorder.js";

const ITEM_ID = /<t:ItemId Id="([^"]+)"/;

describe("FindItem views and UpdateItem appends", () => {
  let server: MockEwsServer;
  const rec = new SchemaRecorder(() => server);
  let folder = "";
  const parent = () => `<m:ParentFolderIds><t:FolderId Id="${folder}"/></m:ParentFolderIds>`;
  const subjects = (text: string) => all(text, /<t:Subject>([^<]*)<\/t:Subject>/);

  async function create(item: string): Promise<string> {
    const text = await rec.call(
      "CreateItem",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:FolderId Id="${folder}"/></m:SavedItemFolderId><m:Items>${item}</m:Items></m:CreateItem>`,
    );
    return capture(text, ITEM_ID);
  }

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 8, mailboxes: 1, itemsPerMailbox: 10 });
    const text = await rec.call(
      "CreateFolder",
      `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Views</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
    );
    folder = capture(text, /<t:FolderId Id="([^"]+)"/);
    for (const [subject, body, category] of [
      ["budget review", "numbers for Q3", "Finance"],
      ["team lunch", "pizza on friday", "Social"],
      ["budget approval", "sign off", "Finance"],
      ["holiday plans", "budget is tight", "Social"],
    ] as const) {
      await create(
        `<t:Message><t:Subject>${subject}</t:Subject><t:Body BodyType="Text">${body}</t:Body><t:Categories><t:String>${category}</t:String></t:Categories><t:ToRecipients><t:Mailbox><t:EmailAddress>ann@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message>`,
      );
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("searches with QueryString (words, phrases, properties, OR, NOT)", async () => {
    const search = async (query: string) =>
      subjects(
        await rec.call(
          `FindItem QueryString ${query}`,
          `<m:FindItem Traversal="Shallow">${itemShape("Default")}${parent()}<m:QueryString>${query}</m:QueryString></m:FindItem>`,
        ),
      ).sort();
    expect(await search("budget")).toEqual(["budget approval", "budget review", "holiday plans"]);
    expect(await search("subject:budget")).toEqual(["budget approval", "budget review"]);
    expect(await search("budget -subject:review")).toEqual(["budget approval", "holiday plans"]);
    expect(await search("category:social OR approval")).toEqual([
      "budget approval",
      "holiday plans",
      "team lunch",
    ]);
    expect(await search("&quot;pizza on friday&quot;")).toEqual(["team lunch"]);
    expect(await search("budget NOT category:finance")).toEqual(["holiday plans"]);
  });

  it("pages with FractionalPageItemView and filters a ContactsView", async () => {
    const text = await rec.call(
      "FindItem FractionalPageItemView",
      `<m:FindItem Traversal="Shallow">${itemShape("IdOnly")}<m:FractionalPageItemView MaxEntriesReturned="1" Numerator="1" Denominator="2"/>${parent()}</m:FindItem>`,
    );
    expect(all(text, ITEM_ID)).toHaveLength(1);
    expect(text).toContain(`NumeratorOffset="3" AbsoluteDenominator="4"`);
    expect(text).toContain(`IncludesLastItemInRange="false"`);
    for (const [given, surname] of [
      ["Ada", "Lovelace"],
      ["Alan", "Turing"],
      ["Grace", "Hopper"],
    ])
      await rec.call(
        "CreateItem contact",
        `<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="contacts"/></m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>${given}</t:GivenName><t:Surname>${surname}</t:Surname></t:Contact></m:Items></m:CreateItem>`,
      );
    const contacts = await rec.call(
      "FindItem ContactsView",
      `<m:FindItem Traversal="Shallow">${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="contacts:Surname"/></t:AdditionalProperties>`)}<m:ContactsView InitialName="H" FinalName="M"/><m:ParentFolderIds><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderIds></m:FindItem>`,
    );
    const surnames = all(contacts, /<t:Surname>([^<]*)</);
    expect(surnames).toContain("Hopper");
    expect(surnames).toContain("Lovelace");
    expect(surnames).not.toContain("Turing");
  });

  it("appends to the body and to recipient and attendee lists, and sets attendees", async () => {
    const id = await create(
      `<t:Message><t:Subject>append</t:Subject><t:Body BodyType="Text">one</t:Body></t:Message>`,
    );
    let text = await rec.call(
      "UpdateItem AppendToItemField",
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates>` +
        `<t:AppendToItemField><t:FieldURI FieldURI="item:Body"/><t:Message><t:Body BodyType="Text"> two</t:Body></t:Message></t:AppendToItemField>` +
        `<t:AppendToItemField><t:FieldURI FieldURI="message:ToRecipients"/><t:Message><t:ToRecipients><t:Mailbox><t:EmailAddress>bo@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></t:AppendToItemField>` +
        `<t:AppendToItemField><t:FieldURI FieldURI="message:ToRecipients"/><t:Message><t:ToRecipients><t:Mailbox><t:EmailAddress>cy@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></t:AppendToItemField>` +
        `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(text).toContain("NoError");
    text = await rec.call(
      "GetItem appended",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    );
    expect(text).toContain(">one two</t:Body>");
    expect(all(text, /<t:EmailAddress>([^<]+)</).filter((a) => a.endsWith("example.test"))).toEqual([
      "bo@example.test",
      "cy@example.test",
    ]);
    text = await rec.call(
      "UpdateItem append to subject",
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:AppendToItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>x</t:Subject></t:Message></t:AppendToItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(text).toContain("ErrorInvalidPropertyAppend");
    const cal = capture(
      await rec.call(
        "CreateItem meeting",
        `<m:CreateItem SendMeetingInvitations="SendToNone"><m:Items><t:CalendarItem><t:Subject>sync</t:Subject><t:Start>2031-01-01T09:00:00Z</t:Start><t:End>2031-01-01T10:00:00Z</t:End></t:CalendarItem></m:Items></m:CreateItem>`,
      ),
      ITEM_ID,
    );
    await rec.call(
      "UpdateItem attendees",
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:ItemId Id="${cal}"/><t:Updates>` +
        `<t:SetItemField><t:FieldURI FieldURI="calendar:RequiredAttendees"/><t:CalendarItem><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>req@example.test</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem></t:SetItemField>` +
        `<t:AppendToItemField><t:FieldURI FieldURI="calendar:OptionalAttendees"/><t:CalendarItem><t:OptionalAttendees><t:Attendee><t:Mailbox><t:EmailAddress>opt@example.test</t:EmailAddress></t:Mailbox></t:Attendee></t:OptionalAttendees></t:CalendarItem></t:AppendToItemField>` +
        `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    text = await rec.call(
      "GetItem attendees",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:ItemId Id="${cal}"/></m:ItemIds></m:GetItem>`,
    );
    expect(text).toContain("<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>req@example.test</t:Name>");
    expect(text).toContain("<t:OptionalAttendees><t:Attendee><t:Mailbox><t:Name>opt@example.test</t:Name>");
    expect(text).toContain("<t:IsMeeting>true</t:IsMeeting>");
  });

  it("answers schema-valid XML throughout", async () => {
    expect(rec.bodies.length).toBeGreaterThan(15);
    expect((await rec.failures()).slice(0, 20)).toEqual([]);
  });
});
