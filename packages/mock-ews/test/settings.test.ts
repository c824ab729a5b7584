// Mailbox settings over EWS: inbox rules, OOF, delegates and user configurations are seeded
// deterministically, round-trip (set then get equal), answer bad input with Exchange's errors,
// show in-process API changes at once, and every response validates against messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responseCodes, soap } from "./helpers.js";
import { capture, SchemaRecorder } from "./schema-recorder.js";

describe("mailbox settings operations", () => {
  let server: MockEwsServer;
  const recorder = new SchemaRecorder(() => server);
  const call = (name: string, body: string) => recorder.call(name, body);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 16, mailboxes: 4, itemsPerMailbox: 20 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("seeds realistic settings deterministically from the seed", async () => {
    const again = await startMockEwsServer({ seed: 16, mailboxes: 4, itemsPerMailbox: 20 });
    try {
      for (const box of server.mailboxes) {
        expect(again.settings.rules(box)).toEqual(server.settings.rules(box));
        expect(again.settings.oof(box)).toEqual(server.settings.oof(box));
        expect(again.settings.delegates(box)).toEqual(server.settings.delegates(box));
      }
    } finally {
      await again.stop();
    }
    const all = server.mailboxes.flatMap((box) => server.settings.rules(box));
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(all.some((r) => !r.isEnabled)).toBe(true);
    expect(all.some((r) => r.actions.MoveToFolder !== undefined)).toBe(true);
    expect(server.mailboxes.some((box) => server.settings.oof(box).state !== "Disabled")).toBe(true);
    expect(server.mailboxes.some((box) => server.settings.delegates(box).length > 0)).toBe(true);
    const categories = server.settings
      .configurations(server.mailboxes[0]!)
      .find((c) => c.name === "CategoryList");
    const xml = Buffer.from(categories!.xmlData!, "base64").toString("utf8");
    expect(xml).toMatch(/<category name="Red category" color="0"/);
  });

  it("GetInboxRules shows the seeded rules; UpdateInboxRules creates, sets and deletes them", async () => {
    const box = server.mailboxes[0]!;
    const seeded = server.settings.rules(box);
    const listed = await call(
      "GetInboxRules",
      `<m:GetInboxRules><m:MailboxSmtpAddress>${box}</m:MailboxSmtpAddress></m:GetInboxRules>`,
    );
    expect(responseCodes(listed)).toEqual(["NoError"]);
    for (const rule of seeded) expect(listed).toContain(`<t:RuleId>${rule.id}</t:RuleId>`);
    const inbox = server.folderId(box, "inbox");
    const created = await call(
      "UpdateInboxRules create",
      `<m:UpdateInboxRules><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob><m:Operations><t:CreateRuleOperation><t:Rule><t:DisplayName>Boss</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>false</t:IsEnabled><t:Conditions><t:FromAddresses><t:Address><t:EmailAddress>${server.mailboxes[1]}</t:EmailAddress></t:Address></t:FromAddresses><t:WithinSizeRange><t:MinimumSize>10</t:MinimumSize><t:MaximumSize>500</t:MaximumSize></t:WithinSizeRange></t:Conditions><t:Exceptions><t:ContainsSubjectStrings><t:String>lunch</t:String></t:ContainsSubjectStrings></t:Exceptions><t:Actions><t:AssignCategories><t:String>Customers</t:String></t:AssignCategories><t:MarkImportance>High</t:MarkImportance><t:MoveToFolder><t:FolderId Id="${inbox}"/></t:MoveToFolder><t:StopProcessingRules>true</t:StopProcessingRules></t:Actions></t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>`,
    );
    expect(responseCodes(created)).toEqual(["NoError"]);
    const rules = server.settings.rules(box);
    expect(rules).toHaveLength(seeded.length + 1);
    const boss = rules[0]!;
    expect(boss).toMatchObject({
      displayName: "Boss",
      priority: 1,
      isEnabled: false,
      conditions: {
        FromAddresses: [{ address: server.mailboxes[1] }],
        WithinSizeRange: { min: 10, max: 500 },
      },
      exceptions: { ContainsSubjectStrings: ["lunch"] },
      actions: {
        AssignCategories: ["Customers"],
        MarkImportance: "High",
        MoveToFolder: inbox,
        StopProcessingRules: true,
      },
    });
    expect(rules.map((r) => r.priority)).toEqual(rules.map((_, i) => i + 1));
    const after = await call("GetInboxRules after create", `<m:GetInboxRules/>`);
    expect(after).toContain(`<t:MoveToFolder><t:FolderId Id="${inbox}"`);
    expect(capture(after, /<t:Rule><t:RuleId>([^<]+)</)).toBe(boss.id);

    // Set moves it to the end and enables it; delete removes the seeded first rule.
    const set = await call(
      "UpdateInboxRules set+delete",
      `<m:UpdateInboxRules><m:Operations><t:SetRuleOperation><t:Rule><t:RuleId>${boss.id}</t:RuleId><t:DisplayName>Boss 2</t:DisplayName><t:Priority>99</t:Priority><t:IsEnabled>true</t:IsEnabled><t:Actions><t:Delete>true</t:Delete></t:Actions></t:Rule></t:SetRuleOperation><t:DeleteRuleOperation><t:RuleId>${seeded[0]!.id}</t:RuleId></t:DeleteRuleOperation></m:Operations></m:UpdateInboxRules>`,
    );
    expect(responseCodes(set)).toEqual(["NoError"]);
    const now = server.settings.rules(box);
    expect(now.map((r) => r.id)).toEqual([...seeded.slice(1).map((r) => r.id), boss.id]);
    expect(now.at(-1)).toMatchObject({ displayName: "Boss 2", isEnabled: true, actions: { Delete: true } });
  });

  it("UpdateInboxRules refuses invalid operations as a whole, with RuleOperationErrors", async () => {
    const box = server.mailboxes[1]!;
    const before = server.settings.rules(box);
    const text = await call(
      "UpdateInboxRules invalid",
      `<m:UpdateInboxRules><m:MailboxSmtpAddress>${box}</m:MailboxSmtpAddress><m:Operations><t:CreateRuleOperation><t:Rule><t:DisplayName>ok</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled><t:Actions><t:MarkAsRead>true</t:MarkAsRead></t:Actions></t:Rule></t:CreateRuleOperation><t:CreateRuleOperation><t:Rule><t:DisplayName>no action</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled></t:Rule></t:CreateRuleOperation><t:CreateRuleOperation><t:Rule><t:DisplayName>gone</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled><t:Actions><t:MoveToFolder><t:FolderId Id="AAMkAGhvc3Q="/></t:MoveToFolder></t:Actions></t:Rule></t:CreateRuleOperation><t:DeleteRuleOperation><t:RuleId>AQAAAP////8=</t:RuleId></t:DeleteRuleOperation></m:Operations></m:UpdateInboxRules>`,
    );
    expect(responseCodes(text)).toEqual(["ErrorInboxRulesValidationError"]);
    expect([...text.matchAll(/<t:ErrorCode>(\w+)</g)].map((m) => m[1])).toEqual([
      "MissingAction",
      "FolderDoesNotExist",
      "RuleNotFound",
    ]);
    expect([...text.matchAll(/<t:OperationIndex>(\d+)</g)].map((m) => m[1])).toEqual(["1", "2", "3"]);
    expect(server.settings.rules(box)).toEqual(before);
  });

  it("GetUserOofSettings / SetUserOofSettings round-trip, and a bad schedule is refused", async () => {
    const box = server.mailboxes[2]!;
    const got = await call(
      "GetUserOofSettings",
      `<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>${box}</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`,
    );
    expect(got).toContain(`<t:OofState>${server.settings.oof(box).state}</t:OofState>`);
    const set = await call(
      "SetUserOofSettings",
      `<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>${box}</t:Address></t:Mailbox><t:UserOofSettings><t:OofState>Scheduled</t:OofState><t:ExternalAudience>Known</t:ExternalAudience><t:Duration><t:StartTime>2026-03-01T08:00:00Z</t:StartTime><t:EndTime>2026-03-15T18:00:00Z</t:EndTime></t:Duration><t:InternalReply><t:Message>Away &amp; back soon</t:Message></t:InternalReply><t:ExternalReply><t:Message>Away</t:Message></t:ExternalReply></t:UserOofSettings></m:SetUserOofSettingsRequest>`,
    );
    expect(responseCodes(set)).toEqual(["NoError"]);
    expect(server.settings.oof(box)).toEqual({
      state: "Scheduled",
      externalAudience: "Known",
      start: "2026-03-01T08:00:00Z",
      end: "2026-03-15T18:00:00Z",
      internalReply: "Away & back soon",
      externalReply: "Away",
    });
    const again = await call(
      "GetUserOofSettings after set",
      `<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>${box}</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`,
    );
    expect(again).toContain(
      "<t:Duration><t:StartTime>2026-03-01T08:00:00Z</t:StartTime><t:EndTime>2026-03-15T18:00:00Z</t:EndTime></t:Duration>",
    );
    expect(again).toContain("<t:Message>Away &amp; back soon</t:Message>");
    const bad = await call(
      "SetUserOofSettings bad duration",
      `<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>${box}</t:Address></t:Mailbox><t:UserOofSettings><t:OofState>Scheduled</t:OofState><t:ExternalAudience>All</t:ExternalAudience><t:Duration><t:StartTime>2026-03-15T08:00:00Z</t:StartTime><t:EndTime>2026-03-01T18:00:00Z</t:EndTime></t:Duration></t:UserOofSettings></m:SetUserOofSettingsRequest>`,
    );
    expect(responseCodes(bad)).toEqual(["ErrorInvalidScheduledOofDuration"]);
    const unknown = await call(
      "GetUserOofSettings unknown mailbox",
      `<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>nobody@nowhere.test</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`,
    );
    expect(responseCodes(unknown)).toEqual(["ErrorNonExistentMailbox"]);
    expect(server.settings.oof(box).state).toBe("Scheduled");
    server.settings.setOof(box, { state: "Disabled" });
    expect(
      await call(
        "GetUserOofSettings after API",
        `<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>${box}</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`,
      ),
    ).toContain("<t:OofState>Disabled</t:OofState>");
    expect(() => server.settings.setOof(box, { state: "Sometimes" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_SETTINGS" }),
    );
  });

  it("AddDelegate / UpdateDelegate / GetDelegate / RemoveDelegate round-trip, with per-user errors", async () => {
    const [owner, a, b, c] = server.mailboxes as [string, string, string, string];
    server.settings.setDelegates(owner, []);
    const mailbox = `<m:Mailbox><t:EmailAddress>${owner}</t:EmailAddress></m:Mailbox>`;
    const empty = await call(
      "GetDelegate none",
      `<m:GetDelegate IncludePermissions="true">${mailbox}</m:GetDelegate>`,
    );
    expect(responseCodes(empty)).toEqual(["NoError"]);
    const added = await call(
      "AddDelegate",
      `<m:AddDelegate>${mailbox}<m:DelegateUsers><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${a}</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>Editor</t:CalendarFolderPermissionLevel><t:InboxFolderPermissionLevel>Reviewer</t:InboxFolderPermissionLevel></t:DelegatePermissions><t:ReceiveCopiesOfMeetingMessages>true</t:ReceiveCopiesOfMeetingMessages><t:ViewPrivateItems>true</t:ViewPrivateItems></m:DelegateUser><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${owner}</t:PrimarySmtpAddress></t:UserId></m:DelegateUser><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>ghost@nowhere.test</t:PrimarySmtpAddress></t:UserId></m:DelegateUser><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${b}</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:TasksFolderPermissionLevel>Author</t:TasksFolderPermissionLevel></t:DelegatePermissions></m:DelegateUser></m:DelegateUsers><m:DeliverMeetingRequests>DelegatesOnly</m:DeliverMeetingRequests></m:AddDelegate>`,
    );
    expect(responseCodes(added)).toEqual([
      "NoError",
      "NoError",
      "ErrorDelegateCannotAddOwner",
      "ErrorDelegateNoUser",
      "NoError",
    ]);
    expect(server.settings.delegates(owner)).toEqual([
      {
        smtpAddress: a,
        displayName: expect.any(String),
        permissions: {
          Calendar: "Editor",
          Tasks: "None",
          Inbox: "Reviewer",
          Contacts: "None",
          Notes: "None",
          Journal: "None",
        },
        receiveCopiesOfMeetingMessages: true,
        viewPrivateItems: true,
      },
      expect.objectContaining({ smtpAddress: b, permissions: expect.objectContaining({ Tasks: "Author" }) }),
    ]);
    expect(server.settings.deliverMeetingRequests(owner)).toBe("DelegatesOnly");
    // As in Exchange, the delegate's levels are entries of the folders' ACLs.
    const aclOf = async (folder: string) =>
      (
        await soap(
          server,
          `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="${folder}"/></m:FolderIds></m:GetFolder>`,
        )
      ).text;
    const entryOf = (acl: string, smtp: string) =>
      new RegExp(
        `<t:PrimarySmtpAddress>${smtp}</t:PrimarySmtpAddress>(?:(?!</t:(?:Calendar)?Permission>).)*<t:(?:Calendar)?PermissionLevel>(\\w+)<`,
      ).exec(acl)?.[1];
    expect(entryOf(await aclOf("calendar"), a)).toBe("Editor");
    expect(entryOf(await aclOf("inbox"), a)).toBe("Reviewer");
    expect(entryOf(await aclOf("tasks"), a)).toBeUndefined();
    expect(entryOf(await aclOf("tasks"), b)).toBe("Author");
    const again = await call(
      "AddDelegate duplicate",
      `<m:AddDelegate>${mailbox}<m:DelegateUsers><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${a}</t:PrimarySmtpAddress></t:UserId></m:DelegateUser></m:DelegateUsers></m:AddDelegate>`,
    );
    expect(responseCodes(again)).toEqual(["NoError", "ErrorDelegateAlreadyExists"]);
    const updated = await call(
      "UpdateDelegate",
      `<m:UpdateDelegate>${mailbox}<m:DelegateUsers><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${b}</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>Reviewer</t:CalendarFolderPermissionLevel></t:DelegatePermissions></m:DelegateUser><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${c}</t:PrimarySmtpAddress></t:UserId></m:DelegateUser><m:DelegateUser><t:UserId><t:PrimarySmtpAddress>${a}</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>Custom</t:CalendarFolderPermissionLevel></t:DelegatePermissions></m:DelegateUser></m:DelegateUsers></m:UpdateDelegate>`,
    );
    expect(responseCodes(updated)).toEqual([
      "NoError",
      "NoError",
      "ErrorNotDelegate",
      "ErrorInvalidDelegatePermission",
    ]);
    expect(server.settings.delegates(owner)[1]!.permissions).toMatchObject({
      Calendar: "Reviewer",
      Tasks: "Author",
    });
    const got = await call(
      "GetDelegate",
      `<m:GetDelegate IncludePermissions="true">${mailbox}</m:GetDelegate>`,
    );
    expect(got).toContain(`<t:PrimarySmtpAddress>${a}</t:PrimarySmtpAddress>`);
    expect(got).toContain("<t:CalendarFolderPermissionLevel>Editor</t:CalendarFolderPermissionLevel>");
    expect(got).toContain("<m:DeliverMeetingRequests>DelegatesOnly</m:DeliverMeetingRequests>");
    const removed = await call(
      "RemoveDelegate",
      `<m:RemoveDelegate>${mailbox}<m:UserIds><t:UserId><t:PrimarySmtpAddress>${a}</t:PrimarySmtpAddress></t:UserId><t:UserId><t:PrimarySmtpAddress>${c}</t:PrimarySmtpAddress></t:UserId></m:UserIds></m:RemoveDelegate>`,
    );
    expect(responseCodes(removed)).toEqual(["NoError", "NoError", "ErrorNotDelegate"]);
    expect(server.settings.delegates(owner).map((d) => d.smtpAddress)).toEqual([b]);
    expect(entryOf(await aclOf("inbox"), a)).toBeUndefined();
    expect(entryOf(await aclOf("calendar"), b)).toBe("Reviewer");
    const stranger = await call(
      "GetDelegate unknown mailbox",
      `<m:GetDelegate IncludePermissions="false"><m:Mailbox><t:EmailAddress>nobody@nowhere.test</t:EmailAddress></m:Mailbox></m:GetDelegate>`,
    );
    expect(responseCodes(stranger)).toEqual(["ErrorNonExistentMailbox"]);
  });

  it("user configurations: the seeded category list, create / get / update / delete, and errors", async () => {
    const name = (n: string, folder = "calendar") =>
      `<m:UserConfigurationName Name="${n}"><t:DistinguishedFolderId Id="${folder}"/></m:UserConfigurationName>`;
    const categories = await call(
      "GetUserConfiguration CategoryList",
      `<m:GetUserConfiguration>${name("CategoryList")}<m:UserConfigurationProperties>All</m:UserConfigurationProperties></m:GetUserConfiguration>`,
    );
    const xml = Buffer.from(capture(categories, /<t:XmlData>([^<]+)</), "base64").toString("utf8");
    expect(xml).toContain('xmlns="CategoryList.xsd"');
    await call(
      "GetUserConfiguration Calendar dictionary",
      `<m:GetUserConfiguration>${name("Calendar")}<m:UserConfigurationProperties>Dictionary</m:UserConfigurationProperties></m:GetUserConfiguration>`,
    );
    const dictionary = `<t:Dictionary><t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type><t:Value>count</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>Integer32</t:Type><t:Value>7</t:Value></t:DictionaryValue></t:DictionaryEntry><t:DictionaryEntry><t:DictionaryKey><t:Type>Integer32</t:Type><t:Value>2</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>StringArray</t:Type><t:Value>a</t:Value><t:Value>b</t:Value></t:DictionaryValue></t:DictionaryEntry></t:Dictionary>`;
    const created = await call(
      "CreateUserConfiguration",
      `<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Test.Settings"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName>${dictionary}<t:BinaryData>AAEC</t:BinaryData></m:UserConfiguration></m:CreateUserConfiguration>`,
    );
    expect(responseCodes(created)).toEqual(["NoError"]);
    const duplicate = await call(
      "CreateUserConfiguration duplicate",
      `<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="test.settings"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName></m:UserConfiguration></m:CreateUserConfiguration>`,
    );
    expect(responseCodes(duplicate)).toEqual(["ErrorItemSave"]);
    const got = await call(
      "GetUserConfiguration created",
      `<m:GetUserConfiguration>${name("Test.Settings", "inbox")}<m:UserConfigurationProperties>All</m:UserConfigurationProperties></m:GetUserConfiguration>`,
    );
    expect(got).toContain(dictionary);
    expect(got).toContain("<t:BinaryData>AAEC</t:BinaryData>");
    const update = await call(
      "UpdateUserConfiguration",
      `<m:UpdateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Test.Settings"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName><t:XmlData>PGEvPg==</t:XmlData></m:UserConfiguration></m:UpdateUserConfiguration>`,
    );
    expect(responseCodes(update)).toEqual(["NoError"]);
    const stored = server.settings
      .configurations(server.mailboxes[0]!)
      .find((c) => c.name === "Test.Settings");
    expect(stored).toMatchObject({ xmlData: "PGEvPg==", binaryData: "AAEC" });
    expect(stored!.dictionary).toHaveLength(2);
    const badType = await call(
      "CreateUserConfiguration bad value",
      `<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Bad"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName><t:Dictionary><t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type><t:Value>k</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>Integer32</t:Type><t:Value>x</t:Value></t:DictionaryValue></t:DictionaryEntry></t:Dictionary></m:UserConfiguration></m:CreateUserConfiguration>`,
    );
    expect(responseCodes(badType)).toEqual(["ErrorInvalidValueForProperty"]);
    const deleted = await call(
      "DeleteUserConfiguration",
      `<m:DeleteUserConfiguration>${name("Test.Settings", "inbox")}</m:DeleteUserConfiguration>`,
    );
    expect(responseCodes(deleted)).toEqual(["NoError"]);
    const missing = await call(
      "GetUserConfiguration missing",
      `<m:GetUserConfiguration>${name("Test.Settings", "inbox")}<m:UserConfigurationProperties>All</m:UserConfigurationProperties></m:GetUserConfiguration>`,
    );
    expect(responseCodes(missing)).toEqual(["ErrorItemNotFound"]);
    const missingDelete = await call(
      "DeleteUserConfiguration missing",
      `<m:DeleteUserConfiguration>${name("Nope")}</m:DeleteUserConfiguration>`,
    );
    expect(responseCodes(missingDelete)).toEqual(["ErrorItemNotFound"]);
  });

  it("calendars are seeded as shared with colleagues (GetFolder PermissionSet)", async () => {
    const permissionsOf = (mailbox: string) =>
      soap(
        server,
        `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>`,
        { mailbox },
      );
    for (const [index, mailbox] of server.mailboxes.entries()) {
      const result = await permissionsOf(mailbox);
      recorder.bodies.push({ name: `GetFolder calendar permissions ${index}`, body: result.body });
      expect(result.text).toMatch(
        /<t:PrimarySmtpAddress>[^<]+<\/t:PrimarySmtpAddress>(?:(?!<\/t:CalendarPermission>).)*<t:CalendarPermissionLevel>Reviewer</,
      );
      expect(result.text).toContain(
        `<t:CalendarPermissionLevel>${index % 2 === 1 ? "FreeBusyTimeAndSubjectAndLocation" : "FreeBusyTimeOnly"}</t:CalendarPermissionLevel>`,
      );
      expect(result.text).not.toContain(`<t:PrimarySmtpAddress>${mailbox}</t:PrimarySmtpAddress>`);
    }
  });

  it("the in-process API changes each kind, shows the change over EWS, and refuses what EWS could not carry", async () => {
    const box = server.mailboxes[3]!;
    const other = server.mailboxes[0]!;
    const invalid = expect.objectContaining({ code: "INVALID_SETTINGS" });
    const inbox = server.folderId(box, "inbox");
    const [kept] = server.settings.rules(box);
    const rules = server.settings.setRules(box, [
      {
        displayName: "api rule",
        isEnabled: true,
        conditions: { IsNDR: true },
        exceptions: {},
        actions: { MoveToFolder: inbox },
      },
      kept!,
    ]);
    expect(rules.map((r) => [r.displayName, r.priority])).toEqual([
      ["api rule", 1],
      [kept!.displayName, 2],
    ]);
    expect(rules[1]!.id).toBe(kept!.id);
    const listed = await soap(server, "<m:GetInboxRules/>", { mailbox: box });
    expect(listed.text).toContain("<t:DisplayName>api rule</t:DisplayName><t:Priority>1</t:Priority>");
    expect(listed.text).toContain("<t:IsNDR>true</t:IsNDR>");
    const foreign = server.folderId(other, "inbox");
    expect(() =>
      server.settings.setRules(box, [
        {
          displayName: "x",
          isEnabled: true,
          conditions: {},
          exceptions: {},
          actions: { MoveToFolder: foreign },
        },
      ]),
    ).toThrow(invalid);
    expect(() =>
      server.settings.setRules(box, [
        { displayName: "x", isEnabled: true, conditions: {}, exceptions: {}, actions: {} },
      ]),
    ).toThrow(invalid);
    expect(server.settings.rules(box)).toEqual(rules);

    server.settings.setDelegates(
      box,
      [
        {
          smtpAddress: other,
          displayName: "Other",
          permissions: {
            Calendar: "Editor",
            Tasks: "None",
            Inbox: "None",
            Contacts: "None",
            Notes: "None",
            Journal: "None",
          },
          receiveCopiesOfMeetingMessages: true,
          viewPrivateItems: false,
        },
      ],
      "DelegatesAndMe",
    );
    const delegates = await soap(
      server,
      `<m:GetDelegate IncludePermissions="true"><m:Mailbox><t:EmailAddress>${box}</t:EmailAddress></m:Mailbox></m:GetDelegate>`,
      { mailbox: box },
    );
    expect(delegates.text).toContain(`<t:PrimarySmtpAddress>${other}</t:PrimarySmtpAddress>`);
    expect(delegates.text).toContain("<m:DeliverMeetingRequests>DelegatesAndMe</m:DeliverMeetingRequests>");
    const base = server.settings.delegates(box)[0]!;
    expect(() => server.settings.setDelegates(box, [{ ...base, smtpAddress: box }])).toThrow(invalid);
    expect(() => server.settings.setDelegates(box, [{ ...base, smtpAddress: "ghost@nowhere.test" }])).toThrow(
      invalid,
    );
    expect(() => server.settings.setDelegates(box, [base, base])).toThrow(invalid);

    const calendar = server.folderId(box, "calendar");
    server.settings.setConfiguration(box, { name: "Api.Config", folderId: calendar, binaryData: "AAAA" });
    const got = await soap(
      server,
      `<m:GetUserConfiguration><m:UserConfigurationName Name="Api.Config"><t:DistinguishedFolderId Id="calendar"/></m:UserConfigurationName><m:UserConfigurationProperties>BinaryData</m:UserConfigurationProperties></m:GetUserConfiguration>`,
      { mailbox: box },
    );
    expect(got.text).toContain("<t:BinaryData>AAAA</t:BinaryData>");
    expect(() => server.settings.setConfiguration(box, { name: "X", folderId: foreign })).toThrow(invalid);
    expect(server.settings.deleteConfiguration(box, calendar, "api.config")).toBe(true);
    expect(server.settings.deleteConfiguration(box, calendar, "api.config")).toBe(false);
    expect(() => server.settings.oof("nobody@nowhere.test")).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(() =>
      server.settings.setOof(box, { start: "2026-01-02T00:00:00Z", end: "2026-01-01T00:00:00Z" }),
    ).toThrow(invalid);
  });

  it("every response validates against messages.xsd", async () => {
    expect(recorder.bodies.length).toBeGreaterThan(20);
    expect(await recorder.failures()).toEqual([]);
  });
});
