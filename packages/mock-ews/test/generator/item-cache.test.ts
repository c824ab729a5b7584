// The generator's item cache: a cached item is the item, attachments included, and the option
// is validated.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createMailboxGenerator } from "../../src/generator/index.js";
import type { MailboxGenerator, MockItemData } from "../../src/model.js";

function comparable(item: MockItemData): unknown {
  return {
    ...item,
    attachments: item.attachments.map((a) => ({
      ...a,
      content: `${a.content.length}:${createHash("sha256").update(a.content).digest("hex")}`,
    })),
  };
}

function everyItem(gen: MailboxGenerator): MockItemData[] {
  const items: MockItemData[] = [];
  gen.folders(0).forEach((_, f) => {
    for (let i = 0; i < gen.itemCount(0, f); i++) items.push(gen.item(0, f, i));
  });
  gen.publicFolders().forEach((_, f) => {
    for (let i = 0; i < gen.publicItemCount(f); i++) items.push(gen.publicItem(f, i));
  });
  return items;
}

describe("generator item cache", () => {
  it("serves cached items equal to freshly computed ones, attachments included", () => {
    const options = { seed: 77, mailboxes: 1, itemsPerMailbox: 150 };
    const fresh = everyItem(createMailboxGenerator({ ...options, cacheBytes: 0 })).map(comparable);
    const cached = createMailboxGenerator({ ...options, cacheBytes: 256 * 1024 * 1024 });
    const first = everyItem(cached);
    const second = everyItem(cached);
    expect(first.map(comparable)).toStrictEqual(fresh);
    expect(second.map(comparable)).toStrictEqual(fresh);
    expect(second.some((item) => item.attachments.length > 0)).toBe(true);
    // Each call hands out its own top-level object, so a caller's spread-and-replace edits
    // never reach another caller.
    expect(second.every((item, i) => item !== first[i])).toBe(true);
  });

  it("MUST throw TypeError for an invalid cacheBytes", () => {
    const options = { seed: 1, mailboxes: 1, itemsPerMailbox: 1 };
    expect(() => createMailboxGenerator({ ...options, cacheBytes: -1 })).toThrow(TypeError);
    expect(() => createMailboxGenerator({ ...options, cacheBytes: Number.NaN })).toThrow(TypeError);
    expect(() => createMailboxGenerator({ ...options, cacheBytes: "8" as unknown as number })).toThrow(
      TypeError,
    );
  });
});
