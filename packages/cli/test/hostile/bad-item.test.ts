// Issue 11, item 6: one item whose ExportItems Data is not base64 is that item's failure alone:
// it is reported (code EWS_MALFORMED_RESPONSE, disposition skip), every other item of its batch
// is saved, the mailbox completes with warnings, and the batch is not asked for again.
import { afterEach, describe, expect, it } from "vitest";
import { expectContained, onlyMailbox } from "./support/expectations.js";
import { type HostileCase, MAILBOX_ITEMS, startHostileCase } from "./support/harness.js";
import { corruptBase64 } from "./support/hostile-proxy.js";

let hostile: HostileCase | undefined;
afterEach(async () => {
  await hostile?.stop();
  hostile = undefined;
});

describe("one bad item", { timeout: 120_000 }, () => {
  it("invalid base64 in one Data element fails that item only, without retrying its batch", async () => {
    const clean = await startHostileCase({});
    const baseline = await clean.backup();
    await clean.stop();
    expect(onlyMailbox(baseline).status).toBe("completed");

    hostile = await startHostileCase({ ExportItems: corruptBase64(1) });
    const run = await hostile.backup();
    const mailbox = onlyMailbox(run);
    expect(mailbox.status, JSON.stringify(mailbox.error)).toBe("completed-with-warnings");
    expect(mailbox.failedItems.map((f) => f.code)).toEqual(["EWS_MALFORMED_RESPONSE"]);
    expect(mailbox.items).toBe(MAILBOX_ITEMS - 1);
    expect(mailbox.itemsExported).toBe(MAILBOX_ITEMS - 1);
    expect(run.code).toBe(3);
    // No request more than a clean run: the bad item cost neither a retry nor a split.
    expect(run.requests.ExportItems).toBe(baseline.requests.ExportItems);
    await expectContained(run, hostile);
  });
});
