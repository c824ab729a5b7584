// The mock-ews bin: one JSON line with URL, credentials and mailboxes, then it serves until
// SIGTERM and exits 0; the password is printed once; --help lists the flags.
import { execFileSync } from "node:child_process";
import { request } from "node:https";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, startBin } from "./bin-helper.js";
import { basicAuth, envelope, impersonate, postRaw, responseCodes } from "./helpers.js";

describe("mock-ews bin", () => {
  it("prints the JSON line, serves every mailbox with those credentials, exits cleanly on SIGTERM", async () => {
    const bin = await startBin(["--port", "0", "--seed", "7", "--mailboxes", "3", "--items", "80"]);
    try {
      const { info } = bin;
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/EWS\/Exchange\.asmx$/);
      expect(info.mailboxes).toHaveLength(3);
      expect(info.password.length).toBeGreaterThanOrEqual(16);
      for (const mailbox of info.mailboxes) {
        const result = await postRaw(
          info.url,
          envelope(
            `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
            impersonate(mailbox),
          ),
          { authorization: basicAuth(info.username, info.password) },
        );
        expect(responseCodes(result.text)).toEqual(["NoError"]);
        expect(result.text).toContain("<t:ItemId ");
      }
      const bad = await postRaw(info.url, envelope(""), { authorization: basicAuth(info.username, "nope") });
      expect(bad.status).toBe(401);
    } finally {
      expect(await bin.stop()).toBe(0);
    }
    const { stdout, stderr } = bin.output();
    const all = stdout + stderr;
    expect(all.split(bin.info.password).length - 1).toBe(1);
    expect(stdout.trim().split("\n")).toHaveLength(1);
  });

  it("--tls serves HTTPS; MOCK_EWS_PASSWORD sets the password", async () => {
    const bin = await startBin(["--port", "0", "--mailboxes", "1", "--items", "5", "--tls"], {
      MOCK_EWS_PASSWORD: "from the environment",
    });
    try {
      expect(bin.info.password).toBe("from the environment");
      expect(bin.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/EWS\/Exchange\.asmx$/);
      const status = await new Promise<number>((resolve, reject) => {
        // The bin does not print its certificate; this check is about the listener, not trust.
        const req = request(bin.info.url, { method: "GET", rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(401);
    } finally {
      expect(await bin.stop()).toBe(0);
    }
  });

  it("--help lists every flag with its default", () => {
    const text = execFileSync(
      process.execPath,
      [
        "--conditions=source",
        "--import",
        "tsx",
        fileURLToPath(new URL("../src/bin.ts", import.meta.url)),
        "--help",
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    for (const flag of [
      "--port",
      "--seed",
      "--mailboxes",
      "--items",
      "--tls",
      "--latency-ms",
      "--bandwidth",
      "--max-concurrency",
      "--burst",
      "--throttle-503",
      "--fault",
      "--max-request-bytes",
      "--max-response-bytes",
    ]) {
      expect(text).toContain(flag);
    }
    expect(text).toContain("[27]");
  });

  it("rejects a bad flag with exit code 2 and no stack trace", () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync(
        process.execPath,
        [
          "--conditions=source",
          "--import",
          "tsx",
          fileURLToPath(new URL("../src/bin.ts", import.meta.url)),
          "--fault",
          "explode",
        ],
        {
          cwd: REPO_ROOT,
          encoding: "utf8",
          stdio: "pipe",
        },
      );
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: string }).stderr);
    }
    expect(status).toBe(2);
    expect(stderr).toContain("--fault explode");
  });
});
