// End to end: mailbox settings through the CLI against the mock's seeded settings (rules, OOF,
// shared calendars, delegates, categories) and folder-associated items. A backup stores them,
// `ls --settings` shows them, `restore --settings` puts them into another mailbox (equal through
// the mock's settings API), `--map-principals` into another organisation (a second mock server
// of another domain) maps every mapped principal and reports every unmapped one, a malformed map
// is one error line before anything is written, `--dry-run` writes nothing, and a kind restored
// into the mailbox itself (no --to-mailbox) puts back only that kind.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliArgs, jsonLines, mockEwsClient, reportOf } from "./helpers.js";

const PASSWORD = "settings repository password";
let home: MockEwsServer;
let other: MockEwsServer;
let homeClient: EwsClient;
let otherClient: EwsClient;
let work: { path: string; cleanup: () => Promise<void> };
let source: string;

beforeAll(async () => {
  // Seed 67: the source has a delegate, forwards mail to a colleague, shares its calendar.
  home = await startMockEwsServer({ seed: 67, mailboxes: 6, itemsPerMailbox: 10 });
  other = await startMockEwsServer({ seed: 62, mailboxes: 4, itemsPerMailbox: 5, domain: "fabrikam.test" });
  homeClient = mockEwsClient(home);
  otherClient = mockEwsClient(other);
  work = await tempDir();
  source = home.mailboxes[0]!;
  const { common, env } = cliArgs(work.path, home, PASSWORD);
  const init = await cli(["init", ...common, "--json"], env);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await homeClient?.close();
  await otherClient?.close();
  await home?.stop();
  await other?.stop();
  await work?.cleanup();
});

const args = () => cliArgs(work.path, home, PASSWORD);

/** `ewsvault restore` of the source's latest snapshot into `target` with `extra` options. */
function restoreTo(target: string, extra: readonly string[], env: Record<string, string> = args().env) {
  const { common, ews } = args();
  return cli(["restore", ...common, ...ews, "--mailbox", source, "--to-mailbox", target, ...extra], env);
}

/** Every principal A's settings name (rules' recipients, delegates, calendar/contacts sharing). */
async function principalsOf(server: MockEwsServer, client: EwsClient, mailbox: string): Promise<Set<string>> {
  const found = new Set<string>();
  for (const rule of server.settings.rules(mailbox))
    for (const parts of [rule.conditions, rule.actions, rule.exceptions])
      for (const value of Object.values(parts))
        if (Array.isArray(value))
          for (const entry of value) if (typeof entry === "object") found.add(entry.address.toLowerCase());
  for (const delegate of server.settings.delegates(mailbox)) found.add(delegate.smtpAddress.toLowerCase());
  for (const set of await permissionSets(client, mailbox))
    for (const p of set.permissions)
      if (p.user.primarySmtpAddress) found.add(p.user.primarySmtpAddress.toLowerCase());
  return found;
}

/** The calendar's and contacts' permission entries as the server reads them (user -> level). */
async function permissionSets(client: EwsClient, mailbox: string) {
  const read = await client.getSettings!(mailbox, ["folderPermissions"], {
    folderIds: ["calendar", "contacts"],
  });
  const result = read.folderPermissions;
  if (!result?.ok) throw new Error(`folderPermissions of ${mailbox}: ${result?.code}`);
  return result.value;
}

function permissionText(sets: Awaited<ReturnType<typeof permissionSets>>): string[] {
  return sets.map(
    (set) =>
      `${set.folderId}: ${set.permissions
        .map((p) => `${p.user.distinguishedUser ?? p.user.primarySmtpAddress?.toLowerCase()}=${p.level}`)
        .sort()
        .join(",")}`,
  );
}

/** Rules without server ids, with folder ids as the folders' names (ids differ per mailbox). */
function comparableRules(server: MockEwsServer, mailbox: string, names: ReadonlyMap<string, string>) {
  return server.settings.rules(mailbox).map(({ id: _id, ...rule }) => ({
    ...rule,
    actions: Object.fromEntries(
      Object.entries(rule.actions).map(([key, value]) => [
        key,
        typeof value === "string" && names.has(value) ? names.get(value) : value,
      ]),
    ),
  }));
}

/** folder id -> path of `mailbox` for the paths of the snapshot (`ls --json`). */
async function folderNames(server: MockEwsServer, mailbox: string, paths: readonly string[]) {
  const names = new Map<string, string>();
  for (const path of paths) {
    try {
      names.set(server.folderId(mailbox, path), path);
    } catch {
      // Not (yet) in this mailbox.
    }
  }
  return names;
}

const configurations = (server: MockEwsServer, mailbox: string) =>
  server.settings
    .configurations(mailbox)
    .map(({ folderId: _folder, ...rest }) => rest)
    .sort((a, b) => a.name.localeCompare(b.name));

const snapshotOf = (server: MockEwsServer, client: EwsClient, mailbox: string) =>
  Promise.all([
    server.settings.rules(mailbox),
    server.settings.oof(mailbox),
    server.settings.delegates(mailbox),
    server.settings.configurations(mailbox),
    permissionSets(client, mailbox),
  ]);

describe("settings through the CLI", { timeout: 180_000 }, () => {
  let snapshotPaths: string[] = [];

  it("backs up the seeded settings and FAI; ls --settings shows per kind what the snapshot holds", async () => {
    const { common, ews, env } = args();
    const backup = await cli(["backup", ...common, ...ews, "--json", "--mailbox", source], env);
    expect(backup.code, backup.stderr).toBe(0);
    const report = reportOf(backup.stdout).mailboxes[0]! as unknown as {
      status: string;
      items: number;
      settings: { stored: string[]; failures: unknown[] };
    };
    expect(report.status).toBe("completed");
    expect([...report.settings.stored].sort()).toEqual(
      ["delegates", "folderPermissions", "inboxRules", "oof", "userConfigurations"].sort(),
    );
    // The snapshot's Inbox and Calendar hold their normal items and the seeded FAI.
    expect(home.listAssociatedItems(source, "inbox")).toHaveLength(3);
    expect(home.listAssociatedItems(source, "calendar")).toHaveLength(3);
    const folderCounts = new Map(
      jsonLines((await cli(["ls", "latest", ...common, "--mailbox", source, "--json"], env)).stdout)
        .filter((e) => e.type === "folder")
        .map((e) => [e.path as string, e.itemCount as number]),
    );
    for (const [path, folder] of [
      ["Inbox", "inbox"],
      ["Calendar", "calendar"],
    ] as const)
      expect(folderCounts.get(path), path).toBe(
        home.listItems(source, folder).length + home.listAssociatedItems(source, folder).length,
      );
    expect(report.items).toBe([...folderCounts.values()].reduce((a, b) => a + b, 0));

    const ls = await cli(["ls", "latest", ...common, "--mailbox", source, "--settings", "--json"], env);
    expect(ls.code, ls.stderr).toBe(0);
    const kinds = new Map(
      jsonLines(ls.stdout)
        .filter((e) => e.type === "settings-kind")
        .map((e) => [e.kind as string, e as { ok: boolean; counts: Record<string, number> }]),
    );
    const rules = home.settings.rules(source);
    expect(kinds.get("inboxRules")?.counts).toMatchObject({
      rules: rules.length,
      disabled: rules.filter((r) => !r.isEnabled).length,
    });
    expect(kinds.get("delegates")?.counts.delegates).toBe(home.settings.delegates(source).length);
    expect(kinds.get("userConfigurations")?.counts.configurations).toBe(
      home.settings.configurations(source).length,
    );
    expect(kinds.get("folderPermissions")?.counts.entries).toBeGreaterThan(0);

    const text = await cli(["ls", "latest", ...common, "--mailbox", source, "--settings"], env);
    expect(text.code, text.stderr).toBe(0);
    const disabled = rules.filter((r) => !r.isEnabled).length;
    expect(text.stdout).toContain(
      `inboxRules: ${rules.length} rules${disabled > 0 ? ` (${disabled} disabled)` : ""}`,
    );
    expect(text.stdout).toContain(`oof: ${home.settings.oof(source).state}`);
    expect(text.stdout).toMatch(/^ {2}Calendar: Default /m);
    expect(text.stdout).toContain("/CategoryList");

    const folders = await cli(["ls", "latest", ...common, "--mailbox", source, "--json"], env);
    snapshotPaths = jsonLines(folders.stdout)
      .filter((e) => e.type === "folder")
      .map((e) => e.path as string);
  });

  it("restore --settings into another mailbox makes its settings equal to the backed-up ones", async () => {
    // A target none of the source's settings names, so every principal is another user.
    const named = await principalsOf(home, homeClient, source);
    const target = home.mailboxes.find((m) => m !== source && !named.has(m.toLowerCase()));
    expect(target, "a mailbox the source's settings do not name").toBeDefined();
    const run = await restoreTo(target!, ["--settings", "--json"]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const report = jsonLines(run.stdout).find((e) => e.type === "settings-report") as {
      kinds: Record<string, { ok: boolean; entries: { status: string }[] }>;
      unmappedPrincipals: unknown[];
    };
    expect(Object.keys(report.kinds).sort()).toEqual(
      ["delegates", "folderPermissions", "inboxRules", "oof", "userConfigurations"].sort(),
    );
    for (const kind of Object.values(report.kinds)) {
      expect(kind.ok).toBe(true);
      for (const entry of kind.entries) expect(entry.status).toBe("written");
    }
    expect(report.unmappedPrincipals).toEqual([]);

    const sourceNames = await folderNames(home, source, snapshotPaths);
    const targetNames = await folderNames(home, target!, snapshotPaths);
    expect(comparableRules(home, target!, targetNames)).toEqual(comparableRules(home, source, sourceNames));
    expect(home.settings.oof(target!)).toEqual(home.settings.oof(source));
    // Delegates are added or updated; the target's own stay (EWS AddDelegate / UpdateDelegate).
    expect(home.settings.delegates(source).length).toBeGreaterThan(0);
    expect(home.settings.delegates(target!)).toEqual(expect.arrayContaining(home.settings.delegates(source)));
    expect(home.settings.deliverMeetingRequests(target!)).toBe(home.settings.deliverMeetingRequests(source));
    expect(configurations(home, target!)).toEqual(configurations(home, source));
    expect(permissionText(await permissionSets(homeClient, target!))).toEqual(
      permissionText(await permissionSets(homeClient, source)),
    );
  });

  it("--map-principals into another organisation maps every mapped principal and reports every unmapped one", async () => {
    const { env } = args();
    const named = [...(await principalsOf(home, homeClient, source))].sort();
    expect(named.length).toBeGreaterThanOrEqual(2);
    const [target, ...colleagues] = other.mailboxes as [string, ...string[]];
    // Map all but the last principal, each to a colleague of the other organisation.
    const mapped = named.slice(0, -1);
    const unmapped = named.slice(-1);
    const map = new Map(mapped.map((address, i) => [address, colleagues[i % colleagues.length]!]));
    const mapFile = join(work.path, "principals.csv");
    await writeFile(
      mapFile,
      `old,new\n# ${source}'s colleagues in fabrikam\n${[...map].map(([a, b]) => `${a.toUpperCase()},${b}`).join("\n")}\n`,
    );
    // The other organisation's server, its settings through the map.
    const intoFabrikam = [
      "--target-ews-url",
      other.url,
      "--target-username",
      other.credentials.username,
      "--target-allow-insecure-basic",
      "--settings",
      "--map-principals",
      mapFile,
    ];
    const run = await restoreTo(target, [...intoFabrikam, "--json"], {
      ...env,
      EWS_TARGET_PASSWORD: other.credentials.password,
    });
    const events = jsonLines(run.stdout);
    // Something was left out (the unmapped principal): partial, every such one reported.
    expect(run.code, run.stderr + run.stdout).toBe(3);
    const reported = events.filter((e) => e.type === "settings-unmapped").map((e) => e.address as string);
    expect([...new Set(reported)].sort()).toEqual(unmapped);
    for (const event of events.filter((e) => e.type === "settings-unmapped"))
      expect(event.code).toBe("SETTINGS_PRINCIPAL_UNMAPPED");

    // What was written names only the other organisation's users: the mapped ones.
    const written = await principalsOf(other, otherClient, target);
    for (const address of written) expect(address.endsWith("@fabrikam.test"), address).toBe(true);
    const expected = new Set(
      [...(await principalsOfStored(source))].filter((a) => map.has(a)).map((a) => map.get(a)!.toLowerCase()),
    );
    expect([...written].sort()).toEqual([...expected].sort());
    // Rules and OOF arrived (rules naming only unmapped principals aside).
    expect(other.settings.oof(target)).toEqual(home.settings.oof(source));
    expect(other.settings.rules(target).map((r) => r.displayName)).toEqual(
      expect.arrayContaining(
        home.settings
          .rules(source)
          .filter((r) => !JSON.stringify(r.actions).includes(unmapped[0]!))
          .map((r) => r.displayName),
      ),
    );

    // In text, a dry run of the same says the same: one line per unmapped principal, exit 3.
    const text = await restoreTo(target, [...intoFabrikam, "--dry-run"], {
      ...env,
      EWS_TARGET_PASSWORD: other.credentials.password,
    });
    expect(text.code).toBe(3);
    for (const address of unmapped)
      expect(text.stdout).toMatch(
        new RegExp(
          `^unmapped SETTINGS_PRINCIPAL_UNMAPPED: ${address.replace(/\./g, "\\.")} .* would be left out$`,
          "m",
        ),
      );
    expect(text.stdout).toMatch(/^dry run, nothing written: .*unchanged/m);
  });

  /** The principals the source's settings name (as the backup stored them: the same as now). */
  async function principalsOfStored(mailbox: string) {
    return principalsOf(home, homeClient, mailbox);
  }

  it("a malformed principal map is one error line with its code, before anything is written", async () => {
    const target = home.mailboxes[5]!;
    const before = await snapshotOf(home, homeClient, target);
    const bad = join(work.path, "bad.csv");
    await writeFile(bad, `old,new\n${source},${home.mailboxes[1]}\nnot-an-address,${home.mailboxes[2]}\n`);
    for (const extra of [[], ["--dry-run"]]) {
      const run = await restoreTo(target, ["--settings", "--map-principals", bad, ...extra]);
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^error SETTINGS_PRINCIPAL_MAP_INVALID: .*bad\.csv line 3 /);
      expect(run.stdout).toBe("");
    }
    expect(await snapshotOf(home, homeClient, target)).toEqual(before);
  });

  it("--dry-run shows what would change and writes nothing", async () => {
    const target = home.mailboxes[4]!;
    const before = await snapshotOf(home, homeClient, target);
    const run = await restoreTo(target, ["--settings", "rules,oof,categories", "--dry-run", "--json"]);
    expect([0, 3]).toContain(run.code);
    const report = jsonLines(run.stdout).find((e) => e.type === "settings-report") as {
      dryRun: boolean;
      kinds: Record<string, { entries: { entry: string; status: string }[] }>;
    };
    expect(report.dryRun).toBe(true);
    expect(Object.keys(report.kinds).sort()).toEqual(["inboxRules", "oof", "userConfigurations"]);
    expect(report.kinds.inboxRules!.entries).toHaveLength(home.settings.rules(source).length);
    expect(report.kinds.userConfigurations!.entries.map((e) => e.entry)).toEqual([
      expect.stringMatching(/CategoryList$/),
    ]);
    for (const kind of Object.values(report.kinds))
      for (const entry of kind.entries)
        expect(["would-write", "unchanged", "skipped"]).toContain(entry.status);
    expect(
      Object.values(report.kinds).flatMap((k) => k.entries.filter((e) => e.status === "would-write")).length,
    ).toBeGreaterThan(0);
    expect(await snapshotOf(home, homeClient, target)).toEqual(before);

    const text = await restoreTo(target, ["--settings", "oof", "--dry-run"]);
    expect(text.stdout).toMatch(/^dry run, nothing written: /m);
    expect(await snapshotOf(home, homeClient, target)).toEqual(before);
  });

  it("restore --settings oof without --to-mailbox puts the mailbox's own OOF back", async () => {
    const { common, ews, env } = args();
    const backedUp = home.settings.oof(source);
    home.settings.setOof(source, {
      state: backedUp.state === "Disabled" ? "Enabled" : "Disabled",
      internalReply: "<html><body>changed after the backup</body></html>",
    });
    expect(home.settings.oof(source)).not.toEqual(backedUp);
    const rulesBefore = home.settings.rules(source);
    const run = await cli(["restore", ...common, ...ews, "--mailbox", source, "--settings", "oof"], env);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^ {2}written oof$/m);
    expect(home.settings.oof(source)).toEqual(backedUp);
    // Only the kind asked for was written.
    expect(home.settings.rules(source)).toEqual(rulesBefore);
  });

  it("--with-items restores the items first, then the settings; an item selection without it is a usage error", async () => {
    const target = home.mailboxes[2]!;
    const refused = await restoreTo(target, ["--settings", "--folder", "Inbox"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error INVALID_ARGUMENT: .*--with-items/);

    const run = await restoreTo(target, [
      "--settings",
      "categories",
      "--with-items",
      "--folder",
      "Inbox",
      "--into-folder",
      "With settings",
      "--json",
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const events = jsonLines(run.stdout);
    const types = events.map((e) => e.type).filter((t) => t === "report" || t === "settings-report");
    expect(types).toEqual(["report", "settings-report"]);
    const items = events.find((e) => e.type === "report") as { restored: number; failed: number };
    expect(items.failed).toBe(0);
    // Everything the snapshot holds in the Inbox subtree (normal and associated items).
    const { common, env } = args();
    const ls = await cli(["ls", "latest", ...common, "--mailbox", source, "--json"], env);
    const inInbox = jsonLines(ls.stdout)
      .filter((e) => e.type === "folder" && /^Inbox(\/|$)/.test(e.path as string))
      .reduce((n, e) => n + (e.itemCount as number), 0);
    expect(items.restored).toBe(inInbox);
    expect(home.listItems(target, "With settings/Inbox")).toHaveLength(
      home.listItems(source, "inbox").length,
    );
    const categories = (list: ReturnType<typeof configurations>) =>
      list.find((c) => c.name === "CategoryList");
    expect(categories(configurations(home, target))).toEqual(categories(configurations(home, source)));
  });

  it("an unknown kind is a usage error with its code; --no-settings backs up none", async () => {
    const { common, ews, env } = args();
    const unknown = await cli(
      ["restore", ...common, ...ews, "--mailbox", source, "--settings", "rules,colours"],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error INVALID_ARGUMENT: --settings: unknown kind "colours"/);

    const plain = await cli(
      ["backup", ...common, ...ews, "--json", "--mailbox", source, "--no-settings"],
      env,
    );
    expect(plain.code, plain.stderr).toBe(0);
    expect((reportOf(plain.stdout).mailboxes[0] as { settings?: unknown }).settings).toBeUndefined();
    const ls = await cli(["ls", "latest", ...common, "--mailbox", source, "--settings", "--json"], env);
    expect(jsonLines(ls.stdout).find((e) => e.type === "settings")).toMatchObject({ present: false });
    // Restoring the settings of a snapshot that holds none says so and is not a success.
    const none = await restoreTo(home.mailboxes[3]!, ["--settings"]);
    expect(none.code).toBe(3);
    expect(none.stdout).toMatch(/holds no settings .*nothing restored/);
  });

  it("a backup set's settings: false backs up none; a misspelt key is CONFIG_INVALID naming it", async () => {
    const { common, ews, env } = args();
    const config = join(work.path, "sets.yaml");
    await writeFile(config, `sets:\n  quiet:\n    mailboxes: [${source}]\n    settings: false\n`);
    const run = await cli(["backup", ...common, ...ews, "--json", "--config", config, "--set", "quiet"], env);
    expect(run.code, run.stderr).toBe(0);
    expect((reportOf(run.stdout).mailboxes[0] as { settings?: unknown }).settings).toBeUndefined();

    const misspelt = join(work.path, "misspelt.yaml");
    await writeFile(misspelt, `sets:\n  quiet:\n    mailboxes: [${source}]\n    setings: false\n`);
    const refused = await cli(["backup", ...common, ...ews, "--config", misspelt, "--set", "quiet"], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error CONFIG_INVALID: /);
    expect(refused.stderr).toContain('unknown key "sets.quiet.setings" (did you mean "settings"?)');
  });
});
