// Issue 17: ExportItems answers from encoded item streams kept between requests. The answers
// must be byte-identical to a server without the cache, before and after items change, and the
// cache must stay within its byte budget.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportItems } from "../src/operations/bulk.js";
import { frameResponse, frameResponseParts } from "../src/operations/common.js";
import { ExportCache } from "../src/server/export-cache.js";
import { envelope, envelopeParts } from "../src/server/soap.js";
import type { ItemRecord } from "../src/store/records.js";
import { ids, responseCodes, soap } from "./helpers.js";

function exportBody(itemIds: readonly string[]): string {
  return `<m:ExportItems><m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:ExportItems>`;
}

const ascii = (value: string): Uint8Array => Buffer.from(value, "latin1");
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** A stand-in record: the cache reads nothing of it but its identity and lastSeq. */
function record(lastSeq: number): ItemRecord {
  return { lastSeq } as ItemRecord;
}

describe("ExportCache", () => {
  it("encodes an item version once and serves it again", () => {
    const cache = new ExportCache(1024);
    const item = record(5);
    let encoded = 0;
    const encode = () => ascii(`AAAA${++encoded}`);
    expect(text(cache.base64(item, encode))).toBe("AAAA1");
    expect(text(cache.base64(item, encode))).toBe("AAAA1");
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, entries: 1, bytes: 5 });
  });

  it("never serves another version of the item, and drops an invalidated one", () => {
    const cache = new ExportCache(1024);
    const item = record(5);
    expect(text(cache.base64(item, () => ascii("v5")))).toBe("v5");
    item.lastSeq = 6;
    expect(text(cache.base64(item, () => ascii("v6")))).toBe("v6");
    cache.invalidate(item);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(text(cache.base64(item, () => ascii("again")))).toBe("again");
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 3 });
  });

  it("stays within its byte budget, least recently used out first, and skips items too large for it", () => {
    const cache = new ExportCache(100);
    const items = [record(1), record(1), record(1), record(1), record(1)];
    for (const item of items) cache.base64(item, () => ascii("x".repeat(25)));
    expect(cache.stats()).toMatchObject({ entries: 4, bytes: 100 });
    // The first was evicted; touching the second keeps it past the next insertion.
    cache.base64(items[1]!, () => ascii("recomputed"));
    cache.base64(record(1), () => ascii("y".repeat(25)));
    expect(text(cache.base64(items[1]!, () => ascii("recomputed")))).toBe("x".repeat(25));
    expect(text(cache.base64(items[2]!, () => ascii("recomputed")))).toBe("recomputed");
    expect(cache.stats().bytes).toBeLessThanOrEqual(100);
    const before = cache.stats();
    cache.base64(record(1), () => ascii("z".repeat(26)));
    expect(cache.stats()).toMatchObject({ entries: before.entries, bytes: before.bytes });
    expect(text(new ExportCache(0).base64(record(1), () => ascii("off")))).toBe("off");
  });
});

describe("ExportItems' response in pieces", () => {
  it("is framed into exactly the bytes of the framed joined text", () => {
    const parts = [
      '<m:ExportItemsResponseMessage ResponseClass="Success">',
      ascii("QUJD"),
      "</m:ExportItemsResponseMessage>",
    ];
    const pieces = envelopeParts(frameResponseParts(exportItems, "ExportItems", parts));
    const joined = Buffer.concat(pieces.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
    const text = envelope(
      frameResponse(
        exportItems,
        "ExportItems",
        '<m:ExportItemsResponseMessage ResponseClass="Success">QUJD</m:ExportItemsResponseMessage>',
      ),
    );
    expect(joined.toString("utf8")).toBe(text);
  });
});

describe("ExportItems with and without the export cache", () => {
  let cached: MockEwsServer;
  let uncached: MockEwsServer;

  beforeAll(async () => {
    // Same seed, same mailboxes byte for byte; only the cache differs.
    cached = await startMockEwsServer({ seed: 23, mailboxes: 1, itemsPerMailbox: 60 });
    uncached = await startMockEwsServer({ seed: 23, mailboxes: 1, itemsPerMailbox: 60, exportCacheBytes: 0 });
  });
  afterAll(async () => {
    await Promise.all([cached?.stop(), uncached?.stop()]);
  });

  async function exportBoth(pick: (server: MockEwsServer) => string[]): Promise<[string, string]> {
    const [a, b] = await Promise.all([
      soap(cached, exportBody(pick(cached))),
      soap(uncached, exportBody(pick(uncached))),
    ]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    return [a.text, b.text];
  }

  const inbox = (server: MockEwsServer) => server.listItems(server.mailboxes[0]!, "inbox");

  it("answers the same bytes on the first export, on repeats and after changes", async () => {
    const [first, firstUncached] = await exportBoth(inbox);
    expect(responseCodes(first).every((code) => code === "NoError")).toBe(true);
    expect(ids(first).length).toBeGreaterThan(5);
    expect(first).toBe(firstUncached);

    // Repeats come from the cache and are the same bytes.
    const [again, againUncached] = await exportBoth(inbox);
    expect(again).toBe(first);
    expect(again).toBe(againUncached);

    // A change to an item (content, then the read flag alone) is exported as changed.
    for (const server of [cached, uncached]) {
      const [one, two] = inbox(server);
      server.modifyItem(one!, { subject: "changed after the first export" });
      server.modifyItem(two!, (data) => ({ ...data, isRead: !data.isRead }));
    }
    const [changed, changedUncached] = await exportBoth(inbox);
    expect(changed).toBe(changedUncached);
    expect(changed).not.toBe(first);

    // A moved item has a new id; a deleted one is gone; the rest is unchanged.
    for (const server of [cached, uncached]) {
      const list = inbox(server);
      server.moveItem(list[2]!, "archive");
      server.deleteItem(list[3]!);
    }
    const [afterMove, afterMoveUncached] = await exportBoth((server) => [
      ...inbox(server),
      ...server.listItems(server.mailboxes[0]!, "archive"),
    ]);
    expect(afterMove).toBe(afterMoveUncached);
  });

  it("exports the same bytes after UploadItems Update replaced an item", async () => {
    const [source] = await exportBoth(inbox);
    const data = [...source.matchAll(/<m:Data>([^<]*)<\/m:Data>/g)].map((m) => m[1]!);
    for (const server of [cached, uncached]) {
      const [target] = inbox(server);
      const folder = server.folderId(server.mailboxes[0]!, "inbox");
      const uploaded = await soap(
        server,
        `<m:UploadItems><m:Items><t:Item CreateAction="Update"><t:ParentFolderId Id="${folder}"/><t:ItemId Id="${target}"/><t:Data>${data[5]}</t:Data></t:Item></m:Items></m:UploadItems>`,
      );
      expect(responseCodes(uploaded.text)).toEqual(["NoError"]);
    }
    const [after, afterUncached] = await exportBoth(inbox);
    expect(after).toBe(afterUncached);
    const exported = [...after.matchAll(/<m:Data>([^<]*)<\/m:Data>/g)].map((m) => m[1]!);
    expect(exported[0]).toBe(data[5]);
  });
});
