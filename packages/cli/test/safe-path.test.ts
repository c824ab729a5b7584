// Paths built from mailbox data (safe-path.ts): every name list, however hostile, maps to a
// path inside the root; distinct names stay distinct; nothing planted in the output directory
// (a symlink, a file where a directory belongs, a hard link at a file's name) is followed.
import { link, lstat, mkdir, readdir, readFile, realpath, symlink, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { tempDir } from "@ewsvault/testkit";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isInside, MAX_SEGMENT_BYTES, SafeOutputTree, safeSegment } from "../src/safe-path.js";

const HOSTILE = [
  "..",
  ".",
  "...",
  "../../x",
  "..\\..\\x",
  "/etc",
  "/",
  "\\",
  "C:\\x",
  "C:",
  "\\\\server\\share",
  "CON",
  "con.txt",
  "CON .txt",
  "aux ",
  "Nul",
  "COM1",
  "lpt9.eml",
  "COM¹",
  "CONIN$",
  "a\u0000b",
  "\u0000",
  "x".repeat(300),
  "é".repeat(200),
  "😀".repeat(100),
  "abc\u202etxt.exe",
  "\u200b",
  "\u202e..",
  ".\u200b.",
  " .. ",
  "name. . .",
  "trailing ",
  ".hidden",
  "e\u0301", // NFD é
  "\ud800", // lone surrogate
  "\u001b[2J",
  "a/b",
  "a_b",
  "Inbox",
  "INBOX",
];

/** Characters chosen to hit every rule: separators, dots, controls, bidi, reserved names. */
const hostileChar = fc.constantFrom(
  ".",
  "/",
  "\\",
  ":",
  "\u0000",
  "\u001b",
  "\u202e",
  "\u200b",
  " ",
  "a",
  "C",
  "O",
  "N",
  "é",
  "e\u0301",
  "😀",
  "\ud800",
  "~",
);
const hostileName = fc.oneof(
  fc.string({ unit: hostileChar, maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom(...HOSTILE),
);

let work: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  work = await tempDir();
});
afterEach(async () => {
  await work.cleanup();
});

/** No lone surrogate (String.prototype.isWellFormed is newer than the compile target). */
function wellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

function assertSafeSegment(segment: string): void {
  expect(segment).not.toBe("");
  expect(segment).not.toBe(".");
  expect(segment).not.toBe("..");
  expect(segment).not.toMatch(
    /[/\\:*?"<>|\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f]/,
  );
  expect(segment).not.toMatch(/^\./);
  expect(segment).not.toMatch(/[. ]$/);
  expect(segment).not.toMatch(/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)([. ]|$)/i);
  expect(Buffer.byteLength(segment, "utf8")).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
  expect(segment).toBe(segment.normalize("NFC"));
  expect(wellFormed(segment)).toBe(true);
}

describe("safeSegment", () => {
  it("turns every hostile name into one harmless segment", () => {
    for (const name of HOSTILE) assertSafeSegment(safeSegment(name));
    fc.assert(
      fc.property(hostileName, (name) => assertSafeSegment(safeSegment(name))),
      { numRuns: 3000 },
    );
  });

  it("keeps ordinary names as they are, and cut names apart", () => {
    for (const name of ["Inbox", "Sent Items", "Projekt Zürich", "受信トレイ整理", "Receipts 🧾", "2023"])
      expect(safeSegment(name)).toBe(name);
    expect(safeSegment("CON")).toBe("_CON");
    expect(safeSegment("..")).toBe("_");
    const a = safeSegment(`${"x".repeat(300)}a`);
    const b = safeSegment(`${"x".repeat(300)}b`);
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(255);
    // Cutting never splits a character.
    expect(wellFormed(safeSegment("😀".repeat(100)))).toBe(true);
  });
});

describe("SafeOutputTree", () => {
  it("writes every file of any hostile folder path inside the root and nowhere else", async () => {
    const parent = join(work.path, "parent");
    const root = join(parent, "a", "b", "out");
    await mkdir(root, { recursive: true });
    const tree = await SafeOutputTree.open(root);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileName, { minLength: 1, maxLength: 4 }),
        hostileName,
        async (folders, base) => {
          const file = await tree.writeFile(folders, base, ".eml", new Uint8Array([n % 256]), `id-${n++}`);
          expect(isInside(tree.root, file)).toBe(true);
          expect(relative(tree.root, file).split(sep)).toHaveLength(folders.length + 1);
          expect((await lstat(file)).isFile()).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    // Nothing appeared next to the root or above it.
    expect(await readdir(parent)).toEqual(["a"]);
    expect(await readdir(join(parent, "a"))).toEqual(["b"]);
    expect(await readdir(join(parent, "a", "b"))).toEqual(["out"]);
    // And every file written is still there: no two names were mapped onto one file.
    const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(files).toHaveLength(n);
  });

  it("maps distinct names to distinct paths, also when they differ only in case or sanitising", async () => {
    const tree = await SafeOutputTree.open(join(work.path, "out"));
    const names = ["Inbox", "INBOX", "inbox", "a/b", "a_b", "a:b", "..", "...", "_", "e\u0301", "é"];
    const segments = names.map((name) => tree.folderSegments([name])[0]!);
    expect(new Set(segments.map((s) => s.toLowerCase())).size).toBe(names.length);
    expect(segments[0]).toBe("Inbox"); // the first keeps its name
    // Deterministic: the same name maps to the same segment again.
    expect(names.map((name) => tree.folderSegments([name])[0])).toEqual(segments);
    // Two files whose names collide get two files.
    const one = await tree.writeFile(["Inbox"], "Hello", ".eml", new Uint8Array([1]), "item-1");
    const two = await tree.writeFile(["INBOX"], "hello", ".eml", new Uint8Array([2]), "item-2");
    expect(one).not.toBe(two);
    expect([...(await readFile(one))]).toEqual([1]);
    expect([...(await readFile(two))]).toEqual([2]);
  });

  it("refuses a symlink planted where a folder goes, and never writes through a link at a file's name", async () => {
    const outside = join(work.path, "outside");
    await mkdir(outside);
    const root = join(work.path, "out");
    await mkdir(root);
    await symlink(outside, join(root, "Inbox"));
    const tree = await SafeOutputTree.open(root);
    await expect(tree.writeFile(["Inbox"], "x", ".eml", new Uint8Array([1]), "1")).rejects.toMatchObject({
      code: "EXPORT_PATH_UNSAFE",
    });
    await writeFile(join(root, "Notes"), "a file where a folder goes");
    await expect(tree.writeFile(["Notes"], "x", ".eml", new Uint8Array([1]), "2")).rejects.toMatchObject({
      code: "EXPORT_PATH_UNSAFE",
    });
    expect(await readdir(outside)).toEqual([]);

    // A symlink and a hard link at the very names the files get.
    const victim = join(outside, "victim.txt");
    await writeFile(victim, "precious");
    await mkdir(join(root, "Sent"));
    const probe = await SafeOutputTree.open(join(work.path, "probe"));
    const symlinked = relative(
      probe.root,
      await probe.writeFile(["Sent"], "s", ".eml", new Uint8Array(), "a"),
    );
    const hardLinked = relative(
      probe.root,
      await probe.writeFile(["Sent"], "h", ".eml", new Uint8Array(), "b"),
    );
    await symlink(victim, join(root, symlinked));
    await link(victim, join(root, hardLinked));
    const fresh = await SafeOutputTree.open(root);
    await expect(fresh.writeFile(["Sent"], "s", ".eml", new Uint8Array([7]), "a")).rejects.toMatchObject({
      code: "EXPORT_PATH_UNSAFE",
    });
    await fresh.writeFile(["Sent"], "h", ".eml", new Uint8Array([7]), "b");
    expect(await readFile(victim, "utf8")).toBe("precious");
    expect([...(await readFile(join(root, hardLinked)))]).toEqual([7]);
  });

  it("follows a root that is itself a symlink (the user's choice) and resolves paths below its real path", async () => {
    const real = join(work.path, "real");
    await mkdir(real);
    await symlink(real, join(work.path, "alias"));
    const tree = await SafeOutputTree.open(join(work.path, "alias"));
    expect(tree.root).toBe(await realpath(real));
    const file = await tree.writeFile(["..", "x"], "y", ".eml", new Uint8Array([1]), "1");
    expect(isInside(await realpath(real), file)).toBe(true);
  });
});
