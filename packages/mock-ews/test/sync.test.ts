// SyncFolderItems / SyncFolderHierarchy: paging, change detection from a previous state, and
// rejection of corrupt or foreign states.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes, soap } from "./helpers.js";

interface SyncPage {
  state: string;
  last: boolean;
  creates: string[];
  updates: string[];
  deletes: string[];
  readFlags: { id: string; isRead: boolean }[];
  codes: string[];
}

function parsePage(text: string): SyncPage {
  const section = (name: string) =>
    [...text.matchAll(new RegExp(`<t:${name}>([\\s\\S]*?)</t:${name}>`, "g"))].map((m) => m[1]!);
  return {
    state: /<m:SyncState>([^<]*)<\/m:SyncState>/.exec(text)?.[1] ?? "",
    last: /<m:IncludesLastItemInRange>true</.test(text),
    creates: section("Create").map((x) => ids(x)[0]!),
    updates: section("Update").map((x) => ids(x)[0]!),
    deletes: section("Delete").map((x) => ids(x)[0]!),
    readFlags: section("ReadFlagChange").map((x) => ({
      id: ids(x)[0]!,
      isRead: x.includes("<t:IsRead>true"),
    })),
    codes: responseCodes(text),
  };
}

async function syncPage(
  server: MockEwsServer,
  folder: string,
  state: string,
  max: number,
  mailbox?: string,
): Promise<SyncPage> {
  const result = await soap(
    server,
    `<m:SyncFolderItems>${itemShape("IdOnly")}<m:SyncFolderId>${folder}</m:SyncFolderId>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}<m:MaxChangesReturned>${max}</m:MaxChangesReturned><m:SyncScope>NormalItems</m:SyncScope></m:SyncFolderItems>`,
    mailbox === undefined ? {} : { mailbox },
  );
  expect(result.status).toBe(200);
  return parsePage(result.text);
}

async function syncAll(server: MockEwsServer, folder: string, state: string, max: number) {
  const all: SyncPage[] = [];
  for (;;) {
    const page = await syncPage(server, folder, state, max);
    expect(page.codes).toEqual(["NoError"]);
    all.push(page);
    state = page.state;
    if (page.last) return { pages: all, state };
    expect(all.length).toBeLessThan(1000);
  }
}

describe("SyncFolderItems", () => {
  let server: MockEwsServer;
  let mailbox: string;
  const inbox = `<t:DistinguishedFolderId Id="inbox"/>`;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 5, mailboxes: 2, itemsPerMailbox: 250 });
    mailbox = server.mailboxes[0]!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("pages with MaxChangesReturned until IncludesLastItemInRange, every item exactly once", async () => {
    const expected = server.listItems(mailbox, "inbox");
    expect(expected.length).toBeGreaterThan(20);
    for (const max of [1, 7, 512]) {
      const { pages } = await syncAll(server, inbox, "", max);
      const seen = pages.flatMap((p) => p.creates);
      expect(seen).toHaveLength(expected.length);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...expected].sort());
      for (const page of pages) expect(page.creates.length).toBeLessThanOrEqual(max);
      expect(pages.slice(0, -1).every((p) => !p.last)).toBe(true);
    }
  });

  it("rejects MaxChangesReturned outside 1..512", async () => {
    for (const max of [0, 513]) {
      const page = await syncPage(server, inbox, "", max);
      expect(page.codes).toEqual(["ErrorInvalidArgument"]);
    }
  });

  it("reports creates, updates, read-flag changes and deletes made after a state", async () => {
    const { state } = await syncAll(server, inbox, "", 512);
    const empty = await syncPage(server, inbox, state, 512);
    expect([empty.creates, empty.updates, empty.deletes, empty.last]).toEqual([[], [], [], true]);

    const items = server.listItems(mailbox, "inbox");
    const [a, b, c, d] = items as [string, string, string, string];
    const created = server.addItem(mailbox, "inbox", server.getItem(a));
    server.modifyItem(b, { subject: "changed subject" });
    const wasRead = server.getItem(c).isRead;
    server.modifyItem(c, { isRead: !wasRead });
    server.deleteItem(d);
    const movedIn = server.moveItem(server.listItems(mailbox, "sentitems")[0]!, "inbox");

    const { pages } = await syncAll(server, inbox, state, 2);
    const creates = pages.flatMap((p) => p.creates);
    const updates = pages.flatMap((p) => p.updates);
    const deletes = pages.flatMap((p) => p.deletes);
    const readFlags = pages.flatMap((p) => p.readFlags);
    expect(creates.sort()).toEqual([created, movedIn].sort());
    expect(updates).toEqual([b]);
    expect(readFlags).toEqual([{ id: c, isRead: !wasRead }]);
    expect(deletes).toEqual([d]);

    // The moved item left sentitems: a Delete there for a state taken before the move.
    const sent = `<t:DistinguishedFolderId Id="sentitems"/>`;
    const sentState = (await syncAll(server, sent, "", 512)).state;
    const another = server.listItems(mailbox, "sentitems")[0]!;
    const moved = server.moveItem(another, "inbox");
    const after = await syncPage(server, sent, sentState, 512);
    expect(after.deletes).toEqual([another]);
    expect(moved).not.toBe(another);
  });

  it("an item created and deleted between two syncs is not reported", async () => {
    const { state } = await syncAll(server, inbox, "", 512);
    const id = server.addItem(mailbox, "inbox", server.getItem(server.listItems(mailbox, "inbox")[0]!));
    server.deleteItem(id);
    const page = await syncPage(server, inbox, state, 512);
    expect([page.creates, page.deletes]).toEqual([[], []]);
  });

  it("rejects corrupt, truncated and foreign states with ErrorInvalidSyncStateData", async () => {
    const { state } = await syncAll(server, inbox, "", 512);
    const bytes = Buffer.from(state, "base64");
    bytes[10] = (bytes[10]! + 1) % 256;
    const corrupt = bytes.toString("base64");
    expect((await syncPage(server, inbox, corrupt, 10)).codes).toEqual(["ErrorInvalidSyncStateData"]);
    expect((await syncPage(server, inbox, "AAAA", 10)).codes).toEqual(["ErrorInvalidSyncStateData"]);
    expect((await syncPage(server, inbox, "!!not base64!!", 10)).codes).toEqual([
      "ErrorInvalidSyncStateData",
    ]);
    const otherFolder = `<t:DistinguishedFolderId Id="sentitems"/>`;
    expect((await syncPage(server, otherFolder, state, 10)).codes).toEqual(["ErrorInvalidSyncStateData"]);
    const otherMailbox = server.mailboxes[1]!;
    expect((await syncPage(server, inbox, state, 10, otherMailbox)).codes).toEqual([
      "ErrorInvalidSyncStateData",
    ]);
  });

  it("a restarted server with the same seed accepts states of an unmodified run and rejects states past its history", async () => {
    const first = await startMockEwsServer({ seed: 77, mailboxes: 1, itemsPerMailbox: 60 });
    let clean: string;
    let advanced: string;
    try {
      clean = (await syncAll(first, inbox, "", 512)).state;
      first.addItem(
        first.mailboxes[0]!,
        "inbox",
        first.getItem(first.listItems(first.mailboxes[0]!, "inbox")[0]!),
      );
      advanced = (await syncAll(first, inbox, clean, 512)).state;
    } finally {
      await first.stop();
    }
    const second = await startMockEwsServer({ seed: 77, mailboxes: 1, itemsPerMailbox: 60 });
    try {
      const page = await syncPage(second, inbox, clean, 512);
      expect(page.codes).toEqual(["NoError"]);
      expect([page.creates, page.updates, page.deletes, page.last]).toEqual([[], [], [], true]);
      expect((await syncPage(second, inbox, advanced, 512)).codes).toEqual(["ErrorInvalidSyncStateData"]);
    } finally {
      await second.stop();
    }
  });

  it("SyncFolderHierarchy reports created, renamed and deleted folders", async () => {
    const call = async (state: string) =>
      (
        await soap(
          server,
          `<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>${state === "" ? "" : `<m:SyncState>${state}</m:SyncState>`}</m:SyncFolderHierarchy>`,
        )
      ).text;
    const first = await call("");
    const state = /<m:SyncState>([^<]*)</.exec(first)![1]!;
    expect(ids(first, "FolderId").length).toBeGreaterThan(10);
    const created = server.addFolder(mailbox, "inbox", "Sync me");
    const doomed = server.addFolder(mailbox, "msgfolderroot", "Doomed");
    const second = await call(state);
    const state2 = /<m:SyncState>([^<]*)</.exec(second)![1]!;
    expect(ids(second, "FolderId").sort()).toEqual([created, doomed].sort());
    server.renameFolder(created, "Renamed");
    server.deleteFolder(doomed);
    const third = await call(state2);
    expect(third).toContain(`<t:Update><t:Folder><t:FolderId Id="${created}"`);
    expect(third).toContain(`<t:Delete><t:FolderId Id="${doomed}"/></t:Delete>`);
    expect(responseCodes(await call("garbage"))).toEqual(["ErrorInvalidSyncStateData"]);
  });
});
