// Restore's stages seen from outside: upload batches keep to uploadBatchItems items and 8 MiB of
// item data, the conflict policy decides what happens to items the target holds already, and a
// target folder that cannot be created fails only its own items.
import { backup, type Repository, restore, type UploadRequest, type UploadResult } from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngineFixture, type EngineFixture } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const FRESH = "fresh@contoso.test";
const MiB = 1024 * 1024;

let exchange: MemoryExchange;
let fixture: EngineFixture;
let repository: Repository;

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  exchange.addMailbox(FRESH);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 10; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i} `.repeat(100));
  const large = exchange.addFolder(A, inbox, "Large").folderId;
  // 3 MiB each: two fit under the 8 MiB cap of one request, three do not.
  for (let i = 0; i < 5; i++) exchange.addItem(A, large, `large ${i}`, `${i}`.repeat(3 * MiB));
  fixture = await createEngineFixture({ workers: 0 });
  repository = fixture.repository;
  const report = await backup({
    repository,
    source: exchange,
    mailboxes: [A],
    indexDirectory: fixture.indexDirectory,
  });
  expect(report.mailboxes[0]!.status).toBe("completed");
});

afterEach(() => fixture.close());

/** Records every uploadItems request's items, by target folder. */
function recordUploads(): Map<string, UploadRequest[][]> {
  const byFolder = new Map<string, UploadRequest[][]>();
  const upload = exchange.uploadItems.bind(exchange);
  exchange.uploadItems = async (mailbox, requests) => {
    const folderId = requests[0]!.parentFolderId;
    expect(requests.every((r) => r.parentFolderId === folderId)).toBe(true);
    byFolder.set(folderId, [...(byFolder.get(folderId) ?? []), [...requests]]);
    return upload(mailbox, requests);
  };
  return byFolder;
}

/** Restores A's latest snapshot into the empty mailbox FRESH. */
const restoreToFresh = (options: Partial<Parameters<typeof restore>[0]> = {}) =>
  restore({ repository, target: exchange, mailbox: A, toMailbox: FRESH, ...options });

const sizes = (batches: UploadRequest[][] | undefined) => (batches ?? []).map((b) => b.length).sort();

describe("restore stages", () => {
  it("uploads in batches of at most uploadBatchItems items and 8 MiB of item data", async () => {
    const uploads = recordUploads();
    const report = await restoreToFresh({ uploadBatchItems: 4 });
    expect(report).toMatchObject({ restored: 15, failed: 0, skipped: 0, foldersCreated: 1 });
    expect(sizes(uploads.get(exchange.folderId(FRESH, "Inbox")))).toEqual([2, 4, 4]);
    const large = uploads.get(exchange.folderId(FRESH, "Large"));
    expect(sizes(large)).toEqual([1, 2, 2]);
    for (const batch of large!) {
      expect(batch.reduce((sum, r) => sum + r.data.length, 0)).toBeLessThanOrEqual(8 * MiB);
    }
    expect(new Set(report.items.map((i) => i.status))).toEqual(new Set(["restored"]));
  });

  it("skips items the target holds, overwrites them on request, and duplicates without looking", async () => {
    const skipped = await restore({ repository, target: exchange, mailbox: A });
    expect(skipped).toMatchObject({ restored: 0, skipped: 15, failed: 0, foldersCreated: 0 });
    expect(skipped.items.every((i) => i.targetItemId !== undefined)).toBe(true);

    const uploads = recordUploads();
    const overwritten = await restore({ repository, target: exchange, mailbox: A, conflict: "overwrite" });
    expect(overwritten).toMatchObject({ restored: 15, skipped: 0, failed: 0 });
    expect(new Set(overwritten.items.map((i) => i.status))).toEqual(new Set(["overwritten"]));
    const modes = [...uploads.values()].flat(2).map((r) => r.mode);
    expect(new Set(modes)).toEqual(new Set(["Update"]));
    expect(exchange.mailboxes.get(A)!.items.size).toBe(15);

    const findsBefore = exchange.calls.findItems ?? 0;
    const duplicated = await restore({ repository, target: exchange, mailbox: A, conflict: "duplicate" });
    expect(duplicated).toMatchObject({ restored: 15, skipped: 0, failed: 0 });
    expect(new Set(duplicated.items.map((i) => i.status))).toEqual(new Set(["restored"]));
    expect(exchange.calls.findItems ?? 0).toBe(findsBefore);
    expect(exchange.mailboxes.get(A)!.items.size).toBe(30);
  });

  it("fails the items of a folder it cannot create and restores the others", async () => {
    const create = exchange.createFolder.bind(exchange);
    exchange.createFolder = async (mailbox, parentId, name, folderClass) => {
      if (name === "Large") throw Object.assign(new Error("no room"), { code: "EWS_SERVER_ERROR" });
      return create(mailbox, parentId, name, folderClass);
    };
    const events: string[] = [];
    const report = await restoreToFresh({ onEvent: (event) => events.push(event.type) });
    expect(report).toMatchObject({ restored: 10, failed: 5, skipped: 0, foldersCreated: 0 });
    const failed = report.items.filter((i) => i.status === "failed");
    expect(failed.map((i) => [i.folderPath, i.error?.code])).toEqual(
      Array.from({ length: 5 }, () => ["Inbox/Large", "EWS_SERVER_ERROR"]),
    );
    expect(events).toEqual(["restore-start", ...Array.from({ length: 15 }, () => "item")]);
  });

  it("fails an item the target refuses with the target's code and message, and a batch whose request throws", async () => {
    const upload = exchange.uploadItems.bind(exchange);
    const inbox = exchange.folderId(FRESH, "Inbox");
    exchange.uploadItems = async (mailbox, requests) => {
      if (requests[0]!.parentFolderId !== inbox)
        throw Object.assign(new Error("gone"), { code: "EWS_TIMEOUT" });
      const results = await upload(mailbox, requests);
      const refused: UploadResult = {
        ok: false,
        error: {
          code: "EWS_SERVER_ERROR",
          message: "ErrorQuotaExceeded",
          responseCode: "ErrorQuotaExceeded",
          disposition: "fatal",
        },
      };
      // The first item of every batch is refused; the report keeps its code and message only.
      return results.map((result, index) => (index === 0 ? refused : result));
    };
    const report = await restoreToFresh({ uploadBatchItems: 4 });
    expect(report).toMatchObject({ restored: 7, failed: 8, skipped: 0 });
    const errors = report.items.filter((i) => i.status === "failed").map((i) => [i.folderPath, i.error]);
    expect(errors.filter(([path]) => path === "Inbox")).toEqual(
      Array.from({ length: 3 }, () => ["Inbox", { code: "EWS_SERVER_ERROR", message: "ErrorQuotaExceeded" }]),
    );
    expect(errors.filter(([path]) => path === "Inbox/Large")).toEqual(
      Array.from({ length: 5 }, () => ["Inbox/Large", { code: "EWS_TIMEOUT", message: "gone" }]),
    );
  });
});
