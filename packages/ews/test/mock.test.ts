// Integration against @ewsvault/mock-ews: walk, export under a byte cap, upload into another
// mailbox, and survive the mock's throttling and faults.
import { type ExportResult, type FolderInfo, type ItemSummary, isEwsVaultError } from "@ewsvault/mailbox";
import { type MockEwsServer, type MockEwsServerOptions, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterEach, describe, expect, it } from "vitest";
import {
  createEwsClient,
  type EwsClient,
  type EwsClientOptions,
  type ResponseInfo,
  resolveEwsUrl,
} from "../src/index.js";

const servers: MockEwsServer[] = [];
const clients: EwsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function setup(
  serverOptions: MockEwsServerOptions = {},
  clientOptions: Partial<EwsClientOptions> = {},
) {
  const server = await startMockEwsServer({ seed: 11, mailboxes: 2, itemsPerMailbox: 60, ...serverOptions });
  servers.push(server);
  const responses: ResponseInfo[] = [];
  const client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
    retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200 },
    onResponse: (info) => responses.push(info),
    ...clientOptions,
  });
  clients.push(client);
  return { server, client, responses };
}

/** The whole folder tree (paging SyncFolderHierarchy to the end). */
async function hierarchy(client: EwsClient, mailbox: string): Promise<FolderInfo[]> {
  const folders = new Map<string, FolderInfo>();
  let syncState: string | undefined;
  for (;;) {
    const page = await client.syncFolderHierarchy(mailbox, { syncState });
    for (const change of page.changes) {
      if (change.kind === "delete") folders.delete(change.folderId);
      else folders.set(change.folder.folderId, change.folder);
    }
    syncState = page.syncState;
    if (page.includesLastFolderInRange) return [...folders.values()];
  }
}

/** Every item of a folder via SyncFolderItems, paged with a small MaxChangesReturned. */
async function syncAll(client: EwsClient, mailbox: string, folderId: string, maxChanges = 7) {
  const items = new Map<string, ItemSummary>();
  let syncState: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await client.syncFolderItems(mailbox, folderId, { syncState, maxChanges });
    pages++;
    expect(page.changes.length).toBeLessThanOrEqual(maxChanges);
    for (const change of page.changes) {
      if (change.kind === "create" || change.kind === "update") items.set(change.item.itemId, change.item);
      else if (change.kind === "delete") items.delete(change.itemId);
    }
    syncState = page.syncState;
    if (page.includesLastItemInRange) return { items, syncState, pages };
  }
}

async function collect(iterable: AsyncIterable<ExportResult>): Promise<ExportResult[]> {
  const out: ExportResult[] = [];
  for await (const result of iterable) out.push(result);
  return out;
}

describe("against the mock EWS server", () => {
  it("walks a mailbox: distinguished folders, hierarchy, items paged to the end, FindItem/FindFolder agree", async () => {
    const { server, client } = await setup();
    const mailbox = server.mailboxes[0] as string;
    const info = await client.getMailboxInfo(mailbox);
    expect(info.smtpAddress).toBe(mailbox);
    expect(info.distinguishedFolders.inbox).toBe(server.folderId(mailbox, "inbox"));
    expect(info.distinguishedFolders.msgfolderroot).toBe(server.folderId(mailbox, "msgfolderroot"));

    const folders = await hierarchy(client, mailbox);
    const inbox = folders.find((f) => f.folderId === info.distinguishedFolders.inbox);
    expect(inbox?.distinguishedName).toBe("inbox");
    expect(inbox?.parentFolderId).toBe(info.distinguishedFolders.msgfolderroot);
    const deep = await client.findFolders(mailbox, "msgfolderroot");
    expect(new Set(deep.map((f) => f.folderId))).toEqual(new Set(folders.map((f) => f.folderId)));

    let total = 0;
    let multiPage = 0;
    for (const folder of folders) {
      const expected = server.listItems(mailbox, folder.folderId);
      const { items, pages } = await syncAll(client, mailbox, folder.folderId);
      expect([folder.displayName, [...items.keys()].sort()]).toEqual([
        folder.displayName,
        [...expected].sort(),
      ]);
      if (pages > 1) multiPage++;
      total += items.size;
      if (expected.length > 0) {
        const found = await client.findItems(mailbox, folder.folderId);
        expect(new Set(found.map((i) => i.itemId))).toEqual(new Set(expected));
        for (const item of found) {
          expect(item.searchKey).toBe(Buffer.from(server.getSearchKey(item.itemId)).toString("base64"));
          expect(item.size).toBeGreaterThan(0);
          expect(item.itemClass).toMatch(/^IPM\./);
          expect(item.subject).toBe(server.getItem(item.itemId).subject);
        }
      }
    }
    expect(total).toBeGreaterThan(0);
    expect(multiPage).toBeGreaterThan(0);

    // Public folders: no SyncFolderHierarchy there, so FindFolder (level by level) and FindItem paged.
    const publicFolders = await client.findFolders(mailbox, "publicfoldersroot");
    expect(publicFolders.length).toBeGreaterThan(0);
    const withItems = publicFolders.find((f) => (f.totalCount ?? 0) > 0) as FolderInfo;
    const publicItems = await client.findItems(mailbox, withItems.folderId);
    expect(publicItems).toHaveLength(withItems.totalCount as number);
    expect(publicItems.every((i) => i.itemClass === "IPM.Post" || i.itemClass?.startsWith("IPM."))).toBe(
      true,
    );
  });

  it("reports incremental changes: create, update, delete, read flag; hierarchy create/update/delete", async () => {
    const { server, client } = await setup();
    const mailbox = server.mailboxes[0] as string;
    const inbox = server.folderId(mailbox, "inbox");
    const first = await syncAll(client, mailbox, inbox, 512);
    let hierarchyState = (await client.syncFolderHierarchy(mailbox)).syncState;
    const [a, b, c] = server.listItems(mailbox, inbox) as [string, string, string];
    server.modifyItem(a, { subject: "changed subject" });
    server.modifyItem(b, { isRead: !server.getItem(b).isRead });
    server.deleteItem(c);
    const added = server.addItem(mailbox, inbox, server.getItem(a));
    const page = await client.syncFolderItems(mailbox, inbox, { syncState: first.syncState });
    const kinds = new Map(page.changes.map((ch) => ["item" in ch ? ch.item.itemId : ch.itemId, ch]));
    expect(kinds.get(a)).toMatchObject({ kind: "update", item: { subject: "changed subject" } });
    expect(kinds.get(b)).toMatchObject({ kind: "readFlag", isRead: server.getItem(b).isRead });
    expect(kinds.get(c)).toMatchObject({ kind: "delete" });
    expect(kinds.get(added)).toMatchObject({ kind: "create" });
    expect(page.changes).toHaveLength(4);

    const created = server.addFolder(mailbox, "inbox", "Projects & <Plans>");
    let hierarchy = await client.syncFolderHierarchy(mailbox, { syncState: hierarchyState });
    expect(hierarchy.changes).toEqual([
      {
        kind: "create",
        folder: expect.objectContaining({
          folderId: created,
          displayName: "Projects & <Plans>",
          parentFolderId: inbox,
        }),
      },
    ]);
    hierarchyState = hierarchy.syncState;
    server.renameFolder(created, "Renamed");
    server.deleteFolder(server.folderId(mailbox, "inbox/Renamed"));
    hierarchy = await client.syncFolderHierarchy(mailbox, { syncState: hierarchyState });
    expect(hierarchy.changes.at(-1)).toEqual({ kind: "delete", folderId: created });
  });

  it("pages FindItem to the end with a small page size", async () => {
    const { server, client } = await setup({}, { pageSize: 3 });
    const mailbox = server.mailboxes[1] as string;
    const inbox = server.folderId(mailbox, "inbox");
    const expected = server.listItems(mailbox, inbox);
    expect(expected.length).toBeGreaterThan(6);
    const found = await client.findItems(mailbox, inbox);
    expect(found.map((i) => i.itemId).sort()).toEqual([...expected].sort());
    // One request per page; a server may need one more (empty) page to say "last".
    const pages = server.counters().requests.FindItem ?? 0;
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected.length / 3));
    expect(pages).toBeLessThanOrEqual(Math.ceil(expected.length / 3) + 1);
  });

  it("resolves the EWS URL through the mock's POX Autodiscover", async () => {
    const { server } = await setup();
    const url = await resolveEwsUrl(server.mailboxes[0] as string, {
      candidates: [new URL("/autodiscover/autodiscover.xml", server.url).toString()],
      allowInsecureAuth: true,
      auth: { kind: "basic", ...server.credentials },
    });
    expect(url).toBe(server.url);
    // SOAP Autodiscover (GetUserSettings) when the candidate is autodiscover.svc.
    const svc = new URL("/autodiscover/autodiscover.svc", server.url).toString();
    const auth = { kind: "basic" as const, ...server.credentials };
    expect(
      await resolveEwsUrl(server.mailboxes[1] as string, {
        candidates: [svc],
        auth,
        allowInsecureAuth: true,
      }),
    ).toBe(server.url);
    await expect(
      resolveEwsUrl("nobody@contoso.test", { candidates: [svc], auth, allowInsecureAuth: true }),
    ).rejects.toSatisfy((e: unknown) => isEwsVaultError(e, "EWS_MAILBOX_NOT_FOUND"));
  });

  it("exports a folder under a small byte cap, then uploads it into another mailbox's new folder", async () => {
    const cap = 256 * 1024;
    const { server, client, responses } = await setup({ itemsPerMailbox: 80 }, { maxExportBatchBytes: cap });
    const [source, target] = server.mailboxes as [string, string];
    const folderId = server.folderId(source, "inbox");
    const { items } = await syncAll(client, source, folderId, 512);
    expect(items.size).toBeGreaterThan(5);
    server.resetCounters();
    responses.length = 0;
    const requests = [...items.values()].map((i) => ({ itemId: i.itemId, size: i.size }));
    const results = await collect(client.exportItems(source, requests));
    expect(results).toHaveLength(items.size);
    expect(results.every((r) => r.ok)).toBe(true);
    const exports = responses.filter((r) => r.operation === "ExportItems");
    expect(server.counters().requests.ExportItems).toBe(exports.length);
    expect(exports.length).toBeGreaterThan(1);
    // Every response that carried more than one item stayed under the cap; only an item too
    // large to share a response comes alone and may exceed it.
    const multi = exports.filter((r) => (r.items ?? 0) > 1);
    expect(multi.length).toBeGreaterThan(2);
    for (const response of multi) expect(response.bytes).toBeLessThanOrEqual(cap);
    expect(exports.reduce((sum, r) => sum + (r.items ?? 0), 0)).toBe(items.size);

    // Upload into a new folder of the other mailbox and compare.
    const targetInfo = await client.getMailboxInfo(target);
    const restored = await client.createFolder(
      target,
      targetInfo.distinguishedFolders.msgfolderroot as string,
      "Restored Inbox",
      "IPF.Note",
    );
    expect(restored.folderId).not.toBe("");
    const uploads = await client.uploadItems(
      target,
      results.map((r) => ({
        parentFolderId: restored.folderId,
        data: (r as { data: Uint8Array }).data,
        mode: "CreateNew" as const,
      })),
    );
    expect(uploads).toHaveLength(results.length);
    expect(uploads.every((u) => u.ok)).toBe(true);
    const copied = await client.findItems(target, restored.folderId);
    const key = (i: ItemSummary) => `${i.searchKey}|${i.subject}|${i.itemClass}|${i.size}`;
    expect(copied.map(key).sort()).toEqual([...items.values()].map(key).sort());

    // Re-export the copies: the data round-trips byte for byte.
    const again = await collect(
      client.exportItems(
        target,
        copied.map((i) => ({ itemId: i.itemId, size: i.size })),
      ),
    );
    const bySearchKey = new Map(copied.map((i) => [i.itemId, i.searchKey]));
    const original = new Map(
      results.map((r) => [
        items.get(r.itemId)?.searchKey,
        Buffer.from((r as { data: Uint8Array }).data).toString("base64"),
      ]),
    );
    for (const r of again) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(Buffer.from(r.data).toString("base64")).toBe(original.get(bySearchKey.get(r.itemId)));
    }

    // MIME for .eml export.
    const firstMail = [...items.values()].find((i) => i.itemClass === "IPM.Note");
    if (firstMail !== undefined) {
      const mime = Buffer.from(await client.getMimeContent(source, firstMail.itemId)).toString("utf8");
      expect(mime).toMatch(/Subject:/i);
    }
  });

  it("reads everything under throttling (ErrorServerBusy with BackOffMilliseconds), counted by the mock", async () => {
    const { server, client } = await setup(
      { itemsPerMailbox: 40, throttling: { burst: 4, rechargePerSecond: 40 } },
      { maxExportBatchBytes: 32 * 1024 },
    );
    const mailbox = server.mailboxes[0] as string;
    const folders = await hierarchy(client, mailbox);
    let exported = 0;
    let expected = 0;
    for (const folder of folders) {
      const { items } = await syncAll(client, mailbox, folder.folderId, 10);
      expected += server.listItems(mailbox, folder.folderId).length;
      const results = await collect(
        client.exportItems(
          mailbox,
          [...items.values()].map((i) => ({ itemId: i.itemId, size: i.size })),
        ),
      );
      exported += results.filter((r) => r.ok).length;
    }
    expect(exported).toBe(expected);
    expect(server.counters().throttled).toBeGreaterThan(0);
    expect(client.stats().throttled).toBeGreaterThan(0);
    expect(client.gate.snapshot().throttleEvents).toBeGreaterThan(0);
  });

  it("HTTP 503 throttling mode and request faults (reset, truncate, http500) are retried; item faults are classified", async () => {
    const { server, client } = await setup(
      {
        itemsPerMailbox: 30,
        throttling: { burst: 3, rechargePerSecond: 30, http503: true },
        faults: [
          { kind: "reset", operation: "ExportItems", nth: [1] },
          { kind: "truncate", operation: "ExportItems", nth: [2] },
          { kind: "http500", operation: "SyncFolderItems", nth: [1] },
          { kind: "itemNotFound", nth: [3] },
        ],
      },
      { maxExportBatchBytes: 32 * 1024, retry: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 100 } },
    );
    const mailbox = server.mailboxes[0] as string;
    const folderId = server.folderId(mailbox, "inbox");
    const { items } = await syncAll(client, mailbox, folderId, 512);
    const results = await collect(
      client.exportItems(
        mailbox,
        [...items.values()].map((i) => ({ itemId: i.itemId, size: i.size })),
      ),
    );
    expect(results).toHaveLength(items.size);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.ok === false && failed[0].error).toMatchObject({
      responseCode: "ErrorItemNotFound",
      disposition: "skip",
    });
    const counters = server.counters();
    expect(counters.faulted.reset).toBe(1);
    expect(counters.faulted.truncate).toBe(1);
    expect(counters.faulted.http500).toBe(1);
    expect(client.stats().retries).toBeGreaterThanOrEqual(3);
  });

  it("maps a nonexistent mailbox, bad credentials and a foreign sync state to stable codes", async () => {
    const { server, client } = await setup();
    await expect(client.getMailboxInfo("nobody@nowhere.test")).rejects.toSatisfy((e: unknown) =>
      isEwsVaultError(e, "EWS_MAILBOX_NOT_FOUND"),
    );
    const [a, b] = server.mailboxes as [string, string];
    const inboxA = server.folderId(a, "inbox");
    const { syncState } = await syncAll(client, a, inboxA, 512);
    await expect(client.syncFolderItems(b, server.folderId(b, "inbox"), { syncState })).rejects.toSatisfy(
      (e: unknown) => isEwsVaultError(e, "EWS_INVALID_SYNC_STATE"),
    );
    const wrong = createEwsClient({
      url: server.url,
      allowInsecureAuth: true,
      auth: { kind: "basic", username: server.credentials.username, password: "wrong-password-123" },
    });
    clients.push(wrong);
    const error = await wrong.getMailboxInfo(a).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(isEwsVaultError(error, "EWS_AUTH_FAILED")).toBe(true);
    expect(String(error?.message)).not.toContain(server.credentials.password);
  });

  it("maps a user without the impersonation right to EWS_IMPERSONATION_DENIED", async () => {
    const { server, client } = await setup({
      users: [
        { username: "admin@contoso.test", password: "admin-pw-1", impersonate: "*" },
        { username: "limited@contoso.test", password: "limited-pw-1", impersonate: [] },
      ],
    });
    expect(
      (await client.getMailboxInfo(server.mailboxes[0] as string)).distinguishedFolders.inbox,
    ).toBeDefined();
    const limited = createEwsClient({
      url: server.url,
      allowInsecureAuth: true,
      auth: { kind: "basic", username: "limited@contoso.test", password: "limited-pw-1" },
    });
    clients.push(limited);
    await expect(limited.getMailboxInfo(server.mailboxes[0] as string)).rejects.toSatisfy((e: unknown) =>
      isEwsVaultError(e, "EWS_IMPERSONATION_DENIED"),
    );
  });
});
