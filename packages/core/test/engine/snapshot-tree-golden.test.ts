// Golden vectors of the snapshot tree format with its item index (docs/snapshot-tree.md): the
// exact canonical JSON the engine writes for a fixed mailbox. A change here is a format change:
// document it (and bump `v` where the doc says so), never just update the vectors.
import { createHash } from "node:crypto";
import { canonicalJson, type HierarchyRootName, type IndexedFolder } from "@ewsvault/core";
import { describe, expect, it } from "vitest";
import { ItemLookupBuilder, itemLookupKey } from "../../src/engine/snapshot-item-lookup.js";
import { type SnapshotItem, writeMailboxTree } from "../../src/engine/snapshot-tree.js";
import { recordingWriter } from "../support/recording-writer.js";

const BLOB = "ab".repeat(32);

function folder(folderId: string, parentFolderId: string, displayName: string, dn?: "inbox"): IndexedFolder {
  return {
    folder: {
      folderId,
      changeKey: "CK",
      parentFolderId,
      displayName,
      folderClass: "IPF.Note",
      ...(dn === undefined ? {} : { distinguishedName: dn }),
    },
    root: "mailbox" as HierarchyRootName,
  };
}

function item(itemId: string): SnapshotItem {
  return { changeKey: "CK", content: [BLOB], dataSize: 10, itemId };
}

describe("snapshot tree golden vectors (tree v1, item index v1)", () => {
  it("item index keys are the first 64 bits of SHA-256 over the UTF-8 item id", () => {
    expect(itemLookupKey("AAMkAGI2")).toBe("9e296359e8ba08de");
    expect(itemLookupKey("Ünïcødé✓")).toBe(
      createHash("sha256").update("Ünïcødé✓", "utf8").digest("hex").slice(0, 16),
    );
  });

  it("a three-item mailbox, byte for byte", async () => {
    const { writer, json } = recordingWriter();
    const items = new Map([
      ["F1", [item("AAMkAGI2"), item("AAMkAGI3")]],
      ["F2", [item("AAMkAGI5")]],
    ]);
    const result = await writeMailboxTree(
      writer,
      "ann@contoso.test",
      [folder("F1", "ROOT", "Inbox", "inbox"), folder("F2", "F1", "Projects")],
      () => true,
      async function* (folderId) {
        yield* items.get(folderId) ?? [];
      },
    );
    const root = JSON.parse(json(result.rootTreeId));
    expect(json(root.itemIndex.subtree)).toBe(GOLDEN.indexRoot);
    expect(json(JSON.parse(GOLDEN.indexRoot).buckets[0].subtree)).toBe(GOLDEN.bucket);
    const inbox = JSON.parse(json(root.folders[0].subtree));
    expect(inbox.itemPages).toEqual([
      { first: "AAMkAGI2", subtree: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    expect(json(inbox.children[0].subtree)).toBe(GOLDEN.projects);
    expect(json(result.rootTreeId)).toBe(GOLDEN.mailbox);
  });

  it("1,000 items: content-defined buckets, pinned and re-derived from the spec", async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `item-${String(i).padStart(4, "0")}`);
    const { writer, json } = recordingWriter();
    const builder = new ItemLookupBuilder();
    for (const [i, id] of ids.entries()) builder.add(id, i % 3 === 0 ? "F-a" : "F-b");
    const rootId = await builder.write(writer);
    const root = JSON.parse(json(rootId)) as {
      items: number;
      buckets: Array<{ first: string; subtree: string }>;
    };
    expect(rootId).toBe(GOLDEN.thousandRootSha256);
    expect(root.items).toBe(1000);

    // Independent reading of the spec: sort by (key, id); a bucket ends after an entry whose
    // hash bytes 8..11 (big-endian u32) are 0 mod 256, unless the next entry has the same key.
    const hashed = ids
      .map((id, i) => ({
        id,
        folder: i % 3 === 0 ? "F-a" : "F-b",
        h: createHash("sha256").update(id).digest(),
      }))
      .map((e) => ({ ...e, key: e.h.subarray(0, 8).toString("hex") }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const expected: Array<Array<[string, string]>> = [[]];
    hashed.forEach((e, i) => {
      expected.at(-1)!.push([e.id, e.folder]);
      if (i + 1 < hashed.length && e.h.readUInt32BE(8) % 256 === 0) expected.push([]);
    });
    const resolved = root.buckets.map((b) => {
      const bucket = JSON.parse(json(b.subtree)) as { folders: string[]; entries: Array<[string, number]> };
      expect(bucket.folders).toEqual([...new Set(bucket.folders)].sort());
      return bucket.entries.map(([id, folder]) => [id, bucket.folders[folder]]);
    });
    expect(resolved).toEqual(expected);
    expect(root.buckets.map((b) => b.first)).toEqual(expected.map((b) => itemLookupKey(b[0]![0])));
    expect(root.buckets.map((b) => b.first)).toEqual(GOLDEN.thousandFirsts);
  });

  it("a folder-associated item records isAssociated; a normal item's page is as before", async () => {
    const { writer, json } = recordingWriter();
    const rule: SnapshotItem = {
      ...item("AAMkAGR1"),
      itemClass: "IPM.Rule.Version2.Message",
      isAssociated: true,
    };
    const result = await writeMailboxTree(
      writer,
      "ann@contoso.test",
      [folder("F1", "ROOT", "Inbox", "inbox")],
      () => true,
      async function* () {
        yield rule;
      },
    );
    const root = JSON.parse(json(result.rootTreeId));
    const inbox = JSON.parse(json(root.folders[0].subtree));
    expect(json(inbox.itemPages[0].subtree)).toBe(GOLDEN.associatedPage);
    // Without the flag the item encodes exactly as items always did: no key added.
    expect(canonicalJson({ kind: "items", v: 1, items: [item("AAMkAGR1")] })).toBe(
      GOLDEN.associatedPage.replace(',"isAssociated":true,"itemClass":"IPM.Rule.Version2.Message"', ""),
    );
  });
});

const GOLDEN = {
  associatedPage:
    '{"items":[{"changeKey":"CK","content":["abababababababababababababababababababababababababababababababab"],"dataSize":10,"isAssociated":true,"itemClass":"IPM.Rule.Version2.Message","itemId":"AAMkAGR1"}],"kind":"items","v":1}',
  indexRoot:
    '{"buckets":[{"first":"29b408ef39da7ff9","subtree":"89ca0df21268ec32f209cdf2d85f50e31b4f08c7bba845c7bb1925b1a409d647"}],"items":3,"kind":"item-index","v":1}',
  bucket:
    '{"entries":[["AAMkAGI5",1],["AAMkAGI2",0],["AAMkAGI3",0]],"folders":["F1","F2"],"kind":"item-index-bucket","v":1}',
  projects:
    '{"children":[],"displayName":"Projects","folderClass":"IPF.Note","folderId":"F2","itemBytes":10,"itemCount":1,"itemPages":[{"first":"AAMkAGI5","subtree":"426417a3bf3d74477ed65c01487747346a120ed7821d84e7c1f8f5d1904c3442"}],"kind":"folder","root":"mailbox","selected":true,"v":1}',
  mailbox:
    '{"folders":[{"subtree":"77027193306b61327ad84197bd579e1838634d9321f83227caf78f2ee3c3b788"}],"itemIndex":{"subtree":"7a6764392df65a63b2e6172af2c795c73350f3eeac8efa49daa5ea5de47145b9"},"kind":"mailbox","mailbox":"ann@contoso.test","v":1}',
  thousandRootSha256: "4582e13f89db3462ce60a9f7b848ee99289ab2c99530e8311cb3e8af66f511b6",
  thousandFirsts: ["0004352aa487fb0f", "86ea301ca424e6e5"],
};
