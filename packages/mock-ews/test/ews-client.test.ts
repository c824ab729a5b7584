// ews-javascript-api, unmodified, as a client: the server must speak EWS well enough for a
// third-party implementation to browse, sync, read MIME, create and delete.
import "./third-party/node-util-shim.js";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import {
  BasePropertySet,
  ChangeType,
  DeleteMode,
  EmailMessage,
  type ExchangeService,
  FolderId,
  FolderTraversal,
  FolderView,
  ItemSchema,
  MessageBody,
  PropertySet,
  SyncFolderItemsScope,
  WellKnownFolderName,
} from "ews-javascript-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { impersonatingService } from "./third-party/ews-js-service.js";

describe("ews-javascript-api against the mock server", () => {
  let server: MockEwsServer;
  let service: ExchangeService;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 3, mailboxes: 2, itemsPerMailbox: 150 });
    service = impersonatingService(server, server.mailboxes[1]!);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("FindFolder (deep) lists the mailbox's folders", async () => {
    const view = new FolderView(500);
    view.Traversal = FolderTraversal.Deep;
    const result = await service.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
    const names = result.Folders.map((f) => f.DisplayName);
    expect(names).toEqual(
      expect.arrayContaining(["Inbox", "Calendar", "Contacts", "Sent Items", "Deleted Items"]),
    );
    expect(result.TotalCount).toBe(result.Folders.length);
  });

  it("SyncFolderHierarchy returns every folder as a create", async () => {
    const changes = await service.SyncFolderHierarchy(
      new FolderId(WellKnownFolderName.MsgFolderRoot),
      PropertySet.FirstClassProperties,
      null as unknown as string,
    );
    expect(changes.Count).toBeGreaterThan(10);
    expect(changes.GetEnumerator().every((c) => c.ChangeType === ChangeType.Create)).toBe(true);
    expect(changes.SyncState.length).toBeGreaterThan(10);
  });

  it("SyncFolderItems pages to the end, GetItem serves MIME, CreateItem and DeleteItem work", async () => {
    const inbox = new FolderId(WellKnownFolderName.Inbox);
    const seen = new Set<string>();
    let state = "";
    let more = true;
    let pages = 0;
    while (more) {
      const changes = await service.SyncFolderItems(
        inbox,
        PropertySet.IdOnly,
        [],
        7,
        SyncFolderItemsScope.NormalItems,
        state,
      );
      for (const change of changes.GetEnumerator()) {
        expect(change.ChangeType).toBe(ChangeType.Create);
        seen.add(change.ItemId.UniqueId);
      }
      state = changes.SyncState;
      more = changes.MoreChangesAvailable;
      pages++;
    }
    const expected = server.listItems(server.mailboxes[1]!, "inbox");
    expect(pages).toBeGreaterThan(1);
    expect([...seen].sort()).toEqual([...expected].sort());

    const first = expected[0]!;
    const items = await service.BindToItems(
      [new (await import("ews-javascript-api")).ItemId(first)],
      new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.MimeContent]),
    );
    const item = items.Responses[0]!.Item;
    const content = item.MimeContent.Content as unknown;
    const mime =
      typeof content === "string"
        ? Buffer.from(content, "base64").toString("utf8")
        : Buffer.from(content as Uint8Array).toString("utf8");
    expect(/MIME-Version: 1\.0/i.test(mime)).toBe(true);
    expect(item.Subject).toBe(server.getItem(first).subject);

    const message = new EmailMessage(service);
    message.Subject = "created by ews-javascript-api";
    message.Body = new MessageBody("hello from the client");
    await message.Save(WellKnownFolderName.Inbox);
    const createdId = message.Id.UniqueId;
    expect(server.getItem(createdId).subject).toBe("created by ews-javascript-api");

    const after = await service.SyncFolderItems(
      inbox,
      PropertySet.IdOnly,
      [],
      100,
      SyncFolderItemsScope.NormalItems,
      state,
    );
    expect(after.GetEnumerator().map((c) => [c.ChangeType, c.ItemId.UniqueId])).toEqual([
      [ChangeType.Create, createdId],
    ]);

    await message.Delete(DeleteMode.HardDelete);
    expect(() => server.getItem(createdId)).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    const deleted = await service.SyncFolderItems(
      inbox,
      PropertySet.IdOnly,
      [],
      100,
      SyncFolderItemsScope.NormalItems,
      after.SyncState,
    );
    expect(deleted.GetEnumerator().map((c) => [c.ChangeType, c.ItemId.UniqueId])).toEqual([
      [ChangeType.Delete, createdId],
    ]);
  });
});
