// User configuration objects are folder-associated items, as in Exchange (MS-OXOCFG): a
// configuration N of folder F is the FAI of class IPM.Configuration.N in F. What
// CreateUserConfiguration makes FindItem Traversal="Associated" lists under the ItemId
// GetUserConfiguration (Id) answers; an update moves its change key and SyncFolderItems
// (NormalAndAssociatedItems) reports each change; DeleteItem of the FAI deletes the object; the
// dictionary is PidTagRoamingDictionary in Exchange's format; the seeded CategoryList, WorkHours
// and Calendar are the FAI FindItem lists. Every response validates against messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itemShape, responseCodes } from "./helpers.js";
import { SchemaRecorder } from "./schema-recorder.js";

describe("user configurations as folder-associated items", () => {
  let server: MockEwsServer;
  let mailbox: string;
  const recorder = new SchemaRecorder(() => server);
  const call = (name: string, body: string) => recorder.call(name, body);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 61, mailboxes: 2, itemsPerMailbox: 20 });
    mailbox = server.mailboxes[0]!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const nameXml = (name: string, folder: string) =>
    `<m:UserConfigurationName Name="${name}"><t:DistinguishedFolderId Id="${folder}"/></m:UserConfigurationName>`;
  const getConfiguration = (name: string, folder: string, properties = "Id") =>
    call(
      `GetUserConfiguration ${name} ${properties}`,
      `<m:GetUserConfiguration>${nameXml(name, folder)}<m:UserConfigurationProperties>${properties}</m:UserConfigurationProperties></m:GetUserConfiguration>`,
    );
  const itemIdOf = (text: string) => {
    const match = /<t:ItemId Id="([^"]+)" ChangeKey="([^"]+)"\/>/.exec(text);
    return match === null ? undefined : { id: match[1]!, changeKey: match[2]! };
  };
  /** [ItemId, ItemClass] of each associated item of `folder`, in FindItem's order. */
  const associated = async (folder: string) => {
    const text = await call(
      `FindItem Associated ${folder}`,
      `<m:FindItem Traversal="Associated">${itemShape("IdOnly", '<t:AdditionalProperties><t:FieldURI FieldURI="item:ItemClass"/></t:AdditionalProperties>')}<m:ParentFolderIds><t:DistinguishedFolderId Id="${folder}"/></m:ParentFolderIds></m:FindItem>`,
    );
    return [...text.matchAll(/<t:ItemId Id="([^"]+)" ChangeKey="[^"]+"\/><t:ItemClass>([^<]+)</g)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
  };
  const sync = (state?: string) =>
    call(
      "SyncFolderItems inbox",
      `<m:SyncFolderItems>${itemShape()}<m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId>${state === undefined ? "" : `<m:SyncState>${state}</m:SyncState>`}<m:MaxChangesReturned>512</m:MaxChangesReturned><m:SyncScope>NormalAndAssociatedItems</m:SyncScope></m:SyncFolderItems>`,
    );
  const stateOf = (text: string) => /<m:SyncState>([^<]*)</.exec(text)![1]!;

  it("a created configuration is an FAI of class IPM.Configuration.<name>, under the ItemId Get (Id) answers", async () => {
    const state = stateOf(await sync());
    const created = await call(
      "CreateUserConfiguration",
      `<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Fai.Test"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName><t:XmlData>PGEvPg==</t:XmlData></m:UserConfiguration></m:CreateUserConfiguration>`,
    );
    expect(responseCodes(created)).toEqual(["NoError"]);
    const got = await getConfiguration("fai.test", "inbox");
    const id = itemIdOf(got)!;
    // UserConfigurationName, then ItemId (schema order); Id alone asks for no other part.
    expect(got).toMatch(/<\/t:UserConfigurationName><t:ItemId /);
    expect(got).not.toContain("<t:XmlData>");
    expect(await associated("inbox")).toContainEqual([id.id, "IPM.Configuration.Fai.Test"]);
    expect(server.listAssociatedItems(mailbox, "inbox")).toContain(id.id);
    const all = await getConfiguration("Fai.Test", "inbox", "All");
    expect(itemIdOf(all)).toEqual(id);
    expect(all).toMatch(/<t:ItemId [^>]+\/><t:XmlData>PGEvPg==<\/t:XmlData>/);

    const changes = await sync(state);
    expect(changes).toContain(`<t:Create><t:Item><t:ItemId Id="${id.id}"`);
  });

  it("an update moves the change key, keeps the id, and shows in SyncFolderItems", async () => {
    const before = itemIdOf(await getConfiguration("Fai.Test", "inbox"))!;
    const state = stateOf(await sync());
    const updated = await call(
      "UpdateUserConfiguration",
      `<m:UpdateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Fai.Test"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName><t:BinaryData>AAEC</t:BinaryData></m:UserConfiguration></m:UpdateUserConfiguration>`,
    );
    expect(responseCodes(updated)).toEqual(["NoError"]);
    const after = await getConfiguration("Fai.Test", "inbox", "All");
    expect(itemIdOf(after)?.id).toBe(before.id);
    expect(itemIdOf(after)?.changeKey).not.toBe(before.changeKey);
    // The part the update carried replaced, the other kept.
    expect(after).toContain("<t:XmlData>PGEvPg==</t:XmlData><t:BinaryData>AAEC</t:BinaryData>");
    const changes = await sync(state);
    expect(changes).toContain(`<t:Update><t:Item><t:ItemId Id="${before.id}"`);
  });

  it("DeleteItem of the FAI deletes the configuration; DeleteUserConfiguration deletes the FAI", async () => {
    const { id } = itemIdOf(await getConfiguration("Fai.Test", "inbox"))!;
    const state = stateOf(await sync());
    const deleted = await call(
      "DeleteItem configuration FAI",
      `<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`,
    );
    expect(responseCodes(deleted)).toEqual(["NoError"]);
    expect(responseCodes(await getConfiguration("Fai.Test", "inbox"))).toEqual(["ErrorItemNotFound"]);
    expect(await sync(state)).toContain(`<t:Delete><t:ItemId Id="${id}"`);

    await call(
      "CreateUserConfiguration again",
      `<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Fai.Test"><t:DistinguishedFolderId Id="inbox"/></t:UserConfigurationName></m:UserConfiguration></m:CreateUserConfiguration>`,
    );
    const again = itemIdOf(await getConfiguration("Fai.Test", "inbox"))!;
    expect(again.id).not.toBe(id);
    const removed = await call(
      "DeleteUserConfiguration",
      `<m:DeleteUserConfiguration>${nameXml("FAI.TEST", "inbox")}</m:DeleteUserConfiguration>`,
    );
    expect(responseCodes(removed)).toEqual(["NoError"]);
    expect((await associated("inbox")).map(([itemId]) => itemId)).not.toContain(again.id);
    expect(server.listAssociatedItems(mailbox, "inbox")).not.toContain(again.id);
  });

  it("the dictionary is PidTagRoamingDictionary (0x7C07) in Exchange's XML, with the datatypes bitmask", async () => {
    const dictionary =
      "<t:Dictionary><t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type><t:Value>piRemindDefault</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>Integer32</t:Type><t:Value>15</t:Value></t:DictionaryValue></t:DictionaryEntry>" +
      '<t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type><t:Value>Tags</t:Value></t:DictionaryKey><t:DictionaryValue xsi:nil="true"/></t:DictionaryEntry></t:Dictionary>';
    const created = await call(
      "CreateUserConfiguration dictionary",
      `<m:CreateUserConfiguration><m:UserConfiguration><t:UserConfigurationName Name="Golden"><t:DistinguishedFolderId Id="calendar"/></t:UserConfigurationName>${dictionary}</m:UserConfiguration></m:CreateUserConfiguration>`,
    );
    expect(responseCodes(created)).toEqual(["NoError"]);
    const { id } = itemIdOf(await getConfiguration("Golden", "calendar"))!;
    const got = await call(
      "GetItem roaming properties",
      `<m:GetItem>${itemShape("IdOnly", '<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x7C06" PropertyType="Integer"/><t:ExtendedFieldURI PropertyTag="0x7C07" PropertyType="Binary"/><t:ExtendedFieldURI PropertyTag="0x7C08" PropertyType="Binary"/></t:AdditionalProperties>')}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    );
    expect(responseCodes(got)).toEqual(["NoError"]);
    const values = [
      ...got.matchAll(/<t:ExtendedProperty>.*?<t:Value>([^<]*)<\/t:Value><\/t:ExtendedProperty>/g),
    ].map((m) => m[1]!);
    // Datatypes 0x2 (dictionary only); no XML stream, so 0x7C08 is not set.
    expect(values).toHaveLength(2);
    expect(values[0]).toBe("2");
    expect(Buffer.from(values[1]!, "base64").toString("utf8")).toBe(
      '<?xml version="1.0" encoding="utf-8"?><UserConfiguration><Info version="Exchange.12"/><Data>' +
        '<e k="18-piRemindDefault" v="9-15"/><e k="18-Tags" v="0-"/></Data></UserConfiguration>',
    );
    expect(await getConfiguration("Golden", "calendar", "Dictionary")).toContain(dictionary);
  });

  it("an FAI whose dictionary stream is not one answers ErrorCorruptData", async () => {
    const { id, changeKey } = itemIdOf(await getConfiguration("Golden", "calendar"))!;
    const garbage = Buffer.from("<UserConfiguration><Data>").toString("base64");
    const updated = await call(
      "UpdateItem roaming dictionary",
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}" ChangeKey="${changeKey}"/><t:Updates><t:SetItemField><t:ExtendedFieldURI PropertyTag="0x7C07" PropertyType="Binary"/><t:Item><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x7C07" PropertyType="Binary"/><t:Value>${garbage}</t:Value></t:ExtendedProperty></t:Item></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(responseCodes(updated)).toEqual(["NoError"]);
    expect(responseCodes(await getConfiguration("Golden", "calendar", "All"))).toEqual(["ErrorCorruptData"]);
    // The settings API leaves it out of its listing; deleting it still works.
    expect(server.settings.configurations(mailbox).map((c) => c.name)).not.toContain("Golden");
    const removed = await call(
      "DeleteUserConfiguration corrupt",
      `<m:DeleteUserConfiguration>${nameXml("Golden", "calendar")}</m:DeleteUserConfiguration>`,
    );
    expect(responseCodes(removed)).toEqual(["NoError"]);
  });

  it("the seeded CategoryList, WorkHours and Calendar are the calendar FAI FindItem lists", async () => {
    const listed = await associated("calendar");
    for (const name of ["CategoryList", "WorkHours", "Calendar"]) {
      const got = await getConfiguration(name, "calendar", "All");
      expect(responseCodes(got)).toEqual(["NoError"]);
      expect(listed).toContainEqual([itemIdOf(got)!.id, `IPM.Configuration.${name}`]);
      if (name === "Calendar") {
        expect(got).toContain(
          "<t:Value>piAutoProcess</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>Boolean</t:Type><t:Value>true</t:Value>",
        );
        expect(got).toContain(
          '<t:Value>CalendarAssistantNoiseReduction</t:Value></t:DictionaryKey><t:DictionaryValue xsi:nil="true"/>',
        );
      } else {
        const xml = Buffer.from(/<t:XmlData>([^<]+)</.exec(got)![1]!, "base64").toString("utf8");
        expect(xml).toContain(name === "CategoryList" ? 'xmlns="CategoryList.xsd"' : "<WorkHoursVersion1>");
      }
    }
    // The settings API lists the same objects.
    expect(
      server.settings
        .configurations(mailbox)
        .filter((c) => c.folderId === server.folderId(mailbox, "calendar"))
        .map((c) => c.name),
    ).toEqual(["CategoryList", "WorkHours", "Calendar"]);
  });

  it("the settings API writes the same items; a value EWS could not carry is INVALID_SETTINGS", async () => {
    const calendar = server.folderId(mailbox, "calendar");
    const before = server.listAssociatedItems(mailbox, "calendar");
    server.settings.setConfiguration(mailbox, { name: "Api.Fai", folderId: calendar, binaryData: "AAAA" });
    const [added] = server.listAssociatedItems(mailbox, "calendar").filter((id) => !before.includes(id));
    expect(server.getItem(added!).itemClass).toBe("IPM.Configuration.Api.Fai");
    server.settings.setConfiguration(mailbox, { name: "api.fai", folderId: calendar, xmlData: "PGEvPg==" });
    // Replaced, not added: the same item, now with the XML part alone.
    expect(server.listAssociatedItems(mailbox, "calendar")).toEqual([...before, added]);
    expect(server.settings.configurations(mailbox).find((c) => c.name === "Api.Fai")).toEqual({
      name: "Api.Fai",
      folderId: calendar,
      xmlData: "PGEvPg==",
    });
    expect(() =>
      server.settings.setConfiguration(mailbox, {
        name: "Bad",
        folderId: calendar,
        dictionary: [{ key: { type: "String", values: ["n"] }, value: { type: "Integer32", values: ["x"] } }],
      }),
    ).toThrow(expect.objectContaining({ code: "INVALID_SETTINGS" }));
    expect(server.settings.deleteConfiguration(mailbox, calendar, "API.FAI")).toBe(true);
    expect(server.listAssociatedItems(mailbox, "calendar")).toEqual(before);
  });

  it("answers schema-valid XML throughout", async () => {
    expect(await recorder.failures()).toEqual([]);
  });
});
