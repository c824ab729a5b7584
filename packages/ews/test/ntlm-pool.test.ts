// NTLM authenticates connections: the client runs one handshake per connection it opens, reuses
// authenticated connections, and re-handshakes only when a connection was closed. Also the user
// name forms and a wrong password, over plain http (NTLM needs no opt-in there: no password is sent).
import { isEwsVaultError } from "@ewsvault/mailbox";
import { type MockEwsServer, type MockEwsServerOptions, startMockEwsServer } from "@ewsvault/mock-ews";
import { freePort } from "@ewsvault/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { createEwsClient, type EwsClient, resolveEwsUrl } from "../src/index.js";

const PASSWORD = "Ntlm-pool-test-1";
const started: MockEwsServer[] = [];
const clients: EwsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function mock(options: Partial<MockEwsServerOptions> = {}): Promise<MockEwsServer> {
  const server = await startMockEwsServer({
    mailboxes: 2,
    itemsPerMailbox: 5,
    auth: ["ntlm"],
    users: [{ username: "ewsadmin@contoso.test", password: PASSWORD, impersonate: "*" }],
    ...options,
  });
  started.push(server);
  return server;
}

function client(
  url: string,
  username: string,
  extra: { domain?: string; password?: string } = {},
): EwsClient {
  const c = createEwsClient({
    url,
    auth: {
      kind: "ntlm",
      username,
      password: extra.password ?? PASSWORD,
      ...(extra.domain ? { domain: extra.domain } : {}),
    },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
    maxConcurrency: 4,
  });
  clients.push(c);
  return c;
}

describe("NTLM connection pool", () => {
  it("accepts DOMAIN\\user, a UPN and user + domain; a wrong password is EWS_AUTH_FAILED without retries", async () => {
    const server = await mock();
    const mailbox = server.mailboxes[0] as string;
    for (const c of [
      client(server.url, "CONTOSO\\ewsadmin"),
      client(server.url, "ewsadmin@contoso.test"),
      client(server.url, "ewsadmin", { domain: "contoso.test" }),
    ]) {
      expect((await c.getMailboxInfo(mailbox)).distinguishedFolders.inbox).toBeDefined();
    }
    const before = server.counters().auth.failures["wrong-password"] ?? 0;
    let error: unknown;
    try {
      await client(server.url, "CONTOSO\\ewsadmin", { password: "wrong" }).getMailboxInfo(mailbox);
    } catch (e) {
      error = e;
    }
    expect(isEwsVaultError(error, "EWS_AUTH_FAILED")).toBe(true);
    expect(JSON.stringify(error)).not.toContain("wrong");
    // Refused once: an authentication failure is never retried (it could lock the account).
    expect((server.counters().auth.failures["wrong-password"] ?? 0) - before).toBe(1);
  });

  it("handshakes once per connection, reuses it, and again only after the connection was closed", async () => {
    const port = await freePort();
    const options = { port, seed: 7 };
    let server = await mock(options);
    const c = client(server.url, "CONTOSO\\ewsadmin");
    const mailbox = server.mailboxes[0] as string;
    for (let i = 0; i < 5; i++) await c.getMailboxInfo(mailbox).then(() => c.syncFolderHierarchy(mailbox));
    expect(c.stats()).toMatchObject({ connections: 1, handshakes: 1 });
    expect(server.counters().auth).toMatchObject({
      connections: 1,
      handshakes: 1,
      connectionsAuthenticated: 1,
    });
    // The server goes away (its connections close) and comes back on the same port.
    await server.stop();
    started.splice(started.indexOf(server), 1);
    server = await mock(options);
    for (let i = 0; i < 5; i++) await c.syncFolderHierarchy(mailbox);
    expect(c.stats()).toMatchObject({ connections: 2, handshakes: 2 });
    expect(server.counters().auth).toMatchObject({ connections: 1, handshakes: 1 });
    // Parallel requests open connections only as needed, each authenticated once.
    await Promise.all(Array.from({ length: 12 }, () => c.syncFolderHierarchy(mailbox)));
    const stats = c.stats();
    expect(stats.connections).toBeLessThanOrEqual(2 + 3);
    expect(stats.handshakes).toBe(stats.connections);
    expect(server.counters().auth.handshakes).toBe(server.counters().auth.connections);
  });

  it("says which schemes the server offers when NTLM is not among them", async () => {
    const server = await mock({ auth: ["negotiate", "basic"] });
    let error: unknown;
    try {
      await client(server.url, "CONTOSO\\ewsadmin").getMailboxInfo(server.mailboxes[0] as string);
    } catch (e) {
      error = e;
    }
    expect(isEwsVaultError(error, "EWS_AUTH_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/offers negotiate, basic, not ntlm/);
    expect((error as { details: Record<string, unknown> }).details.offeredSchemes).toEqual([
      "negotiate",
      "basic",
    ]);
  });

  it("Autodiscover authenticates with NTLM too", async () => {
    const server = await mock({ auth: ["ntlm"] });
    const candidate = server.url.replace("/EWS/Exchange.asmx", "/autodiscover/autodiscover.xml");
    const url = await resolveEwsUrl(server.mailboxes[1] as string, {
      candidates: [candidate],
      auth: { kind: "ntlm", username: "CONTOSO\\ewsadmin", password: PASSWORD },
    });
    expect(url).toBe(server.url);
    expect(server.counters().auth.connectionsAuthenticated).toBe(1);
  });
});
