// The bin's --auth and --extended-protection: what an operator starts from a shell.
import { spawn } from "node:child_process";
import { ensureCommand } from "@ewsvault/testkit";
import { describe, expect, it } from "vitest";
import { spawnBin, startBin } from "./bin-helper.js";

function exitOf(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnBin(args);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

function curl(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(ensureCommand("curl", "curl"), args, { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", () => resolve(out));
    child.stdin.end(input);
  });
}

describe("mock-ews bin authentication flags", { timeout: 120_000 }, () => {
  it("refuses --extended-protection without --tls and an unknown --auth scheme, exit 2", async () => {
    const noTls = await exitOf(["--auth", "ntlm", "--extended-protection"]);
    expect(noTls.code).toBe(2);
    expect(noTls.stderr).toMatch(/extendedProtection needs tls/);
    const unknown = await exitOf(["--auth", "ntlm,kerberos"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scheme kerberos/);
  });

  it("--tls --auth negotiate,ntlm --extended-protection: 401 per scheme, curl --ntlm refused for lack of a channel binding", async () => {
    const bin = await startBin(
      ["--tls", "--auth", "negotiate,ntlm", "--extended-protection", "--mailboxes", "1", "--items", "1"],
      {
        MOCK_EWS_PASSWORD: "Bin-Auth-1",
      },
    );
    try {
      // The certificate is not printed; curl -k is fine here: what is tested is the 401.
      const headers = await curl(["-s", "-k", "-D", "-", "-o", "/dev/null", bin.info.url], "");
      expect(headers).toMatch(/^HTTP\/1\.1 401/);
      expect(headers.match(/^www-authenticate: .*$/gim)?.map((h) => h.trim())).toEqual([
        "WWW-Authenticate: Negotiate",
        "WWW-Authenticate: NTLM",
      ]);
      const status = await curl(
        ["-s", "-k", "-o", "/dev/null", "-w", "%{http_code}", "--ntlm", "-K", "-", bin.info.url],
        `user = "${bin.info.username}:${bin.info.password}"\n`,
      );
      expect(status).toBe("401");
    } finally {
      expect(await bin.stop()).toBe(0);
    }
  });
});
