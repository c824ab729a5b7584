// probeFolders(): the change markers of many folders in few GetFolder requests, a folder the
// server cannot read left out rather than failing the call, mailbox-wide failures as codes.
import { isEwsVaultError } from "@ewsvault/mailbox";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEwsClient, type EwsClient, PROBE_BATCH_FOLDERS } from "../src/client.js";

let server: MockEwsServer;
let client: EwsClient;
let mailbox: string;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 3, mailboxes: 1, itemsPerMailbox: 30 });
  client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
  });
  mailbox = server.mailboxes[0]!;
});
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe("probeFolders", () => {
  it("reads every folder's markers in one request per batch and sees an item change", async () => {
    const inbox = server.folderId(mailbox, "inbox");
    const calendar = server.folderId(mailbox, "calendar");
    server.resetCounters();
    const before = await client.probeFolders(mailbox, [inbox, calendar]);
    expect(server.counters().requests.GetFolder).toBe(1);
    expect(before.get(inbox)).toMatchObject({
      commitTimeMax: expect.any(String),
      deletedCountTotal: 0,
      totalCount: server.listItems(mailbox, "inbox").length,
      unreadCount: expect.any(Number),
    });
    // CalendarFolder has no UnreadCount in the schema.
    expect(before.get(calendar)?.unreadCount).toBeUndefined();
    expect(before.get(calendar)?.commitTimeMax).toBeDefined();

    server.deleteItem(server.listItems(mailbox, "inbox")[0]!);
    const after = await client.probeFolders(mailbox, [inbox, calendar]);
    expect(after.get(calendar)).toEqual(before.get(calendar));
    expect(after.get(inbox)?.deletedCountTotal).toBe(1);
    expect(after.get(inbox)?.totalCount).toBe(before.get(inbox)!.totalCount! - 1);
    expect(after.get(inbox)?.commitTimeMax).not.toBe(before.get(inbox)?.commitTimeMax);
  });

  it("splits long folder lists into batches and leaves out folders that are gone", async () => {
    const gone = server.addFolder(mailbox, "msgfolderroot", "Gone soon");
    server.deleteFolder(gone);
    const inbox = server.folderId(mailbox, "inbox");
    const ids = [gone, ...Array.from({ length: PROBE_BATCH_FOLDERS + 5 }, () => inbox)];
    server.resetCounters();
    const probes = await client.probeFolders(mailbox, ids);
    expect(server.counters().requests.GetFolder).toBe(2);
    expect(probes.has(gone)).toBe(false);
    expect(probes.get(inbox)?.commitTimeMax).toBeDefined();
  });

  it("rejects with a stable code for a mailbox that does not exist", async () => {
    const error = await client
      .probeFolders("nobody@contoso.test", [server.folderId(mailbox, "inbox")])
      .catch((e: unknown) => e);
    expect(isEwsVaultError(error)).toBe(true);
    expect((error as { code: string }).code).toMatch(/^EWS_/);
  });
});
