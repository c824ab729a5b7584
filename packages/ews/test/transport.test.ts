// The transport's retry loop and throttling against a canned server: BackOffMilliseconds,
// ErrorExceededConnectionCount, Retry-After, resets and bad bodies, give-up budgets, DTDs,
// aborts and timeouts.
import { isEwsVaultError } from "@ewsvault/mailbox";
import { afterEach, describe, expect, it } from "vitest";
import { createEwsClient, type EwsClient, type EwsClientOptions } from "../src/index.js";
import {
  type CannedHandler,
  type CannedServer,
  errorMessage,
  FOLDER_ID,
  send,
  soapFault,
  startCannedServer,
  syncFolderItemsOk,
} from "./canned-server.js";

const PASSWORD = "s3cr3t-Pa55word!";
const servers: CannedServer[] = [];
const clients: EwsClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function setup(handler: CannedHandler, options: Partial<EwsClientOptions> = {}) {
  const server = await startCannedServer(handler);
  servers.push(server);
  const client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", username: "svc@example.com", password: PASSWORD },
    retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50 },
    requestTimeoutMs: 5000,
    ...options,
  });
  clients.push(client);
  return { server, client };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

describe("transport: retries and throttling", () => {
  it("honours BackOffMilliseconds of an ErrorServerBusy SOAP fault and counts throttling in the gate", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.n <= 2) send(res, 500, soapFault("ErrorServerBusy", 300));
      else send(res, 200, syncFolderItemsOk());
    });
    const started = Date.now();
    const page = await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(page.syncState).toBe("state-1");
    expect(server.requests).toHaveLength(3);
    const gap1 = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0);
    const gap2 = (server.requests[2]?.at ?? 0) - (server.requests[1]?.at ?? 0);
    expect(gap1).toBeGreaterThanOrEqual(295);
    expect(gap2).toBeGreaterThanOrEqual(295);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(client.gate.snapshot().throttleEvents).toBe(2);
    // ErrorServerBusy with BackOffMilliseconds is the budget: the pacer learns, concurrency stays.
    expect(client.gate.snapshot()).toMatchObject({
      throttledBy: { budget: 2, concurrency: 0, unknown: 0 },
      cuts: 0,
    });
    expect(client.gate.snapshot().pacer.rate).toBeGreaterThan(0);
    expect(client.stats()).toMatchObject({ attempts: 3, retries: 2, throttled: 2 });
  });

  it("ErrorExceededConnectionCount (EWSMaxConcurrency) is retried at once, through a gate that learnt the ceiling", async () => {
    const { server, client } = await setup(
      (req, res) => {
        if (req.n === 3) send(res, 500, soapFault("ErrorExceededConnectionCount"));
        else setTimeout(() => send(res, 200, syncFolderItemsOk()), 150);
      },
      { maxConcurrency: 8 },
    );
    await Promise.all(Array.from({ length: 3 }, () => client.syncFolderItems("user@example.com", FOLDER_ID)));
    expect(server.requests).toHaveLength(4);
    // Two others were in flight when the third was refused: the gate admits two from now on.
    expect(client.gate.snapshot()).toMatchObject({
      ceiling: 2,
      limit: 2,
      throttledBy: { concurrency: 1, budget: 0, unknown: 0 },
    });
    expect(server.peakConcurrency()).toBe(3);
    // No timed backoff: the retry went as soon as a slot was free (after ~150 ms), not seconds later.
    expect((server.requests[3]?.at ?? 0) - (server.requests[2]?.at ?? 0)).toBeLessThan(1000);
    expect(client.stats()).toMatchObject({ throttled: 1, retries: 1 });
  });

  it("a response whose every message is ErrorExceededConnectionCount is throttling, EWS_THROTTLED when it persists", async () => {
    const refusal = `${syncFolderItemsOk().split("<m:ResponseMessages>")[0]}<m:ResponseMessages>${errorMessage("SyncFolderItems", "ErrorExceededConnectionCount")}</m:ResponseMessages></m:SyncFolderItemsResponse></s:Body></s:Envelope>`;
    const { server, client } = await setup((_req, res) => send(res, 200, refusal), {
      retry: { maxAttempts: 2, maxThrottledAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_THROTTLED")).toBe(true);
    expect(error.details?.responseCode).toBe("ErrorExceededConnectionCount");
    expect(server.requests).toHaveLength(3);
    expect(client.gate.snapshot().throttledBy.concurrency).toBe(3);
    expect(client.gate.snapshot().limit).toBe(1);
  });

  it("a BackOffMilliseconds told to one request holds back every request to the endpoint", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.n === 1) send(res, 500, soapFault("ErrorServerBusy", 400));
      else send(res, 200, syncFolderItemsOk());
    });
    const first = client.syncFolderItems("user@example.com", FOLDER_ID);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.gate.snapshot().holdOffMs).toBeGreaterThan(0);
    // A second, independent call must not reach the server during the pause.
    const second = client.syncFolderItems("user@example.com", FOLDER_ID);
    await Promise.all([first, second]);
    expect(server.requests).toHaveLength(3);
    const start = server.requests[0]?.at ?? 0;
    expect((server.requests[1]?.at ?? 0) - start).toBeGreaterThanOrEqual(390);
    expect((server.requests[2]?.at ?? 0) - start).toBeGreaterThanOrEqual(390);
  });

  it("retries a ResponseMessage-level ErrorServerBusy with its BackOffMilliseconds", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.n === 1)
        send(
          res,
          200,
          `${syncFolderItemsOk().split("<m:ResponseMessages>")[0]}<m:ResponseMessages>${errorMessage("SyncFolderItems", "ErrorServerBusy", 200)}</m:ResponseMessages></m:SyncFolderItemsResponse></s:Body></s:Envelope>`,
        );
      else send(res, 200, syncFolderItemsOk("state-2"));
    });
    const page = await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(page.syncState).toBe("state-2");
    expect(server.requests).toHaveLength(2);
    expect((server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(195);
  });

  it("honours Retry-After on HTTP 503", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.n === 1) send(res, 503, "busy", { "retry-after": "1" });
      else send(res, 200, syncFolderItemsOk());
    });
    await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(server.requests).toHaveLength(2);
    expect((server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it("retries connection resets, truncated bodies, unparseable bodies and HTTP 500 without a fault", async () => {
    const full = syncFolderItemsOk();
    const { server, client } = await setup(
      (req, res) => {
        switch (req.n) {
          case 1:
            res.socket?.destroy();
            return;
          case 2:
            // Promise more bytes than we send, then hang up: a body cut short in transit.
            res.writeHead(200, { "content-type": "text/xml", "content-length": String(full.length) });
            res.write(full.slice(0, 200));
            setTimeout(() => res.socket?.destroy(), 20);
            return;
          case 3:
            // Framing is fine but the XML stops half way.
            send(res, 200, full.slice(0, full.length - 40));
            return;
          case 4:
            send(res, 500, "<html>Internal error</html>");
            return;
          default:
            send(res, 200, full);
        }
      },
      { retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20 } },
    );
    const page = await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(page.changes).toHaveLength(3);
    expect(server.requests).toHaveLength(5);
  });

  it("gives up after maxThrottledAttempts with EWS_THROTTLED", async () => {
    const { server, client } = await setup((_req, res) => send(res, 503, "busy"), {
      retry: { maxAttempts: 2, maxThrottledAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_THROTTLED")).toBe(true);
    expect(error.details?.attempts).toBe(4);
    expect(server.requests).toHaveLength(4);
  });

  it("does not retry a DTD-carrying response (EWS_MALFORMED_RESPONSE)", async () => {
    const { server, client } = await setup((_req, res) =>
      send(res, 200, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`),
    );
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_MALFORMED_RESPONSE")).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("aborts a backoff wait with EWS_ABORTED", async () => {
    const { server, client } = await setup((_req, res) =>
      send(res, 500, soapFault("ErrorServerBusy", 10_000)),
    );
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(
      client.syncFolderItems("user@example.com", FOLDER_ID, { signal: controller.signal }),
    );
    expect(isEwsVaultError(error, "EWS_ABORTED")).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });

  it("times out a request that never answers (EWS_TIMEOUT)", async () => {
    const { server, client } = await setup(() => {}, {
      requestTimeoutMs: 200,
      retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    });
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_TIMEOUT")).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it("reports a closed port as EWS_UNREACHABLE", async () => {
    const server = await startCannedServer(() => {});
    const url = server.url;
    await server.stop();
    const client = createEwsClient({
      url,
      allowInsecureAuth: true,
      auth: { kind: "basic", username: "u", password: PASSWORD },
      retry: { maxAttempts: 2, baseDelayMs: 5 },
    });
    clients.push(client);
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_UNREACHABLE")).toBe(true);
    expect(JSON.stringify(error.details)).not.toContain(PASSWORD);
  });
});

describe("transport: connections and concurrency", () => {
  it("reuses keep-alive connections for sequential requests", async () => {
    const { server, client } = await setup((_req, res) => send(res, 200, syncFolderItemsOk()));
    for (let i = 0; i < 10; i++) await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(server.requests).toHaveLength(10);
    // undici may open a second socket while the first is being released; never one per request.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it("never has more than maxConcurrency requests in flight", async () => {
    const { server, client } = await setup(
      (_req, res) => {
        setTimeout(() => send(res, 200, syncFolderItemsOk()), 100);
      },
      { maxConcurrency: 3 },
    );
    await Promise.all(
      Array.from({ length: 12 }, () => client.syncFolderItems("user@example.com", FOLDER_ID)),
    );
    expect(server.requests).toHaveLength(12);
    expect(server.peakConcurrency()).toBeLessThanOrEqual(3);
    expect(server.peakConcurrency()).toBeGreaterThan(1);
    expect(server.connections()).toBeLessThanOrEqual(3);
  });

  it("aborts a request in flight with EWS_ABORTED", async () => {
    const { client } = await setup(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejection(
      client.syncFolderItems("user@example.com", FOLDER_ID, { signal: controller.signal }),
    );
    expect(isEwsVaultError(error, "EWS_ABORTED")).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(client.gate.inFlight).toBe(0);
  });
});

describe("transport: error mapping, auth and headers", () => {
  it("maps HTTP 401 to EWS_AUTH_FAILED without the password anywhere in the error", async () => {
    const { server, client } = await setup((_req, res) =>
      send(res, 401, "", { "www-authenticate": "Basic" }),
    );
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_AUTH_FAILED")).toBe(true);
    expect(server.requests).toHaveLength(1);
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error.details)} ${String(error.cause)}`;
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`svc@example.com:${PASSWORD}`).toString("base64"));
  });

  it("maps mailbox-level faults to stable codes", async () => {
    const codes: Record<string, string> = {
      ErrorNonExistentMailbox: "EWS_MAILBOX_NOT_FOUND",
      ErrorImpersonateUserDenied: "EWS_IMPERSONATION_DENIED",
      ErrorInvalidSyncStateData: "EWS_INVALID_SYNC_STATE",
      ErrorAccessDenied: "EWS_ACCESS_DENIED",
      ErrorSchemaValidation: "EWS_SERVER_ERROR",
    };
    let next = "";
    const { client } = await setup((_req, res) => send(res, 500, soapFault(next)));
    for (const [responseCode, code] of Object.entries(codes)) {
      next = responseCode;
      const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
      expect([responseCode, error.code]).toEqual([responseCode, code]);
      expect(error.details?.responseCode).toBe(responseCode);
    }
  });

  it("maps a failed SyncFolderItems ResponseMessage (ErrorInvalidSyncStateData) to EWS_INVALID_SYNC_STATE", async () => {
    const { client } = await setup((_req, res) =>
      send(
        res,
        200,
        `${syncFolderItemsOk().split("<m:ResponseMessages>")[0]}<m:ResponseMessages>${errorMessage("SyncFolderItems", "ErrorInvalidSyncStateData")}</m:ResponseMessages></m:SyncFolderItemsResponse></s:Body></s:Envelope>`,
      ),
    );
    const error = await rejection(
      client.syncFolderItems("user@example.com", FOLDER_ID, { syncState: "bad" }),
    );
    expect(isEwsVaultError(error, "EWS_INVALID_SYNC_STATE")).toBe(true);
  });

  it("sends Basic auth, X-AnchorMailbox and ExchangeImpersonation for another mailbox only", async () => {
    const { server, client } = await setup((_req, res) => send(res, 200, syncFolderItemsOk()));
    const page = await client.syncFolderItems("other@example.com", FOLDER_ID);
    expect(page.changes.map((c) => c.kind)).toEqual(["create", "delete", "readFlag"]);
    const create = page.changes[0];
    expect(create?.kind === "create" && create.item).toMatchObject({
      itemId: "item-1",
      changeKey: "ck-1",
      subject: "Hello & welcome",
      size: 1234,
      searchKey: "q83vEjRW",
    });
    await client.syncFolderItems("svc@example.com", FOLDER_ID);
    const [other, own] = server.requests;
    expect(other?.headers.authorization).toBe(
      `Basic ${Buffer.from(`svc@example.com:${PASSWORD}`).toString("base64")}`,
    );
    expect(other?.headers["x-anchormailbox"]).toBe("other@example.com");
    expect(other?.body).toContain("<t:SmtpAddress>other@example.com</t:SmtpAddress>");
    expect(own?.body).not.toContain("ExchangeImpersonation");
    expect(own?.headers["x-anchormailbox"]).toBe("svc@example.com");
  });

  it("uses delegate access (Mailbox in DistinguishedFolderId) when impersonation is off", async () => {
    const { server, client } = await setup((_req, res) => send(res, 200, syncFolderItemsOk()), {
      impersonation: false,
    });
    await client.syncFolderItems("other@example.com", "inbox");
    expect(server.requests[0]?.body).not.toContain("ExchangeImpersonation");
    expect(server.requests[0]?.body).toContain(
      '<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>other@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>',
    );
  });

  it("sends the bearer token from getToken and never leaks it into errors", async () => {
    const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.secret-token";
    let calls = 0;
    const { server, client } = await setup(
      (req, res) => {
        if (req.n === 1) send(res, 200, syncFolderItemsOk());
        else send(res, 403, "forbidden");
      },
      {
        auth: {
          kind: "bearer",
          getToken: async () => {
            calls++;
            return token;
          },
        },
      },
    );
    await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${token}`);
    // Bearer without a username: always impersonate.
    expect(server.requests[0]?.body).toContain("<t:SmtpAddress>user@example.com</t:SmtpAddress>");
    const error = await rejection(client.syncFolderItems("user@example.com", FOLDER_ID));
    expect(isEwsVaultError(error, "EWS_AUTH_FAILED")).toBe(true);
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain(token);
    expect(calls).toBe(2);
  });

  it("on 401 invalidates a supplier that can refresh and retries once with a fresh token", async () => {
    let issued = 0;
    let invalidated = 0;
    const getToken = Object.assign(async () => `token-${issued + 1}`, {
      invalidate: () => {
        invalidated++;
        issued++;
      },
    });
    const { server, client } = await setup(
      (req, res) => {
        if (req.headers.authorization === "Bearer token-1") send(res, 401, "");
        else send(res, 200, syncFolderItemsOk());
      },
      { auth: { kind: "bearer", getToken } },
    );
    await client.syncFolderItems("user@example.com", FOLDER_ID);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer token-1", "Bearer token-2"]);
    expect(invalidated).toBe(1);
  });

  it("refuses programmer mistakes with TypeError", () => {
    expect(() =>
      createEwsClient({
        url: "ftp://x",
        auth: { kind: "basic", username: "a", password: "b" },
      }),
    ).toThrow(TypeError);
    expect(() =>
      createEwsClient({
        url: "https://u:p@x/EWS/Exchange.asmx",
        auth: { kind: "basic", username: "a", password: "b" },
      }),
    ).toThrow(TypeError);
    expect(() =>
      createEwsClient({
        url: "https://x/EWS/Exchange.asmx",
        auth: { kind: "ntlm" } as unknown as EwsClientOptions["auth"],
      }),
    ).toThrow(/ntlm auth needs username and password/);
    expect(() =>
      createEwsClient({
        url: "https://x/EWS/Exchange.asmx",
        auth: { kind: "kerberos" } as unknown as EwsClientOptions["auth"],
      }),
    ).toThrow(TypeError);
  });
});
