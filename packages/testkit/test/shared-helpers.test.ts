// The helpers other packages' tests share: the mailbox comparison is independent of property
// order and tells bytes apart, and the Python runner returns a script's checks or its failure.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalItem, ensurePythonModule, mailboxContent, runPythonChecks, tempDir } from "../src/index.js";

describe("mailboxContent", () => {
  const folders = [
    { folderId: "root", parentFolderId: "", displayName: "Top of Information Store" },
    { folderId: "inbox", parentFolderId: "root", displayName: "Inbox" },
    { folderId: "restored", parentFolderId: "root", displayName: "Restored" },
    { folderId: "restored-inbox", parentFolderId: "restored", displayName: "Inbox" },
    { folderId: "empty", parentFolderId: "root", displayName: "Empty" },
  ];
  const itemsIn: Record<string, { itemId: string }[]> = {
    inbox: [{ itemId: "a" }, { itemId: "b" }],
    "restored-inbox": [{ itemId: "b2" }, { itemId: "a2" }],
  };
  const stored: Record<string, unknown> = {
    a: { subject: "one", body: new Uint8Array([1, 2]) },
    b: { subject: "two", missing: undefined },
    // The same items, built in another order: keys and undefined properties do not matter.
    a2: { body: new Uint8Array([1, 2]), subject: "one" },
    b2: { subject: "two" },
  };
  const reader = {
    getMailboxInfo: async () => ({ distinguishedFolders: { msgfolderroot: "root" } }),
    findFolders: async () => folders,
    findItems: async (_mailbox: string, folderId: string) => itemsIn[folderId] ?? [],
  };
  const store = { getItem: (id: string) => stored[id] };

  it("reads items by folder path, and a copy below a folder compares equal to the original", async () => {
    const original = await mailboxContent(reader, store, "m", { skipTop: ["Restored"] });
    const copy = await mailboxContent(reader, store, "m", { under: "Restored" });
    expect([...original.keys()]).toEqual(["Inbox"]);
    expect(copy).toEqual(original);
  });

  it("tells bytes from other bytes", () => {
    expect(canonicalItem({ body: new Uint8Array([1]) })).not.toBe(
      canonicalItem({ body: new Uint8Array([2]) }),
    );
  });
});

describe("runPythonChecks", () => {
  it("returns the checks a script prints, and rejects with its stderr when it fails", async () => {
    ensurePythonModule("json", "python3");
    const dir = await tempDir();
    try {
      const ok = join(dir.path, "ok.py");
      await writeFile(
        ok,
        'import json, os, sys\nprint(json.dumps({"checks": {"arg": sys.argv[1], "env": os.environ["SECRET"]}}))\n',
      );
      expect(await runPythonChecks(ok, ["x"], { env: { SECRET: "s" } })).toEqual({ arg: "x", env: "s" });
      const bad = join(dir.path, "bad.py");
      await writeFile(bad, 'import sys\nsys.stderr.write("boom\\n")\nsys.exit(3)\n');
      await expect(runPythonChecks(bad, [])).rejects.toThrow(/boom/);
    } finally {
      await dir.cleanup();
    }
  });
});
