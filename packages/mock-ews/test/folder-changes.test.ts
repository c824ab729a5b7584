// UpdateFolder, MoveFolder, CopyFolder, EmptyFolder, MarkAllItemsAsRead and folder permissions:
// what each does to the store, what sync sees afterwards, and the errors Exchange gives.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, responseCodes, soap } from "./helpers.js";

const SHAPE = (base: string, extra = "") =>
  `<m:FolderShape><t:BaseShape>${base}</t:BaseShape>${extra}</m:FolderShape>`;

describe("folder changes", () => {
  let server: MockEwsServer;
  let box: string;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 31, mailboxes: 2, itemsPerMailbox: 60 });
    box = server.mailboxes[0]!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const setField = (folderId: string, field: string, element: string) =>
    `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="${folderId}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="${field}"/>${element}</t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`;

  it("UpdateFolder renames (new change key, a hierarchy Update) and refuses a taken name", async () => {
    const id = server.addFolder(box, "msgfolderroot", "Rename Me");
    server.addFolder(box, "msgfolderroot", "Taken");
    const first = await soap(server, `<m:SyncFolderHierarchy>${SHAPE("IdOnly")}</m:SyncFolderHierarchy>`);
    const state = /<m:SyncState>([^<]+)</.exec(first.text)![1]!;
    const renamed = await soap(
      server,
      setField(id, "folder:DisplayName", "<t:Folder><t:DisplayName>Renamed</t:DisplayName></t:Folder>"),
    );
    expect(responseCodes(renamed.text)).toEqual(["NoError"]);
    expect(ids(renamed.text, "FolderId")).toEqual([id]);
    const got = await soap(
      server,
      `<m:GetFolder>${SHAPE("Default")}<m:FolderIds><t:FolderId Id="${id}"/></m:FolderIds></m:GetFolder>`,
    );
    expect(got.text).toContain("<t:DisplayName>Renamed</t:DisplayName>");
    const changes = await soap(
      server,
      `<m:SyncFolderHierarchy>${SHAPE("Default")}<m:SyncState>${state}</m:SyncState></m:SyncFolderHierarchy>`,
    );
    expect(changes.text).toContain("<t:Update>");
    expect(changes.text).toContain("Renamed");
    const taken = await soap(
      server,
      setField(id, "folder:DisplayName", "<t:Folder><t:DisplayName>taken</t:DisplayName></t:Folder>"),
    );
    expect(responseCodes(taken.text)).toEqual(["ErrorFolderExists"]);
    const readOnly = await soap(
      server,
      setField(id, "folder:TotalCount", "<t:Folder><t:TotalCount>1</t:TotalCount></t:Folder>"),
    );
    expect(responseCodes(readOnly.text)).toEqual(["ErrorInvalidPropertySet"]);
    const append = await soap(
      server,
      setField(id, "folder:DisplayName", "<t:Folder><t:DisplayName>x</t:DisplayName></t:Folder>").replace(
        /SetFolderField/g,
        "AppendToFolderField",
      ),
    );
    expect(responseCodes(append.text)).toEqual(["ErrorInvalidPropertyAppend"]);
    const refine = await soap(
      server,
      setField(
        id,
        "folder:FolderClass",
        "<t:Folder><t:FolderClass>IPF.Note.Custom</t:FolderClass></t:Folder>",
      ),
    );
    expect(responseCodes(refine.text)).toEqual(["NoError"]);
    const change = await soap(
      server,
      setField(id, "folder:FolderClass", "<t:Folder><t:FolderClass>IPF.Task</t:FolderClass></t:Folder>"),
    );
    expect(responseCodes(change.text)).toEqual(["ErrorNoFolderClassOverride"]);
  });

  it("UpdateFolder sets and deletes extended properties by tag; GetFolder returns them when asked", async () => {
    const id = server.addFolder(box, "msgfolderroot", "Hidden Later");
    const uri = '<t:ExtendedFieldURI PropertyTag="0x10F4" PropertyType="Boolean"/>';
    const update = (body: string) =>
      soap(
        server,
        `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="${id}"/><t:Updates>${body}</t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
      );
    const get = async () =>
      (
        await soap(
          server,
          `<m:GetFolder>${SHAPE("IdOnly", `<t:AdditionalProperties>${uri}</t:AdditionalProperties>`)}<m:FolderIds><t:FolderId Id="${id}"/></m:FolderIds></m:GetFolder>`,
        )
      ).text;
    expect(await get()).not.toContain("<t:ExtendedProperty>");
    const set = await update(
      `<t:SetFolderField>${uri}<t:Folder><t:ExtendedProperty>${uri}<t:Value>true</t:Value></t:ExtendedProperty></t:Folder></t:SetFolderField>`,
    );
    expect(responseCodes(set.text)).toEqual(["NoError"]);
    expect(await get()).toContain(
      '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10F4" PropertyType="Boolean"/><t:Value>true</t:Value></t:ExtendedProperty>',
    );
    const removed = await update(`<t:DeleteFolderField>${uri}</t:DeleteFolderField>`);
    expect(responseCodes(removed.text)).toEqual(["NoError"]);
    expect(await get()).not.toContain("<t:ExtendedProperty>");
    const named = await update(
      `<t:SetFolderField><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x" PropertyType="String"/><t:Folder><t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="x" PropertyType="String"/><t:Value>v</t:Value></t:ExtendedProperty></t:Folder></t:SetFolderField>`,
    );
    expect(responseCodes(named.text)).toEqual(["ErrorInvalidPropertySet"]);
  });

  it("permissions: defaults, set by UpdateFolder (levels fix the rights, Custom keeps them), reset by DeleteFolderField", async () => {
    const other = server.mailboxes[1]!;
    const id = server.addFolder(box, "msgfolderroot", "Shared Stuff");
    const permissionsOf = async (folderId: string) =>
      (
        await soap(
          server,
          `<m:GetFolder>${SHAPE("IdOnly", '<t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties>')}<m:FolderIds><t:FolderId Id="${folderId}"/></m:FolderIds></m:GetFolder>`,
        )
      ).text;
    const defaults = await permissionsOf(id);
    expect(defaults).toContain(
      "<t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId>",
    );
    expect(defaults).toContain("<t:DistinguishedUser>Anonymous</t:DistinguishedUser>");
    expect(defaults.match(/<t:PermissionLevel>None<\/t:PermissionLevel>/g)).toHaveLength(2);
    // Default shape has no permission set; AllProperties has.
    const plain = await soap(
      server,
      `<m:GetFolder>${SHAPE("Default")}<m:FolderIds><t:FolderId Id="${id}"/></m:FolderIds></m:GetFolder>`,
    );
    expect(plain.text).not.toContain("PermissionSet");
    const calendar = await soap(
      server,
      `<m:GetFolder>${SHAPE("AllProperties")}<m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>`,
    );
    expect(calendar.text).toContain(
      "<t:CalendarPermissionLevel>FreeBusyTimeOnly</t:CalendarPermissionLevel>",
    );
    expect(calendar.text).toContain("<t:ReadItems>TimeOnly</t:ReadItems>");

    const set = await soap(
      server,
      setField(
        id,
        "folder:PermissionSet",
        `<t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:PrimarySmtpAddress>${other}</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Editor</t:PermissionLevel></t:Permission><t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:CanCreateItems>true</t:CanCreateItems><t:IsFolderVisible>1</t:IsFolderVisible><t:ReadItems>FullDetails</t:ReadItems><t:PermissionLevel>Custom</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder>`,
      ),
    );
    expect(responseCodes(set.text)).toEqual(["NoError"]);
    const after = await permissionsOf(id);
    const entries = [...after.matchAll(/<t:Permission>(.*?)<\/t:Permission>/g)].map((m) => m[1]!);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toContain("<t:DistinguishedUser>Default</t:DistinguishedUser>");
    expect(entries[0]).toContain("<t:CanCreateItems>true</t:CanCreateItems>");
    expect(entries[0]).toContain("<t:PermissionLevel>Custom</t:PermissionLevel>");
    expect(entries[1]).toContain("Anonymous");
    expect(entries[2]).toContain(`<t:PrimarySmtpAddress>${other}</t:PrimarySmtpAddress>`);
    expect(entries[2]).toContain("<t:EditItems>All</t:EditItems>");
    expect(entries[2]).toContain("<t:PermissionLevel>Editor</t:PermissionLevel>");
    expect(entries[2]).toMatch(/<t:SID>S-1-5-21-[\d-]+<\/t:SID>/);

    const errors = await Promise.all(
      [
        `<t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:PrimarySmtpAddress>ghost@nowhere.test</t:PrimarySmtpAddress></t:UserId><t:PermissionLevel>Owner</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder>`,
        `<t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:PermissionLevel>FreeBusyTimeOnly</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder>`,
        `<t:Folder><t:PermissionSet><t:CalendarPermissions><t:CalendarPermission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:CalendarPermissionLevel>Reviewer</t:CalendarPermissionLevel></t:CalendarPermission></t:CalendarPermissions></t:PermissionSet></t:Folder>`,
        `<t:Folder><t:PermissionSet><t:Permissions><t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:PermissionLevel>Owner</t:PermissionLevel></t:Permission><t:Permission><t:UserId><t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId><t:PermissionLevel>None</t:PermissionLevel></t:Permission></t:Permissions></t:PermissionSet></t:Folder>`,
      ].map((element) => soap(server, setField(id, "folder:PermissionSet", element))),
    );
    const nested = await soap(
      server,
      setField(
        id,
        "folder:PermissionSet",
        "<t:Folder><t:PermissionSet><t:PermissionSet><t:Permissions/></t:PermissionSet></t:PermissionSet></t:Folder>",
      ),
    );
    expect(responseCodes(nested.text)).toEqual(["ErrorSchemaValidation"]);
    expect(errors.map((r) => responseCodes(r.text)[0])).toEqual([
      "ErrorInvalidUserInfo",
      "ErrorInvalidPermissionSettings",
      "ErrorCannotSetCalendarPermissionOnNonCalendarFolder",
      "ErrorDuplicateUserIdsSpecified",
    ]);
    const reset = await soap(
      server,
      `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="${id}"/><t:Updates><t:DeleteFolderField><t:FieldURI FieldURI="folder:PermissionSet"/></t:DeleteFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
    );
    expect(responseCodes(reset.text)).toEqual(["NoError"]);
    expect((await permissionsOf(id)).match(/<t:Permission>/g)).toHaveLength(2);
  });

  it("MoveFolder keeps the id, refuses distinguished folders and moves below itself", async () => {
    const parent = server.addFolder(box, "msgfolderroot", "Move Target");
    const moving = server.addFolder(box, "msgfolderroot", "Moving");
    const child = server.addFolder(box, moving, "Child");
    const moved = await soap(
      server,
      `<m:MoveFolder><m:ToFolderId><t:FolderId Id="${parent}"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${moving}"/><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:MoveFolder>`,
    );
    expect(responseCodes(moved.text)).toEqual(["NoError", "ErrorMoveDistinguishedFolder"]);
    expect(ids(moved.text, "FolderId")).toEqual([moving]);
    expect(server.folderId(box, "Move Target/Moving/Child")).toBe(child);
    const loop = await soap(
      server,
      `<m:MoveFolder><m:ToFolderId><t:FolderId Id="${child}"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${moving}"/></m:FolderIds></m:MoveFolder>`,
    );
    expect(responseCodes(loop.text)).toEqual(["ErrorMoveCopyFailed"]);
  });

  it("CopyFolder copies the tree and its items with new ids", async () => {
    const source = server.addFolder(box, "msgfolderroot", "Copy Source");
    const sub = server.addFolder(box, source, "Sub");
    const inboxItems = server.listItems(box, "inbox").slice(0, 3);
    for (const id of inboxItems) server.addItem(box, source, server.getItem(id));
    server.addItem(box, sub, server.getItem(inboxItems[0]!));
    const target = server.addFolder(box, "msgfolderroot", "Copy Target");
    const copied = await soap(
      server,
      `<m:CopyFolder><m:ToFolderId><t:FolderId Id="${target}"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${source}"/></m:FolderIds></m:CopyFolder>`,
    );
    expect(responseCodes(copied.text)).toEqual(["NoError"]);
    const copyId = ids(copied.text, "FolderId")[0]!;
    expect(copyId).not.toBe(source);
    expect(server.folderId(box, "Copy Target/Copy Source")).toBe(copyId);
    const copiedItems = server.listItems(box, "Copy Target/Copy Source");
    expect(copiedItems.map((id) => server.getItem(id).subject).sort()).toEqual(
      inboxItems.map((id) => server.getItem(id).subject).sort(),
    );
    expect(server.listItems(box, "Copy Target/Copy Source/Sub")).toHaveLength(1);
    expect(server.listItems(box, "Copy Source")).toHaveLength(3);
    const intoItself = await soap(
      server,
      `<m:CopyFolder><m:ToFolderId><t:FolderId Id="${sub}"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${source}"/></m:FolderIds></m:CopyFolder>`,
    );
    expect(responseCodes(intoItself.text)).toEqual(["ErrorMoveCopyFailed"]);
  });

  it("EmptyFolder disposes of items per DeleteType and of subfolders with DeleteSubFolders", async () => {
    const folder = server.addFolder(box, "msgfolderroot", "Empty Me");
    const sub = server.addFolder(box, folder, "Inner");
    const source = server.listItems(box, "inbox").slice(0, 4);
    for (const id of source) server.addItem(box, folder, server.getItem(id));
    const deletedBefore = server.listItems(box, "deleteditems").length;
    const keep = await soap(
      server,
      `<m:EmptyFolder DeleteType="MoveToDeletedItems" DeleteSubFolders="false"><m:FolderIds><t:FolderId Id="${folder}"/></m:FolderIds></m:EmptyFolder>`,
    );
    expect(responseCodes(keep.text)).toEqual(["NoError"]);
    expect(server.listItems(box, folder)).toEqual([]);
    expect(server.listItems(box, "deleteditems")).toHaveLength(deletedBefore + 4);
    expect(server.folderId(box, "Empty Me/Inner")).toBe(sub);
    const all = await soap(
      server,
      `<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="1"><m:FolderIds><t:FolderId Id="${folder}"/><t:DistinguishedFolderId Id="msgfolderroot"/></m:FolderIds></m:EmptyFolder>`,
    );
    expect(responseCodes(all.text)).toEqual(["NoError", "ErrorCannotEmptyFolder"]);
    expect(() => server.folderId(box, "Empty Me/Inner")).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    const bad = await soap(
      server,
      `<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="maybe"><m:FolderIds><t:FolderId Id="${folder}"/></m:FolderIds></m:EmptyFolder>`,
    );
    expect(responseCodes(bad.text)).toEqual(["ErrorSchemaValidation"]);
  });

  it("MarkAllItemsAsRead flips every unread item (ReadFlagChange for sync) and UnreadCount follows", async () => {
    const folder = server.addFolder(box, "msgfolderroot", "Unread Pile");
    for (const id of server.listItems(box, "inbox").slice(0, 5)) {
      server.addItem(box, folder, { ...server.getItem(id), isRead: false });
    }
    const sync = (state: string) =>
      `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:FolderId Id="${folder}"/></m:SyncFolderId>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}<m:MaxChangesReturned>100</m:MaxChangesReturned></m:SyncFolderItems>`;
    const first = await soap(server, sync(""));
    const state = /<m:SyncState>([^<]+)</.exec(first.text)![1]!;
    const marked = await soap(
      server,
      `<m:MarkAllItemsAsRead><m:ReadFlag>true</m:ReadFlag><m:SuppressReadReceipts>true</m:SuppressReadReceipts><m:FolderIds><t:FolderId Id="${folder}"/></m:FolderIds></m:MarkAllItemsAsRead>`,
    );
    expect(responseCodes(marked.text)).toEqual(["NoError"]);
    expect(server.listItems(box, folder).every((id) => server.getItem(id).isRead)).toBe(true);
    const changes = await soap(server, sync(state));
    expect(changes.text.match(/<t:ReadFlagChange>/g)).toHaveLength(5);
    const got = await soap(
      server,
      `<m:GetFolder>${SHAPE("Default")}<m:FolderIds><t:FolderId Id="${folder}"/></m:FolderIds></m:GetFolder>`,
    );
    expect(got.text).toContain("<t:UnreadCount>0</t:UnreadCount>");
  });
});
