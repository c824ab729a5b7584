// Incremental backups that skip unchanged folders, over HTTP against mock-ews: one GetFolder
// reads every folder's change markers (PidTagLocalCommitTimeMax, PidTagDeletedCountTotal,
// TotalCount, UnreadCount) and SyncFolderItems runs only where they moved. Counted on the
// server; each snapshot restores its own point in time; `ewsvault backup --full-sync` and a
// due full sync still ask every folder.
import { join } from "node:path";
import { backup, initRepository, type MailboxSource, type Repository, restore } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import type { EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { mailboxContent, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, jsonLines, mockEwsClient } from "./helpers.js";

let server: MockEwsServer;
let work: { path: string; cleanup: () => Promise<void> };
let repository: Repository;
let reader: EwsClient;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 23, mailboxes: 4, itemsPerMailbox: 40 });
  work = await tempDir();
  repository = await initRepository({
    destination: createFsDestination({ root: join(work.path, "repo") }),
    password: "probe test password",
    kdf: { N: 1024, r: 8, p: 1 },
  });
  reader = mockEwsClient(server);
});

afterAll(async () => {
  await reader?.close();
  await repository?.close();
  await server?.stop();
  await work?.cleanup();
});

/** One backup run of `mailbox` with a fresh client (as a new process would), counting what it asked. */
async function run(
  mailbox: string,
  options: { fullSync?: boolean; fullSyncIntervalSeconds?: number } = {},
  afterSync?: (folderId: string) => void,
) {
  const client = mockEwsClient(server);
  const exported: string[] = [];
  // Records every exported id; everything else goes to the client unchanged.
  const source: MailboxSource = {
    capabilities: client.capabilities,
    getMailboxInfo: (m, s) => client.getMailboxInfo(m, s),
    syncFolderHierarchy: (m, o) => client.syncFolderHierarchy(m, o),
    syncFolderItems: async (m, f, o) => {
      const page = await client.syncFolderItems(m, f, o);
      afterSync?.(f);
      return page;
    },
    findItems: (m, f, s) => client.findItems(m, f, s),
    findFolders: (m, r, s) => client.findFolders(m, r, s),
    getMimeContent: (m, i, s) => client.getMimeContent(m, i, s),
    probeFolders: (m, ids, s) => client.probeFolders(m, ids, s),
    exportItems: (m, items, s) => {
      exported.push(...items.map((i) => i.itemId));
      return client.exportItems(m, items, s);
    },
    close: () => client.close(),
  };
  server.resetCounters();
  try {
    const report = await backup({
      repository,
      source,
      mailboxes: [mailbox],
      indexDirectory: join(work.path, "index"),
      probeSettleSeconds: 0,
      ...options,
    });
    const result = report.mailboxes[0]!;
    expect(result.status, JSON.stringify(result.error)).toBe("completed");
    return { report: result, requests: server.counters().requests, exported };
  } finally {
    await client.close();
  }
}

describe("incremental backup with folder change probes", { timeout: 60_000 }, () => {
  it("syncs only folders whose markers moved, catches every kind of change, and each snapshot restores its point in time", async () => {
    const mailbox = server.mailboxes[0]!;
    const target = server.mailboxes[1]!;
    const doomed = server.addFolder(mailbox, "msgfolderroot", "Doomed");
    server.addItem(mailbox, doomed, {
      ...server.getItem(server.listItems(mailbox, "inbox")[0]!),
      subject: "doomed",
    });
    const snapshots: Array<{ id: string; content: Map<string, string[]> }> = [];
    const capture = async (snapshotId: string | undefined) => {
      expect(snapshotId).toBeDefined();
      snapshots.push({ id: snapshotId!, content: await mailboxContent(reader, server, mailbox) });
    };

    const full = await run(mailbox);
    expect(full.report.fullSync).toBe(true);
    const folders = full.report.folders;
    expect(folders).toBeGreaterThan(5);
    expect(full.report.foldersSynced).toBe(folders);
    expect(full.requests.SyncFolderItems).toBeGreaterThanOrEqual(folders);
    await capture(full.report.snapshotId);

    // No change: not one SyncFolderItems, one GetFolder for the mailbox and one for the probe.
    const still = await run(mailbox);
    expect(still.requests.SyncFolderItems ?? 0).toBe(0);
    expect(still.requests.GetFolder).toBe(2);
    expect(still.report).toMatchObject({
      foldersSynced: 0,
      fullSync: false,
      itemsExported: 0,
      itemsDeleted: 0,
    });
    expect(still.report.items).toBe(full.report.items);
    // Nothing changed, so the snapshot reuses the last tree instead of writing it again.
    const treeOf = async (id: string | undefined) => (await repository.loadSnapshot(id!)).tree;
    expect(await treeOf(still.report.snapshotId)).toBe(await treeOf(full.report.snapshotId));

    // One item changed in one folder: exactly that folder synced, exactly that item exported.
    const sent = server.listItems(mailbox, "sentitems");
    expect(sent.length).toBeGreaterThan(1);
    server.modifyItem(sent[0]!, { subject: "edited after the full run", categories: ["Green"] });
    const edited = await run(mailbox);
    expect(edited.requests.SyncFolderItems).toBe(1);
    expect(edited.report.foldersSynced).toBe(1);
    expect(edited.exported).toEqual([sent[0]]);
    await capture(edited.report.snapshotId);

    // Read flag only: the commit time stays, UnreadCount moves, the change is caught.
    const inboxItems = server.listItems(mailbox, "inbox");
    const flipped = inboxItems.find((id) => server.getItem(id).isRead)!;
    expect(flipped).toBeDefined();
    server.modifyItem(flipped, { isRead: false });
    const readFlag = await run(mailbox);
    expect(readFlag.requests.SyncFolderItems).toBe(1);
    expect(readFlag.exported).toEqual([flipped]);
    await capture(readFlag.report.snapshotId);

    // A move is caught in both folders: deleted from one, exported (new id) into the other.
    const moved = server.moveItem(inboxItems[1]!, "sentitems");
    const move = await run(mailbox);
    expect(move.requests.SyncFolderItems).toBe(2);
    expect(move.report).toMatchObject({ foldersSynced: 2, itemsDeleted: 1 });
    expect(move.exported).toEqual([moved]);
    await capture(move.report.snapshotId);

    // A new folder is synced; a deleted folder leaves the snapshot without any sync.
    const fresh = server.addFolder(mailbox, "inbox", "Fresh");
    const freshItem = server.addItem(mailbox, fresh, {
      ...server.getItem(sent[1]!),
      subject: "in a new folder",
    });
    server.deleteFolder(doomed);
    const tree = await run(mailbox);
    expect(tree.requests.SyncFolderItems).toBe(1);
    expect(tree.report.folders).toBe(folders);
    expect(tree.exported).toEqual([freshItem]);
    await capture(tree.report.snapshotId);

    // Due full sync (interval 0) and an asked-for one ask every folder again, and export nothing.
    const due = await run(mailbox, { fullSyncIntervalSeconds: 0 });
    expect(due.report).toMatchObject({ fullSync: true, foldersSynced: folders, itemsExported: 0 });
    expect(due.requests.SyncFolderItems).toBeGreaterThanOrEqual(folders);
    const asked = await run(mailbox, { fullSync: true });
    expect(asked.report).toMatchObject({ fullSync: true, foldersSynced: folders, itemsExported: 0 });
    const after = await run(mailbox);
    expect(after.requests.SyncFolderItems ?? 0).toBe(0);

    for (const [index, snapshot] of snapshots.entries()) {
      const into = `Point ${index}`;
      const restored = await restore({
        repository,
        target: reader,
        mailbox,
        toMailbox: target,
        snapshot: snapshot.id,
        intoFolder: into,
      });
      expect(restored.failed).toBe(0);
      expect(await mailboxContent(reader, server, target, { under: into })).toEqual(snapshot.content);
    }
  });

  it("a change that races a folder's sync is caught by the next run (markers are read before the sync)", async () => {
    const mailbox = server.mailboxes[3]!;
    const inbox = server.folderId(mailbox, "inbox");
    await run(mailbox);
    const victim = server.listItems(mailbox, "inbox")[0]!;
    server.modifyItem(server.listItems(mailbox, "inbox")[1]!, { subject: "makes the inbox sync" });
    let raced = false;
    const racing = await run(mailbox, {}, (folderId) => {
      // The server answered this sync already; the edit lands after it, before the next run.
      if (folderId === inbox && !raced) {
        raced = true;
        server.modifyItem(victim, { subject: "edited while the inbox was being synced" });
      }
    });
    expect(raced).toBe(true);
    expect(racing.exported).not.toContain(victim);
    const next = await run(mailbox);
    expect(next.requests.SyncFolderItems).toBe(1);
    expect(next.exported).toEqual([victim]);
  });

  it("ewsvault backup --full-sync asks every folder; without it an unchanged mailbox asks none", async () => {
    const mailbox = server.mailboxes[2]!;
    const common = ["--repo", join(work.path, "cli-repo"), "--cache-dir", join(work.path, "cache")];
    const ews = [
      "--ews-url",
      server.url,
      "--username",
      server.credentials.username,
      "--allow-insecure-basic",
    ];
    const env = { EWSVAULT_PASSWORD: "cli probe password", EWS_PASSWORD: server.credentials.password };
    expect((await cli(["init", ...common, "--json"], env)).code).toBe(0);
    const backupRun = async (...extra: string[]) => {
      server.resetCounters();
      const result = await cli(["backup", ...common, ...ews, "--json", "--mailbox", mailbox, ...extra], env);
      expect(result.code, result.stderr).toBe(0);
      const report = jsonLines(result.stdout).find((e) => e.type === "report") as {
        mailboxes: Array<{ folders: number; foldersSynced: number; fullSync: boolean }>;
      };
      return { report: report.mailboxes[0]!, syncs: server.counters().requests.SyncFolderItems ?? 0 };
    };
    const first = await backupRun();
    expect(first.report.fullSync).toBe(true);
    const second = await backupRun();
    expect(second).toMatchObject({ syncs: 0, report: { foldersSynced: 0, fullSync: false } });
    const forced = await backupRun("--full-sync");
    expect(forced.report).toMatchObject({ fullSync: true, foldersSynced: first.report.folders });
    expect(forced.syncs).toBeGreaterThanOrEqual(first.report.folders);
    const bad = await cli(
      ["backup", ...common, ...ews, "--mailbox", mailbox, "--full-sync-interval", "soon"],
      env,
    );
    expect(bad.code).not.toBe(0);
  });
});
