// Seeded folder-associated items (the `associatedItems` option, on by default as every Exchange
// mailbox has them; `associatedItems: false` for a mailbox without any): Inbox and Calendar hold the
// rules, views and configuration Outlook keeps there, visible only where Exchange shows FAI
// (FindItem Traversal="Associated", SyncFolderItems NormalAndAssociatedItems), deterministic,
// changed and exported like any item, and uploadable back as associated items.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBin } from "./bin-helper.js";
import { basicAuth, envelope, ids, impersonate, itemShape, postRaw, responseCodes, soap } from "./helpers.js";

const OPTIONS = { seed: 21, mailboxes: 2, itemsPerMailbox: 120 };

describe("seeded folder-associated items", () => {
  let server: MockEwsServer;
  let plain: MockEwsServer;
  let mailbox: string;

  beforeAll(async () => {
    server = await startMockEwsServer(OPTIONS);
    plain = await startMockEwsServer({ ...OPTIONS, associatedItems: false });
    mailbox = server.mailboxes[0]!;
  });
  afterAll(async () => {
    await server?.stop();
    await plain?.stop();
  });

  const findItem = async (target: MockEwsServer, traversal: string, folder: string) =>
    (
      await soap(
        target,
        `<m:FindItem Traversal="${traversal}">${itemShape("IdOnly", '<t:AdditionalProperties><t:FieldURI FieldURI="item:ItemClass"/><t:FieldURI FieldURI="item:IsAssociated"/></t:AdditionalProperties>')}<m:ParentFolderIds><t:DistinguishedFolderId Id="${folder}"/></m:ParentFolderIds></m:FindItem>`,
      )
    ).text;

  const sync = async (scope: string, folder: string, state = "") =>
    (
      await soap(
        server,
        `<m:SyncFolderItems>${itemShape()}<m:SyncFolderId><t:DistinguishedFolderId Id="${folder}"/></m:SyncFolderId>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}<m:MaxChangesReturned>512</m:MaxChangesReturned><m:SyncScope>${scope}</m:SyncScope></m:SyncFolderItems>`,
      )
    ).text;
  const stateOf = (text: string) => /<m:SyncState>([^<]*)</.exec(text)![1]!;

  it("seeds rules and views in Inbox, configuration in Calendar, all marked IsAssociated", async () => {
    const inbox = await findItem(server, "Associated", "inbox");
    expect([...inbox.matchAll(/<t:ItemClass>([^<]+)</g)].map((m) => m[1])).toEqual([
      "IPM.Rule.Version2.Message",
      "IPM.ExtendedRule.Message",
      "IPM.Microsoft.FolderDesign.NamedView",
    ]);
    expect(inbox.match(/<t:IsAssociated>true</g)).toHaveLength(3);
    const calendar = await findItem(server, "Associated", "calendar");
    expect([...calendar.matchAll(/<t:ItemClass>([^<]+)</g)].map((m) => m[1])).toEqual([
      "IPM.Configuration.CategoryList",
      "IPM.Configuration.WorkHours",
      "IPM.Configuration.Calendar",
    ]);
    expect(server.listAssociatedItems(mailbox, "inbox")).toEqual(ids(inbox));
    expect(plain.listAssociatedItems(mailbox, "inbox")).toEqual([]);
  });

  it("leaves every normal-item view as it is without them (same ids, counts, no FAI)", async () => {
    for (const folder of ["inbox", "calendar"]) {
      expect(server.listItems(mailbox, folder)).toEqual(plain.listItems(mailbox, folder));
      const shallow = await findItem(server, "Shallow", folder);
      expect(ids(shallow)).toEqual(ids(await findItem(plain, "Shallow", folder)));
      expect(shallow).not.toContain("<t:IsAssociated>true<");
      const normal = ids(await sync("NormalItems", folder));
      expect(normal.sort()).toEqual([...server.listItems(mailbox, folder)].sort());
    }
    const folder = await soap(
      server,
      `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
    );
    expect(folder.text).toContain(
      `<t:TotalCount>${server.listItems(mailbox, "inbox").length}</t:TotalCount>`,
    );
  });

  it("is the same mailbox on every start (same ids, same exported bytes)", async () => {
    const again = await startMockEwsServer(OPTIONS);
    try {
      const faiIds = server.listAssociatedItems(mailbox, "calendar");
      expect(again.listAssociatedItems(mailbox, "calendar")).toEqual(faiIds);
      const body = `<m:ExportItems><m:ItemIds>${faiIds.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:ExportItems>`;
      expect((await soap(again, body)).text).toBe((await soap(server, body)).text);
    } finally {
      await again.stop();
    }
  });

  it("a changed FAI shows in SyncFolderItems only with NormalAndAssociatedItems", async () => {
    const all = ids(await sync("NormalAndAssociatedItems", "inbox"));
    const fai = server.listAssociatedItems(mailbox, "inbox");
    expect(all).toEqual(expect.arrayContaining(fai));
    expect(all).toHaveLength(server.listItems(mailbox, "inbox").length + fai.length);
    const normalState = stateOf(await sync("NormalItems", "inbox"));
    const fullState = stateOf(await sync("NormalAndAssociatedItems", "inbox"));

    const view = server.listAssociatedItems(mailbox, "inbox")[2]!;
    server.modifyItem(view, { subject: "Compact (changed)" });
    expect(ids(await sync("NormalItems", "inbox", normalState))).toEqual([]);
    const changed = await sync("NormalAndAssociatedItems", "inbox", fullState);
    expect(changed).toContain("<t:Update>");
    expect(ids(changed)).toEqual([view]);
  });

  it("exports a FAI and UploadItems IsAssociated recreates it as associated, bytes equal", async () => {
    const other = server.mailboxes[1]!;
    const [rule] = server.listAssociatedItems(mailbox, "inbox") as [string];
    const exported = await soap(
      server,
      `<m:ExportItems><m:ItemIds><t:ItemId Id="${rule}"/></m:ItemIds></m:ExportItems>`,
    );
    const data = /<m:Data>([^<]+)</.exec(exported.text)![1]!;
    const before = server.listAssociatedItems(other, "inbox");
    const uploaded = await soap(
      server,
      `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew" IsAssociated="true"><t:ParentFolderId Id="${server.folderId(other, "inbox")}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`,
      { mailbox: other },
    );
    expect(responseCodes(uploaded.text)).toEqual(["NoError"]);
    const [created] = ids(uploaded.text) as [string];
    expect(server.listAssociatedItems(other, "inbox")).toEqual([...before, created]);
    expect(server.listItems(other, "inbox")).not.toContain(created);
    const again = await soap(
      server,
      `<m:ExportItems><m:ItemIds><t:ItemId Id="${created}"/></m:ItemIds></m:ExportItems>`,
      { mailbox: other },
    );
    expect(/<m:Data>([^<]+)</.exec(again.text)![1]).toBe(data);
    expect(server.getItem(created).itemClass).toBe("IPM.Rule.Version2.Message");
  });

  it("the bin seeds them by default and leaves them out with --no-associated-items", {
    timeout: 60_000,
  }, async () => {
    const calendarFai = async (flags: string[]) => {
      const bin = await startBin([
        "--port",
        "0",
        "--seed",
        "21",
        "--mailboxes",
        "1",
        "--items",
        "10",
        ...flags,
      ]);
      try {
        const { info } = bin;
        const result = await postRaw(
          info.url,
          envelope(
            `<m:FindItem Traversal="Associated">${itemShape()}<m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
            impersonate(info.mailboxes[0]!),
          ),
          { authorization: basicAuth(info.username, info.password) },
        );
        expect(responseCodes(result.text)).toEqual(["NoError"]);
        return ids(result.text);
      } finally {
        expect(await bin.stop()).toBe(0);
      }
    };
    expect(await calendarFai([])).toHaveLength(3);
    expect(await calendarFai(["--no-associated-items"])).toEqual([]);
  });
});
