// Item and folder operations observed through the in-process API: what a request changes is
// what the mailbox holds afterwards.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes, soap } from "./helpers.js";

const folderShape = (base: string) => `<m:FolderShape><t:BaseShape>${base}</t:BaseShape></m:FolderShape>`;

describe("operations", () => {
  let server: MockEwsServer;
  let mailbox: string;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 13, mailboxes: 2, itemsPerMailbox: 200 });
    mailbox = server.mailboxes[0]!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("FindItem pages with IndexedPageItemView and filters with restrictions", async () => {
    const all = server.listItems(mailbox, "inbox");
    const seen: string[] = [];
    for (let offset = 0; ; ) {
      const result = await soap(
        server,
        `<m:FindItem Traversal="Shallow">${itemShape()}<m:IndexedPageItemView MaxEntriesReturned="9" Offset="${offset}" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
      );
      expect(result.text).toContain(`TotalItemsInView="${all.length}"`);
      seen.push(...ids(result.text));
      offset = Number(/IndexedPagingOffset="(\d+)"/.exec(result.text)![1]);
      if (result.text.includes('IncludesLastItemInRange="true"')) break;
    }
    expect(seen).toEqual(all);

    const target = server.getItem(all[3]!);
    const bySubject = await soap(
      server,
      `<m:FindItem Traversal="Shallow">${itemShape()}<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant><t:Constant Value="${target.subject.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;")}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
    );
    const matches = all.filter((id) => server.getItem(id).subject === target.subject);
    expect(ids(bySubject.text).sort()).toEqual(matches.sort());

    const cutoff = [...all.map((id) => server.getItem(id).dateTimeReceived)].sort()[
      Math.floor(all.length / 2)
    ]!;
    const newer = await soap(
      server,
      `<m:FindItem Traversal="Shallow">${itemShape()}<m:Restriction><t:Or><t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="${cutoff}"/></t:FieldURIOrConstant></t:IsGreaterThan><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:ItemClass"/><t:Constant Value="ipm.post"/></t:Contains></t:Or></m:Restriction><m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
    );
    const expected = all
      .filter((id) => {
        const item = server.getItem(id);
        return Date.parse(item.dateTimeReceived) > Date.parse(cutoff) || item.itemClass === "IPM.Post";
      })
      .sort(
        (a, b) =>
          Date.parse(server.getItem(b).dateTimeReceived) - Date.parse(server.getItem(a).dateTimeReceived),
      );
    expect(ids(newer.text).map((id) => server.getItem(id).dateTimeReceived)).toEqual(
      expected.map((id) => server.getItem(id).dateTimeReceived),
    );
  });

  it("FindFolder pages a deep traversal with IndexedPageFolderView, from the beginning and from the end", async () => {
    const page = async (offset: number, basePoint: string) =>
      (
        await soap(
          server,
          `<m:FindFolder Traversal="Deep">${folderShape("IdOnly")}<m:IndexedPageFolderView MaxEntriesReturned="4" Offset="${offset}" BasePoint="${basePoint}"/><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
        )
      ).text;
    const all = ids(
      (
        await soap(
          server,
          `<m:FindFolder Traversal="Deep">${folderShape("IdOnly")}<m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
        )
      ).text,
      "FolderId",
    );
    expect(all.length).toBeGreaterThan(8);
    const forward: string[] = [];
    for (let offset = 0; ; ) {
      const text = await page(offset, "Beginning");
      forward.push(...ids(text, "FolderId"));
      offset = Number(/IndexedPagingOffset="(\d+)"/.exec(text)![1]);
      if (text.includes('IncludesLastItemInRange="true"')) break;
    }
    expect(forward).toEqual(all);
    expect(ids(await page(0, "End"), "FolderId")).toEqual(all.slice(-4));
  });

  it("public folders are shared by every mailbox and serve their generated items", async () => {
    const folders = async (box: string) =>
      ids(
        (
          await soap(
            server,
            `<m:FindFolder Traversal="Deep">${folderShape("Default")}<m:ParentFolderIds><t:DistinguishedFolderId Id="publicfoldersroot"/></m:ParentFolderIds></m:FindFolder>`,
            { mailbox: box },
          )
        ).text,
        "FolderId",
      );
    const seenByFirst = await folders(mailbox);
    expect(seenByFirst.length).toBeGreaterThan(0);
    expect(await folders(server.mailboxes[1]!)).toEqual(seenByFirst);
    const items: string[] = [];
    for (const folder of seenByFirst) {
      const found = await soap(
        server,
        `<m:FindItem Traversal="Shallow">${itemShape()}<m:ParentFolderIds><t:FolderId Id="${folder}"/></m:ParentFolderIds></m:FindItem>`,
        { mailbox: server.mailboxes[1]! },
      );
      items.push(...ids(found.text));
    }
    expect(items.length).toBeGreaterThan(0);
    const got = await soap(
      server,
      `<m:GetItem>${itemShape("Default")}<m:ItemIds><t:ItemId Id="${items[0]}"/></m:ItemIds></m:GetItem>`,
    );
    expect(responseCodes(got.text)).toEqual(["NoError"]);
    expect(got.text).toContain(
      `<t:Subject>${server.getItem(items[0]!).subject.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;")}</t:Subject>`,
    );
  });

  it("CreateItem stores typed items with their fields; UpdateItem changes IsRead, Subject, Categories, Flag, Importance", async () => {
    const created = await soap(
      server,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="inbox"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>hello &amp; welcome</t:Subject><t:Body BodyType="HTML">&lt;p&gt;hi&lt;/p&gt;</t:Body><t:Importance>High</t:Importance><t:ToRecipients><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>bob@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients><t:IsRead>false</t:IsRead></t:Message><t:Task><t:Subject>do it</t:Subject><t:Status>Completed</t:Status><t:PercentComplete>100</t:PercentComplete></t:Task></m:Items></m:CreateItem>`,
    );
    const [messageId, taskId] = ids(created.text) as [string, string];
    const message = server.getItem(messageId);
    expect(message).toMatchObject({
      itemClass: "IPM.Note",
      subject: "hello & welcome",
      body: { bodyType: "HTML", content: "<p>hi</p>" },
      importance: "High",
      isRead: false,
      toRecipients: [{ name: "Bob", email: "bob@example.test" }],
    });
    expect(server.getItem(taskId)).toMatchObject({
      itemClass: "IPM.Task",
      task: { status: "Completed", percentComplete: 100 },
    });
    expect(server.listItems(mailbox, "tasks")).not.toContain(taskId);
    expect(server.listItems(mailbox, "inbox")).toContain(taskId);

    const before = /ChangeKey="([^"]+)"/.exec(created.text)![1];
    const updated = await soap(
      server,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${messageId}"/><t:Updates>` +
        `<t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>renamed</t:Subject></t:Message></t:SetItemField>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:Categories"/><t:Message><t:Categories><t:String>Blue</t:String><t:String>Green</t:String></t:Categories></t:Message></t:SetItemField>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:Flag"/><t:Message><t:Flag><t:FlagStatus>Flagged</t:FlagStatus></t:Flag></t:Message></t:SetItemField>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:Importance"/><t:Message><t:Importance>Low</t:Importance></t:Message></t:SetItemField>` +
        `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(responseCodes(updated.text)).toEqual(["NoError"]);
    expect(ids(updated.text)).toEqual([messageId]);
    expect(/ChangeKey="([^"]+)"/.exec(updated.text)![1]).not.toBe(before);
    expect(server.getItem(messageId)).toMatchObject({
      isRead: true,
      subject: "renamed",
      categories: ["Blue", "Green"],
      flagStatus: "Flagged",
      importance: "Low",
    });

    const stale = await soap(
      server,
      `<m:UpdateItem ConflictResolution="NeverOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${messageId}" ChangeKey="${before}"/><t:Updates><t:DeleteItemField><t:FieldURI FieldURI="item:Categories"/></t:DeleteItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(responseCodes(stale.text)).toEqual(["ErrorIrresolvableConflict"]);
    expect(server.getItem(messageId).categories).toEqual(["Blue", "Green"]);
  });

  it("CreateItem SendAndSaveCopy keeps a copy in Sent Items and delivers to recipient mailboxes; bad MIME is an error", async () => {
    const other = server.mailboxes[1]!;
    const inboxBefore = server.listItems(other, "inbox").length;
    const sentBefore = server.listItems(mailbox, "sentitems").length;
    const sent = await soap(
      server,
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message><t:Subject>ping</t:Subject><t:Body BodyType="Text">hi</t:Body><t:ToRecipients><t:Mailbox><t:EmailAddress>${other}</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>outside@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(sent.text)).toEqual(["NoError"]);
    expect(server.listItems(mailbox, "sentitems")).toHaveLength(sentBefore + 1);
    const delivered = server.listItems(other, "inbox");
    expect(delivered).toHaveLength(inboxBefore + 1);
    expect(server.getItem(delivered.at(-1)!)).toMatchObject({ subject: "ping", isRead: false });
    const bad = await soap(
      server,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent CharacterSet="UTF-8">${Buffer.from("no headers at all").toString("base64")}</t:MimeContent></t:Message></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(bad.text)).toEqual(["ErrorMimeContentConversionFailed"]);
  });

  it("GetItem lists attachments and GetAttachment returns their bytes", async () => {
    const withAttachment = ["inbox", "sentitems", "calendar", "contacts"]
      .flatMap((f) => server.listItems(mailbox, f))
      .find((id) => server.getItem(id).attachments.length > 0)!;
    expect(withAttachment).toBeDefined();
    const expected = server.getItem(withAttachment).attachments;
    const got = await soap(
      server,
      `<m:GetItem>${itemShape("Default")}<m:ItemIds><t:ItemId Id="${withAttachment}"/></m:ItemIds></m:GetItem>`,
    );
    const attachmentIds = [...got.text.matchAll(/<t:AttachmentId Id="([^"]+)"/g)].map((m) => m[1]!);
    expect(attachmentIds).toHaveLength(expected.length);
    const result = await soap(
      server,
      `<m:GetAttachment><m:AttachmentIds>${attachmentIds.map((id) => `<t:AttachmentId Id="${id}"/>`).join("")}</m:AttachmentIds></m:GetAttachment>`,
    );
    const contents = [...result.text.matchAll(/<t:Content>([^<]*)<\/t:Content>/g)].map((m) =>
      Buffer.from(m[1]!, "base64"),
    );
    expect(contents.map((c) => c.length)).toEqual(expected.map((a) => a.content.length));
    for (const [i, content] of contents.entries()) {
      expect(content.equals(Buffer.from(expected[i]!.content))).toBe(true);
    }
  });

  it("GetItem honours BodyType: an HTML body served as Text loses its markup", async () => {
    const html = ["inbox", "sentitems"]
      .flatMap((f) => server.listItems(mailbox, f))
      .find((id) => server.getItem(id).body.bodyType === "HTML")!;
    expect(html).toBeDefined();
    const get = async (bodyType: string) =>
      (
        await soap(
          server,
          `<m:GetItem>${itemShape("Default", `<t:BodyType>${bodyType}</t:BodyType>`)}<m:ItemIds><t:ItemId Id="${html}"/></m:ItemIds></m:GetItem>`,
        )
      ).text;
    expect(await get("Best")).toContain('<t:Body BodyType="HTML">&lt;');
    const text = await get("Text");
    const body = /<t:Body BodyType="Text">([^<]*)<\/t:Body>/.exec(text)?.[1];
    expect(body).toBeDefined();
    expect(body).not.toContain("&lt;html");
    expect(body!.length).toBeGreaterThan(0);
  });

  it("DeleteItem: HardDelete removes, SoftDelete goes to recoverableitemsdeletions, MoveToDeletedItems to deleteditems", async () => {
    const [a, b, c] = server.listItems(mailbox, "sentitems").slice(0, 3) as [string, string, string];
    const subjects = [a, b, c].map((id) => server.getItem(id).subject);
    const deletions = server.listItems(mailbox, "recoverableitemsdeletions").length;
    const deleted = server.listItems(mailbox, "deleteditems").length;
    for (const [id, type] of [
      [a, "HardDelete"],
      [b, "SoftDelete"],
      [c, "MoveToDeletedItems"],
    ] as const) {
      const result = await soap(
        server,
        `<m:DeleteItem DeleteType="${type}"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`,
      );
      expect(responseCodes(result.text)).toEqual(["NoError"]);
      expect(() => server.getItem(id)).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    }
    const soft = server.listItems(mailbox, "recoverableitemsdeletions");
    expect(soft).toHaveLength(deletions + 1);
    expect(server.getItem(soft.at(-1)!).subject).toBe(subjects[1]);
    const trash = server.listItems(mailbox, "deleteditems");
    expect(trash).toHaveLength(deleted + 1);
    expect(server.getItem(trash.at(-1)!).subject).toBe(subjects[2]);
  });

  it("folders: CreateFolder, FindFolder paging, GetFolder counts and UnreadCount, DeleteFolder", async () => {
    const created = await soap(
      server,
      `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Work</t:DisplayName></t:Folder><t:ContactsFolder><t:DisplayName>People</t:DisplayName></t:ContactsFolder></m:Folders></m:CreateFolder>`,
    );
    const [work, people] = ids(created.text, "FolderId") as [string, string];
    expect(created.text).toContain("<t:ContactsFolder><t:FolderId");
    const shallow = await soap(
      server,
      `<m:FindFolder Traversal="Shallow">${folderShape("Default")}<m:IndexedPageFolderView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindFolder>`,
    );
    expect(ids(shallow.text, "FolderId")).toEqual(expect.arrayContaining([work, people]));

    const source = server.listItems(mailbox, "inbox")[0]!;
    const one = server.addItem(mailbox, "Inbox/Work", { ...server.getItem(source), isRead: false });
    server.addItem(mailbox, "Inbox/Work", { ...server.getItem(source), isRead: true });
    const get = async () =>
      (
        await soap(
          server,
          `<m:GetFolder>${folderShape("Default")}<m:FolderIds><t:FolderId Id="${work}"/></m:FolderIds></m:GetFolder>`,
        )
      ).text;
    expect(await get()).toContain(
      "<t:DisplayName>Work</t:DisplayName><t:TotalCount>2</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount><t:UnreadCount>1</t:UnreadCount>",
    );
    server.modifyItem(one, { isRead: true });
    expect(await get()).toContain("<t:UnreadCount>0</t:UnreadCount>");
    server.addItem(mailbox, "Inbox/Work", { ...server.getItem(source), isRead: false });
    expect(await get()).toContain(
      "<t:TotalCount>3</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount><t:UnreadCount>1</t:UnreadCount>",
    );

    const dup = await soap(
      server,
      `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>work</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
    );
    expect(responseCodes(dup.text)).toEqual(["ErrorFolderExists"]);
    const removed = await soap(
      server,
      `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="${work}"/></m:FolderIds></m:DeleteFolder>`,
    );
    expect(responseCodes(removed.text)).toEqual(["NoError"]);
    expect(() => server.getItem(one)).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    expect(responseCodes(await get())).toEqual(["ErrorFolderNotFound"]);
  });

  it("SyncFolderItems honours SyncScope for associated items and the Ignore list", async () => {
    const inboxId = server.folderId(mailbox, "inbox");
    const seededFai = server.listAssociatedItems(mailbox, "inbox");
    // Exchange's Inbox always holds rules and views as associated items; so does the mock's.
    expect(seededFai.length).toBeGreaterThan(0);
    const sync = async (scope: string, state = "", ignore: string[] = []) =>
      (
        await soap(
          server,
          `<m:SyncFolderItems>${itemShape()}<m:SyncFolderId><t:FolderId Id="${inboxId}"/></m:SyncFolderId>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}${ignore.length === 0 ? "" : `<m:Ignore>${ignore.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:Ignore>`}<m:MaxChangesReturned>512</m:MaxChangesReturned><m:SyncScope>${scope}</m:SyncScope></m:SyncFolderItems>`,
        )
      ).text;
    const normalState = /<m:SyncState>([^<]*)</.exec(await sync("NormalItems"))![1]!;
    const fullState = /<m:SyncState>([^<]*)</.exec(await sync("NormalAndAssociatedItems"))![1]!;
    const exported = await soap(
      server,
      `<m:ExportItems><m:ItemIds><t:ItemId Id="${server.listItems(mailbox, "inbox")[0]}"/></m:ItemIds></m:ExportItems>`,
    );
    const data = /<m:Data>([^<]+)</.exec(exported.text)![1]!;
    const uploaded = await soap(
      server,
      `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew" IsAssociated="true"><t:ParentFolderId Id="${inboxId}"/><t:Data>${data}</t:Data></t:Item><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${inboxId}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`,
    );
    const [associated, normal] = ids(uploaded.text) as [string, string];
    expect(ids(await sync("NormalItems", normalState))).toEqual([normal]);
    expect(ids(await sync("NormalAndAssociatedItems", fullState)).sort()).toEqual(
      [associated, normal].sort(),
    );
    expect(ids(await sync("NormalItems", normalState, [normal]))).toEqual([]);
    const found = await soap(
      server,
      `<m:FindItem Traversal="Associated">${itemShape()}<m:ParentFolderIds><t:FolderId Id="${inboxId}"/></m:ParentFolderIds></m:FindItem>`,
    );
    // The uploaded item joins the seeded ones; no normal item shows in the associated view.
    expect(ids(found.text)).toEqual([...seededFai, associated]);
    expect(ids(found.text)).not.toContain(normal);
  });

  it("SyncFolderHierarchy reports a moved folder as an update", async () => {
    const first = await soap(
      server,
      `<m:SyncFolderHierarchy>${folderShape("IdOnly")}</m:SyncFolderHierarchy>`,
    );
    const state = /<m:SyncState>([^<]*)</.exec(first.text)![1]!;
    const folder = server.addFolder(mailbox, "msgfolderroot", "Mover");
    const mid = await soap(
      server,
      `<m:SyncFolderHierarchy>${folderShape("IdOnly")}<m:SyncState>${state}</m:SyncState></m:SyncFolderHierarchy>`,
    );
    const state2 = /<m:SyncState>([^<]*)</.exec(mid.text)![1]!;
    server.moveFolder(folder, "inbox");
    const after = await soap(
      server,
      `<m:SyncFolderHierarchy>${folderShape("AllProperties")}<m:SyncState>${state2}</m:SyncState></m:SyncFolderHierarchy>`,
    );
    expect(after.text).toContain(`<t:Update><t:Folder><t:FolderId Id="${folder}"`);
    expect(after.text).toContain(`<t:ParentFolderId Id="${server.folderId(mailbox, "inbox")}"`);
  });
});
