import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BackupEvent,
  backup,
  MailboxIndex,
  mailboxIndexDirectory,
  type Repository,
  restore,
} from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngineFixture } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const B = "bob@contoso.test";
const FRESH = "fresh@contoso.test";

let exchange: MemoryExchange;
let repository: Repository;
let indexDirectory: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  exchange = new MemoryExchange();
  for (const mailbox of [A, B, FRESH]) exchange.addMailbox(mailbox);
  for (const mailbox of [A, B]) {
    const inbox = exchange.folderId(mailbox, "Inbox");
    const projects = exchange.addFolder(mailbox, inbox, "Projects ✓");
    for (let i = 0; i < 30; i++) exchange.addItem(mailbox, inbox, `mail ${i}`, `body ${i} `.repeat(200));
    for (let i = 0; i < 10; i++)
      exchange.addItem(mailbox, projects.folderId, `project ${i}`, `plan ${i} `.repeat(50));
    exchange.addItem(mailbox, exchange.folderId(mailbox, "Calendar"), "standup", "daily", "IPM.Appointment");
  }
  ({ repository, indexDirectory, close: cleanup } = await createEngineFixture());
});

afterEach(() => cleanup());

const run = (mailboxes: string[], extra: Partial<Parameters<typeof backup>[0]> = {}) =>
  backup({ repository, source: exchange, mailboxes, indexDirectory, checkpointSeconds: 0.05, ...extra });

function contents(mailbox: string): Map<string, string> {
  // subject -> data, over the whole mailbox
  const result = new Map<string, string>();
  for (const state of [exchange.mailboxes.get(mailbox)!]) {
    for (const item of state.items.values()) {
      result.set(item.summary.subject ?? "", new TextDecoder().decode(item.data));
    }
  }
  return result;
}

describe("backup and restore engine", () => {
  it("backs up two mailboxes and restores one into a fresh mailbox with identical items and folders", async () => {
    const events: BackupEvent[] = [];
    const report = await run([A, B], { onEvent: (e) => events.push(e) });
    expect(report.mailboxes.map((m) => m.status)).toEqual(["completed", "completed"]);
    expect(report.mailboxes[0]!.itemsExported).toBe(41);
    expect(events.some((e) => e.type === "progress")).toBe(true);
    expect(events.filter((e) => e.type === "mailbox-done")).toHaveLength(2);

    const restored = await restore({ repository, target: exchange, mailbox: A, toMailbox: FRESH });
    expect(restored.failed).toBe(0);
    expect(restored.restored).toBe(41);
    expect(contents(FRESH)).toEqual(contents(A));
    const projects = exchange.folderId(FRESH, "Projects ✓");
    expect(exchange.itemsIn(FRESH, projects)).toHaveLength(10);
  });

  it("incremental runs export only what changed and each snapshot restores its own point in time", async () => {
    const first = await run([A]);
    const before = contents(A);
    const inbox = exchange.folderId(A, "Inbox");
    const [i0, i1, i2] = exchange.itemsIn(A, inbox).map((i) => i.summary.itemId);
    exchange.modifyItem(A, i0!, "changed body");
    exchange.deleteItem(A, i1!);
    exchange.moveItem(A, i2!, exchange.folderId(A, "Projects ✓"));
    exchange.addItem(A, inbox, "new mail", "hello");
    exchange.calls.exportItems = 0;

    const second = await run([A]);
    const report = second.mailboxes[0]!;
    expect(report.status).toBe("completed");
    expect(report.itemsExported).toBe(3); // modified, moved (new id), added
    expect(report.itemsDeleted).toBe(2); // deleted, moved away
    expect(report.itemsUnchanged).toBe(38);

    await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: FRESH,
      snapshot: first.mailboxes[0]!.snapshotId!,
    });
    expect(contents(FRESH)).toEqual(before);
    exchange.addMailbox("later@contoso.test");
    await restore({ repository, target: exchange, mailbox: A, toMailbox: "later@contoso.test" });
    expect(contents("later@contoso.test")).toEqual(contents(A));
  });

  it("a no-change rerun exports nothing and stores almost nothing", async () => {
    await run([A]);
    const calls = exchange.calls.exportItems ?? 0;
    const again = (await run([A])).mailboxes[0]!;
    expect(again.status).toBe("completed");
    expect(exchange.calls.exportItems ?? 0).toBe(calls);
    expect(again.itemsExported).toBe(0);
    expect(again.bytesStored).toBe(0);
  });

  it("a refused sync state resyncs the folder without exporting unchanged items", async () => {
    await run([A]);
    const dir = mailboxIndexDirectory(indexDirectory, A, repository.cacheKey());
    const index = await MailboxIndex.open(dir, A, repository.cacheKey());
    const batch = index.batch();
    for (const folder of await index.listFolders()) batch.putFolder({ ...folder, syncState: "%%corrupt%%" });
    await batch.commit();
    await index.close();
    const calls = exchange.calls.exportItems ?? 0;
    const report = (await run([A])).mailboxes[0]!;
    expect(report.status).toBe("completed");
    expect(report.foldersResynced).toBeGreaterThan(0);
    expect(exchange.calls.exportItems ?? 0).toBe(calls);
  });

  it("a deleted or corrupted index is rebuilt from the latest snapshot without re-exporting, other mailboxes unaffected", async () => {
    await run([A, B]);
    await rm(mailboxIndexDirectory(indexDirectory, A, repository.cacheKey()), { recursive: true });
    const calls = exchange.calls.exportItems ?? 0;
    const report = await run([A, B]);
    expect(report.mailboxes[0]).toMatchObject({ status: "completed", indexRebuilt: true, itemsExported: 0 });
    expect(report.mailboxes[1]).toMatchObject({ status: "completed", indexRebuilt: false, itemsExported: 0 });
    expect(exchange.calls.exportItems ?? 0).toBe(calls);

    const dirA = mailboxIndexDirectory(indexDirectory, A, repository.cacheKey());
    for (const name of await readdir(dirA)) {
      if (name.startsWith("MANIFEST") || name === "CURRENT") await writeFile(join(dirA, name), "garbage");
    }
    const third = await run([A, B]);
    expect(third.mailboxes[0]).toMatchObject({ status: "completed", indexRebuilt: true, itemsExported: 0 });
    expect(third.mailboxes[1]).toMatchObject({ status: "completed", indexRebuilt: false });
  });

  it("skips items that cannot be read, fails only the mailbox with a fatal error, and reports why", async () => {
    const inboxA = exchange.folderId(A, "Inbox");
    const bad = exchange.itemsIn(A, inboxA)[0]!.summary;
    exchange.exportErrors.set(bad.itemId, {
      code: "ErrorCorruptData",
      message: "corrupt",
      disposition: "skip",
    });
    const inboxB = exchange.folderId(B, "Inbox");
    const fatal = exchange.itemsIn(B, inboxB)[0]!.summary.itemId;
    exchange.exportErrors.set(fatal, {
      code: "ErrorImpersonateUserDenied",
      message: "denied",
      disposition: "fatal",
    });
    const report = await run([A, B]);
    const [a, b] = report.mailboxes;
    expect(a!.status).toBe("completed-with-warnings");
    expect(a!.failedItems).toEqual([
      expect.objectContaining({
        itemId: bad.itemId,
        code: "ErrorCorruptData",
        folderPath: "Inbox",
        subject: bad.subject,
      }),
    ]);
    expect(a!.itemsExported).toBe(40);
    expect(b!.status).toBe("failed");
    expect(b!.error?.code).toBe("ErrorImpersonateUserDenied");
  });

  it("an unknown mailbox fails alone with EWS_MAILBOX_NOT_FOUND", async () => {
    const report = await run([A, "ghost@contoso.test"]);
    expect(report.mailboxes[0]!.status).toBe("completed");
    expect(report.mailboxes[1]).toMatchObject({ status: "failed", error: { code: "EWS_MAILBOX_NOT_FOUND" } });
  });

  it("refuses a second concurrent backup of the same mailbox", async () => {
    const lock = await repository.lockMailbox(A);
    const report = await run([A]);
    expect(report.mailboxes[0]).toMatchObject({
      status: "skipped-locked",
      error: { code: "REPO_MAILBOX_LOCKED" },
    });
    await lock.release();
    expect((await run([A])).mailboxes[0]!.status).toBe("completed");
  });

  it("restores in place skipping items still there, and recreates deleted ones", async () => {
    await run([A]);
    const inbox = exchange.folderId(A, "Inbox");
    const gone = exchange.itemsIn(A, inbox)[5]!.summary;
    exchange.deleteItem(A, gone.itemId);
    const report = await restore({ repository, target: exchange, mailbox: A });
    expect(report.restored).toBe(1);
    expect(report.skipped).toBe(40);
    expect(report.items.find((i) => i.status === "restored")?.subject).toBe(gone.subject);
    expect(exchange.itemsIn(A, inbox)).toHaveLength(30);
  });

  it("restores a single item by search into another folder of another mailbox", async () => {
    await run([A]);
    const report = await restore({
      repository,
      target: exchange,
      mailbox: A,
      toMailbox: B,
      intoFolder: "Restored test",
      search: { subject: "project 7" },
    });
    expect(report.restored).toBe(1);
    const folder = exchange.folderId(B, "Restored test");
    expect(folder).toBeDefined();
    const projects = [...exchange.mailboxes.get(B)!.folders.values()].filter(
      (f) => f.displayName === "Projects ✓",
    );
    expect(projects).toHaveLength(2); // B's own and the restored one under "Restored test"
  });

  it("honours folder and item class selection", async () => {
    const report = await run([A], {
      selection: { excludeFolders: ["inbox"], excludeItemClasses: ["IPM.Appointment"] },
    });
    expect(report.mailboxes[0]!.itemsExported).toBe(0);
    const included = await run([B], { selection: { includeFolders: ["Inbox/Projects*"] } });
    expect(included.mailboxes[0]!.itemsExported).toBe(10);
  });

  it("cancellation stops the run, keeps finished work durable, and the next run resumes", async () => {
    const controller = new AbortController();
    // Cancel from inside the source once five items were exported, as a UI's Stop button would.
    const exportItems = exchange.exportItems.bind(exchange);
    let exported = 0;
    exchange.exportItems = async function* (mailbox, items) {
      for await (const result of exportItems(mailbox, items)) {
        yield result;
        if (++exported === 5) controller.abort();
      }
    };
    const cancelled = await run([A], { itemConcurrency: 1, exportBatchItems: 1, signal: controller.signal });
    expect(cancelled.mailboxes[0]).toMatchObject({ status: "failed", error: { code: "ABORTED" } });
    const done = cancelled.mailboxes[0]!.itemsExported;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(41);
    const resumed = (await run([A])).mailboxes[0]!;
    expect(resumed.status).toBe("completed");
    expect(resumed.itemsExported).toBe(41 - done);
    expect(resumed.items).toBe(41);
  });
});
