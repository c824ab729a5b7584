// TLS verification (self-signed refused unless allowInsecureTls), the OAuth client-credentials
// supplier (caching, expiry, refusal without the secret) and POX Autodiscover over loopback.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { selfSignedCert, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientCredentialsTokenSupplier, createEwsClient, resolveEwsUrl } from "../src/index.js";
import { FOLDER_ID, send, startCannedServer, syncFolderItemsOk } from "./canned-server.js";

let tls: { key: string; cert: string };
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const dir = await tempDir("ews-tls-");
  cleanup = dir.cleanup;
  const { key, cert } = selfSignedCert(dir.path);
  tls = { key, cert };
});
afterAll(async () => {
  await cleanup?.();
});

describe("TLS", () => {
  it("rejects a self-signed certificate by default with EWS_TLS, without retrying", async () => {
    const server = await startCannedServer((_req, res) => send(res, 200, syncFolderItemsOk()), tls);
    const client = createEwsClient({
      url: server.url,
      auth: { kind: "basic", username: "u@example.com", password: "pw-secret" },
      retry: { maxAttempts: 3, baseDelayMs: 5 },
    });
    try {
      await client.syncFolderItems("u@example.com", FOLDER_ID);
      expect.unreachable();
    } catch (error) {
      expect(isEwsVaultError(error, "EWS_TLS")).toBe(true);
      expect(String((error as Error).message)).not.toContain("pw-secret");
    } finally {
      await client.close();
      await server.stop();
    }
    expect(server.requests).toHaveLength(0);
  });

  it("accepts it only with allowInsecureTls: true, and warns exactly once", async () => {
    const server = await startCannedServer((_req, res) => send(res, 200, syncFolderItemsOk()), tls);
    const warnings: string[] = [];
    const client = createEwsClient({
      url: server.url,
      auth: { kind: "basic", username: "u@example.com", password: "pw-secret" },
      allowInsecureTls: true,
      logger: { warn: (message) => warnings.push(message) },
    });
    try {
      await client.syncFolderItems("u@example.com", FOLDER_ID);
      await client.syncFolderItems("u@example.com", FOLDER_ID);
    } finally {
      await client.close();
      await server.stop();
    }
    expect(server.requests).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/TLS certificate verification is DISABLED/);
    expect(warnings.join(" ")).not.toContain("pw-secret");
  });
});

async function tokenServer(
  handler: (body: URLSearchParams, req: IncomingMessage) => { status: number; json: unknown },
) {
  const seen: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = new URLSearchParams(Buffer.concat(chunks).toString());
      seen.push(body);
      const { status, json } = handler(body, req);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tenant/oauth2/v2.0/token`,
    seen,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("OAuth client credentials", () => {
  it("POSTs grant_type=client_credentials, caches the token until expiry and shares one request", async () => {
    let issued = 0;
    const server = await tokenServer(() => ({
      status: 200,
      json: { access_token: `token-${++issued}`, expires_in: 3600, token_type: "Bearer" },
    }));
    try {
      const getToken = createClientCredentialsTokenSupplier({
        tokenUrl: server.url,
        clientId: "app-id",
        clientSecret: "client-secret-value",
      });
      const tokens = await Promise.all([getToken(), getToken(), getToken()]);
      expect(tokens).toEqual(["token-1", "token-1", "token-1"]);
      expect(await getToken()).toBe("token-1");
      expect(server.seen).toHaveLength(1);
      const form = server.seen[0] as URLSearchParams;
      expect(form.get("grant_type")).toBe("client_credentials");
      expect(form.get("client_id")).toBe("app-id");
      expect(form.get("client_secret")).toBe("client-secret-value");
      expect(form.get("scope")).toBe("https://outlook.office365.com/.default");
      getToken.invalidate();
      expect(await getToken()).toBe("token-2");
    } finally {
      await server.stop();
    }
  });

  it("refetches once expired (expires_in within the skew)", async () => {
    let issued = 0;
    const server = await tokenServer(() => ({
      status: 200,
      json: { access_token: `t${++issued}`, expires_in: 30 },
    }));
    try {
      const getToken = createClientCredentialsTokenSupplier({
        tokenUrl: server.url,
        clientId: "a",
        clientSecret: "b",
      });
      expect(await getToken()).toBe("t1");
      expect(await getToken()).toBe("t2");
    } finally {
      await server.stop();
    }
  });

  it("maps a refused grant to EWS_AUTH_FAILED without the secret", async () => {
    const server = await tokenServer(() => ({
      status: 401,
      json: { error: "invalid_client", error_description: "bad secret" },
    }));
    try {
      const getToken = createClientCredentialsTokenSupplier({
        tokenUrl: server.url,
        clientId: "a",
        clientSecret: "client-secret-value",
      });
      const error = (await getToken().then(
        () => new Error("resolved"),
        (e: unknown) => e,
      )) as Error & { details: unknown };
      expect(isEwsVaultError(error, "EWS_AUTH_FAILED")).toBe(true);
      expect(`${error.message} ${JSON.stringify(error.details)}`).toContain("invalid_client");
      expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain("client-secret-value");
    } finally {
      await server.stop();
    }
  });
});

describe("Autodiscover (POX)", () => {
  it("follows redirectAddr and reads EwsUrl, trying candidates in order", async () => {
    const settings = (ews: string) =>
      `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXCH</Type><EwsUrl>https://internal/EWS/Exchange.asmx</EwsUrl></Protocol><Protocol><Type>EXPR</Type><EwsUrl>${ews}</EwsUrl></Protocol></Account></Response></Autodiscover>`;
    const redirect = `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><Action>redirectAddr</Action><RedirectAddr>real@contoso.example</RedirectAddr></Account></Response></Autodiscover>`;
    const server = await startCannedServer((req, res) => {
      if (req.n === 1) send(res, 404, "not here");
      else if (req.body.includes("alias@example.com")) send(res, 200, redirect);
      else send(res, 200, settings("https://mail.contoso.example/EWS/Exchange.asmx"));
    });
    try {
      const broken = server.url.replace("/EWS/Exchange.asmx", "/missing/autodiscover.xml");
      const good = server.url.replace("/EWS/Exchange.asmx", "/autodiscover/autodiscover.xml");
      const url = await resolveEwsUrl("alias@example.com", {
        candidates: [broken, good],
        allowInsecureAuth: true,
        auth: { kind: "basic", username: "alias@example.com", password: "pw" },
      });
      expect(url).toBe("https://mail.contoso.example/EWS/Exchange.asmx");
      expect(server.requests.map((r) => r.body.includes("real@contoso.example"))).toEqual([
        false,
        false,
        true,
      ]);
      expect(server.requests[1]?.headers.authorization).toMatch(/^Basic /);
    } finally {
      await server.stop();
    }
  });

  it("reports EWS_AUTH_FAILED on 401", async () => {
    const server = await startCannedServer((_req, res) => send(res, 401, ""));
    try {
      await expect(
        resolveEwsUrl("a@example.com", {
          candidates: [server.url.replace("EWS/Exchange.asmx", "autodiscover/autodiscover.xml")],
        }),
      ).rejects.toSatisfy((e: unknown) => isEwsVaultError(e, "EWS_AUTH_FAILED"));
    } finally {
      await server.stop();
    }
  });
});
