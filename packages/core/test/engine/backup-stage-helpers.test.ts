// Pure pieces of the backup stages: the progress event and its time-left estimate, the paging
// loop shared by hierarchy and item syncs (restart on a refused state, stop, the guard), the
// export batches, and the tree key stored in the index (docs/mailbox-index.md).
import { EwsVaultError, planBatches } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { emptyStats, progressOf } from "../../src/engine/backup/progress.js";
import { treeKey } from "../../src/engine/backup/snapshot-writer.js";
import { syncAllPages } from "../../src/engine/backup/sync-pages.js";
import { SNAPSHOT_TREE_VERSION } from "../../src/engine/snapshot-tree.js";
import { SyncProgressGuard } from "../../src/engine/sync-progress.js";

const zero = emptyStats();

describe("progressOf", () => {
  it.each([
    [
      "10 of 30 items in 5 s, folders left: 10 s left",
      { itemsDone: 10, itemsTotal: 30, foldersTotal: 2 },
      5,
      10,
    ],
    ["nothing exported yet: no estimate", { itemsDone: 0, itemsTotal: 30, foldersTotal: 2 }, 5, undefined],
    [
      "every folder done: no estimate",
      { itemsDone: 10, itemsTotal: 30, foldersTotal: 2, foldersDone: 2 },
      5,
      undefined,
    ],
    ["more done than known: 0 s left", { itemsDone: 40, itemsTotal: 30, foldersTotal: 2 }, 5, 0],
  ])("%s", (_case, stats, elapsed, eta) => {
    expect(progressOf("m", { ...zero, ...stats }, 0, elapsed).etaSeconds).toBe(eta);
  });

  it("reports deduplicated bytes as read minus new, never negative", () => {
    expect(progressOf("m", { ...zero, bytesRead: 100, bytesNew: 30 }, 2, 1)).toMatchObject({
      bytesDeduplicated: 70,
      errors: 2,
    });
    expect(progressOf("m", { ...zero, bytesRead: 10, bytesNew: 30 }, 0, 1).bytesDeduplicated).toBe(0);
  });
});

interface Page {
  readonly syncState: string;
  readonly ids: string[];
  readonly last: boolean;
}

function loop(pages: Array<Page | Error>, syncState: string | undefined) {
  const sent: Array<string | undefined> = [];
  const applied: string[] = [];
  let restarts = 0;
  const run = (apply?: (page: Page) => "stop" | undefined) =>
    syncAllPages<Page>({
      syncState,
      signal: undefined,
      guard: () => new SyncProgressGuard("test", {}),
      request: async (state) => {
        sent.push(state);
        const next = pages.shift();
        if (next === undefined) throw new Error("asked for more pages than the test has");
        if (next instanceof Error) throw next;
        return next;
      },
      view: (page) => page,
      restart: () => {
        restarts++;
      },
      apply: (page) => {
        applied.push(page.syncState);
        return apply?.(page);
      },
    });
  return { run, sent, applied, restarts: () => restarts };
}

const refused = () => new EwsVaultError("EWS_INVALID_SYNC_STATE", "state refused");

describe("syncAllPages", () => {
  it("pages from the stored state until the last page and returns its state", async () => {
    const l = loop(
      [
        { syncState: "s1", ids: ["a"], last: false },
        { syncState: "s2", ids: ["b"], last: true },
      ],
      "s0",
    );
    expect(await l.run()).toEqual({ syncState: "s2", fromScratch: false, stopped: false });
    expect(l.sent).toEqual(["s0", "s1"]);
    expect(l.applied).toEqual(["s1", "s2"]);
  });

  it("starts over once without a state when the stored one is refused", async () => {
    const l = loop([refused(), { syncState: "s1", ids: ["a"], last: true }], "old");
    expect(await l.run()).toEqual({ syncState: "s1", fromScratch: true, stopped: false });
    expect(l.sent).toEqual(["old", undefined]);
    expect(l.restarts()).toBe(1);
  });

  it("does not start over a sync that had no state", async () => {
    const l = loop([refused()], undefined);
    await expect(l.run()).rejects.toMatchObject({ code: "EWS_INVALID_SYNC_STATE" });
    expect(l.restarts()).toBe(0);
  });

  it("ends when apply asks to stop, before the next request", async () => {
    const l = loop([{ syncState: "s1", ids: ["a"], last: false }], "s0");
    expect(await l.run(() => "stop")).toEqual({ syncState: "s1", fromScratch: false, stopped: true });
    expect(l.sent).toEqual(["s0"]);
  });

  it("lets the guard stop a server that never finishes", async () => {
    const same = { syncState: "s0", ids: ["a"], last: false };
    const l = loop([same, same, same, same], "s0");
    await expect(l.run()).rejects.toMatchObject({ code: "SYNC_NO_PROGRESS" });
  });
});

describe("export batches (planBatches as the export stage calls it)", () => {
  const batch = (sizes: Array<number | undefined>, maxItems: number, maxBytes: number) =>
    planBatches(
      sizes.map((size, i) => ({ i, size })),
      { maxItems, maxBytes, sizeOf: (c) => c.size },
    ).map((b) => b.map((c) => c.i));
  it.each([
    ["by item count", [1, 1, 1, 1, 1], 2, 1000, [[0, 1], [2, 3], [4]]],
    ["by bytes", [400, 400, 400], 16, 1000, [[0, 1], [2]]],
    ["an item of unknown size goes alone", [10, undefined, 10], 16, 1000, [[0], [1], [2]]],
    ["an item larger than the cap goes alone", [2000, 10], 16, 1000, [[0], [1]]],
  ] as const)("%s", (_case, sizes, maxItems, maxBytes, expected) => {
    expect(batch([...sizes], maxItems, maxBytes)).toEqual(expected);
  });
});

describe("treeKey", () => {
  it("names the tree version, the sorted roots and every filter (null when unset)", () => {
    expect(JSON.parse(treeKey(undefined, ["mailbox", "archive"]))).toEqual({
      v: SNAPSHOT_TREE_VERSION,
      roots: ["archive", "mailbox"],
      includeFolders: null,
      excludeFolders: null,
      includeItemClasses: null,
      excludeItemClasses: null,
      receivedAfter: null,
      receivedBefore: null,
    });
    const after = new Date("2026-01-01T00:00:00.000Z");
    expect(
      JSON.parse(treeKey({ includeFolders: ["inbox"], receivedAfter: after }, ["mailbox"])),
    ).toMatchObject({
      includeFolders: ["inbox"],
      receivedAfter: "2026-01-01T00:00:00.000Z",
    });
  });

  it("differs between selections that hold different items, so a tree is never reused across them", () => {
    const all = treeKey(undefined, ["mailbox"]);
    expect(treeKey({ excludeItemClasses: ["IPM.Appointment"] }, ["mailbox"])).not.toBe(all);
    expect(treeKey({ receivedBefore: new Date(0) }, ["mailbox"])).not.toBe(all);
    expect(treeKey(undefined, ["mailbox", "archive"])).not.toBe(all);
  });
});
