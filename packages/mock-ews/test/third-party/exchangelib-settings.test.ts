// Python exchangelib as Debian ships it (python3-exchangelib), unmodified, reads the mock's OOF
// settings, delegates and calendar permissions and writes OOF settings
// (exchangelib_settings.py). exchangelib 4.x has no inbox rules API; ews-javascript-api covers
// rules (ews-javascript-api-settings.test.ts). Installs the package when it is missing and
// fails (never skips) when it cannot.
import { execFile, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./exchangelib_settings.py", import.meta.url));

function hasExchangelib(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import exchangelib"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function ensureExchangelib(): void {
  if (hasExchangelib()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore", env, timeout: 300_000 });
  execFileSync("apt-get", ["install", "-y", "-qq", "python3-exchangelib"], {
    stdio: "ignore",
    env,
    timeout: 600_000,
  });
  if (!hasExchangelib()) throw new Error("python3-exchangelib is still not importable after apt-get install");
}

type Checks = Record<string, unknown>;

function runClient(server: MockEwsServer, mailbox: string): Promise<Checks> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [SCRIPT, server.url, server.credentials.username, mailbox],
      { env: { ...process.env, MOCK_EWS_PASSWORD: server.credentials.password }, timeout: 240_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`exchangelib client failed: ${error.message}\n${stderr}`));
        resolve((JSON.parse(stdout) as { checks: Checks }).checks);
      },
    );
  });
}

describe("exchangelib (python3-exchangelib) on mailbox settings", () => {
  let server: MockEwsServer;
  let mailbox: string;
  let seeded: {
    oof: ReturnType<MockEwsServer["settings"]["oof"]>;
    delegates: ReturnType<MockEwsServer["settings"]["delegates"]>;
  };
  let checks: Checks;

  beforeAll(async () => {
    ensureExchangelib();
    server = await startMockEwsServer({ seed: 16, mailboxes: 4, itemsPerMailbox: 10 });
    mailbox = server.mailboxes.find((m) => server.settings.delegates(m).length > 0)!;
    seeded = { oof: server.settings.oof(mailbox), delegates: server.settings.delegates(mailbox) };
    checks = await runClient(server, mailbox);
  }, 900_000);
  afterAll(async () => {
    await server?.stop();
  });

  const ok = (name: string) => {
    const result = checks[name] as Record<string, unknown>;
    expect(result, `${name}: ${String(result?.error)}\n${String(result?.trace)}`).not.toHaveProperty("error");
    return result as never;
  };

  it("reads the seeded OOF settings", () => {
    const oof = ok("oof_read") as Record<string, unknown>;
    expect(oof.state).toBe(seeded.oof.state);
    expect(oof.audience).toBe(seeded.oof.externalAudience);
    expect(oof.internal).toBe(seeded.oof.internalReply);
  });

  it("writes OOF settings the server keeps", () => {
    const written = ok("oof_write") as Record<string, string>;
    expect(written).toMatchObject({ state: "Scheduled", audience: "Known", internal: "py inside" });
    expect(server.settings.oof(mailbox)).toEqual({
      state: "Scheduled",
      externalAudience: "Known",
      start: written.start,
      end: written.end,
      internalReply: "py inside",
      externalReply: "py outside",
    });
  });

  it("reads the delegates with their permissions", () => {
    const delegates = ok("delegates") as Record<string, unknown>[];
    expect(delegates).toEqual(
      seeded.delegates.map((d) => ({
        smtp: d.smtpAddress,
        calendar: d.permissions.Calendar,
        inbox: d.permissions.Inbox,
        private: d.viewPrivateItems,
        copies: d.receiveCopiesOfMeetingMessages,
      })),
    );
  });

  it("reads the calendar's seeded permissions", () => {
    const entries = ok("calendar_permissions") as { user: string; level: string }[];
    expect(entries.map((e) => e.user)).toEqual(expect.arrayContaining(["Default", "Anonymous"]));
    expect(entries.some((e) => server.mailboxes.includes(e.user) && e.level === "Reviewer")).toBe(true);
  });
});
