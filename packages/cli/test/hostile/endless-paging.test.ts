// Issue 11, item 3: a server that never says IncludesLastItemInRange / IncludesLastFolderInRange
// (or repeats one page for ever) stops the mailbox with SYNC_NO_PROGRESS after a handful of
// requests, and everything saved before the stop is durable: the next run exports nothing again.
import { afterEach, describe, expect, it } from "vitest";
import { type HostileCase, startHostileCase } from "./support/harness.js";
import { expectContained, onlyMailbox } from "./support/expectations.js";
import { neverLast, type Rewrite, repeatFirstPage } from "./support/hostile-proxy.js";

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
    expect(resumed.itemsExported).toBe(0); // all 24 were durable before the stop
    expect(resumed.items).toBe(24);
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

  it("the same page again and again (same ids, same sync state): SYNC_NO_PROGRESS, each item exported once", async () => {
    hostile = await startHostileCase({ SyncFolderItems: repeatFirstPage() });
    const run = await hostile.backup();
    const mailbox = onlyMailbox(run);
    expect(mailbox.status).toBe("failed");
    expect(mailbox.error?.code).toBe("SYNC_NO_PROGRESS");
    expect(run.requests.SyncFolderItems).toBeLessThanOrEqual(37 * 4);
    expect(mailbox.itemsExported).toBeLessThanOrEqual(24);
    await expectContained(run, hostile);
  });
});
