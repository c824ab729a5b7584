// The recorded selection of a snapshot and its group id: canonical form, and its encoding in the
// snapshot manifest (a format change, see docs/repository-format.md "Snapshots"). Moved from
// packages/core/test/engine/snapshot-groups.test.ts with the repository's move to its own package.
import { describe, expect, it } from "vitest";
import { fromUtf8 } from "../src/format.js";
import {
  canonicalSelection,
  defaultGroup,
  deriveRepositoryKeys,
  describeSelection,
  LEGACY_GROUP,
  selectionGroup,
  WHOLE_MAILBOX_SELECTION,
} from "../src/index.js";
import { createDeterministicSealer } from "../src/sealer.js";
import { decodeSnapshot, encodeSnapshot } from "../src/snapshots.js";

const A = "ann@contoso.test";
const GOLDEN_WHOLE_MAILBOX_GROUP = "d1aba6b6e144";

describe("recorded selection and group ids", () => {
  it("is canonical: order, duplicates and empty lists do not change the group", () => {
    const a = canonicalSelection({
      roots: ["archive", "mailbox", "mailbox"],
      includeFolders: ["sentitems", "inbox"],
      excludeItemClasses: [],
      receivedAfter: new Date("2026-01-01T00:00:00Z"),
    });
    expect(a).toEqual({
      v: 1,
      roots: ["archive", "mailbox"],
      includeFolders: ["inbox", "sentitems"],
      receivedAfter: "2026-01-01T00:00:00.000Z",
    });
    expect(
      selectionGroup({
        roots: ["mailbox", "archive"],
        includeFolders: ["inbox", "sentitems"],
        receivedAfter: "2026-01-01T00:00:00Z",
      }),
    ).toBe(selectionGroup(a));
    // Golden: the group ids are stored nowhere, but users type them; they must not drift.
    expect(selectionGroup(undefined)).toBe(selectionGroup(WHOLE_MAILBOX_SELECTION));
    expect(selectionGroup(WHOLE_MAILBOX_SELECTION)).toBe(GOLDEN_WHOLE_MAILBOX_GROUP);
    expect(selectionGroup({ includeFolders: ["inbox"] })).toBe("503024bf17eb");
    expect(describeSelection(a)).toBe(
      "archive+mailbox; folders +inbox +sentitems; received >= 2026-01-01T00:00:00.000Z",
    );
  });

  it("is stored after every version-1 key; a manifest without one encodes exactly as before", () => {
    const keys = deriveRepositoryKeys(Uint8Array.from({ length: 32 }, (_, i) => i));
    const manifest = {
      mailbox: A,
      time: new Date("2026-01-02T03:04:05.000Z"),
      hostname: "host",
      tree: "ab".repeat(32),
    };
    // Manifest version 1 pins the layout; version 2 (forget records) has the same fields.
    const legacy = encodeSnapshot(manifest, createDeterministicSealer(keys.dataKey, 1), 1);
    const grouped = encodeSnapshot(
      { ...manifest, selection: { roots: ["mailbox"], excludeFolders: ["junkemail"] } },
      createDeterministicSealer(keys.dataKey, 1),
      1,
    );
    const opener = createDeterministicSealer(keys.dataKey, 100);
    const plain = fromUtf8(opener.open(grouped.bytes, new TextEncoder().encode("ewsvault/v1/snapshot")));
    expect(plain).toBe(
      `{"v":1,"mailbox":"${A}","time":"2026-01-02T03:04:05.000Z","hostname":"host","tags":[],"tree":"${"ab".repeat(32)}","counts":{},"sizes":{},"selection":{"v":1,"roots":["mailbox"],"excludeFolders":["junkemail"]}}`,
    );
    const legacyPlain = fromUtf8(opener.open(legacy.bytes, new TextEncoder().encode("ewsvault/v1/snapshot")));
    expect(legacyPlain).not.toContain("selection");
    expect(decodeSnapshot(legacy.id, legacy.bytes, opener).group).toBe(LEGACY_GROUP);
    const decoded = decodeSnapshot(grouped.id, grouped.bytes, opener);
    expect(decoded.group).toBe(selectionGroup({ excludeFolders: ["junkemail"] }));
    expect(decoded.selection).toEqual({ v: 1, roots: ["mailbox"], excludeFolders: ["junkemail"] });
  });

  it("latest without a group: whole mailbox first, else the only group, else nothing", () => {
    const whole = selectionGroup(undefined);
    const part = selectionGroup({ includeFolders: ["inbox"] });
    const s = (group: string, day: number) => ({ mailbox: A, time: new Date(2026, 0, day), group });
    expect(defaultGroup([s(whole, 1), s(part, 2)], A)).toBe(whole);
    expect(defaultGroup([s(part, 2)], A)).toBe(part);
    expect(defaultGroup([s(part, 2), s(LEGACY_GROUP, 1)], A)).toBeUndefined();
    expect(defaultGroup([], A)).toBeUndefined();
  });
});
