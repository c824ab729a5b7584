// The engine's rules for trusting folder change markers, with a source whose markers the test
// sets directly: equal and settled markers skip the folder; a change too close to the read, a
// marker without commitTimeMax or a failed probe make the folder (or the run) sync.
import {
  backup,
  type FolderChangeProbe,
  initRepository,
  type MailboxSource,
  type Repository,
} from "@ewsvault/core";
import { createMemoryDestination } from "@ewsvault/destination";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { tempDir } from "@ewsvault/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const A = "ann@contoso.test";
const OLD = "2024-01-01T00:00:00.000Z";

let exchange: MemoryExchange;
let repository: Repository;
let work: { path: string; cleanup: () => Promise<void> };
/** What probeFolders answers for every folder; a function of the folder id. */
let markers: (folderId: string) => FolderChangeProbe | undefined;
let probeFails: boolean;

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 5; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  repository = await initRepository({
    destination: createMemoryDestination(),
    password: "probe rules",
    kdf: { N: 1024, r: 8, p: 1 },
  });
  work = await tempDir();
  markers = () => ({ commitTimeMax: OLD, deletedCountTotal: 0, totalCount: 5, unreadCount: 1 });
  probeFails = false;
});

afterEach(async () => {
  await repository.close();
  await work.cleanup();
});

/** The memory source plus probeFolders answering `markers`. */
function probing(): MailboxSource {
  return {
    capabilities: exchange.capabilities,
    getMailboxInfo: (m) => exchange.getMailboxInfo(m),
    syncFolderHierarchy: (m, o) => exchange.syncFolderHierarchy(m, o),
    syncFolderItems: (m, f, o) => exchange.syncFolderItems(m, f, o),
    findItems: (m, f) => exchange.findItems(m, f),
    findFolders: (m) => exchange.findFolders(m),
    exportItems: (m, i) => exchange.exportItems(m, i),
    getMimeContent: (m, i) => exchange.getMimeContent(m, i),
    probeFolders: async (_m, ids) => {
      if (probeFails) throw Object.assign(new Error("GetFolder refused"), { code: "EWS_SERVER_ERROR" });
      const answer = new Map<string, FolderChangeProbe>();
      for (const id of ids) {
        const probe = markers(id);
        if (probe !== undefined) answer.set(id, probe);
      }
      return answer;
    },
    close: async () => {},
  };
}

async function run(extra: Partial<Parameters<typeof backup>[0]> = {}) {
  const before = exchange.calls.syncFolderItems ?? 0;
  const report = await backup({
    repository,
    source: probing(),
    mailboxes: [A],
    indexDirectory: work.path,
    ...extra,
  });
  const result = report.mailboxes[0]!;
  expect(result.status).toBe("completed");
  return { ...result, syncs: (exchange.calls.syncFolderItems ?? 0) - before };
}

describe("trusting folder change markers", () => {
  it("skips folders whose settled markers are unchanged and syncs the one whose markers moved", async () => {
    const first = await run();
    expect(first.fullSync).toBe(true);
    expect(first.syncs).toBe(first.folders);
    expect((await run()).syncs).toBe(0);
    const inbox = exchange.folderId(A, "Inbox");
    markers = (id) => ({
      commitTimeMax: OLD,
      deletedCountTotal: 0,
      totalCount: 5,
      unreadCount: id === inbox ? 2 : 1,
    });
    const moved = await run();
    expect(moved).toMatchObject({ syncs: 1, foldersSynced: 1, fullSync: false });
  });

  it("does not trust markers whose last change was within probeSettleSeconds of the read", async () => {
    const recent = new Date().toISOString();
    markers = () => ({ commitTimeMax: recent, totalCount: 5 });
    const first = await run();
    // Same markers, but the change they show was too close to the read to rule out a later one.
    const second = await run();
    expect(second.syncs).toBe(first.folders);
    const third = await run({ probeSettleSeconds: 0 });
    expect(third.syncs).toBe(0);
  });

  it("syncs folders without commitTimeMax and every folder when the probe fails", async () => {
    await run();
    markers = () => ({ totalCount: 5, unreadCount: 1 });
    const noTime = await run();
    expect(noTime.syncs).toBe(noTime.folders);
    markers = () => ({ commitTimeMax: OLD, deletedCountTotal: 0, totalCount: 5, unreadCount: 1 });
    await run();
    expect((await run()).syncs).toBe(0);
    probeFails = true;
    const failed = await run();
    expect(failed).toMatchObject({ fullSync: true, foldersSynced: failed.folders });
  });
});
