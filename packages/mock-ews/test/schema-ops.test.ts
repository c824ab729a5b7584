// Every response body of the folder-change, id, address book and availability operations —
// success and error alike — validates against Exchange 2016's messages.xsd with xmllint (one
// call for all bodies, like schema.test.ts), and so do the throttling and unknown-operation
// faults.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, responseCodes, soap } from "./helpers.js";
import { schemaFailures } from "./schema-recorder.js";

describe("schema validity of the operations of issue 12", () => {
  let server: MockEwsServer;
  let busy: MockEwsServer;
  const bodies: { name: string; body: string }[] = [];
  const codes = new Set<string>();

  async function call(name: string, body: string, target = server, mailbox?: string | null) {
    const result = await soap(target, body, mailbox === undefined ? {} : { mailbox });
    expect(result.body, name).not.toBe("");
    bodies.push({ name, body: result.body });
    for (const code of responseCodes(result.text)) codes.add(code);
    for (const m of result.text.matchAll(/<faultcode[^>]*>a:(\w+)</g)) codes.add(m[1]!);
    return result;
  }

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 21, mailboxes: 3, itemsPerMailbox: 80 });
    busy = await startMockEwsServer({
      seed: 21,
      mailboxes: 1,
      itemsPerMailbox: 5,
      throttling: { burst: 1, rechargePerSecond: 0.01 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await busy?.stop();
  });

  it("validates every new response with xmllint", async () => {
    const box = server.mailboxes[0]!;
    const other = server.mailboxes[1]!;
    const shape = (base: string) => `<m:FolderShape><t:BaseShape>${base}</t:BaseShape></m:FolderShape>`;
    const created = await call(
      "CreateFolder",
      `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Ops A</t:DisplayName></t:Folder><t:Folder><t:DisplayName>Ops B</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
    );
    const [a, b] = ids(created.text, "FolderId");
    const calendar = server.folderId(box, "calendar");
    await call(
      "GetFolder permissions",
      `<m:GetFolder>${shape("AllProperties")}<m:FolderIds><t:FolderId Id="${a}"/><t:DistinguishedFolderId Id="calendar"/><t:DistinguishedFolderId Id="contacts"/><t:DistinguishedFolderId Id="tasks"/></m:FolderIds></m:GetFolder>`,
    );
    await call(
      "UpdateFolder",
      `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="${a}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Ops A2</t:DisplayName></t:Folder></t:SetFolderField><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:PrimarySmtpAddress>${other}</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Reviewer</t:PermissionLevel></t:Permission><t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:CanCreateItems>1</t:CanCreateItems><t:ReadItems>FullDetails</t:ReadItems><t:PermissionLevel>Custom</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange>` +
        `<t:FolderChange><t:FolderId Id="${calendar}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:CalendarFolder><t:PermissionSet><t:CalendarPermissions><t:CalendarPermission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:CalendarPermissionLevel>FreeBusyTimeAndSubjectAndLocation</t:CalendarPermissionLevel></t:CalendarPermission></t:CalendarPermissions></t:PermissionSet></t:CalendarFolder></t:SetFolderField></t:Updates></t:FolderChange>` +
        `<t:FolderChange><t:FolderId Id="${b}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Ops A2</t:DisplayName></t:Folder></t:SetFolderField></t:Updates></t:FolderChange>` +
        `<t:FolderChange><t:FolderId Id="${b}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:TotalCount"/><t:Folder><t:TotalCount>3</t:TotalCount></t:Folder></t:SetFolderField></t:Updates></t:FolderChange>` +
        `<t:FolderChange><t:FolderId Id="${b}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:PrimarySmtpAddress>ghost@nowhere.test</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Owner</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange>` +
        `<t:FolderChange><t:FolderId Id="${calendar}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/><t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:PermissionLevel>Owner</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
    );
    await call(
      "GetFolder permissions after update",
      `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:FolderId Id="${a}"/><t:FolderId Id="${calendar}"/></m:FolderIds></m:GetFolder>`,
    );
    await call(
      "CopyFolder",
      `<m:CopyFolder><m:ToFolderId><t:FolderId Id="${b}"/></m:ToFolderId><m:FolderIds><t:DistinguishedFolderId Id="inbox"/><t:FolderId Id="${b}"/></m:FolderIds></m:CopyFolder>`,
    );
    await call(
      "MoveFolder",
      `<m:MoveFolder><m:ToFolderId><t:FolderId Id="${b}"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${a}"/><t:DistinguishedFolderId Id="inbox"/><t:FolderId Id="${b}"/></m:FolderIds></m:MoveFolder>`,
    );
    await call(
      "MarkAllItemsAsRead",
      `<m:MarkAllItemsAsRead><m:ReadFlag>true</m:ReadFlag><m:SuppressReadReceipts>1</m:SuppressReadReceipts><m:FolderIds><t:DistinguishedFolderId Id="inbox"/><t:FolderId Id="AAAA"/></m:FolderIds></m:MarkAllItemsAsRead>`,
    );
    await call(
      "EmptyFolder",
      `<m:EmptyFolder DeleteType="MoveToDeletedItems" DeleteSubFolders="true"><m:FolderIds><t:FolderId Id="${b}"/><t:DistinguishedFolderId Id="msgfolderroot"/></m:FolderIds></m:EmptyFolder>`,
    );
    const itemId = server.listItems(box, "sentitems")[0]!;
    const inboxId = server.folderId(box, "inbox");
    const converted = await call(
      "ConvertId",
      `<m:ConvertId DestinationFormat="HexEntryId"><m:SourceIds><t:AlternateId Format="EwsId" Id="${itemId}" Mailbox="${box}"/><t:AlternateId Format="EwsId" Id="${inboxId}" Mailbox="${box}"/><t:AlternateId Format="EwsId" Id="garbage" Mailbox="${box}"/><t:AlternateId Format="EwsId" Id="${itemId}" Mailbox="nobody@contoso.test"/><t:AlternatePublicFolderId Format="EwsId" FolderId="${server.folderId(box, "publicfoldersroot")}"/></m:SourceIds></m:ConvertId>`,
    );
    expect(responseCodes(converted.text)).toEqual([
      "NoError",
      "NoError",
      "ErrorInvalidIdMalformed",
      "ErrorNonExistentMailbox",
      "NoError",
    ]);
    await call(
      "FindPeople",
      `<m:FindPeople><m:IndexedPageItemView BasePoint="Beginning" MaxEntriesReturned="5" Offset="0"/></m:FindPeople>`,
    );
    await call(
      "FindPeople query",
      `<m:FindPeople><m:IndexedPageItemView BasePoint="Beginning" MaxEntriesReturned="50" Offset="0"/><m:QueryString>room</m:QueryString></m:FindPeople>`,
    );
    await call(
      "FindPeople contacts",
      `<m:FindPeople><m:IndexedPageItemView BasePoint="Beginning" MaxEntriesReturned="50" Offset="0"/><m:ParentFolderId><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderId></m:FindPeople>`,
    );
    const personaId = /<t:PersonaId Id="([^"]+)"/.exec(
      bodies.find((b) => b.name === "FindPeople")!.body,
    )![1]!;
    await call("GetPersona", `<m:GetPersona><m:PersonaId Id="${personaId}"/></m:GetPersona>`);
    await call("GetPersona unknown", `<m:GetPersona><m:PersonaId Id="AAAA"/></m:GetPersona>`);
    await call("FindPeople without view", `<m:FindPeople><m:QueryString>room</m:QueryString></m:FindPeople>`);
    await call(
      "ResolveNames full",
      `<m:ResolveNames ReturnFullContactData="true" SearchScope="ActiveDirectory"><m:UnresolvedEntry>${other}</m:UnresolvedEntry></m:ResolveNames>`,
    );
    server.addItem(box, "contacts", {
      ...server.getItem(server.listItems(box, "inbox")[0]!),
      itemClass: "IPM.Contact",
      subject: "Ada Lovelace",
      contact: {
        givenName: "Ada",
        surname: "Lovelace",
        companyName: "Analytical",
        jobTitle: "Countess",
        emailAddresses: ["ada@example.test"],
      },
    });
    await call(
      "ResolveNames contacts",
      `<m:ResolveNames ReturnFullContactData="true" SearchScope="ContactsActiveDirectory"><m:UnresolvedEntry>lovelace</m:UnresolvedEntry></m:ResolveNames>`,
    );
    await call(
      "ResolveNames lists",
      `<m:ResolveNames ReturnFullContactData="1"><m:UnresolvedEntry>room</m:UnresolvedEntry></m:ResolveNames>`,
    );
    for (const address of ["all-staff@contoso.test", "rooms-hq@contoso.test", box, "nobody@contoso.test"]) {
      await call(
        "ExpandDL",
        `<m:ExpandDL><m:Mailbox><t:EmailAddress>${address}</t:EmailAddress></m:Mailbox></m:ExpandDL>`,
      );
    }
    await call("GetRoomLists", "<m:GetRoomLists/>");
    await call(
      "GetRooms",
      `<m:GetRooms><m:RoomList><t:EmailAddress>rooms-hq@contoso.test</t:EmailAddress></m:RoomList></m:GetRooms>`,
    );
    await call(
      "GetRooms unknown",
      `<m:GetRooms><m:RoomList><t:EmailAddress>nothing@contoso.test</t:EmailAddress></m:RoomList></m:GetRooms>`,
    );
    await call(
      "GetMailTips",
      `<m:GetMailTips><m:SendingAs><t:EmailAddress>${box}</t:EmailAddress></m:SendingAs><m:Recipients><t:Mailbox><t:EmailAddress>${other}</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>all-staff@contoso.test</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>ghost@contoso.test</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>someone@example.org</t:EmailAddress></t:Mailbox></m:Recipients><m:MailTipsRequested>All</m:MailTipsRequested></m:GetMailTips>`,
    );
    await call(
      "GetSearchableMailboxes",
      `<m:GetSearchableMailboxes><m:SearchFilter></m:SearchFilter><m:ExpandGroupMembership>false</m:ExpandGroupMembership></m:GetSearchableMailboxes>`,
    );
    await call("GetServerTimeZones", `<m:GetServerTimeZones/>`);
    await call(
      "GetServerTimeZones ids",
      `<m:GetServerTimeZones ReturnFullTimeZoneData="false"><m:Ids><t:Id>W. Europe Standard Time</t:Id></m:Ids></m:GetServerTimeZones>`,
    );
    await call(
      "GetServerTimeZones unknown",
      `<m:GetServerTimeZones><m:Ids><t:Id>Mars Standard Time</t:Id></m:Ids></m:GetServerTimeZones>`,
    );
    const availability = (view: string, extra = "") =>
      `<m:GetUserAvailabilityRequest><t:TimeZone><t:Bias>-60</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>03:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>-60</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone><m:MailboxDataArray>${[box, other, "room-orion@contoso.test", "ghost@contoso.test"].map((m) => `<t:MailboxData><t:Email><t:Address>${m}</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>`).join("")}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2020-01-01T00:00:00</t:StartTime><t:EndTime>2020-02-10T00:00:00</t:EndTime></t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>60</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>${view}</t:RequestedView></t:FreeBusyViewOptions>${extra}</m:GetUserAvailabilityRequest>`;
    for (const view of ["DetailedMerged", "FreeBusy", "MergedOnly"])
      await call(`GetUserAvailability ${view}`, availability(view));
    await call(
      "GetUserAvailability suggestions",
      availability(
        "Detailed",
        "<t:SuggestionsViewOptions><t:GoodThreshold>25</t:GoodThreshold></t:SuggestionsViewOptions>",
      ),
    );
    await call("GetUserAvailability too long", availability("Detailed").replace("2020-02-10", "2020-06-10"));
    await call("Unknown operation", "<m:LaunchRockets/>");
    await call(
      "Unserved operation",
      `<m:GetSharingMetadata><m:IdOfFolderToShare><t:DistinguishedFolderId Id="calendar"/></m:IdOfFolderToShare><m:SenderSmtpAddress>${box}</m:SenderSmtpAddress><m:Recipients><t:SmtpAddress>${box}</t:SmtpAddress></m:Recipients></m:GetSharingMetadata>`,
    );
    await call("Busy default", `<m:GetRoomLists/>`, busy);
    await call("Busy default again", `<m:GetRoomLists/>`, busy);

    for (const code of [
      "NoError",
      "ErrorFolderExists",
      "ErrorInvalidPropertySet",
      "ErrorInvalidUserInfo",
      "ErrorCannotSetNonCalendarPermissionOnCalendarFolder",
      "ErrorMoveDistinguishedFolder",
      "ErrorMoveCopyFailed",
      "ErrorCannotEmptyFolder",
      "ErrorInvalidIdMalformed",
      "ErrorNonExistentMailbox",
      "ErrorNameResolutionMultipleResults",
      "ErrorNameResolutionNoResults",
      "ErrorTimeZone",
      "ErrorTimeIntervalTooBig",
      "ErrorMailRecipientNotFound",
      "ErrorSchemaValidation",
      "ErrorServerBusy",
      "ErrorInvalidRequest",
    ]) {
      expect([...codes], code).toContain(code);
    }

    // Faults are no messages.xsd documents (their shape is checked in refusals.test.ts).
    const documents = bodies.filter((entry) => !entry.body.includes(`<s:Fault`));
    const faults = bodies.filter((entry) => entry.body.includes(`<s:Fault`));
    expect(faults.map((f) => f.name).sort()).toEqual(
      [
        "Busy default again",
        "GetUserAvailability too long",
        "Unknown operation",
        "Unserved operation",
      ].sort(),
    );
    const failures = await schemaFailures(documents);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(documents.length).toBeGreaterThan(25);
  });
});
