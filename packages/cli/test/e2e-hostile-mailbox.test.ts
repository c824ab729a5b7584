// A mailbox whose owner is hostile, end to end through `ewsvault`: folders named "..", "/etc",
// "C:\x", "CON", with a NUL, 300 letters or a bidi override, and subjects carrying ESC [2J, OSC 8
// hyperlinks, BEL, CR and U+202E. `export` writes only inside --out (nothing else on disk
// changes); text output of ls, find, snapshots and errors shows every control character as a
// visible escape; --json keeps the data exact.
//
// The mock serves the names over SOAP; characters XML 1.0 cannot carry (NUL, ESC, BEL) are put
// in by a source wrapper between the EWS client and the engine, as a hostile server or a
// tampered repository would deliver them.
import { lstat, mkdir, readdir, realpath, symlink } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { backup, initRepository, type MailboxSource } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, jsonLines, mockEwsClient } from "./helpers.js";

const ESC = "\u001b";
const BEL = "\u0007";
const RLO = "\u202e";
/** Placeholder folder names (XML-safe) and what the hostile source turns them into. */
const HOSTILE_FOLDERS = new Map<string, string>([
  ["nul-name", "a\u0000b"],
  ["esc-name", `${ESC}[2Jcleared`],
  ["case-1", "Same"],
  ["case-2", "SAME"],
]);
/** Subject placeholders and their hostile text. */
const SUBJECT_TOKENS: ReadonlyArray<[string, string]> = [
  ["<ESC>", ESC],
  ["<BEL>", BEL],
  ["<CR>", "\r"],
  ["<LF>", "\n"],
];
const HOSTILE_SUBJECT = `clear<ESC>[2J link <ESC>]8;;http://evil.test/<BEL>click<ESC>]8;;<BEL> bell<BEL> cr<CR>fake line<LF>next ${RLO}gpj.exe`;
const hostileSubject = (text: string) =>
  SUBJECT_TOKENS.reduce((t, [token, char]) => t.replaceAll(token, char), text);
const EXPECTED_SUBJECT = hostileSubject(HOSTILE_SUBJECT);

let server: MockEwsServer;
let work: { path: string; cleanup: () => Promise<void> };
let common: string[];
let mailbox: string;
const env = { EWSVAULT_PASSWORD: "hostile test password" };

/** Deep copy of an engine-bound result with displayName and subject made hostile. */
function hostile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hostile);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, hostile(v)]));
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype)
    return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === "displayName" && typeof field === "string") copy[key] = HOSTILE_FOLDERS.get(field) ?? field;
    else if (key === "subject" && typeof field === "string") copy[key] = hostileSubject(field);
    else copy[key] = hostile(field);
  }
  return copy;
}

/** Every path below `dir` (relative, sorted), symlinks included as such. */
async function listing(dir: string, skip?: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries
    .map((e) => e.toString())
    .filter((e) => skip === undefined || (e !== skip && !e.startsWith(`${skip}${sep}`)))
    .sort();
}

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 47, mailboxes: 1, itemsPerMailbox: 6 });
  work = await tempDir();
  mailbox = server.mailboxes[0]!;
  const sample = server.getItem(server.listItems(mailbox, "inbox")[0]!);
  const root = server.folderId(mailbox, "msgfolderroot");
  const add = (parent: string, name: string) => {
    const id = server.addFolder(mailbox, parent, name);
    server.addItem(mailbox, id, { ...sample, subject: `${HOSTILE_SUBJECT} in ${name.slice(0, 20)}` });
    return id;
  };
  // ".." at the top and ".." inside it: DIR/../.. without the fix.
  const dotdot = add(root, "..");
  add(dotdot, "..");
  for (const name of ["../../x", "/etc", "C:\\x", "CON", "lpt1.txt", "y".repeat(300), `abc${RLO}lmth.exe`])
    add(root, name);
  for (const name of HOSTILE_FOLDERS.keys()) add(root, name);

  const repository = await initRepository({
    destination: createFsDestination({ root: join(work.path, "repo") }),
    password: env.EWSVAULT_PASSWORD,
    kdf: { N: 1024, r: 8, p: 1 },
  });
  const client = mockEwsClient(server);
  const source = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = value.apply(target, args);
        return result instanceof Promise ? result.then(hostile) : result;
      };
    },
  }) as MailboxSource;
  try {
    const report = await backup({
      repository,
      source,
      mailboxes: [mailbox],
      indexDirectory: join(work.path, "index"),
      captureMime: true,
      tags: [`tag${ESC}[31mred`],
    });
    expect(report.mailboxes[0]!.status, JSON.stringify(report.mailboxes[0]!.error)).toBe("completed");
  } finally {
    await client.close();
    await repository.close();
  }
  common = ["--repo", join(work.path, "repo"), "--cache-dir", join(work.path, "cache")];
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await work?.cleanup();
});

describe("a hostile mailbox", { timeout: 120_000 }, () => {
  it("export writes every .eml inside --out, one folder per name, and nothing else on disk changes", async () => {
    const parent = join(work.path, "a");
    const out = join(parent, "b", "out");
    // Something to compare: the work directory (DIR's parents included) before the export.
    await mkdir(join(parent, "b"), { recursive: true });
    expect((await cli(["ls", ...common, "--mailbox", mailbox, "--json"], env)).code).toBe(0);
    const before = { parent: await listing(work.path, join("a", "b", "out")) };

    const exported = await cli(["export", ...common, "--mailbox", mailbox, "--out", out, "--json"], env);
    expect(exported.code, exported.stderr).toBe(0);
    const events = jsonLines(exported.stdout).filter((e) => e.type === "exported");
    const realOut = await realpath(out);

    // Everything outside DIR is as it was, except the repository cache the command keeps.
    const after = await listing(work.path, join("a", "b", "out"));
    const withoutCache = (paths: string[]) =>
      paths.filter((p) => p !== "cache" && !p.startsWith(`cache${sep}`));
    expect(withoutCache(after)).toEqual(withoutCache(before.parent));
    expect(await readdir(parent)).toEqual(["b"]);
    expect(await readdir(join(parent, "b"))).toEqual(["out"]);

    // Every file is a regular file below DIR, and every reported file is one of them.
    const files = (await listing(out)).filter((p) => p.endsWith(".eml"));
    for (const file of files) expect((await lstat(join(out, file))).isFile()).toBe(true);
    for (const entry of await listing(out))
      expect((await lstat(join(out, entry))).isSymbolicLink()).toBe(false);
    expect(files.length).toBe(events.length);
    for (const event of events) {
      const rel = relative(realOut, String(event.file));
      expect(rel.startsWith("..")).toBe(false);
      expect(files).toContain(rel);
    }

    // Each hostile folder got a directory of its own (the two ".." are nested, "Same"/"SAME"
    // do not share one), and no name is ".", "..", reserved or overlong.
    const hostileFiles = files.filter((f) => f.includes("clear"));
    expect(hostileFiles.length).toBe(2 + 7 + HOSTILE_FOLDERS.size);
    expect(new Set(hostileFiles.map((f) => f.split(sep).slice(0, -1).join("/").toLowerCase())).size).toBe(
      hostileFiles.length,
    );
    for (const file of files) {
      for (const segment of file.split(sep)) {
        expect(segment).not.toMatch(/^\.{1,2}$/);
        expect(segment).not.toMatch(/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i);
        expect(segment).not.toMatch(/[\u0000-\u001f\u202e\\:]/);
        expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(255);
      }
    }

    // A second export into the same directory replaces the files, again only inside DIR.
    const again = await cli(["export", ...common, "--mailbox", mailbox, "--out", out], env);
    expect(again.code, again.stderr).toBe(0);
    expect((await listing(out)).filter((p) => p.endsWith(".eml"))).toEqual(files);
    expect(await readdir(parent)).toEqual(["b"]);
  });

  it("export refuses a symlink planted in the output directory and writes nothing through it", async () => {
    const out = join(work.path, "planted");
    const outside = join(work.path, "outside");
    await mkdir(out);
    await mkdir(outside);
    await symlink(outside, join(out, "Inbox"));
    const result = await cli(["export", ...common, "--mailbox", mailbox, "--out", out], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error EXPORT_PATH_UNSAFE: /m);
    expect(await readdir(outside)).toEqual([]);
  });

  it("ls, find and snapshots show control and bidi characters as visible escapes", async () => {
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const ls = await cli(["ls", ...common, "--mailbox", mailbox, "--items"], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).not.toMatch(raw);
    expect(ls.stdout).toContain("\\x1b[2J");
    expect(ls.stdout).toContain("\\x1b]8;;http://evil.test/\\x07click\\x1b]8;;\\x07");
    expect(ls.stdout).toContain("cr\\rfake line\\nnext \\u202egpj.exe");
    expect(ls.stdout).toContain("a\\x00b/");
    expect(ls.stdout).toContain(`abc\\u202elmth.exe/`);
    // One line per folder and item: no subject or name started a line of its own.
    expect(ls.stdout.split("\n").filter((line) => line.startsWith("next"))).toEqual([]);

    const find = await cli(["find", ...common, "--subject", "click"], env);
    expect(find.code, find.stderr).toBe(0);
    expect(find.stdout).not.toMatch(raw);
    expect(find.stdout.trim().split("\n")).toHaveLength(2 + 7 + HOSTILE_FOLDERS.size);
    expect(find.stdout).toContain("\\x1b[2Jcleared");

    const snapshots = await cli(["snapshots", ...common], env);
    expect(snapshots.code, snapshots.stderr).toBe(0);
    expect(snapshots.stdout).not.toMatch(raw);
    expect(snapshots.stdout).toContain("tag\\x1b[31mred");
    const snapshotsJson = await cli(["snapshots", ...common, "--json"], env);
    expect(snapshotsJson.stdout).not.toMatch(raw);
    expect((JSON.parse(snapshotsJson.stdout) as Array<{ tags: string[] }>)[0]!.tags).toEqual([
      `tag${ESC}[31mred`,
    ]);
  });

  it("--json keeps names and subjects exact, spelling the dangerous characters as JSON escapes", async () => {
    const ls = await cli(["ls", ...common, "--mailbox", mailbox, "--items", "--json"], env);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    const events = jsonLines(ls.stdout);
    const subjects = events.filter((e) => e.type === "item").map((e) => String(e.subject));
    expect(subjects).toContain(`${EXPECTED_SUBJECT} in nul-name`);
    expect(subjects.filter((s) => s.startsWith(EXPECTED_SUBJECT))).toHaveLength(2 + 7 + HOSTILE_FOLDERS.size);
    const folders = events.filter((e) => e.type === "folder").map((e) => String(e.path));
    expect(folders).toEqual(
      expect.arrayContaining([
        "..",
        "../..",
        "../../x",
        "/etc",
        "C:\\x",
        "CON",
        "a\u0000b",
        `abc${RLO}lmth.exe`,
      ]),
    );
    expect(folders).toContain(`${ESC}[2Jcleared`);
  });

  it("an error quoting a hostile name shows it escaped", async () => {
    const result = await cli(["ls", ...common, "--mailbox", `evil${ESC}]0;pwned${BEL}${RLO}@x.test`], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error REPO_SNAPSHOT_NOT_FOUND: /);
    expect(result.stderr).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(result.stderr).toContain("evil\\x1b]0;pwned\\x07\\u202e@x.test");
  });
});
