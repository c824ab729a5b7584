// What administrators expect of the CLI (issue 10, part 3): a strict config file for every
// command, snapshot groups so "latest" after a partial run restores the right thing, selections
// that match nothing failing loudly, mailbox discovery, and the documented exit codes for a
// wrong password and a missing repository. Ctrl-C is e2e-ctrl-c.test.ts.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configReference } from "../src/config-schema.js";
import { cli, cliArgs, jsonLines, repoRoot, reportOf } from "./helpers.js";

let server: MockEwsServer;
let work: { path: string; cleanup: () => Promise<void> };
let common: string[];
let ews: string[];
let env: Record<string, string>;
let counter = 0;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 44, mailboxes: 4, itemsPerMailbox: 30 });
  work = await tempDir();
  ({ common, ews, env } = cliArgs(work.path, server, "admin repository password"));
  const init = await cli(["init", ...common], env);
  expect(init.code, init.stderr).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  await work?.cleanup();
});

async function configFile(lines: string[]): Promise<string> {
  const path = join(work.path, `config-${counter++}.yaml`);
  await writeFile(path, lines.join("\n"));
  return path;
}

describe("the config file", { timeout: 60_000 }, () => {
  it("a misspelt key, a wrong type or an unknown root fails every command with the key and the file, before anything runs", async () => {
    const misspelt = await configFile(["repository: /nonexistent/repo", "ews:", "  usrname: someone"]);
    for (const command of [
      ["snapshots"],
      ["init"],
      ["check", "--mailbox", "x@y.z"],
      ["backup", "--mailbox", "x@y.z"],
    ]) {
      const result = await cli([...command, "--config", misspelt], env);
      expect(result.code, command.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^error CONFIG_INVALID: /);
      expect(result.stderr).toContain(misspelt);
      expect(result.stderr).toContain('unknown key "ews.usrname" (did you mean "username"?)');
    }
    const wrongType = await configFile([
      "sets:",
      "  daily:",
      "    mailboxes: [a@b.c]",
      "    itemConcurrency: lots",
    ]);
    const typed = await cli(["snapshots", "--config", wrongType], env);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain('"sets.daily.itemConcurrency" must be a number');
    const badRoot = await configFile([
      "sets:",
      "  daily:",
      "    mailboxes: [a@b.c]",
      "    roots: [mailbox, archiv]",
    ]);
    const rooted = await cli(["snapshots"], { ...env, EWSVAULT_CONFIG: badRoot });
    expect(rooted.code).toBe(2);
    expect(rooted.stderr).toMatch(/"sets\.daily\.roots\.1" must be one of "mailbox", "archive"/);
    expect(rooted.stderr).toContain(badRoot);
  });

  it("gives every command its defaults; command line and environment win over it", async () => {
    const config = await configFile([
      `repository: ${join(work.path, "repo")}`,
      `cacheDir: ${join(work.path, "cache")}`,
    ]);
    const listed = await cli(["snapshots", "--config", config, "--json"], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
    // The environment's repository wins over the file's.
    const missing = await cli(["snapshots", "--config", config], {
      ...env,
      EWSVAULT_REPOSITORY: join(work.path, "no-such-repo"),
    });
    expect(missing.code).toBe(10);
    expect(missing.stderr).toMatch(/^error REPO_NOT_FOUND: /);
  });

  it("the README's config reference is generated from the schema", async () => {
    const readme = await readFile(join(repoRoot, "packages/cli/README.md"), "utf8");
    expect(readme).toContain(configReference());
  });
});

describe("passwords and exit codes", { timeout: 60_000 }, () => {
  it("reads *_PASSWORD_COMMAND and *_PASSWORD_FILE like restic; a wrong password exits 12", async () => {
    const pwFile = join(work.path, "pw");
    await writeFile(pwFile, `${env.EWSVAULT_PASSWORD}\n`);
    const byCommand = await cli(["snapshots", ...common], {
      EWSVAULT_PASSWORD: undefined as unknown as string,
      EWSVAULT_PASSWORD_COMMAND: `cat '${pwFile}'`,
    });
    expect(byCommand.code, byCommand.stderr).toBe(0);
    const byFile = await cli(["snapshots", ...common], {
      EWSVAULT_PASSWORD: "wrong, but the file wins",
      EWSVAULT_PASSWORD_FILE: pwFile,
    });
    expect(byFile.code, byFile.stderr).toBe(0);
    const failing = await cli(["snapshots", ...common, "--password-command", "exit 3"], env);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/^error PASSWORD_COMMAND_FAILED: /);
    const wrong = await cli(["snapshots", ...common], { EWSVAULT_PASSWORD: "not the password" });
    expect(wrong.code).toBe(12);
    expect(wrong.stderr).toMatch(/^error CRYPTO_WRONG_PASSWORD: /);
  });
});

describe("snapshot groups and selections", { timeout: 120_000 }, () => {
  it("latest after a partial set's run restores the whole-mailbox group; --set picks the partial one", async () => {
    const mailbox = server.mailboxes[0]!;
    const config = await configFile([
      "sets:",
      "  inbox-only:",
      `    mailboxes: [${mailbox}]`,
      "    includeFolders: [inbox]",
    ]);
    const whole = await cli(["backup", ...common, ...ews, "--mailbox", mailbox, "--json"], env);
    expect(whole.code, whole.stderr).toBe(0);
    const wholeItems = reportOf(whole.stdout).mailboxes[0]!.items;
    const partial = await cli(
      ["backup", ...common, ...ews, "--config", config, "--set", "inbox-only", "--json"],
      env,
    );
    expect(partial.code, partial.stderr).toBe(0);
    const partialReport = reportOf(partial.stdout).mailboxes[0]!;
    expect(partialReport.items).toBeLessThan(wholeItems);

    const planned = (args: string[]) =>
      cli(["restore", ...common, ...ews, "--mailbox", mailbox, "--dry-run", "--json", ...args], env);
    const latest = await planned([]);
    expect(latest.code, latest.stderr).toBe(0);
    expect(jsonLines(latest.stdout).filter((e) => e.type === "would-restore")).toHaveLength(wholeItems);
    const bySet = await planned(["--config", config, "--set", "inbox-only"]);
    expect(bySet.code, bySet.stderr).toBe(0);
    expect(jsonLines(bySet.stdout).filter((e) => e.type === "would-restore")).toHaveLength(
      partialReport.items,
    );

    const snapshots = JSON.parse(
      (await cli(["snapshots", ...common, "--json", "--mailbox", mailbox], env)).stdout,
    ) as Array<{
      id: string;
      group: string;
      selection: { includeFolders?: string[] } | null;
    }>;
    const groups = new Set(snapshots.map((s) => s.group));
    expect(groups.size).toBe(2);
    const partialGroup = snapshots.find((s) => s.id === partialReport.snapshotId)!.group;
    expect(snapshots.find((s) => s.id === partialReport.snapshotId)!.selection?.includeFolders).toEqual([
      "inbox",
    ]);
    const byGroup = await planned(["--group", partialGroup]);
    expect(jsonLines(byGroup.stdout).filter((e) => e.type === "would-restore")).toHaveLength(
      partialReport.items,
    );
    // Two partial groups and no whole mailbox: ls and restore refuse to pick one silently.
    const other = server.mailboxes[3]!;
    for (const folder of ["inbox", "sentitems"])
      expect(
        (await cli(["backup", ...common, ...ews, "--mailbox", other, "--include-folder", folder], env)).code,
      ).toBe(0);
    const ambiguous = await cli(["ls", ...common, "--mailbox", other, "latest"], env);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(
      /^error SNAPSHOT_GROUP_AMBIGUOUS: .*folders \+inbox.*folders \+sentitems|^error SNAPSHOT_GROUP_AMBIGUOUS: .*folders \+sentitems.*folders \+inbox/m,
    );
    expect((await cli(["ls", ...common, "--mailbox", other, "--group", "any", "latest"], env)).code).toBe(0);

    const text = await cli(["snapshots", ...common, "--mailbox", mailbox], env);
    expect(text.stdout).toMatch(/items size +added/);
    expect(text.stderr).toContain(`group ${partialGroup}: mailbox; folders +inbox`);
  });

  it("selections that match nothing exit non-zero; ids as ls prints them are accepted", async () => {
    const mailbox = server.mailboxes[1]!;
    expect((await cli(["backup", ...common, ...ews, "--mailbox", mailbox], env)).code).toBe(0);
    const restore = (args: string[]) =>
      cli(["restore", ...common, ...ews, "--mailbox", mailbox, "--dry-run", "--json", ...args], env);
    const unknownItem = await restore(["--item", "AAMkNoSuchItemAnywhere"]);
    expect(unknownItem.code).toBe(1);
    expect(unknownItem.stderr).toMatch(/^error NOTHING_MATCHED: no item AAMkNoSuchItemAnywhere/m);
    const noFolder = await restore(["--folder", "No Such Folder/**"]);
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr).toMatch(/^error NOTHING_MATCHED: /m);
    // Backed up without --capture-mime: nothing can be exported.
    const exported = await cli(
      ["export", ...common, "--mailbox", mailbox, "--out", join(work.path, "eml")],
      env,
    );
    expect(exported.code).toBe(1);
    expect(exported.stderr).toMatch(/^error NOTHING_MATCHED: .*--capture-mime/m);

    // `ls --items` prints the last 16 characters of each id: restore takes them.
    const ls = await cli(["ls", ...common, "--items", "--mailbox", mailbox, "latest"], env);
    const shown = /^ {2}(\S{16}) /m.exec(ls.stdout)![1]!;
    const one = await restore(["--item", shown]);
    expect(one.code, one.stderr).toBe(0);
    const planned = jsonLines(one.stdout).filter((e) => e.type === "would-restore");
    expect(planned).toHaveLength(1);
    expect(String(planned[0]!.itemId).endsWith(shown)).toBe(true);
    // And a snapshot id prefix as `snapshots` prints it.
    const snapshots = JSON.parse(
      (await cli(["snapshots", ...common, "--json", "--mailbox", mailbox], env)).stdout,
    );
    const prefix = String(snapshots[0].id).slice(0, 8);
    expect((await cli(["ls", ...common, prefix], env)).code).toBe(0);
  });

  it("find searches every snapshot newest first and says which snapshots hold each match", async () => {
    const mailbox = server.mailboxes[2]!;
    const subject = "needle for find across snapshots";
    const template = server.getItem(server.listItems(mailbox, "inbox")[0]!);
    server.addItem(mailbox, "inbox", { ...template, subject });
    expect((await cli(["backup", ...common, ...ews, "--mailbox", mailbox], env)).code).toBe(0);
    expect((await cli(["backup", ...common, ...ews, "--mailbox", mailbox], env)).code).toBe(0);
    const found = jsonLines(
      (await cli(["find", ...common, "--json", "--subject", "needle for find"], env)).stdout,
    );
    const match = found.find((e) => e.type === "match" && e.subject === subject) as { snapshots: string[] };
    expect(match.snapshots).toHaveLength(2);
    const latestOnly = jsonLines(
      (await cli(["find", ...common, "--json", "--latest", "--subject", "needle for find"], env)).stdout,
    ).find((e) => e.type === "match") as { snapshots: string[] };
    expect(latestOnly.snapshots).toEqual([match.snapshots[0]]);

    // Prune says what it freed and what stays unreferenced, in JSON and in words.
    const forget = await cli(["forget", ...common, "--mailbox", mailbox, "--keep-last", "1", "--json"], env);
    expect(jsonLines(forget.stdout).filter((e) => e.type === "remove")).toHaveLength(1);
    const pruned = jsonLines((await cli(["prune", ...common, "--json"], env)).stdout).find(
      (e) => e.type === "pruned",
    ) as { bytesFreed: number; bytesUnreferenced: number };
    expect(pruned.bytesFreed).toBeGreaterThanOrEqual(0);
    expect(pruned.bytesUnreferenced).toBeGreaterThanOrEqual(0);
    const text = await cli(["prune", ...common, "--dry-run"], env);
    expect(text.stdout).toMatch(/^would free [\d.]+ \w+ \(.*\); [\d.]+ \w+ still unreferenced/m);
  });
});

describe("mailbox discovery", { timeout: 120_000 }, () => {
  it("--all-mailboxes and mailboxes: ['*'] find every mock mailbox and honour excludes", async () => {
    const [excluded, ...kept] = server.mailboxes;
    const all = await cli(
      ["backup", ...common, ...ews, "--all-mailboxes", "--exclude-mailbox", excluded!, "--json"],
      env,
    );
    const discovery = jsonLines(all.stdout).find((e) => e.type === "discovery") as {
      method: string;
      found: number;
      selected: string[];
    };
    // ResolveNames on today's mock; FindPeople once the mock serves the address book.
    expect(["FindPeople", "ResolveNames"]).toContain(discovery.method);
    expect(discovery.found).toBeGreaterThanOrEqual(server.mailboxes.length);
    const names = reportOf(all.stdout).mailboxes.map((m) => m.mailbox.toLowerCase());
    expect(discovery.selected.map((m) => m.toLowerCase())).toEqual(names);
    for (const mailbox of kept) expect(names).toContain(mailbox.toLowerCase());
    expect(names).not.toContain(excluded!.toLowerCase());
    for (const m of reportOf(all.stdout).mailboxes.filter((r) => kept.includes(r.mailbox)))
      expect(m.status).toBe("completed");

    const config = await configFile([
      "sets:",
      "  everyone:",
      '    mailboxes: ["*"]',
      `    excludeMailboxes: ["${kept[0]!.split("@")[0]}*"]`,
    ]);
    const bySet = await cli(
      ["backup", ...common, ...ews, "--config", config, "--set", "everyone", "--json"],
      env,
    );
    const setNames = reportOf(bySet.stdout).mailboxes.map((m) => m.mailbox.toLowerCase());
    expect(setNames).toContain(excluded!.toLowerCase());
    expect(setNames).not.toContain(kept[0]!.toLowerCase());

    const none = await cli(
      ["backup", ...common, ...ews, "--all-mailboxes", "--include-mailbox", "nobody-*"],
      env,
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^error NOTHING_MATCHED: /m);
  });
});

describe("check", { timeout: 60_000 }, () => {
  it("reports impersonation rights per mailbox and what it met of throttling, with hints", async () => {
    const limited = await startMockEwsServer({
      seed: 46,
      mailboxes: 2,
      itemsPerMailbox: 1,
      users: [
        { username: "svc@contoso.test", password: "svc pw", impersonate: [] },
        { username: "boss@contoso.test", password: "boss pw", impersonate: "*" },
      ],
      throttling: { burst: 1, rechargePerSecond: 2 },
    });
    try {
      const [allowed, denied] = limited.mailboxes;
      const result = await cli(
        [
          "check",
          "--ews-url",
          limited.url,
          "--username",
          "svc@contoso.test",
          "--allow-insecure-basic",
          "--mailbox",
          denied!,
          "--json",
        ],
        { EWS_PASSWORD: "svc pw" },
      );
      expect(result.code).toBe(1);
      const checks = jsonLines(result.stdout).filter((e) => e.type === "check");
      expect(checks).toContainEqual(
        expect.objectContaining({
          check: `impersonation ${denied}`,
          ok: false,
          code: "EWS_IMPERSONATION_DENIED",
        }),
      );
      expect(checks.find((c) => c.check === "throttling")?.detail).toMatch(/request\(s\), median \d+ ms/);

      const ok = await cli(["check", ...ews, "--mailbox", server.mailboxes[0]!, server.mailboxes[1]!], env);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^ok +impersonation .*ApplicationImpersonation/m);
      expect(ok.stdout).toMatch(/^ok +throttling: \d+ request\(s\)/m);
      expect(allowed).toBeTruthy();

      // The budget of 1 request (2 a second) runs out during the check: the hint names the throttling policy.
      const busy = await cli(
        [
          "check",
          "--ews-url",
          limited.url,
          "--username",
          "boss@contoso.test",
          "--allow-insecure-basic",
          "--mailbox",
          allowed!,
          denied!,
        ],
        { EWS_PASSWORD: "boss pw" },
      );
      expect(busy.code, busy.stdout + busy.stderr).toBe(0);
      expect(busy.stdout, busy.stdout).toMatch(/throttling hint: the account.s EWS budget ran out/);
    } finally {
      await limited.stop();
    }
  });
});
