// The backup's change-detection rules as tables: when a full sync is due, when a folder's
// stored markers let a run skip it, which items are exported, recorded or forgotten, and when a
// full sync restarts its interval. Each row is one rule; the end-to-end consequences are in
// probe-rules.test.ts.
import { describe, expect, it } from "vitest";
import {
  decideItem,
  isFullSyncDue,
  mustSyncFolder,
  readFlagExport,
  restartsFullSyncInterval,
  storableProbes,
} from "../../src/engine/backup/change-detection.js";
import type { IndexedFolder, IndexedItem, StoredFolderProbe } from "../../src/mailbox-index/index.js";

const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const DAY = 86_400;

describe("isFullSyncDue", () => {
  const base = { asked: false, intervalSeconds: DAY, now: NOW, canProbe: true };
  it.each([
    ["last full sync an hour ago", { lastFullSyncAt: "2026-06-01T11:00:00.000Z" }, false],
    ["never a full sync", { lastFullSyncAt: undefined }, true],
    ["last full sync exactly one interval ago", { lastFullSyncAt: "2026-05-31T12:00:00.000Z" }, true],
    ["last full sync just inside the interval", { lastFullSyncAt: "2026-05-31T12:00:00.001Z" }, false],
    ["unreadable time", { lastFullSyncAt: "yesterday" }, true],
    ["time in the future (clock went back)", { lastFullSyncAt: "2026-06-01T12:00:01.000Z" }, true],
    ["asked for", { lastFullSyncAt: "2026-06-01T11:00:00.000Z", asked: true }, true],
    ["interval 0 = every run", { lastFullSyncAt: "2026-06-01T12:00:00.000Z", intervalSeconds: 0 }, true],
    ["source cannot probe", { lastFullSyncAt: "2026-06-01T11:00:00.000Z", canProbe: false }, true],
  ])("%s -> %s", (_rule, facts, due) => {
    expect(isFullSyncDue({ ...base, ...facts })).toBe(due);
  });
});

describe("mustSyncFolder", () => {
  const markers = {
    commitTimeMax: "2026-06-01T10:00:00.000Z",
    deletedCountTotal: 3,
    totalCount: 40,
    unreadCount: 2,
  };
  /** Stored markers read two minutes after the last change: settled under the default 60 s. */
  const stored: StoredFolderProbe = { ...markers, probedAt: "2026-06-01T10:02:00.000Z" };
  const current: StoredFolderProbe = { ...markers, probedAt: "2026-06-01T12:00:00.000Z" };
  const folder = (extra: Partial<IndexedFolder> = {}): IndexedFolder => ({
    folder: { folderId: "f", parentFolderId: "root", displayName: "Inbox", changeKey: "ck" },
    root: "mailbox",
    syncState: "state-1",
    probe: stored,
    ...extra,
  });
  const rules = { fullSync: false, probeSettleSeconds: 60 };

  it.each<[string, IndexedFolder, StoredFolderProbe | undefined, Partial<typeof rules>, boolean]>([
    ["equal settled markers", folder(), current, {}, false],
    ["full sync", folder(), current, { fullSync: true }, true],
    ["public folder", folder({ root: "public" }), current, {}, true],
    ["never synced (no sync state)", folder({ syncState: undefined }), current, {}, true],
    ["no stored markers", folder({ probe: undefined }), current, {}, true],
    ["no fresh markers (probe failed or none)", folder(), undefined, {}, true],
    [
      "stored markers without commitTimeMax",
      folder({ probe: { ...stored, commitTimeMax: undefined } }),
      current,
      {},
      true,
    ],
    ["commitTimeMax differs", folder(), { ...current, commitTimeMax: "2026-06-01T11:00:00.000Z" }, {}, true],
    ["deletedCountTotal differs", folder(), { ...current, deletedCountTotal: 4 }, {}, true],
    ["totalCount differs", folder(), { ...current, totalCount: 41 }, {}, true],
    ["unreadCount differs", folder(), { ...current, unreadCount: 1 }, {}, true],
    [
      "probedAt differs only (not a marker)",
      folder(),
      { ...current, probedAt: "2030-01-01T00:00:00.000Z" },
      {},
      false,
    ],
    [
      "change too close to the read (59 s < 60 s)",
      folder({ probe: { ...stored, probedAt: "2026-06-01T10:00:59.000Z" } }),
      current,
      {},
      true,
    ],
    [
      "change exactly the settle time before the read",
      folder({ probe: { ...stored, probedAt: "2026-06-01T10:01:00.000Z" } }),
      current,
      {},
      false,
    ],
    ["a longer settle time not reached", folder(), current, { probeSettleSeconds: 600 }, true],
    [
      "unparsable probedAt never counts as settled",
      folder({ probe: { ...stored, probedAt: "soon" } }),
      current,
      {},
      true,
    ],
  ])("%s -> sync %s", (_rule, indexed, fresh, override, sync) => {
    expect(mustSyncFolder(indexed, fresh, { ...rules, ...override })).toBe(sync);
  });

  it("syncs a folder whose stored state has the other scope (associated items or not), markers equal", () => {
    const withFai = folder({ associated: true });
    expect(mustSyncFolder(withFai, current, { ...rules, associatedItems: true })).toBe(false);
    expect(mustSyncFolder(withFai, current, { ...rules, associatedItems: false })).toBe(true);
    expect(mustSyncFolder(folder(), current, { ...rules, associatedItems: true })).toBe(true);
    expect(mustSyncFolder(folder(), current, { ...rules, associatedItems: false })).toBe(false);
  });
});

describe("storableProbes", () => {
  it("keeps the markers with a commitTimeMax, stamped with the time of the read", () => {
    const answer = new Map([
      ["a", { commitTimeMax: "2026-06-01T10:00:00.000Z", totalCount: 1 }],
      ["b", { totalCount: 2 }],
    ]);
    expect([...storableProbes(answer, "2026-06-01T12:00:00.000Z")]).toEqual([
      [
        "a",
        { commitTimeMax: "2026-06-01T10:00:00.000Z", totalCount: 1, probedAt: "2026-06-01T12:00:00.000Z" },
      ],
    ]);
  });
});

describe("decideItem", () => {
  const existing: IndexedItem = {
    itemId: "i",
    changeKey: "ck1",
    isRead: false,
    size: 100,
    folderId: "f",
    blobIds: ["b"],
    dataSize: 120,
  };
  it.each([
    ["new item", undefined, { changeKey: "ck1" }, true, { kind: "export" }],
    ["changed change key", existing, { changeKey: "ck2", isRead: false }, true, { kind: "export" }],
    ["same change key", existing, { changeKey: "ck1", isRead: false }, true, { kind: "unchanged" }],
    [
      "same change key, size reported differently",
      existing,
      { changeKey: "ck1", size: 999 },
      true,
      { kind: "unchanged" },
    ],
    [
      "same change key, other read flag: only the flag is recorded",
      existing,
      { changeKey: "ck1", isRead: true },
      true,
      { kind: "unchanged", isRead: true },
    ],
    ["same change key, read flag not reported", existing, { changeKey: "ck1" }, true, { kind: "unchanged" }],
    ["not selected, not indexed", undefined, { changeKey: "ck1" }, false, { kind: "ignore" }],
    ["not selected any more, indexed", existing, { changeKey: "ck1" }, false, { kind: "forget" }],
    ["not selected wins over a changed key", existing, { changeKey: "ck2" }, false, { kind: "forget" }],
  ] as const)("%s", (_rule, indexed, summary, selected, decision) => {
    expect(decideItem(indexed, { itemId: "i", ...summary }, selected)).toEqual(decision);
  });
});

describe("readFlagExport", () => {
  const existing: IndexedItem = {
    itemId: "i",
    changeKey: "ck1",
    subject: "hello",
    isRead: false,
    folderId: "f",
    blobIds: ["b"],
    dataSize: 120,
    mimeBlobIds: ["m"],
  };
  it.each([
    ["unknown item", undefined, true, undefined],
    ["flag unchanged", existing, false, undefined],
    [
      "flag changed: export again with the new flag, without the stored blobs",
      existing,
      true,
      { itemId: "i", changeKey: "ck1", subject: "hello", isRead: true },
    ],
  ] as const)("%s", (_rule, indexed, isRead, summary) => {
    expect(readFlagExport(indexed, isRead)).toEqual(summary);
  });
});

describe("restartsFullSyncInterval", () => {
  it.each([
    ["full sync of the whole mailbox", true, undefined, true],
    ["full sync filtered by item class only", true, { includeItemClasses: ["IPM.Note"] }, true],
    ["full sync of included folders only", true, { includeFolders: ["inbox"] }, false],
    ["full sync with excluded folders", true, { excludeFolders: ["Junk*"] }, false],
    ["not a full sync", false, undefined, false],
  ] as const)("%s -> %s", (_rule, fullSync, selection, restarts) => {
    expect(restartsFullSyncInterval(fullSync, selection)).toBe(restarts);
  });
});
