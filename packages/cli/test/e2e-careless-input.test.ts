// Careless input: every option is checked while the command line is parsed, before any work.
// A bad value ends with exit 2 and a message naming the option; a selection that cannot match
// anything (an invalid glob on the command line or in a config file's backup set) never writes a
// snapshot; `ewsvault ls ... | head -1` ends quietly with exit 0 instead of dying on EPIPE.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_SCHEMES, checkKindOf } from "../src/option-validation.js";
import { cli, cliArgs, repoRoot } from "./helpers.js";

let server: MockEwsServer;
let work: { path: string; cleanup: () => Promise<void> };
let common: string[];
let ews: string[];
let mailbox: string;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 53, mailboxes: 1, itemsPerMailbox: 4 });
  mailbox = server.mailboxes[0]!;
  // Enough text for `ls --items` to overflow a pipe's buffer (64 KiB), so `| head -1` closes early.
  const big = server.addFolder(mailbox, server.folderId(mailbox, "msgfolderroot"), "Big");
  const sample = server.getItem(server.listItems(mailbox, "inbox")[0]!);
  for (let i = 0; i < 40; i++)
    server.addItem(mailbox, big, { ...sample, subject: `${i} ${"long ".repeat(1200)}` });
  work = await tempDir();
  const repository = await initRepository({
    destination: createFsDestination({ root: join(work.path, "repo") }),
    password: "careless test password",
    kdf: { N: 1024, r: 8, p: 1 },
  });
  await repository.close();
  ({ common, ews, env } = cliArgs(work.path, server, "careless test password"));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await work?.cleanup();
});

async function snapshotCount(): Promise<number> {
  const listed = await cli(["snapshots", ...common, "--json"], env);
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as unknown[]).length;
}

/** [arguments after the command's own, the option the message must name]. */
const BAD: ReadonlyArray<[string[], string]> = [
  [["backup", "--mailbox", "a@x.test", "--include-folder", "["], "--include-folder"],
  [["backup", "--mailbox", "a@x.test", "--include-folder", "[z-a]"], "--include-folder"],
  [["backup", "--mailbox", "a@x.test", "--include-folder", ""], "--include-folder"],
  [["backup", "--mailbox", "a@x.test", "--exclude-folder", "{a,b"], "--exclude-folder"],
  [["backup", "--mailbox", "a@x.test", "--exclude-mailbox", "[b-a]*"], "--exclude-mailbox"],
  [["backup", "--mailbox", "a@x.test", "--auth", "magic"], "--auth"],
  [["restore", "--mailbox", "a@x.test", "--target-auth", "magic"], "--target-auth"],
  [["backup", "--mailbox", "a@x.test", "--after", "2024-05-02", "--before", "2024-05-01"], "--before"],
  [["find", "--after", "2024-05-01T10:00:00Z", "--before", "2024-05-01T10:00:00Z"], "--before"],
  [["restore", "--mailbox", "a@x.test", "--after", "2024-02-30"], "--after"],
  [["backup", "--mailbox", "a@x.test", "--before", "1"], "--before"],
  [["export", "--mailbox", "a@x.test", "--out", "x", "--after", "May 1 2024"], "--after"],
  [["backup", "--mailbox", "a@x.test", "--mailbox-concurrency", "-1"], "--mailbox-concurrency"],
  [["backup", "--mailbox", "a@x.test", "--mailbox-concurrency", ""], "--mailbox-concurrency"],
  [["backup", "--mailbox", "a@x.test", "--item-concurrency", "2.5"], "--item-concurrency"],
  [["backup", "--mailbox", "a@x.test", "--item-concurrency", "0"], "--item-concurrency"],
  [["backup", "--mailbox", "a@x.test", "--checkpoint-interval", "-1"], "--checkpoint-interval"],
  [["backup", "--mailbox", "a@x.test", "--checkpoint-interval", "0"], "--checkpoint-interval"],
  [["backup", "--mailbox", "a@x.test", "--full-sync-interval", "-1"], "--full-sync-interval"],
  [["backup", "--mailbox", "a@x.test", "--tag", ""], "--tag"],
  [["restore", "--mailbox", "a@x.test", "--concurrency", "0"], "--concurrency"],
  [["restore", "--mailbox", "a@x.test", "--conflict", "nope"], "--conflict"],
  [["init", "--pack-size", "-1"], "--pack-size"],
  [["init", "--pack-size", ""], "--pack-size"],
  [["init", "--pack-size", "2000"], "--pack-size"],
  [["forget", "--keep-last", "-1"], "--keep-last"],
  [["forget", "--keep-daily", "1.5"], "--keep-daily"],
  [["forget", "--keep-within", "0d"], "--keep-within"],
  [["forget", "--keep-within", "7 days"], "--keep-within"],
  [["prune", "--wait", "-5"], "--wait"],
  [["prune", "--wait", ""], "--wait"],
  [["repair-index", "--wait", "soon"], "--wait"],
  [["verify", "--read-data-subset", "150%"], "--read-data-subset"],
  [["verify", "--read-data-subset", "0"], "--read-data-subset"],
  [["verify", "--read-data-subset", "3/2"], "--read-data-subset"],
  [["ls", "--mailbox", ""], "--mailbox"],
  [["ls", "--mailbox", "a@x.test", "2024-13-01"], "snapshot"],
  [["ls", "--mailbox", "a@x.test", "yesterday"], "snapshot"],
  [["restore", "--mailbox", "a@x.test", "--snapshot", "2024-02-30"], "--snapshot"],
];

describe("careless input", { timeout: 120_000 }, () => {
  it.each(BAD)("%j ends with exit 2 naming %s, before any work", async (args, option) => {
    server.resetCounters();
    const [command, ...rest] = args;
    const result = await cli(
      [command!, ...common, ...(command === "backup" || command === "restore" ? ews : []), ...rest],
      env,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`'${option}`);
    expect(result.stderr).not.toMatch(/INTERNAL/);
    expect(server.counters().totalRequests).toBe(0);
  });

  it("a backup with an invalid glob writes no snapshot, from the command line or a backup set", async () => {
    const config = join(work.path, "config.yaml");
    await writeFile(
      config,
      ["sets:", "  bad:", `    mailboxes: [${mailbox}]`, '    includeFolders: ["[z-a]"]'].join("\n"),
    );
    server.resetCounters();
    const fromSet = await cli(["backup", ...common, ...ews, "--config", config, "--set", "bad"], env);
    expect(fromSet.code, fromSet.stderr).toBe(2);
    expect(fromSet.stderr).toMatch(/^error SELECTION_INVALID: /);
    const fromFlag = await cli(
      ["backup", ...common, ...ews, "--mailbox", mailbox, "--include-folder", "["],
      env,
    );
    expect(fromFlag.code).toBe(2);
    expect(server.counters().totalRequests).toBe(0);
    expect(await snapshotCount()).toBe(0);

    // The same backup with a valid selection does write one (the check above can fail).
    const good = await cli(
      ["backup", ...common, ...ews, "--mailbox", mailbox, "--include-folder", "Big"],
      env,
    );
    expect(good.code, good.stderr).toBe(0);
    expect(await snapshotCount()).toBe(1);
  });

  it("valid values pass: a fraction for --read-data-subset, exact ISO dates, known auth schemes", async () => {
    const verify = await cli(["verify", ...common, "--read-data-subset", "0.5"], env);
    expect(verify.code, verify.stderr).toBe(0);
    const find = await cli(
      [
        "find",
        ...common,
        "--after",
        "2000-01-01",
        "--before",
        "2100-01-01T00:00:00+01:00",
        "--subject",
        "long",
      ],
      env,
    );
    expect(find.code, find.stderr).toBe(0);
    expect(find.stdout.trim().split("\n")).toHaveLength(40);
    expect(AUTH_SCHEMES).toEqual(["basic", "ntlm", "negotiate", "bearer", "client-credentials"]);
  });

  it("every option of every command that takes a number, date, duration, glob or scheme has a real check", async () => {
    // Read from --help, so an option added later under such a name is caught here.
    const commandsOf = async (prefix: string[]): Promise<string[][]> => {
      const help = (await cli([...prefix, "--help"])).stdout;
      const section = help.split(/^Commands:$/m)[1] ?? "";
      const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
        .map((m) => m[1]!)
        .filter((n) => n !== "help");
      const nested = await Promise.all(names.map((name) => commandsOf([...prefix, name])));
      return [prefix, ...nested.flat()];
    };
    const valued = new Set<string>();
    for (const command of await commandsOf([])) {
      const help = (await cli([...command, "--help"])).stdout;
      for (const m of help.matchAll(/--([a-z][a-z-]*) [<[]/g)) valued.add(m[1]!);
    }
    expect(valued.size).toBeGreaterThan(30);
    const numericLooking =
      /concurrency|size|interval|wait|keep-(last|hourly|daily|weekly|monthly|yearly|within)|subset|after|before|folder|exclude-mailbox|auth|conflict|snapshot|timeout|retries|limit|max|min|count|percent|seconds|hours|days/;
    const looked = [...valued].filter((name) => numericLooking.test(name) && name !== "into-folder");
    expect(looked.length).toBeGreaterThan(20);
    for (const name of looked) expect(checkKindOf(name), name).not.toBe("non-empty");
    for (const name of ["auth", "target-auth", "conflict"]) expect(checkKindOf(name), name).toBe("choices");
  });

  it("`ewsvault ls --items | head -1` ends quietly with exit 0 through a real pipe", async () => {
    // Its own full backup, so the snapshot listed holds the 40 long subjects (~240 KB of text).
    const full = await cli(["backup", ...common, ...ews, "--mailbox", mailbox], env);
    expect(full.code, full.stderr).toBe(0);
    const listed = await cli(["ls", ...common, "--mailbox", mailbox, "--items"], env);
    expect(listed.stdout.length).toBeGreaterThan(200_000);
    const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
    const args = [
      "--import",
      "tsx",
      "--conditions=source",
      bin,
      "ls",
      ...common,
      "--mailbox",
      mailbox,
      "--items",
    ];
    const quoted = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const shell = spawn("bash", ["-c", `${quoted} | head -n 1; echo "ewsvault-exit=\${PIPESTATUS[0]}" >&2`], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    shell.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    shell.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => shell.on("close", resolve));
    expect(code).toBe(0);
    expect(stdout.split("\n").filter(Boolean)).toHaveLength(1);
    expect(stderr.trim()).toBe("ewsvault-exit=0");
  });
});
