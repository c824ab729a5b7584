// The CLI's other commands end to end: keys (passwords, escrow, recovery code), config-file
// backup sets, .eml export, pre-flight check, find, dry-run restore, forget + prune.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliArgs, jsonLines } from "./helpers.js";

let server: MockEwsServer;
let work: { path: string; cleanup: () => Promise<void> };
let common: string[];
let ews: string[];
let env: Record<string, string>;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 31, mailboxes: 3, itemsPerMailbox: 15 });
  work = await tempDir();
  ({ common, ews, env } = cliArgs(work.path, server, "first password"));
  expect((await cli(["init", ...common], env)).code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
  await work?.cleanup();
});

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out;
}

describe("ewsvault commands", { timeout: 180_000 }, () => {
  it("manages passwords: add, list, change, remove; the old password stops working", async () => {
    const keyIdOf = (stdout: string, type: string) =>
      jsonLines(stdout).find((e) => e.type === type)?.keyId as string;
    const added = await cli(["key", "add", ...common, "--json"], {
      ...env,
      EWSVAULT_NEW_PASSWORD: "second password",
    });
    expect(added.code, added.stderr).toBe(0);
    const listed = jsonLines((await cli(["key", "list", ...common, "--json"], env)).stdout);
    expect(listed.filter((k) => k.kind === "password").map((k) => k.keyId)).toContain(
      keyIdOf(added.stdout, "key-added"),
    );

    const changed = await cli(["key", "passwd", ...common, "--json"], {
      ...env,
      EWSVAULT_PASSWORD: "second password",
      EWSVAULT_NEW_PASSWORD: "third password",
    });
    expect(changed.code, changed.stderr).toBe(0);
    const third = keyIdOf(changed.stdout, "password-changed");
    const wrong = await cli(["snapshots", ...common], { ...env, EWSVAULT_PASSWORD: "second password" });
    // A wrong password has its own exit code (12, as restic; issue 10).
    expect(wrong.code).toBe(12);
    expect(wrong.stderr).toMatch(/^error CRYPTO_WRONG_PASSWORD: /);
    expect((await cli(["snapshots", ...common], { ...env, EWSVAULT_PASSWORD: "third password" })).code).toBe(
      0,
    );

    const passwords = jsonLines((await cli(["key", "list", ...common, "--json"], env)).stdout).filter(
      (k) => k.kind === "password",
    );
    expect(passwords).toHaveLength(2);
    const first = passwords.find((k) => k.keyId !== third)!.keyId as string;
    const inUse = await cli(["key", "remove", ...common, first], env);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^error KEY_LAST_SLOT: /);
    expect((await cli(["key", "remove", ...common, third], env)).code).toBe(0);
    expect((await cli(["snapshots", ...common], { ...env, EWSVAULT_PASSWORD: "third password" })).code).toBe(
      12,
    );
  });

  it("recovers with an escrow key and with a recovery code when every password is lost", async () => {
    const prefix = join(work.path, "provider");
    expect((await cli(["key", "escrow-keygen", "--out", prefix], env)).code).toBe(0);
    const escrowed = await cli(["key", "escrow", ...common, "--public-key", `${prefix}.pub`], env);
    expect(escrowed.code, escrowed.stderr).toBe(0);
    const code = jsonLines((await cli(["key", "recovery-code", ...common, "--json"], env)).stdout).find(
      (e) => e.type === "recovery-code",
    )?.code as string;
    expect(code).toBeTruthy();

    const viaEscrow = await cli(["key", "recover", ...common, "--escrow-private-key", `${prefix}.key`], {
      EWSVAULT_PASSWORD: undefined,
      EWSVAULT_NEW_PASSWORD: "escrow-recovered password",
    });
    expect(viaEscrow.code, viaEscrow.stderr).toBe(0);
    expect(
      (await cli(["snapshots", ...common], { EWSVAULT_PASSWORD: "escrow-recovered password" })).code,
    ).toBe(0);

    const codeFile = join(work.path, "code.txt");
    await writeFile(codeFile, `${code}\n`);
    const viaCode = await cli(["key", "recover", ...common, "--recovery-code-file", codeFile], {
      EWSVAULT_PASSWORD: undefined,
      EWSVAULT_NEW_PASSWORD: "code-recovered password",
    });
    expect(viaCode.code, viaCode.stderr).toBe(0);
    expect((await cli(["snapshots", ...common], { EWSVAULT_PASSWORD: "code-recovered password" })).code).toBe(
      0,
    );

    // One character changed (a typo): never the one it already was, or the code would still be right.
    const typoAt = code.length - 2;
    const typoChar = code[typoAt] === "A" ? "B" : "A";
    await writeFile(codeFile, `${code.slice(0, typoAt)}${typoChar}${code.slice(typoAt + 1)}\n`);
    const typo = await cli(["key", "recover", ...common, "--recovery-code-file", codeFile], {
      EWSVAULT_NEW_PASSWORD: "x",
    });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^error (RECOVERY_CODE_INVALID|CRYPTO_WRONG_PASSWORD): /);
  });

  it("backs up a config-file backup set with MIME and exports mail as .eml", async () => {
    const config = join(work.path, "config.yaml");
    await writeFile(
      config,
      [
        "ews:",
        `  url: ${server.url}`,
        `  username: ${server.credentials.username}`,
        "  allowInsecureBasic: true",
        "sets:",
        "  pilot:",
        `    mailboxes: [${server.mailboxes[0]}, ${server.mailboxes[1]}]`,
        "    captureMime: true",
        "    tags: [pilot]",
      ].join("\n"),
    );
    const result = await cli(["backup", ...common, "--config", config, "--set", "pilot", "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    const report = jsonLines(result.stdout).find((e) => e.type === "report") as {
      mailboxes: Array<{ status: string }>;
    };
    expect(report.mailboxes).toHaveLength(2);
    const snapshots = JSON.parse((await cli(["snapshots", ...common, "--json"], env)).stdout) as Array<{
      tags: string[];
    }>;
    expect(snapshots.every((s) => s.tags.includes("pilot"))).toBe(true);

    const out = join(work.path, "eml");
    const exported = await cli(["export", ...common, "--mailbox", server.mailboxes[0]!, "--out", out], env);
    expect([0, 3]).toContain(exported.code);
    const emls = (await files(out)).filter((f) => f.endsWith(".eml"));
    expect(emls.length).toBeGreaterThan(0);
    const text = await readFile(emls[0]!, "utf8");
    expect(text).toMatch(/^MIME-Version: 1.0/im);
    expect(text).toMatch(/^Subject: /im);

    const excluded = await cli(
      [
        "backup",
        ...common,
        "--config",
        config,
        "--set",
        "pilot",
        "--exclude-mailbox",
        `${server.mailboxes[1]!.slice(0, 4)}*`,
        "--json",
      ],
      env,
    );
    const onlyOne = jsonLines(excluded.stdout).find((e) => e.type === "report") as {
      mailboxes: Array<{ mailbox: string }>;
    };
    expect(onlyOne.mailboxes.map((m) => m.mailbox)).toEqual([server.mailboxes[0]]);

    const unknown = await cli(["backup", ...common, "--config", config, "--set", "nope"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error BACKUP_SET_UNKNOWN: /);
  });

  it("finds items, plans a restore without touching the target, and checks the endpoint", async () => {
    const mailbox = server.mailboxes[0]!;
    const subject = server.getItem(
      server.listItems(mailbox, "inbox")[0] ?? server.listItems(mailbox, "sentitems")[0]!,
    ).subject;
    const found = jsonLines(
      (await cli(["find", ...common, "--json", "--subject", subject.slice(0, 8)], env)).stdout,
    );
    expect(found.some((e) => e.type === "match" && e.subject === subject)).toBe(true);

    server.resetCounters();
    const plan = await cli(["restore", ...common, ...ews, "--mailbox", mailbox, "--dry-run", "--json"], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(jsonLines(plan.stdout).filter((e) => e.type === "would-restore").length).toBeGreaterThan(0);
    expect(server.counters().requests.UploadItems ?? 0).toBe(0);

    const ok = await cli(["check", ...ews, "--mailbox", mailbox], env);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok +mailbox /m);
    const bad = await cli(["check", ...ews, "--mailbox", "nobody@contoso.test"], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL +mailbox nobody@contoso.test: .*EWS_MAILBOX_NOT_FOUND/);
  });

  it("forgets by policy, prunes, and the repository still verifies with data", async () => {
    const mailbox = server.mailboxes[2]!;
    for (let run = 0; run < 3; run++) {
      server.addItem(mailbox, "inbox", {
        ...server.getItem(server.listItems(server.mailboxes[0]!, "inbox")[0]!),
        subject: `run ${run}`,
      });
      expect((await cli(["backup", ...common, ...ews, "--mailbox", mailbox], env)).code).toBe(0);
    }
    const forget = await cli(
      ["forget", ...common, "--mailbox", mailbox, "--keep-last", "1", "--prune", "--json"],
      env,
    );
    expect(forget.code, forget.stderr).toBe(0);
    const events = jsonLines(forget.stdout);
    expect(events.filter((e) => e.type === "remove")).toHaveLength(2);
    expect(events.some((e) => e.type === "pruned")).toBe(true);
    const remaining = JSON.parse(
      (await cli(["snapshots", ...common, "--json", "--mailbox", mailbox], env)).stdout,
    );
    expect(remaining).toHaveLength(1);
    const verify = await cli(["verify", ...common, "--read-data"], env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const noPolicy = await cli(["forget", ...common], env);
    expect(noPolicy.code).toBe(2);
  });
});
