// Issue 17: SyncFolderItems serves an item's rendered XML again while nothing it shows changed.
// A kept rendering must never outlive a change to the item, its folder or the requested view.
import { describe, expect, it } from "vitest";
import { renderedItem } from "../src/server/render-cache.js";
import type { ItemRecord } from "../src/store/records.js";

function record(): ItemRecord {
  const folder = { lastSeq: 1 } as ItemRecord["folder"];
  return { serial: 1, lastSeq: 5, folder } as ItemRecord;
}

describe("renderedItem", () => {
  it("renders an item version once per view and renders again after any change it shows", () => {
    const item = record();
    let renders = 0;
    const render = () => `<t:Message n="${++renders}"/>`;
    expect(renderedItem(item, "AllProperties", render)).toBe('<t:Message n="1"/>');
    expect(renderedItem(item, "AllProperties", render)).toBe('<t:Message n="1"/>');
    expect(renderedItem(item, "IdOnly", render)).toBe('<t:Message n="2"/>');
    item.lastSeq = 6; // the item changed
    expect(renderedItem(item, "IdOnly", render)).toBe('<t:Message n="3"/>');
    item.folder.lastSeq = 2; // its folder changed (ParentFolderId's ChangeKey)
    expect(renderedItem(item, "IdOnly", render)).toBe('<t:Message n="4"/>');
    item.folder = { lastSeq: 2 } as ItemRecord["folder"]; // moved to another folder
    expect(renderedItem(item, "IdOnly", render)).toBe('<t:Message n="5"/>');
    expect(renderedItem(item, "IdOnly", render)).toBe('<t:Message n="5"/>');
  });
});
