import { isEwsVaultError } from "@ewsvault/core";
import { describe, expect, it } from "vitest";
import {
  changeBudget,
  MAX_PAGES_WITHOUT_PROGRESS,
  SyncProgressGuard,
} from "../../src/engine/sync-progress.js";

function stopsAfter(pages: Array<{ state: string; ids: string[]; last?: boolean }>, budget?: number): number {
  const guard = new SyncProgressGuard("folder Inbox", { folderId: "f" }, budget);
  let sent: string | undefined;
  for (const [i, page] of pages.entries()) {
    try {
      guard.observe({ sentState: sent, syncState: page.state, ids: page.ids, last: page.last ?? false });
    } catch (error) {
      expect(isEwsVaultError(error, "SYNC_NO_PROGRESS")).toBe(true);
      return i + 1;
    }
    sent = page.state;
  }
  return -1;
}

describe("SyncProgressGuard", () => {
  it("lets an honest sync through, however many pages it takes", () => {
    const pages = Array.from({ length: 50 }, (_, i) => ({ state: `s${i}`, ids: [`a${i}`, `b${i}`] }));
    pages.push({ state: "end", ids: [], last: true } as (typeof pages)[number]);
    expect(stopsAfter(pages)).toBe(-1);
  });

  it("tolerates fewer than MAX_PAGES_WITHOUT_PROGRESS empty pages in a row", () => {
    const pages = [
      { state: "s1", ids: ["a"] },
      { state: "s2", ids: [] },
      { state: "s3", ids: [] },
      { state: "s4", ids: ["b"] },
      { state: "s5", ids: [], last: true },
    ];
    expect(MAX_PAGES_WITHOUT_PROGRESS).toBe(3);
    expect(stopsAfter(pages)).toBe(-1);
  });

  it.each([
    ["the same sync state again", (i: number) => ({ state: "s", ids: [`x${i}`] })],
    ["empty pages that are not the last", (i: number) => ({ state: `s${i}`, ids: [] })],
    ["the same ids again", (i: number) => ({ state: `s${i}`, ids: ["a", "b"] })],
  ])("stops on %s", (_name, page) => {
    const pages = [{ state: "s0", ids: ["a", "b"] }, ...Array.from({ length: 100 }, (_, i) => page(i + 1))];
    expect(stopsAfter(pages)).toBeLessThanOrEqual(1 + MAX_PAGES_WITHOUT_PROGRESS + 1);
    expect(stopsAfter(pages)).toBeGreaterThan(1);
  });

  it("stops when fresh ids keep coming beyond what the folder's counts allow", () => {
    const budget = changeBudget({ totalCount: 100, deletedCountTotal: 50 });
    expect(budget).toBe(2 * 100 + 50 + 10_000);
    const pages = Array.from({ length: 100 }, (_, i) => ({
      state: `s${i}`,
      ids: Array.from({ length: 512 }, (_, j) => `id-${i}-${j}`),
    }));
    expect(stopsAfter(pages, budget)).toBe(Math.ceil((budget! + 1) / 512));
  });

  it("has no count bound when the folder's item count is unknown", () => {
    expect(changeBudget({})).toBeUndefined();
    expect(changeBudget({ totalCount: 10 })).toBe(2 * 10 + 10 + 10_000);
  });
});
