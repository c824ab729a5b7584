// Issue 11, item 3: a server that never says IncludesLastItemInRange / IncludesLastFolderInRange
// (or repeats one page for ever) stops the mailbox with SYNC_NO_PROGRESS after a handful of
// requests, and everything saved before the stop is durable: the next run exports nothing again.
import { afterEach, describe, expect, it } from "vitest";
import { expectContained, onlyMailbox } from "./support/expectations.js";
import { type HostileCase, MAILBOX_ITEMS, startHostileCase } from "./support/harness.js";
import { neverLast, type Rewrite, repeatFirstPage, withoutTotals } from "./support/hostile-proxy.js";

let hostile: HostileCase | undefined;
afterEach(async () => {
  await hostile?.stop();
  hostile = undefined;
});

describe("endless paging", { timeout: 120_000 }, () => {
  it("SyncFolderItems never last: SYNC_NO_PROGRESS, bounded requests, and the next run resumes with nothing to export", async () => {
    const rewrites: Record<string, Rewrite> = { SyncFolderItems: neverLast };
    hostile = await startHostileCase(rewrites);
    const first = await hostile.backup();
    const failed = onlyMailbox(first);
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("SYNC_NO_PROGRESS");
    expect(first.code).toBe(1); // every mailbox of the run failed
    // A well-behaved run needs one SyncFolderItems per folder (37 here); a stalled folder costs
    // at most the pages of MAX_PAGES_WITHOUT_PROGRESS more. Before the guard it never ended.
    expect(first.requests.SyncFolderItems).toBeLessThanOrEqual(37 * 4);
    await expectContained(first, hostile);

    delete rewrites.SyncFolderItems;
    const second = await hostile.backup();
    const resumed = onlyMailbox(second);
    expect(resumed.status, JSON.stringify(resumed.error)).toBe("completed");
    expect(resumed.itemsExported).toBe(0); // every item was durable before the stop
    expect(resumed.items).toBe(MAILBOX_ITEMS);
  });

  it("SyncFolderHierarchy never last: SYNC_NO_PROGRESS after a few requests, nothing written", async () => {
    hostile = await startHostileCase({ SyncFolderHierarchy: neverLast });
    const run = await hostile.backup();
    const mailbox = onlyMailbox(run);
    expect(mailbox.status).toBe("failed");
    expect(mailbox.error?.code).toBe("SYNC_NO_PROGRESS");
    expect(run.requests.SyncFolderHierarchy).toBeLessThanOrEqual(4);
    await expectContained(run, hostile);
  });

  it("FindItem of a public folder answering the same page for every offset: stops at TotalItemsInView, nothing twice", async () => {
    const rewrites: Record<string, Rewrite> = { FindItem: repeatFirstPage() };
    hostile = await startHostileCase(rewrites);
    const run = await hostile.backup(undefined, ["--public-folders"]);
    const mailbox = onlyMailbox(run);
    expect(mailbox.status, JSON.stringify(mailbox.error)).toBe("completed");
    // Each public folder's first page and one repeat; before the fix the offsets grew for ever.
    expect(run.requests.FindItem).toBeLessThanOrEqual(40);
    await expectContained(run, hostile);

    delete rewrites.FindItem;
    const clean = onlyMailbox(await hostile.backup(undefined, ["--public-folders"]));
    expect(clean.status).toBe("completed");
    expect(clean.itemsExported).toBe(0);
    expect(clean.items).toBe(mailbox.items);
  });

  it("the same FindItem page for every offset and no TotalItemsInView: EWS_MALFORMED_RESPONSE after three repeats", async () => {
    const repeat = repeatFirstPage();
    hostile = await startHostileCase({
      FindItem: (body, exchange) => withoutTotals(repeat(body, exchange) as string),
    });
    const run = await hostile.backup(undefined, ["--public-folders"]);
    const mailbox = onlyMailbox(run);
    expect(mailbox.status).toBe("failed");
    expect(mailbox.error?.code).toBe("EWS_MALFORMED_RESPONSE");
    expect(mailbox.error?.message).toContain("never reach the end");
    expect(run.requests.FindItem).toBeLessThanOrEqual(40);
    await expectContained(run, hostile);
  });

  it("the same page again and again (same ids, same sync state): SYNC_NO_PROGRESS, each item exported once", async () => {
    hostile = await startHostileCase({ SyncFolderItems: repeatFirstPage() });
    const run = await hostile.backup();
    const mailbox = onlyMailbox(run);
    expect(mailbox.status).toBe("failed");
    expect(mailbox.error?.code).toBe("SYNC_NO_PROGRESS");
    expect(run.requests.SyncFolderItems).toBeLessThanOrEqual(37 * 4);
    expect(mailbox.itemsExported).toBeLessThanOrEqual(MAILBOX_ITEMS);
    await expectContained(run, hostile);
  });
});
