// Issue 17: SyncFolderItems serves an item's rendered XML again while nothing it shows changed.
// A kept rendering must never outlive a change to the item, its folder or the requested view,
// and the cache must stay within its bytes.
import { describe, expect, it } from "vitest";
import { RenderCache } from "../src/server/render-cache.js";
import type { ItemRecord } from "../src/store/records.js";

const MiB = 1024 * 1024;

function record(): ItemRecord {
  const folder = { lastSeq: 1 } as ItemRecord["folder"];
  return { serial: 1, lastSeq: 5, folder } as ItemRecord;
}

describe("RenderCache", () => {
  it("renders an item version once per view and renders again after any change it shows", () => {
    const cache = new RenderCache(8 * MiB);
    const item = record();
    let renders = 0;
    const render = () => `<t:Message n="${++renders}"/>`;
    expect(cache.rendered(item, "AllProperties", render)).toBe('<t:Message n="1"/>');
    expect(cache.rendered(item, "AllProperties", render)).toBe('<t:Message n="1"/>');
    expect(cache.rendered(item, "IdOnly", render)).toBe('<t:Message n="2"/>');
    item.lastSeq = 6; // the item changed
    expect(cache.rendered(item, "IdOnly", render)).toBe('<t:Message n="3"/>');
    item.folder.lastSeq = 2; // its folder changed (ParentFolderId's ChangeKey)
    expect(cache.rendered(item, "IdOnly", render)).toBe('<t:Message n="4"/>');
    item.folder = { lastSeq: 2 } as ItemRecord["folder"]; // moved to another folder
    expect(cache.rendered(item, "IdOnly", render)).toBe('<t:Message n="5"/>');
    expect(cache.rendered(item, "IdOnly", render)).toBe('<t:Message n="5"/>');
  });

  it("keeps renderings up to 4 Ki characters, within its bytes, the least recently used out first", () => {
    const cache = new RenderCache(1 * MiB);
    let renders = 0;
    const sized = (chars: number) => () => `<t:Message n="${++renders}">${"x".repeat(chars)}</t:Message>`;
    const large = record();
    cache.rendered(large, "Default", sized(5000));
    cache.rendered(large, "Default", sized(5000));
    expect(renders, "a large rendering is rendered every time").toBe(2);
    // About 6 KB each at two bytes a character: 1 MiB holds 170 of them.
    const items = Array.from({ length: 200 }, record);
    for (const item of items) cache.rendered(item, "Default", sized(3000));
    expect(renders).toBe(202);
    cache.rendered(items[199]!, "Default", sized(3000));
    expect(renders, "the newest is still kept").toBe(202);
    cache.rendered(items[0]!, "Default", sized(3000));
    expect(renders, "the oldest was let go").toBe(203);
  });

  it("keeps nothing with 0 bytes", () => {
    const cache = new RenderCache(0);
    const item = record();
    let renders = 0;
    cache.rendered(item, "IdOnly", () => `<t:Message n="${++renders}"/>`);
    cache.rendered(item, "IdOnly", () => `<t:Message n="${++renders}"/>`);
    expect(renders).toBe(2);
  });
});
