// Windows authentication end to end, as a default on-premises Exchange 2019 CU14+ serves EWS:
// HTTPS, NTLM or Negotiate only, Extended Protection required. The CLI backs up four mailboxes,
// runs an incremental backup after changes, restores one into another mailbox, and every item
// compares equal in every property; a 4x4 backup of 8 mailboxes measures that NTLM authenticates
// each connection once and opens no more connections than requests in flight.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { backup, initRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import { type AuthScheme, type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { mailboxContent, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, jsonLines, restoreInto } from "./helpers.js";

const PASSWORD = "Exchange-2019-CU14!";

for (const scheme of ["ntlm", "negotiate"] as const satisfies readonly AuthScheme[]) {
  describe(`ewsvault over HTTPS with --auth ${scheme} against Extended Protection`, {
    timeout: 240_000,
  }, () => {
    let server: MockEwsServer;
    let client: EwsClient;
    let work: { path: string; cleanup: () => Promise<void> };
    let common: string[];
    let ews: string[];
    let env: Record<string, string>;

    beforeAll(async () => {
      server = await startMockEwsServer({
        seed: scheme === "ntlm" ? 41 : 42,
        mailboxes: 10,
        itemsPerMailbox: 10,
        tls: true,
        auth: [scheme],
        extendedProtection: true,
        users: [{ username: "ewsadmin@contoso.test", password: PASSWORD, impersonate: "*" }],
      });
      work = await tempDir();
      const caFile = join(work.path, "mock-ca.pem");
      await writeFile(caFile, server.certificate ?? "");
      // The three user name forms: DOMAIN\user, UPN, and user + --domain.
      const user =
        scheme === "ntlm"
          ? ["--username", "CONTOSO\\ewsadmin"]
          : ["--username", "ewsadmin", "--domain", "CONTOSO"];
      client = createEwsClient({
        url: server.url,
        auth: { kind: scheme, username: "ewsadmin@contoso.test", password: PASSWORD },
        ca: server.certificate ?? "",
      });
      common = ["--repo", join(work.path, "repo"), "--cache-dir", join(work.path, "cache")];
      ews = ["--ews-url", server.url, ...user, "--auth", scheme, "--ca-file", caFile];
      env = { EWSVAULT_PASSWORD: "ntlm e2e repository password", EWS_PASSWORD: PASSWORD };
      const init = await cli(["init", ...common, "--json"], env);
      expect(init.code, init.stderr).toBe(0);
    });

    afterAll(async () => {
      await client?.close();
      await server?.stop();
      await work?.cleanup();
    });

    it("backs up 4 mailboxes, runs an incremental backup, restores one into another: every item equal", async () => {
      const sources = server.mailboxes.slice(0, 4);
      const reportOf = (text: string) =>
        jsonLines(text).find((e) => e.type === "report") as { mailboxes: Array<Record<string, unknown>> };
      const first = await cli(["backup", ...common, ...ews, "--json", "--mailbox", ...sources], env);
      expect(first.code, first.stderr).toBe(0);
      expect(reportOf(first.stdout).mailboxes.map((m) => m.status)).toEqual(Array(4).fill("completed"));

      const mailbox = sources[0]!;
      const info = await client.getMailboxInfo(mailbox);
      const items = await client.findItems(mailbox, info.distinguishedFolders.inbox!);
      expect(items.length).toBeGreaterThanOrEqual(2);
      server.modifyItem(items[0]!.itemId, { subject: "changed over NTLM", categories: ["Green"] });
      server.addItem(mailbox, "inbox", { ...server.getItem(items[1]!.itemId), subject: "added over NTLM" });
      const second = await cli(["backup", ...common, ...ews, "--json", "--mailbox", ...sources], env);
      expect(second.code, second.stderr).toBe(0);
      expect(reportOf(second.stdout).mailboxes[0]).toMatchObject({ status: "completed", itemsExported: 2 });

      const target = server.mailboxes[9]!;
      const restored = await cli(
        ["restore", ...common, ...ews, ...restoreInto(mailbox, target, "Restored")],
        env,
      );
      expect(restored.code, restored.stderr).toBe(0);
      const original = await mailboxContent(client, server, mailbox);
      const copy = await mailboxContent(client, server, target, { under: "Restored" });
      expect([...original.values()].flat().length).toBeGreaterThan(0);
      expect(copy).toEqual(original);
      const auth = server.counters().auth;
      expect(auth.failures["channel-binding"] ?? 0).toBe(0);
      expect(auth.connectionsAuthenticated).toBeGreaterThan(0);
    });

    it("check reports the schemes offered, the one used, the channel binding, and refuses a scheme not offered", async () => {
      const ok = await cli(["check", ...ews, "--mailbox", server.mailboxes[0]!], env);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(
        new RegExp(`^ok +authentication: the server offers ${scheme}; using ${scheme}`, "m"),
      );
      expect(ok.stdout).toMatch(/^ok +extended protection: the TLS channel binding was sent/m);
      const before = server.counters().auth.failures;
      const wrong = await cli(
        [
          "check",
          ...ews.filter((a) => a !== scheme && a !== "--auth"),
          "--auth",
          "basic",
          "--mailbox",
          server.mailboxes[0]!,
        ],
        env,
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(
        new RegExp(
          `FAIL +authentication: the server offers ${scheme}, not basic: use --auth ${scheme} \\(EWS_AUTH_SCHEME_NOT_OFFERED\\)`,
        ),
      );
      // No credential was tried: the server saw no failed login.
      expect(server.counters().auth.failures["wrong-password"] ?? 0).toBe(before["wrong-password"] ?? 0);
      expect(server.counters().auth.failures["scheme-not-offered"] ?? 0).toBe(
        before["scheme-not-offered"] ?? 0,
      );
    });

    it("a 4x4 backup of 8 mailboxes authenticates each connection once and opens no more connections than requests in flight", async () => {
      const measured = createEwsClient({
        url: server.url,
        auth: { kind: scheme, username: "CONTOSO\\ewsadmin", password: PASSWORD },
        ca: server.certificate ?? "",
        maxConcurrency: 8,
      });
      const dir = await tempDir();
      try {
        const repository = await initRepository({
          destination: createFsDestination({ root: join(dir.path, "repo") }),
          password: "4x4",
          kdf: { N: 1024, r: 8, p: 1 },
        });
        server.resetCounters();
        const report = await backup({
          repository,
          source: measured,
          mailboxes: server.mailboxes.slice(0, 8),
          indexDirectory: join(dir.path, "index"),
          mailboxConcurrency: 4,
          itemConcurrency: 4,
        });
        await repository.close();
        expect(report.mailboxes.map((m) => m.status)).toEqual(Array(8).fill("completed"));
        const stats = measured.stats();
        const auth = server.counters().auth;
        const numbers = {
          scheme,
          requests: server.counters().totalRequests,
          peakRequestsInFlight: stats.peakInFlight,
          clientConnections: stats.connections,
          clientHandshakes: stats.handshakes,
          serverConnections: auth.connections,
          serverHandshakes: auth.handshakes,
          connectionsAuthenticated: auth.connectionsAuthenticated,
          channelBinding: stats.channelBinding,
        };
        console.log(`NTLM connection reuse: ${JSON.stringify(numbers)}`);
        expect(stats.channelBinding).toBe(true);
        expect(auth.handshakes).toBeLessThanOrEqual(auth.connections);
        expect(auth.connectionsAuthenticated).toBe(auth.handshakes);
        expect(auth.connections).toBeLessThanOrEqual(stats.peakInFlight ?? 0);
        expect(stats.peakInFlight ?? 0).toBeLessThanOrEqual(8);
        expect(server.counters().totalRequests).toBeGreaterThan(auth.connections * 4);
      } finally {
        await measured.close();
        await dir.cleanup();
      }
    });
  });
}
