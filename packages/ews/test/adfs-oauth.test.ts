// On-premises modern authentication (Exchange 2019 CU13+ and SE with AD FS): the client-credentials
// grant against an AD FS-style token endpoint, which names the target by `resource` (its OAuth 2.0
// form) rather than by a v2 `scope`, and the bearer token then used against an HTTPS EWS endpoint.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { describe, expect, it } from "vitest";
import { createClientCredentialsTokenSupplier, createEwsClient } from "../src/index.js";

const TOKEN = "adfs-issued-access-token";

/** Mimics AD FS /adfs/oauth2/token: client_credentials with a `resource`, else invalid_request. */
async function adfs() {
  const forms: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      forms.push(form);
      const ok =
        form.get("grant_type") === "client_credentials" &&
        form.get("client_id") === "ewsvault-app" &&
        form.get("client_secret") === "adfs-secret" &&
        form.get("resource") === "https://mail.contoso.test";
      res.writeHead(ok ? 200 : 400, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          ok
            ? { access_token: TOKEN, token_type: "bearer", expires_in: 3600, resource: form.get("resource") }
            : {
                error: "invalid_request",
                error_description: "MSIS9602: The received 'resource' is invalid.",
              },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    tokenUrl: `http://127.0.0.1:${port}/adfs/oauth2/token`,
    forms,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("OAuth client credentials against AD FS (on-premises)", () => {
  it("asks for the Exchange resource, not a scope, and the token opens the HTTPS EWS endpoint", async () => {
    const tokens = await adfs();
    const server = await startMockEwsServer({
      tls: true,
      auth: ["bearer"],
      mailboxes: 1,
      itemsPerMailbox: 2,
      users: [{ username: "ewsvault-app@contoso.test", password: "unused", token: TOKEN, impersonate: "*" }],
    });
    const getToken = createClientCredentialsTokenSupplier({
      tokenUrl: tokens.tokenUrl,
      clientId: "ewsvault-app",
      clientSecret: "adfs-secret",
      resource: "https://mail.contoso.test",
    });
    const client = createEwsClient({
      url: server.url,
      auth: { kind: "bearer", getToken },
      ca: server.certificate ?? "",
    });
    try {
      const info = await client.getMailboxInfo(server.mailboxes[0] as string);
      expect(info.distinguishedFolders.inbox).toBeDefined();
      const form = tokens.forms[0] as URLSearchParams;
      expect(form.get("resource")).toBe("https://mail.contoso.test");
      expect(form.has("scope")).toBe(false);
      // Entra-style (scope only) is what AD FS refuses: the option is what makes it work.
      const entraStyle = createClientCredentialsTokenSupplier({
        tokenUrl: tokens.tokenUrl,
        clientId: "ewsvault-app",
        clientSecret: "adfs-secret",
      });
      await expect(entraStyle()).rejects.toMatchObject({ code: "EWS_AUTH_FAILED" });
    } finally {
      await client.close();
      await server.stop();
      await tokens.stop();
    }
  });
});
