// Issue 11 item 2: a hostile or broken server must not exhaust memory. Every response is
// limited (maxResponseBytes) while it streams in; past the limit the connection is dropped and
// the call fails with EWS_RESPONSE_TOO_LARGE. And issue 11 item 9: Basic credentials or a bearer
// token never go over plain http unless the caller says so.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { afterEach, describe, expect, it } from "vitest";

const MIB = 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, "A");

interface Hostile {
  url: string;
  server: Server;
  /** Bytes written before the client dropped the connection. */
  sent: () => number;
  /** Resolves when the client closed the connection. */
  dropped: Promise<void>;
}

/** Answers every POST with an endless body after `headers` (written as given). */
async function hostile(headers: Record<string, string>, prefix = ""): Promise<Hostile> {
  let sent = 0;
  let markDropped: () => void = () => {};
  const dropped = new Promise<void>((resolve) => {
    markDropped = resolve;
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/xml; charset=utf-8", ...headers });
    res.write(prefix);
    const pump = () => {
      while (!res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
    };
    res.on("close", markDropped);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/EWS/Exchange.asmx`, server, sent: () => sent, dropped };
}

const open: { server: Server; client: EwsClient }[] = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function clientFor(h: Hostile, maxResponseBytes?: number): EwsClient {
  const client = createEwsClient({
    url: h.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", username: "u@example.com", password: "p" },
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
    ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
  });
  open.push({ server: h.server, client });
  return client;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

const ENVELOPE_START =
  '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:SyncFolderHierarchyResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages>';

describe("response size limit (hostile servers)", { timeout: 60_000 }, () => {
  it("an endless body without Content-Length: EWS_RESPONSE_TOO_LARGE, connection dropped just past the limit, no retry", async () => {
    const h = await hostile({}, ENVELOPE_START);
    const client = clientFor(h, 4 * MIB);
    const error = await failure(client.syncFolderHierarchy("u@example.com"));
    expect(isEwsVaultError(error, "EWS_RESPONSE_TOO_LARGE")).toBe(true);
    await h.dropped;
    // The limit plus what sat in socket buffers; a retry would have doubled it.
    expect(h.sent()).toBeLessThan(4 * MIB + 8 * MIB);
  });

  it("a Content-Length over the limit is refused before the body is read", async () => {
    const h = await hostile({ "content-length": String(200 * MIB) }, ENVELOPE_START);
    const client = clientFor(h, 4 * MIB);
    const error = await failure(client.syncFolderHierarchy("u@example.com"));
    expect(isEwsVaultError(error, "EWS_RESPONSE_TOO_LARGE")).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({
      receivedBytes: 200 * MIB,
    });
    await h.dropped;
    expect(h.sent()).toBeLessThan(8 * MIB);
  });

  it("a lying Content-Length (small, then an endless body) reads only what was declared and fails with a code", async () => {
    const h = await hostile({ "content-length": "4096" }, ENVELOPE_START);
    const client = clientFor(h, 4 * MIB);
    const error = await failure(client.syncFolderHierarchy("u@example.com"));
    expect(isEwsVaultError(error)).toBe(true);
    expect((error as { code: string }).code).toMatch(/^EWS_/);
    await h.dropped;
    expect(h.sent()).toBeLessThan(2 * 8 * MIB);
  });

  it("with the default limit a 200 MB flood costs bounded memory", async () => {
    const h = await hostile({}, ENVELOPE_START);
    const client = clientFor(h);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    const error = await failure(client.syncFolderHierarchy("u@example.com"));
    clearInterval(sampler);
    expect(isEwsVaultError(error, "EWS_RESPONSE_TOO_LARGE")).toBe(true);
    const grown = (peak - before) / MIB;
    console.log(
      `default-limit flood: ${(h.sent() / MIB) | 0} MiB sent, RSS +${grown.toFixed(0)} MiB, ${Date.now() - started} ms`,
    );
    // 128 MiB of buffered body (chunks, then none: the call fails before concatenating) + slack.
    expect(grown).toBeLessThan(128 + 96);
    expect(h.sent()).toBeLessThan(200 * MIB);
  });
});

describe("credentials over plain http (issue 11 item 9)", () => {
  it("refuses Basic and bearer over http with EWS_INSECURE_AUTH unless allowInsecureAuth; NTLM and https need no opt-in", () => {
    const basic = { kind: "basic" as const, username: "u@example.com", password: "p" };
    const bearer = { kind: "bearer" as const, getToken: async () => "t" };
    for (const auth of [basic, bearer]) {
      let thrown: unknown;
      try {
        createEwsClient({ url: "http://mail.example.com/EWS/Exchange.asmx", auth });
      } catch (error) {
        thrown = error;
      }
      expect(isEwsVaultError(thrown, "EWS_INSECURE_AUTH")).toBe(true);
      expect(String((thrown as Error).message)).not.toContain("p@");
    }
    const infos: string[] = [];
    const allowed = createEwsClient({
      url: "http://mail.example.com/EWS/Exchange.asmx",
      auth: basic,
      allowInsecureAuth: true,
      logger: { info: (m) => infos.push(m), warn: () => infos.push("WARN") },
    });
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatch(/plain http/);
    const clients = [
      allowed,
      createEwsClient({ url: "https://mail.example.com/EWS/Exchange.asmx", auth: basic }),
      createEwsClient({
        url: "http://mail.example.com/EWS/Exchange.asmx",
        auth: { kind: "ntlm", username: "CONTOSO\\u", password: "p" },
      }),
    ];
    return Promise.all(clients.map((c) => c.close()));
  });
});
