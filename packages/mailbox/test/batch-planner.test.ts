import { describe, expect, it } from "vitest";
import { planBatches } from "../src/index.js";

const sizes = (batches: { size?: number }[][]) => batches.map((b) => b.map((i) => i.size));
const limits = (maxItems: number, maxBytes: number) => ({
  maxItems,
  maxBytes,
  sizeOf: (i: { size?: number }) => i.size,
});

describe("planBatches", () => {
  it("cuts at the item count", () => {
    const items = Array.from({ length: 5 }, () => ({ size: 1 }));
    expect(sizes(planBatches(items, limits(2, 100)))).toEqual([[1, 1], [1, 1], [1]]);
  });
  it("cuts at the byte limit and keeps order", () => {
    const items = [{ size: 40 }, { size: 50 }, { size: 20 }, { size: 90 }, { size: 5 }];
    expect(sizes(planBatches(items, limits(10, 100)))).toEqual([[40, 50], [20], [90, 5]]);
  });
  it("sends an item larger than the limit alone, and one of unknown size alone by default", () => {
    const items = [{ size: 10 }, { size: 500 }, { size: 10 }, {}, { size: 10 }];
    expect(sizes(planBatches(items, limits(10, 100)))).toEqual([[10], [500], [10], [undefined], [10]]);
  });
  it("counts the per-batch overhead", () => {
    const items = [{ size: 30 }, { size: 30 }, { size: 30 }];
    expect(sizes(planBatches(items, { ...limits(10, 100), overhead: 20 }))).toEqual([[30, 30], [30]]);
  });
  it("plans nothing for no items and refuses impossible limits", () => {
    expect(planBatches([], limits(1, 1))).toEqual([]);
    expect(() => planBatches([], limits(0, 1))).toThrow(TypeError);
    expect(() => planBatches([], limits(1, 0))).toThrow(TypeError);
  });
});
