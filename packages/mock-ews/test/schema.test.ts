// Every response body the server emits — success and error alike, one or more per operation
// and per error class — validates against Exchange 2016's messages.xsd with xmllint.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes, soap } from "./helpers.js";
import { schemaFailures } from "./schema-recorder.js";

const ALL = `<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x300B" PropertyType="Binary"/><t:FieldURI FieldURI="item:MimeContent"/></t:AdditionalProperties>`;

describe("schema validity of every response", () => {
  let server: MockEwsServer;
  let busyServer: MockEwsServer;
  let smallServer: MockEwsServer;
  const bodies: { name: string; body: string }[] = [];
  const codes = new Set<string>();

  async function call(name: string, body: string, options: Parameters<typeof soap>[2] = {}, target = server) {
    const result = await soap(target, body, options);
    expect(result.status, `${name}: ${result.text.slice(0, 500)}`).toBe(200);
    expect(result.body, name).not.toBe("");
    bodies.push({ name, body: result.body });
    for (const code of responseCodes(result.text)) codes.add(code);
    return result;
  }

  beforeAll(async () => {
    server = await startMockEwsServer({
      seed: 11,
      mailboxes: 2,
      itemsPerMailbox: 120,
      publicFolderItems: 10,
    });
    busyServer = await startMockEwsServer({
      seed: 11,
      mailboxes: 1,
      itemsPerMailbox: 5,
      throttling: { burst: 1, rechargePerSecond: 0.01, refusal: "responseMessage" },
      faults: [{ kind: "mailboxMove", operation: "GetFolder", nth: [1] }],
    });
    smallServer = await startMockEwsServer({
      seed: 11,
      mailboxes: 1,
      itemsPerMailbox: 30,
      maxResponseBytes: 2000,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await busyServer?.stop();
    await smallServer?.stop();
  });

  it("exercises every operation and validates all bodies with xmllint", async () => {
    const folderShape = (base: string) => `<m:FolderShape><t:BaseShape>${base}</t:BaseShape></m:FolderShape>`;
    const distinguished = [
      "root",
      "msgfolderroot",
      "inbox",
      "calendar",
      "contacts",
      "tasks",
      "notes",
      "sentitems",
      "recoverableitemsdeletions",
      "publicfoldersroot",
    ];
    await call(
      "GetFolder",
      `<m:GetFolder>${folderShape("AllProperties")}<m:FolderIds>${distinguished.map((d) => `<t:DistinguishedFolderId Id="${d}"/>`).join("")}</m:FolderIds></m:GetFolder>`,
    );
    await call(
      "GetFolder archive",
      `<m:GetFolder>${folderShape("Default")}<m:FolderIds><t:DistinguishedFolderId Id="archivemsgfolderroot"/></m:FolderIds></m:GetFolder>`,
    );
    const deep = await call(
      "FindFolder deep",
      `<m:FindFolder Traversal="Deep">${folderShape("AllProperties")}<m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
    );
    await call(
      "FindFolder paged",
      `<m:FindFolder Traversal="Shallow">${folderShape("IdOnly")}<m:IndexedPageFolderView MaxEntriesReturned="3" Offset="1" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
    );
    await call(
      "FindFolder public",
      `<m:FindFolder Traversal="Deep">${folderShape("Default")}<m:ParentFolderIds><t:DistinguishedFolderId Id="publicfoldersroot"/></m:ParentFolderIds></m:FindFolder>`,
    );
    const folderIds = ids(deep.text, "FolderId");
    expect(folderIds.length).toBeGreaterThan(10);
    const itemIds: string[] = [];
    for (const folderId of folderIds) {
      const found = await call(
        "FindItem AllProperties",
        `<m:FindItem Traversal="Shallow">${itemShape("AllProperties")}<m:IndexedPageItemView MaxEntriesReturned="20" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:FolderId Id="${folderId}"/></m:ParentFolderIds></m:FindItem>`,
      );
      itemIds.push(...ids(found.text).slice(0, 6));
      await call(
        "SyncFolderItems Default",
        `<m:SyncFolderItems>${itemShape("Default")}<m:SyncFolderId><t:FolderId Id="${folderId}"/></m:SyncFolderId><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`,
      );
    }
    expect(itemIds.length).toBeGreaterThan(20);
    const got = await call(
      "GetItem AllProperties",
      `<m:GetItem>${itemShape("AllProperties", `<t:IncludeMimeContent>true</t:IncludeMimeContent>${ALL}`)}<m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:GetItem>`,
    );
    expect(responseCodes(got.text).filter((c) => c === "NoError").length).toBe(itemIds.length);
    await call(
      "GetItem Default",
      `<m:GetItem>${itemShape("Default")}<m:ItemIds>${itemIds
        .slice(0, 10)
        .map((id) => `<t:ItemId Id="${id}"/>`)
        .join("")}</m:ItemIds></m:GetItem>`,
    );
    await call(
      "FindItem restriction",
      `<m:FindItem Traversal="Shallow">${itemShape("Default")}<m:Restriction><t:And><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="e"/></t:Contains><t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="2000-01-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThan></t:And></m:Restriction><m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
    );
    const exported = await call(
      "ExportItems",
      `<m:ExportItems><m:ItemIds>${itemIds
        .slice(0, 5)
        .map((id) => `<t:ItemId Id="${id}"/>`)
        .join("")}</m:ItemIds></m:ExportItems>`,
    );
    const data = /<m:Data>([^<]+)<\/m:Data>/.exec(exported.text)![1]!;
    const inbox = server.folderId(server.mailboxes[0]!, "inbox");
    const uploaded = await call(
      "UploadItems",
      `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${inbox}"/><t:Data>${data}</t:Data></t:Item><t:Item CreateAction="Update"><t:ParentFolderId Id="${inbox}"/><t:ItemId Id="${itemIds[0]}"/><t:Data>${data}</t:Data></t:Item><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${inbox}"/><t:Data>AAAA</t:Data></t:Item></m:Items></m:UploadItems>`,
    );
    const newId = ids(uploaded.text)[0]!;
    await call(
      "SyncFolderHierarchy",
      `<m:SyncFolderHierarchy>${folderShape("AllProperties")}</m:SyncFolderHierarchy>`,
    );
    const created = await call(
      "CreateFolder",
      `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Schema</t:DisplayName></t:Folder><t:CalendarFolder><t:DisplayName>Schema calendar</t:DisplayName></t:CalendarFolder><t:Folder><t:DisplayName>Schema</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
    );
    const newFolder = ids(created.text, "FolderId")[0]!;
    const createdItems = await call(
      "CreateItem",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:FolderId Id="${newFolder}"/></m:SavedItemFolderId><m:Items>` +
        `<t:Message><t:Subject>typed</t:Subject><t:Body BodyType="Text">hello</t:Body><t:Categories><t:String>Red</t:String></t:Categories><t:ToRecipients><t:Mailbox><t:Name>A</t:Name><t:EmailAddress>a@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients><t:IsRead>false</t:IsRead></t:Message>` +
        `<t:CalendarItem><t:Subject>meeting</t:Subject><t:Start>2025-01-06T09:00:00Z</t:Start><t:End>2025-01-06T10:00:00Z</t:End><t:Location>Room 1</t:Location><t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday Wednesday</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2025-01-06</t:StartDate><t:NumberOfOccurrences>10</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence></t:CalendarItem>` +
        `<t:Contact><t:GivenName>Ada</t:GivenName><t:Surname>Lovelace</t:Surname><t:EmailAddresses><t:Entry Key="EmailAddress1">ada@example.test</t:Entry></t:EmailAddresses></t:Contact>` +
        `<t:Task><t:Subject>task</t:Subject><t:Status>InProgress</t:Status><t:PercentComplete>50</t:PercentComplete></t:Task>` +
        `</m:Items></m:CreateItem>`,
    );
    const createdIds = ids(createdItems.text);
    expect(createdIds).toHaveLength(4);
    await call(
      "GetItem created",
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds>${createdIds.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:GetItem>`,
    );
    const mime = Buffer.from(
      "From: a@example.test\r\nSubject: via mime\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n",
    ).toString("base64");
    await call(
      "CreateItem MIME",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:MimeContent CharacterSet="UTF-8">${mime}</t:MimeContent></t:Message></m:Items></m:CreateItem>`,
    );
    await call(
      "UpdateItem",
      `<m:UpdateItem ConflictResolution="AutoResolve" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${createdIds[0]}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>changed</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange><t:ItemChange><t:ItemId Id="${createdIds[1]}" ChangeKey="DwAAABYAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>x</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`.replace(
        'ConflictResolution="AutoResolve"',
        'ConflictResolution="NeverOverwrite"',
      ),
    );
    await call(
      "CopyItem",
      `<m:CopyItem><m:ToFolderId><t:DistinguishedFolderId Id="inbox"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${createdIds[0]}"/></m:ItemIds></m:CopyItem>`,
    );
    await call(
      "MoveItem",
      `<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="sentitems"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${createdIds[0]}"/><t:ItemId Id="${createdIds[0]}"/></m:ItemIds></m:MoveItem>`,
    );
    await call(
      "DeleteItem",
      `<m:DeleteItem DeleteType="SoftDelete"><m:ItemIds><t:ItemId Id="${newId}"/><t:ItemId Id="garbage"/></m:ItemIds></m:DeleteItem>`,
    );
    await call(
      "DeleteFolder",
      `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="${newFolder}"/><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:DeleteFolder>`,
    );
    await call(
      "GetFolder missing",
      `<m:GetFolder>${folderShape("Default")}<m:FolderIds><t:FolderId Id="${newFolder}"/></m:FolderIds></m:GetFolder>`,
    );
    await call(
      "SyncFolderItems bad state",
      `<m:SyncFolderItems>${itemShape()}<m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:SyncState>bm90IGEgc3RhdGU=</m:SyncState><m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>`,
    );
    await call(
      "GetItem missing",
      `<m:GetItem>${itemShape()}<m:ItemIds><t:ItemId Id="${newId}"/></m:ItemIds></m:GetItem>`,
    );
    for (const entry of [server.mailboxes[0]!, "room", "nobody-at-all"]) {
      await call(
        "ResolveNames",
        `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`,
      );
    }
    const attachmentIds = [...got.text.matchAll(/<t:AttachmentId Id="([^"]+)"/g)]
      .map((m) => m[1]!)
      .slice(0, 4);
    expect(attachmentIds.length).toBeGreaterThan(0);
    const attachments = await call(
      "GetAttachment",
      `<m:GetAttachment><m:AttachmentIds>${[...attachmentIds, "AAAA"].map((id) => `<t:AttachmentId Id="${id}"/>`).join("")}</m:AttachmentIds></m:GetAttachment>`,
    );
    expect(responseCodes(attachments.text)).toEqual([
      ...attachmentIds.map(() => "NoError"),
      "ErrorInvalidAttachmentId",
    ]);
    expect(attachments.text).toContain("<t:Content>");
    // Every change shape of SyncFolderItems and SyncFolderHierarchy.
    const box = server.mailboxes[0]!;
    const syncInbox = (state: string) =>
      `<m:SyncFolderItems>${itemShape("Default")}<m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`;
    let syncState = "";
    for (;;) {
      const page = await soap(server, syncInbox(syncState));
      syncState = /<m:SyncState>([^<]*)</.exec(page.text)![1]!;
      if (page.text.includes("<m:IncludesLastItemInRange>true<")) break;
    }
    const hierarchy = await call(
      "SyncFolderHierarchy first",
      `<m:SyncFolderHierarchy>${folderShape("IdOnly")}</m:SyncFolderHierarchy>`,
    );
    const hierarchyState = /<m:SyncState>([^<]*)</.exec(hierarchy.text)![1]!;
    const inboxItems = server.listItems(box, "inbox");
    server.addItem(box, "inbox", server.getItem(inboxItems[0]!));
    server.modifyItem(inboxItems[1]!, { subject: "schema update" });
    server.modifyItem(inboxItems[2]!, (item) => ({ ...item, isRead: !item.isRead }));
    server.deleteItem(inboxItems[3]!);
    const changed = await call("SyncFolderItems changes", syncInbox(syncState));
    for (const kind of ["Create", "Update", "Delete", "ReadFlagChange"])
      expect(changed.text).toContain(`<t:${kind}>`);
    const folderA = server.addFolder(box, "msgfolderroot", "Schema A");
    const folderB = server.addFolder(box, "msgfolderroot", "Schema B");
    const middle = await soap(
      server,
      `<m:SyncFolderHierarchy>${folderShape("IdOnly")}<m:SyncState>${hierarchyState}</m:SyncState></m:SyncFolderHierarchy>`,
    );
    const middleState = /<m:SyncState>([^<]*)</.exec(middle.text)![1]!;
    server.renameFolder(folderA, "Schema A2");
    server.deleteFolder(folderB);
    server.addFolder(box, "msgfolderroot", "Schema C", "IPF.Task");
    const folderChanges = await call(
      "SyncFolderHierarchy changes",
      `<m:SyncFolderHierarchy>${folderShape("AllProperties")}<m:SyncState>${middleState}</m:SyncState></m:SyncFolderHierarchy>`,
    );
    for (const kind of ["Create", "Update", "Delete"]) expect(folderChanges.text).toContain(`<t:${kind}>`);
    await call(
      "SyncFolderItems bad max",
      syncInbox("").replace("<m:MaxChangesReturned>512", "<m:MaxChangesReturned>0"),
    );
    await call(
      "GetItem empty id",
      `<m:GetItem>${itemShape()}<m:ItemIds><t:ItemId Id=""/></m:ItemIds></m:GetItem>`,
    );
    await call(
      "GetFolder unknown delegate mailbox",
      `<m:GetFolder>${folderShape("Default")}<m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>nobody@contoso.test</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>`,
    );
    await call(
      "FindItem associated",
      `<m:FindItem Traversal="Associated">${itemShape("AllProperties")}<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
    );
    await call(
      "ExportItems too large",
      `<m:ExportItems><m:ItemIds>${smallServer
        .listItems(smallServer.mailboxes[0]!, "inbox")
        .slice(0, 3)
        .map((id) => `<t:ItemId Id="${id}"/>`)
        .join("")}</m:ItemIds></m:ExportItems>`,
      {},
      smallServer,
    );
    await call(
      "FindItem unsupported restriction",
      `<m:FindItem Traversal="Shallow">${itemShape()}<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Body"/><t:FieldURIOrConstant><t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
    );
    const victim = server.listItems(box, "inbox")[5]!;
    await call(
      "UpdateItem errors",
      `<m:UpdateItem ConflictResolution="AutoResolve" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${victim}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:DateTimeReceived"/><t:Message><t:DateTimeReceived>2020-01-01T00:00:00Z</t:DateTimeReceived></t:Message></t:SetItemField></t:Updates></t:ItemChange><t:ItemChange><t:ItemId Id="${victim}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    await call(
      "CreateItem bad MIME",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent CharacterSet="UTF-8">${Buffer.from("no headers at all").toString("base64")}</t:MimeContent></t:Message></m:Items></m:CreateItem>`,
    );
    await call(
      "GetFolder mailbox move",
      `<m:GetFolder>${folderShape("Default")}<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
      {},
      busyServer,
    );
    await call(
      "GetFolder busy",
      `<m:GetFolder>${folderShape("Default")}<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
      {},
      busyServer,
    );

    for (const code of [
      "NoError",
      "ErrorItemNotFound",
      "ErrorInvalidIdMalformed",
      "ErrorInvalidSyncStateData",
      "ErrorFolderNotFound",
      "ErrorFolderExists",
      "ErrorDeleteDistinguishedFolder",
      "ErrorCorruptData",
      "ErrorIrresolvableConflict",
      "ErrorNameResolutionNoResults",
      "ErrorNameResolutionMultipleResults",
      "ErrorMailboxMoveInProgress",
      "ErrorServerBusy",
      "ErrorInvalidArgument",
      "ErrorInvalidIdEmpty",
      "ErrorNonExistentMailbox",
      "ErrorMessageSizeExceeded",
      "ErrorInvalidAttachmentId",
      "ErrorUnsupportedPathForQuery",
      "ErrorInvalidPropertySet",
      "ErrorIncorrectUpdatePropertyCount",
      "ErrorMimeContentConversionFailed",
    ]) {
      expect([...codes], code).toContain(code);
    }

    const failures = await schemaFailures(bodies);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(bodies.length).toBeGreaterThan(40);
  });
});
