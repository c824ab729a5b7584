// The batch sizing rules expressed as planBatches limits (export-batching.ts): the ExportItems
// planner keeps its results (an item that goes alone does not cut the run around it), the running
// export cuts batches one at a time, and UploadItems requests are sized by their base64 data.
import { planBatches } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { exportBatchLimits, planExportBatches, uploadBatchLimits } from "../src/export-batching.js";

const ids = (batches: { itemId: string }[][]) => batches.map((b) => b.map((i) => i.itemId));

describe("export batch limits", () => {
  const items = [
    { itemId: "a", size: 100 },
    { itemId: "unknown" },
    { itemId: "b", size: 100 },
    { itemId: "huge", size: 1_000_000 },
    { itemId: "c", size: 100 },
  ];

  it("planExportBatches sends unknown and oversized items alone without cutting the run around them", () => {
    expect(ids(planExportBatches(items, 64 * 1024))).toEqual([["unknown"], ["huge"], ["a", "b", "c"]]);
  });

  it("the running cut (planBatches with the same limits) ends a batch before an item that goes alone", () => {
    expect(ids(planBatches(items, exportBatchLimits(64 * 1024)))).toEqual([
      ["a"],
      ["unknown"],
      ["b"],
      ["huge"],
      ["c"],
    ]);
  });

  it("counts base64 growth, 1 KiB per item and 4 KiB per response against the cap", () => {
    // 3000 bytes x growth 1.5 -> 6000 base64 + 1024 = 7024 per item; 4096 + 3 x 7024 = 25168.
    const four = Array.from({ length: 4 }, (_, i) => ({ itemId: `i${i}`, size: 3000 }));
    expect(ids(planExportBatches(four, 25_168, 1.5))).toEqual([["i0", "i1", "i2"], ["i3"]]);
    expect(ids(planExportBatches(four, 25_167, 1.5))).toEqual([
      ["i0", "i1"],
      ["i2", "i3"],
    ]);
  });
});

describe("upload batch limits", () => {
  it("sizes a request by its base64 data, 1 KiB per item and 4 KiB per request, 100 items at most", () => {
    const limits = uploadBatchLimits(16 * 1024 * 1024);
    expect(limits.sizeOf({ parentFolderId: "F", mode: "CreateNew", data: new Uint8Array(3000) })).toBe(
      4000 + 1024,
    );
    const small = Array.from({ length: 250 }, () => ({
      parentFolderId: "F",
      mode: "CreateNew" as const,
      data: new Uint8Array(10),
    }));
    expect(planBatches(small, limits).map((b) => b.length)).toEqual([100, 100, 50]);
    const big = Array.from({ length: 3 }, () => ({
      parentFolderId: "F",
      mode: "CreateNew" as const,
      data: new Uint8Array(3000),
    }));
    // 4096 + 2 x 5024 = 14144 fits, a third item does not.
    expect(planBatches(big, uploadBatchLimits(14_144)).map((b) => b.length)).toEqual([2, 1]);
  });
});
