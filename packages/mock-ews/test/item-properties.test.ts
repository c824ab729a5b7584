// Item-level behaviour clients rely on beyond our own: xs:boolean values written 1/0, extended
// MAPI properties, contact indexed properties and FindItem restrictions. Every response body
// is validated against messages.xsd at the end.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itemShape } from "./helpers.js";
import { all, capture, SchemaRecorder } from "./schema-recorder.js";

const ITEM_ID = /<t:ItemId Id="([^"]+)"/;
const parent = (folder: string) => `<m:ParentFolderIds><t:FolderId Id="${folder}"/></m:ParentFolderIds>`;

describe("item properties and restrictions", () => {
  let server: MockEwsServer;
  const rec = new SchemaRecorder(() => server);
  let folder = "";

  async function create(item: string, name = "CreateItem"): Promise<string> {
    const text = await rec.call(
      name,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:FolderId Id="${folder}"/></m:SavedItemFolderId><m:Items>${item}</m:Items></m:CreateItem>`,
    );
    return capture(text, ITEM_ID);
  }

  async function get(id: string, shape: string, name = "GetItem"): Promise<string> {
    return rec.call(name, `<m:GetItem>${shape}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  }

  async function update(id: string, change: string, name = "UpdateItem"): Promise<string> {
    return rec.call(
      name,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates>${change}</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
  }

  async function find(restriction: string, extra = ""): Promise<string[]> {
    const text = await rec.call(
      "FindItem restriction",
      `<m:FindItem Traversal="Shallow">${itemShape("Default")}<m:Restriction>${restriction}</m:Restriction>${extra}${parent(folder)}</m:FindItem>`,
    );
    expect(text).toContain("NoError");
    return all(text, /<t:Subject>([^<]*)<\/t:Subject>/);
  }

  async function newFolder(name: string): Promise<string> {
    const text = await rec.call(
      "CreateFolder",
      `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>${name}</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
    );
    return capture(text, /<t:FolderId Id="([^"]+)"/);
  }

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 21, mailboxes: 1, itemsPerMailbox: 20 });
    folder = await newFolder("Props");
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("reads xs:boolean 1 and 0 wherever the request carries a boolean", async () => {
    const id = await create(
      `<t:Message><t:Subject>bool one</t:Subject><t:IsReadReceiptRequested>1</t:IsReadReceiptRequested><t:IsRead>0</t:IsRead></t:Message>`,
    );
    const shape = itemShape(
      "IdOnly",
      `<t:IncludeMimeContent>0</t:IncludeMimeContent><t:AdditionalProperties><t:FieldURI FieldURI="message:IsRead"/><t:FieldURI FieldURI="message:IsReadReceiptRequested"/></t:AdditionalProperties>`,
    );
    let text = await get(id, shape);
    expect(text).toContain("<t:IsRead>false</t:IsRead>");
    expect(text).toContain("<t:IsReadReceiptRequested>true</t:IsReadReceiptRequested>");
    expect(text).not.toContain("MimeContent");
    await update(
      id,
      `<t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>1</t:IsRead></t:Message></t:SetItemField>`,
    );
    text = await get(id, itemShape("IdOnly", "<t:IncludeMimeContent> 1 </t:IncludeMimeContent>"));
    expect(text).toContain("<t:MimeContent");
    expect(
      await find(
        `<t:IsEqualTo><t:FieldURI FieldURI="message:IsRead"/><t:FieldURIOrConstant><t:Constant Value="1"/></t:FieldURIOrConstant></t:IsEqualTo>`,
      ),
    ).toContain("bool one");
    // A calendar item all day (1), with its reminder off (0).
    const cal = await create(
      `<t:CalendarItem><t:Subject>bool cal</t:Subject><t:ReminderIsSet>0</t:ReminderIsSet><t:Start>2030-05-01T00:00:00Z</t:Start><t:End>2030-05-02T00:00:00Z</t:End><t:IsAllDayEvent>1</t:IsAllDayEvent></t:CalendarItem>`,
    );
    text = await get(cal, itemShape("AllProperties"));
    expect(text).toContain("<t:IsAllDayEvent>true</t:IsAllDayEvent>");
    expect(text).toContain("<t:ReminderIsSet>false</t:ReminderIsSet>");
    // MoveItem with ReturnNewItemIds 0 answers without ids; a bad boolean is ErrorSchemaValidation.
    text = await rec.call(
      "MoveItem ReturnNewItemIds=0",
      `<m:MoveItem><m:ToFolderId><t:FolderId Id="${folder}"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${cal}"/></m:ItemIds><m:ReturnNewItemIds>0</m:ReturnNewItemIds></m:MoveItem>`,
    );
    expect(text).toContain("<m:Items/>");
    text = await rec.call(
      "DeleteItem bad SuppressReadReceipts",
      `<m:DeleteItem DeleteType="HardDelete" SuppressReadReceipts="yes"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`,
    );
    expect(text).toContain("ErrorSchemaValidation");
    text = await rec.call(
      "CreateItem bad boolean",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:CalendarItem><t:Subject>x</t:Subject><t:AllowNewTimeProposal>yes</t:AllowNewTimeProposal></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    expect(text).toContain("ErrorSchemaValidation");
    text = await rec.call(
      "DeleteItem SuppressReadReceipts=1",
      `<m:DeleteItem DeleteType="HardDelete" SuppressReadReceipts="1"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`,
    );
    expect(text).toContain("NoError");
  });

  it("sets, reads, maps and deletes extended properties in every addressing form", async () => {
    const id = await create(
      `<t:Message><t:Subject>ext one</t:Subject>` +
        `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6800" PropertyType="String"/><t:Value>by tag</t:Value></t:ExtendedProperty>` +
        `<t:ExtendedProperty><t:ExtendedFieldURI PropertySetId="{C11FF724-AA03-4555-9952-8FA248A11C3E}" PropertyName="Color" PropertyType="String"/><t:Value>teal</t:Value></t:ExtendedProperty>` +
        `<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="Common" PropertyId="34070" PropertyType="IntegerArray"/><t:Values><t:Value>1</t:Value><t:Value>+2</t:Value></t:Values></t:ExtendedProperty>` +
        `<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/><t:Values><t:Value>Red</t:Value><t:Value>Blue</t:Value></t:Values></t:ExtendedProperty>` +
        `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6801" PropertyType="Boolean"/><t:Value>1</t:Value></t:ExtendedProperty>` +
        `</t:Message>`,
    );
    const ask = (uris: string) =>
      itemShape("IdOnly", `<t:AdditionalProperties>${uris}</t:AdditionalProperties>`);
    let text = await get(
      id,
      ask(
        `<t:FieldURI FieldURI="item:Categories"/><t:ExtendedFieldURI PropertyTag="26624" PropertyType="String"/>` +
          `<t:ExtendedFieldURI PropertySetId="c11ff724-aa03-4555-9952-8fa248a11c3e" PropertyName="Color" PropertyType="String"/>` +
          `<t:ExtendedFieldURI PropertySetId="00062008-0000-0000-C000-000000000046" PropertyId="34070" PropertyType="IntegerArray"/>` +
          `<t:ExtendedFieldURI PropertyTag="0x6801" PropertyType="Boolean"/><t:ExtendedFieldURI PropertyTag="0x0037" PropertyType="String"/>` +
          `<t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:ExtendedFieldURI PropertyTag="0x7777" PropertyType="String"/>`,
      ),
    );
    expect(text).toContain(
      `<t:ExtendedFieldURI PropertyTag="0x6800" PropertyType="String"/><t:Value>by tag</t:Value>`,
    );
    expect(text).toContain("<t:Value>teal</t:Value>");
    expect(text).toContain("<t:Values><t:Value>1</t:Value><t:Value>2</t:Value></t:Values>");
    expect(text).toContain(`PropertyTag="0x6801" PropertyType="Boolean"/><t:Value>true</t:Value>`);
    expect(text).toContain(`PropertyTag="0x37" PropertyType="String"/><t:Value>ext one</t:Value>`);
    expect(text).toContain("<t:Categories><t:String>Red</t:String><t:String>Blue</t:String></t:Categories>");
    expect(text).not.toContain("0x1090"); // not flagged: absent, as Exchange
    expect(text).not.toContain("0x7777");
    // PR_SUBJECT and PidTagFlagStatus write the first-class properties.
    await update(
      id,
      `<t:SetItemField><t:ExtendedFieldURI PropertyTag="0x0037" PropertyType="String"/><t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x0037" PropertyType="String"/><t:Value>ext renamed</t:Value></t:ExtendedProperty></t:Message></t:SetItemField>` +
        `<t:SetItemField><t:ExtendedFieldURI PropertyTag="4240" PropertyType="Integer"/><t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/><t:Value>2</t:Value></t:ExtendedProperty></t:Message></t:SetItemField>` +
        `<t:DeleteItemField><t:ExtendedFieldURI PropertyTag="0x6800" PropertyType="String"/></t:DeleteItemField>`,
    );
    text = await get(
      id,
      ask(
        `<t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="item:Flag"/><t:ExtendedFieldURI PropertyTag="0x6800" PropertyType="String"/>`,
      ),
    );
    expect(text).toContain("<t:Subject>ext renamed</t:Subject>");
    expect(text).toContain("<t:FlagStatus>Flagged</t:FlagStatus>");
    expect(text).not.toContain("by tag");
    await update(
      id,
      `<t:SetItemField><t:FieldURI FieldURI="item:Flag"/><t:Message><t:Flag><t:FlagStatus>Complete</t:FlagStatus></t:Flag></t:Message></t:SetItemField>`,
    );
    text = await get(id, ask(`<t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/>`));
    expect(text).toContain("<t:Value>1</t:Value>");
    // Bad addresses and values.
    text = await get(
      id,
      ask(
        `<t:ExtendedFieldURI PropertyTag="0x6800" PropertySetId="c11ff724-aa03-4555-9952-8fa248a11c3e" PropertyType="String"/>`,
      ),
      "GetItem bad extended uri",
    );
    expect(text).toContain("ErrorInvalidExtendedProperty");
    text = await rec.call(
      "CreateItem bad extended value",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6802" PropertyType="Integer"/><t:Value>abc</t:Value></t:ExtendedProperty></t:Message></m:Items></m:CreateItem>`,
    );
    expect(text).toContain("ErrorInvalidExtendedPropertyValue");
  });

  it("reads, sets and deletes contact indexed properties one entry at a time", async () => {
    const phones = [
      "AssistantPhone",
      "BusinessFax",
      "BusinessPhone",
      "HomePhone",
      "MobilePhone",
      "Pager",
      "TtyTddPhone",
    ];
    const id = await create(
      `<t:Contact><t:GivenName>Grace</t:GivenName><t:EmailAddresses><t:Entry Key="EmailAddress1">g1@example.test</t:Entry><t:Entry Key="EmailAddress2">g2@example.test</t:Entry><t:Entry Key="EmailAddress3">g3@example.test</t:Entry></t:EmailAddresses>` +
        `<t:PhysicalAddresses><t:Entry Key="Business"><t:Street>1 Navy Way</t:Street><t:City>Arlington</t:City><t:State>VA</t:State><t:CountryOrRegion>US</t:CountryOrRegion><t:PostalCode>22202</t:PostalCode></t:Entry></t:PhysicalAddresses>` +
        `<t:PhoneNumbers>${phones.map((k, i) => `<t:Entry Key="${k}">+1 555 01${i}</t:Entry>`).join("")}</t:PhoneNumbers><t:Surname>Hopper</t:Surname></t:Contact>`,
    );
    let text = await get(id, itemShape("AllProperties"));
    for (const [i, k] of phones.entries())
      expect(text).toContain(`<t:Entry Key="${k}">+1 555 01${i}</t:Entry>`);
    expect(text).toContain(
      `<t:Entry Key="Business"><t:Street>1 Navy Way</t:Street><t:City>Arlington</t:City><t:State>VA</t:State><t:CountryOrRegion>US</t:CountryOrRegion><t:PostalCode>22202</t:PostalCode></t:Entry>`,
    );
    text = await get(
      id,
      itemShape(
        "IdOnly",
        `<t:AdditionalProperties><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="Pager"/><t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress2"/><t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:City" FieldIndex="Business"/></t:AdditionalProperties>`,
      ),
    );
    expect(text).toContain(`<t:PhoneNumbers><t:Entry Key="Pager">+1 555 015</t:Entry></t:PhoneNumbers>`);
    expect(text).toContain(
      `<t:EmailAddresses><t:Entry Key="EmailAddress2">g2@example.test</t:Entry></t:EmailAddresses>`,
    );
    expect(text).toContain(
      `<t:PhysicalAddresses><t:Entry Key="Business"><t:City>Arlington</t:City></t:Entry></t:PhysicalAddresses>`,
    );
    await update(
      id,
      `<t:SetItemField><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="CarPhone"/><t:Contact><t:PhoneNumbers><t:Entry Key="CarPhone">+1 555 0999</t:Entry></t:PhoneNumbers></t:Contact></t:SetItemField>` +
        `<t:DeleteItemField><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="Pager"/></t:DeleteItemField>` +
        `<t:DeleteItemField><t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress2"/></t:DeleteItemField>` +
        `<t:SetItemField><t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:Street" FieldIndex="Home"/><t:Contact><t:PhysicalAddresses><t:Entry Key="Home"><t:Street>2 Home Rd</t:Street></t:Entry></t:PhysicalAddresses></t:Contact></t:SetItemField>`,
    );
    text = await get(id, itemShape("AllProperties"));
    expect(text).toContain(`<t:Entry Key="CarPhone">+1 555 0999</t:Entry>`);
    expect(text).not.toContain(`Key="Pager"`);
    expect(text).toContain(
      `<t:Entry Key="EmailAddress1">g1@example.test</t:Entry><t:Entry Key="EmailAddress3">g3@example.test</t:Entry>`,
    );
    expect(text).toContain(`<t:Entry Key="Home"><t:Street>2 Home Rd</t:Street></t:Entry>`);
    text = await update(
      id,
      `<t:SetItemField><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="NoSuchPhone"/><t:Contact><t:PhoneNumbers><t:Entry Key="NoSuchPhone">1</t:Entry></t:PhoneNumbers></t:Contact></t:SetItemField>`,
      "UpdateItem bad FieldIndex",
    );
    expect(text).toContain("ErrorInvalidPropertyRequest");
    const found = await rec.call(
      "FindItem on an indexed property",
      `<m:FindItem Traversal="Shallow">${itemShape("IdOnly")}<m:Restriction><t:IsEqualTo><t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress3"/><t:FieldURIOrConstant><t:Constant Value="G3@EXAMPLE.TEST"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>${parent(folder)}</m:FindItem>`,
    );
    expect(found).toContain(id);
  });

  it("evaluates every restriction kind the way Exchange does", async () => {
    folder = await newFolder("Restrictions");
    const items: [string, string, string, string][] = [
      // subject, categories, IsRead, extended 0x6900 Integer
      ["Café Réunion weekly", "<t:String>Red</t:String><t:String>Green</t:String>", "1", "5"],
      ["cafe reunion notes", "<t:String>Blue</t:String>", "0", "12"],
      ["Quarterly report", "", "0", ""],
      ["report quarterly", "<t:String>green</t:String>", "1", "4"],
    ];
    for (const [subject, categories, read, lucky] of items) {
      await create(
        `<t:Message><t:Subject>${subject}</t:Subject>${categories === "" ? "" : `<t:Categories>${categories}</t:Categories>`}<t:IsRead>${read}</t:IsRead>${lucky === "" ? "" : `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x6900" PropertyType="Integer"/><t:Value>${lucky}</t:Value></t:ExtendedProperty>`}<t:DateTimeSent>2020-01-01T00:00:00Z</t:DateTimeSent></t:Message>`,
      );
    }
    const subject = `<t:FieldURI FieldURI="item:Subject"/>`;
    const constant = (v: string) => `<t:FieldURIOrConstant><t:Constant Value="${v}"/></t:FieldURIOrConstant>`;
    const contains = (mode: string, comparison: string, v: string) =>
      `<t:Contains ContainmentMode="${mode}" ContainmentComparison="${comparison}">${subject}<t:Constant Value="${v}"/></t:Contains>`;
    const sorted = async (r: string) => (await find(r)).sort();
    const lucky = `<t:ExtendedFieldURI PropertyTag="0x6900" PropertyType="Integer"/>`;
    const categories = `<t:FieldURI FieldURI="item:Categories"/>`;

    // Multi-valued categories: equal when any value is (case-insensitive, as Exchange compares strings).
    expect(await sorted(`<t:IsEqualTo>${categories}${constant("green")}</t:IsEqualTo>`)).toEqual([
      "Café Réunion weekly",
      "report quarterly",
    ]);
    expect(await sorted(`<t:IsNotEqualTo>${categories}${constant("Green")}</t:IsNotEqualTo>`)).toEqual([
      "Quarterly report",
      "cafe reunion notes",
    ]);
    expect(await sorted(`<t:Exists>${categories}</t:Exists>`)).toHaveLength(3);
    expect(await sorted(`<t:Not><t:Exists>${lucky}</t:Exists></t:Not>`)).toEqual(["Quarterly report"]);
    // Extended property comparisons and bitmasks.
    expect(
      await sorted(`<t:IsGreaterThanOrEqualTo>${lucky}${constant("5")}</t:IsGreaterThanOrEqualTo>`),
    ).toEqual(["Café Réunion weekly", "cafe reunion notes"]);
    expect(await sorted(`<t:IsLessThan>${lucky}${constant("5")}</t:IsLessThan>`)).toEqual([
      "report quarterly",
    ]);
    expect(await sorted(`<t:Excludes>${lucky}<t:Bitmask Value="0x1"/></t:Excludes>`)).toEqual([
      "Quarterly report",
      "cafe reunion notes",
      "report quarterly",
    ]);
    // Importance compares as Exchange's integer (Low < Normal < High), not alphabetically.
    const importance = `<t:FieldURI FieldURI="item:Importance"/>`;
    expect(await sorted(`<t:IsLessThan>${importance}${constant("High")}</t:IsLessThan>`)).toHaveLength(4);
    expect(await sorted(`<t:IsGreaterThan>${importance}${constant("Low")}</t:IsGreaterThan>`)).toHaveLength(
      4,
    );
    expect(await sorted(`<t:IsGreaterThan>${importance}${constant("Normal")}</t:IsGreaterThan>`)).toEqual([]);
    // ContainmentMode x ContainmentComparison.
    expect(await sorted(contains("Substring", "Exact", "Quarterly"))).toEqual(["Quarterly report"]);
    expect(await sorted(contains("Substring", "IgnoreCase", "REPORT"))).toEqual([
      "Quarterly report",
      "report quarterly",
    ]);
    expect(await sorted(contains("Prefixed", "IgnoreCase", "report"))).toEqual(["report quarterly"]);
    expect(await sorted(contains("FullString", "IgnoreCase", "QUARTERLY REPORT"))).toEqual([
      "Quarterly report",
    ]);
    expect(await sorted(contains("PrefixOnWords", "IgnoreCase", "quart"))).toEqual([
      "Quarterly report",
      "report quarterly",
    ]);
    expect(await sorted(contains("PrefixOnWords", "IgnoreCase", "uart"))).toEqual([]);
    expect(await sorted(contains("ExactPhrase", "IgnoreCase", "reunion"))).toEqual(["cafe reunion notes"]);
    expect(await sorted(contains("ExactPhrase", "IgnoreCaseAndNonSpacingCharacters", "reunion"))).toEqual([
      "Café Réunion weekly",
      "cafe reunion notes",
    ]);
    expect(await sorted(contains("Substring", "IgnoreNonSpacingCharacters", "Cafe"))).toEqual([
      "Café Réunion weekly",
    ]);
    expect(await sorted(contains("Substring", "Loose", "CAFE"))).toEqual([
      "Café Réunion weekly",
      "cafe reunion notes",
    ]);
    // Two properties compared (FieldURIOrConstant holding a FieldURI), nested Not/And/Or.
    expect(
      await sorted(
        `<t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeCreated"/><t:FieldURIOrConstant><t:FieldURI FieldURI="item:DateTimeSent"/></t:FieldURIOrConstant></t:IsGreaterThan>`,
      ),
    ).toHaveLength(4);
    expect(
      await sorted(
        `<t:Or><t:And><t:IsEqualTo><t:FieldURI FieldURI="message:IsRead"/>${constant("0")}</t:IsEqualTo><t:Not>${contains("Substring", "IgnoreCase", "report")}</t:Not></t:And><t:IsEqualTo>${categories}${constant("Red")}</t:IsEqualTo></t:Or>`,
      ),
    ).toEqual(["Café Réunion weekly", "cafe reunion notes"]);
    // Sorting on an extended property (items without it first when ascending).
    expect(
      await find(
        `<t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/>${constant("2000-01-01T00:00:00Z")}</t:IsGreaterThan>`,
        `<m:SortOrder><t:FieldOrder Order="Descending">${lucky}</t:FieldOrder></m:SortOrder>`,
      ),
    ).toEqual(["cafe reunion notes", "Café Réunion weekly", "report quarterly", "Quarterly report"]);
    const text = await rec.call(
      "FindItem unsupported path",
      `<m:FindItem Traversal="Shallow">${itemShape()}<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:MimeContent"/>${constant("x")}</t:IsEqualTo></m:Restriction>${parent(folder)}</m:FindItem>`,
    );
    expect(text).toContain("ErrorUnsupportedPathForQuery");
  });

  it("keeps reminders and a contact's own DisplayName, accepts other writable fields, refuses computed ones", async () => {
    const cal = await create(
      `<t:CalendarItem><t:Subject>reminded</t:Subject><t:ReminderMinutesBeforeStart>25</t:ReminderMinutesBeforeStart><t:Start>2030-06-01T09:00:00Z</t:Start><t:End>2030-06-01T10:00:00Z</t:End></t:CalendarItem>`,
    );
    let text = await update(
      cal,
      `<t:SetItemField><t:FieldURI FieldURI="calendar:StartTimeZone"/><t:CalendarItem><t:StartTimeZone Id="UTC"/></t:CalendarItem></t:SetItemField>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:ReminderDueBy"/><t:CalendarItem><t:ReminderDueBy>2030-06-01T08:35:00Z</t:ReminderDueBy></t:CalendarItem></t:SetItemField>`,
    );
    expect(text).toContain("NoError");
    text = await get(cal, itemShape("AllProperties"));
    expect(text).toContain("<t:ReminderDueBy>2030-06-01T08:35:00Z</t:ReminderDueBy>");
    expect(text).toContain("<t:ReminderMinutesBeforeStart>25</t:ReminderMinutesBeforeStart>");
    text = await update(
      cal,
      `<t:SetItemField><t:FieldURI FieldURI="item:DateTimeReceived"/><t:CalendarItem><t:DateTimeReceived>2030-01-01T00:00:00Z</t:DateTimeReceived></t:CalendarItem></t:SetItemField>`,
      "UpdateItem computed field",
    );
    expect(text).toContain("ErrorInvalidPropertySet");
    const contact = await create(
      `<t:Contact><t:FileAs>Byron, Ada</t:FileAs><t:DisplayName>Countess of Lovelace</t:DisplayName><t:GivenName>Ada</t:GivenName><t:Surname>King</t:Surname></t:Contact>`,
    );
    text = await get(contact, itemShape("Default"));
    expect(text).toContain("<t:DisplayName>Countess of Lovelace</t:DisplayName>");
    await update(
      contact,
      `<t:SetItemField><t:FieldURI FieldURI="contacts:Birthday"/><t:Contact><t:Birthday>1815-12-10T00:00:00Z</t:Birthday></t:Contact></t:SetItemField>` +
        `<t:DeleteItemField><t:FieldURI FieldURI="contacts:DisplayName"/></t:DeleteItemField>`,
    );
    text = await get(contact, itemShape("AllProperties"));
    expect(text).toContain("<t:DisplayName>Ada King</t:DisplayName>");
    expect(text).toContain("<t:FileAs>Byron, Ada</t:FileAs>");
  });

  it("filters FindFolder with the same restriction engine", async () => {
    const text = await rec.call(
      "FindFolder restriction",
      `<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:Restriction><t:Or><t:And><t:IsEqualTo><t:FieldURI FieldURI="folder:FolderClass"/><t:FieldURIOrConstant><t:Constant Value="IPF.Appointment"/></t:FieldURIOrConstant></t:IsEqualTo><t:Contains ContainmentMode="Prefixed" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="folder:DisplayName"/><t:Constant Value="CAL"/></t:Contains></t:And><t:IsEqualTo><t:FieldURI FieldURI="folder:DisplayName"/><t:FieldURIOrConstant><t:Constant Value="restrictions"/></t:FieldURIOrConstant></t:IsEqualTo></t:Or></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
    );
    expect(all(text, /<t:DisplayName>([^<]+)</).sort()).toEqual(["Calendar", "Restrictions"]);
    const bad = await rec.call(
      "FindFolder unsupported path",
      `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:Restriction><t:Exists><t:FieldURI FieldURI="item:Subject"/></t:Exists></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
    );
    expect(bad).toContain("ErrorUnsupportedPathForQuery");
  });

  it("answers schema-valid XML throughout", async () => {
    expect(rec.bodies.length).toBeGreaterThan(30);
    expect((await rec.failures()).slice(0, 20)).toEqual([]);
  });
});
