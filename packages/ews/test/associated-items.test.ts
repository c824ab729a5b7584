// Folder-associated items through the EWS client against @ewsvault/mock-ews seeded with FAI:
// syncFolderItems reports them only with includeAssociated, findAssociatedItems lists exactly
// them (findItems never), and an exported FAI uploaded with isAssociated comes back associated.

import type { MockEwsServer } from "@ewsvault/mock-ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEwsClient, type EwsClient } from "../src/index.js";

let server: MockEwsServer;
let client: EwsClient;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 31, mailboxes: 2, itemsPerMailbox: 40, associatedItems: true });
  client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
  });
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe("EwsClient and folder-associated items", () => {
  it("declares the capability", () => {
    expect(client.capabilities.associatedItems).toBe(true);
  });

  it("syncFolderItems reports FAI only with includeAssociated, marked isAssociated", async () => {
    const mailbox = server.mailboxes[0]!;
    const inbox = server.folderId(mailbox, "inbox");
    const ids = async (includeAssociated: boolean) => {
      const page = await client.syncFolderItems(mailbox, inbox, { includeAssociated });
      expect(page.includesLastItemInRange).toBe(true);
      return page.changes.map((change) => ("item" in change ? change.item : undefined)!);
    };
    const normal = await ids(false);
    expect(normal.every((item) => item.isAssociated === false)).toBe(true);
    const all = await ids(true);
    const fai = all.filter((item) => item.isAssociated === true);
    expect(fai.map((item) => item.itemId)).toEqual(server.listAssociatedItems(mailbox, "inbox"));
    expect(all).toHaveLength(normal.length + fai.length);
  });

  it("findAssociatedItems lists the FAI with search keys; uploading one with isAssociated keeps it associated", async () => {
    const [source, target] = server.mailboxes as [string, string];
    const calendar = server.folderId(source, "calendar");
    const found = await client.findAssociatedItems(source, calendar);
    expect(found.map((item) => item.itemId)).toEqual(server.listAssociatedItems(source, "calendar"));
    expect(found.every((item) => item.isAssociated === true && item.searchKey !== undefined)).toBe(true);
    expect((await client.findItems(source, calendar)).some((item) => item.isAssociated)).toBe(false);

    const exported: Uint8Array[] = [];
    for await (const result of client.exportItems(source, [{ itemId: found[0]!.itemId }])) {
      if (result.ok) exported.push(result.data);
    }
    const targetCalendar = server.folderId(target, "calendar");
    const [uploaded] = await client.uploadItems(target, [
      { parentFolderId: targetCalendar, data: exported[0]!, mode: "CreateNew", isAssociated: true },
    ]);
    expect(uploaded?.ok).toBe(true);
    const present = await client.findAssociatedItems(target, targetCalendar);
    const copy = present.find((item) => uploaded?.ok && item.itemId === uploaded.itemId);
    expect(copy?.searchKey).toBe(found[0]!.searchKey);
    expect(copy?.itemClass).toBe("IPM.Configuration.CategoryList");
  });
});
