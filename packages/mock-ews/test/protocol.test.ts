// The HTTP/SOAP surface: authentication, impersonation, hostile or broken requests (the server
// answers with a fault and keeps serving), size limits, headers, Autodiscover and HTTPS.
import { request } from "node:https";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, envelope, impersonate, postRaw, responseCodes, soap } from "./helpers.js";

const GET_INBOX = `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`;

function faultCode(text: string): string | undefined {
  return /<e:ResponseCode[^>]*>([^<]+)<\/e:ResponseCode>/.exec(text)?.[1];
}

describe("HTTP and SOAP surface", () => {
  let server: MockEwsServer;
  let restricted: { username: string; password: string };
  const bearer = "test-bearer-token-0123456789";

  beforeAll(async () => {
    const probe = await startMockEwsServer({ seed: 2, mailboxes: 3, itemsPerMailbox: 10 });
    const boxes = probe.mailboxes;
    await probe.stop();
    restricted = { username: "helpdesk@contoso.test", password: "restricted-pw" };
    server = await startMockEwsServer({
      seed: 2,
      mailboxes: 3,
      itemsPerMailbox: 10,
      maxRequestBytes: 64 * 1024,
      users: [
        { username: "svc@contoso.test", password: "correct horse", token: bearer, impersonate: "*" },
        { ...restricted, smtpAddress: boxes[2]!, impersonate: [boxes[0]!] },
      ],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function stillServes(): Promise<void> {
    const ok = await soap(server, GET_INBOX);
    expect(ok.status).toBe(200);
    expect(responseCodes(ok.text)).toEqual(["NoError"]);
  }

  it("serves a request with ServerVersionInfo 15.1 and Exchange's prefixes", async () => {
    const ok = await soap(server, GET_INBOX);
    expect(ok.text).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?><s:Envelope xmlns:s=/);
    expect(ok.text).toContain('<h:ServerVersionInfo MajorVersion="15" MinorVersion="1"');
    expect(ok.text).toContain('<m:GetFolderResponseMessage ResponseClass="Success">');
  });

  it("answers 401 for a wrong password, no credentials, or an unknown token; accepts Bearer", async () => {
    const payload = envelope(GET_INBOX, impersonate(server.mailboxes[0]!));
    expect(
      (await postRaw(server.url, payload, { authorization: basicAuth("svc@contoso.test", "wrong") })).status,
    ).toBe(401);
    expect((await postRaw(server.url, payload, {})).status).toBe(401);
    expect((await postRaw(server.url, payload, { authorization: "Bearer nope" })).status).toBe(401);
    const ok = await postRaw(server.url, payload, { authorization: `Bearer ${bearer}` });
    expect(ok.status).toBe(200);
    expect(responseCodes(ok.text)).toEqual(["NoError"]);
  });

  it("impersonation: by PrimarySmtpAddress, SmtpAddress, PrincipalName; denied and unknown mailboxes fault", async () => {
    for (const element of ["PrimarySmtpAddress", "SmtpAddress", "PrincipalName"]) {
      const header = `<t:ExchangeImpersonation><t:ConnectingSID><t:${element}>${server.mailboxes[1]}</t:${element}></t:ConnectingSID></t:ExchangeImpersonation>`;
      const result = await postRaw(server.url, envelope(GET_INBOX, header), {
        authorization: basicAuth("svc@contoso.test", "correct horse"),
      });
      expect(responseCodes(result.text)).toEqual(["NoError"]);
    }
    const auth = basicAuth(restricted.username, restricted.password);
    const denied = await postRaw(server.url, envelope(GET_INBOX, impersonate(server.mailboxes[1]!)), {
      authorization: auth,
    });
    expect(denied.status).toBe(500);
    expect(faultCode(denied.text)).toBe("ErrorImpersonateUserDenied");
    const allowed = await postRaw(server.url, envelope(GET_INBOX, impersonate(server.mailboxes[0]!)), {
      authorization: auth,
    });
    expect(responseCodes(allowed.text)).toEqual(["NoError"]);
    const unknown = await postRaw(server.url, envelope(GET_INBOX, impersonate("nobody@contoso.test")), {
      authorization: auth,
    });
    expect(faultCode(unknown.text)).toBe("ErrorNonExistentMailbox");
    // Without impersonation the restricted user acts on its own mailbox; X-AnchorMailbox picks another it may access.
    const own = await postRaw(server.url, envelope(GET_INBOX), { authorization: auth });
    const anchored = await postRaw(server.url, envelope(GET_INBOX), {
      authorization: auth,
      "X-AnchorMailbox": server.mailboxes[0]!,
    });
    const id = (text: string) => /<t:FolderId Id="([^"]+)"/.exec(text)?.[1];
    expect(id(own.text)).toBe(server.folderId(server.mailboxes[2]!, "inbox"));
    expect(id(anchored.text)).toBe(server.folderId(server.mailboxes[0]!, "inbox"));
  });

  it("rejects DTDs and entity declarations with a fault before parsing, and keeps serving", async () => {
    const auth = basicAuth("svc@contoso.test", "correct horse");
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol2;</soap:Body></soap:Envelope>`;
    const external = `<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>`;
    const entityOnly = envelope(GET_INBOX).replace("<soap:Envelope", '<!ENTITY x "y"><soap:Envelope');
    for (const payload of [laughs, external, entityOnly]) {
      const result = await postRaw(server.url, payload, { authorization: auth });
      expect(result.status).toBe(500);
      expect(faultCode(result.text)).toBe("ErrorInvalidRequest");
      expect(result.text).not.toContain("root:");
    }
    await stillServes();
  });

  it("answers malformed XML, non-SOAP and unknown operations with faults, and keeps serving", async () => {
    const auth = basicAuth("svc@contoso.test", "correct horse");
    const cases: [string, string][] = [
      ["<soap:Envelope><unclosed>", "ErrorSchemaValidation"],
      ["\u0000\u0001 binary garbage \uFFFF", "ErrorSchemaValidation"],
      ["", "ErrorSchemaValidation"],
      // Exchange validates the body against its schema: an undeclared element fails it.
      ["<just-xml/>", "ErrorSchemaValidation"],
      [envelope("<m:LaunchRockets/>"), "ErrorSchemaValidation"],
      [
        envelope(GET_INBOX).replace('Version="Exchange2016"', 'Version="Exchange1999"'),
        "ErrorInvalidServerVersion",
      ],
    ];
    for (const [payload, code] of cases) {
      const result = await postRaw(server.url, payload, { authorization: auth });
      expect(result.status, payload).toBe(500);
      expect(faultCode(result.text), payload).toBe(code);
    }
    // Semantically odd but well-formed requests get EWS errors, never crashes.
    const odd = await soap(
      server,
      `<m:GetItem><m:ItemIds><t:ItemId/><t:ItemId Id=""/><t:ItemId Id="%%%"/></m:ItemIds></m:GetItem>`,
    );
    expect(responseCodes(odd.text)).toEqual([
      "ErrorInvalidIdEmpty",
      "ErrorInvalidIdEmpty",
      "ErrorInvalidIdMalformed",
    ]);
    await stillServes();
  });

  it("answers 413 with ErrorMessageSizeExceeded past maxRequestBytes", async () => {
    const big = envelope(
      `<m:GetItem><m:ItemIds><t:ItemId Id="${"A".repeat(70 * 1024)}"/></m:ItemIds></m:GetItem>`,
    );
    const result = await postRaw(server.url, big, {
      authorization: basicAuth("svc@contoso.test", "correct horse"),
    });
    expect(result.status).toBe(413);
    expect(faultCode(result.text)).toBe("ErrorMessageSizeExceeded");
    await stillServes();
  });

  it("Autodiscover (POX and SOAP) answers the EWS URL", async () => {
    const auth = { authorization: basicAuth("svc@contoso.test", "correct horse") };
    const base = server.url.replace("/EWS/Exchange.asmx", "");
    const pox = await postRaw(
      `${base}/autodiscover/autodiscover.xml`,
      `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${server.mailboxes[0]}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`,
      auth,
    );
    expect(pox.status).toBe(200);
    expect(pox.text).toContain(`<EwsUrl>${server.url}</EwsUrl>`);
    const svc = await postRaw(
      `${base}/autodiscover/autodiscover.svc`,
      `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover"><soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users><a:User><a:Mailbox>${server.mailboxes[1]}</a:Mailbox></a:User></a:Users><a:RequestedSettings><a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>`,
      auth,
    );
    expect(svc.text).toContain(`<Name>ExternalEwsUrl</Name><Value>${server.url}</Value>`);
    expect(svc.text).toContain("<ErrorCode>NoError</ErrorCode>");
  });

  it("serves HTTPS with a self-signed certificate the client can trust", async () => {
    const tls = await startMockEwsServer({ seed: 2, mailboxes: 1, itemsPerMailbox: 5, tls: true });
    try {
      expect(tls.url.startsWith("https://127.0.0.1:")).toBe(true);
      expect(tls.certificate).toContain("BEGIN CERTIFICATE");
      const text = await new Promise<string>((resolve, reject) => {
        const req = request(
          tls.url,
          {
            method: "POST",
            ca: tls.certificate,
            headers: {
              authorization: basicAuth(tls.credentials.username, tls.credentials.password),
              "content-type": "text/xml",
            },
          },
          (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              body += chunk;
            });
            res.on("end", () => resolve(body));
          },
        );
        req.on("error", reject);
        req.end(envelope(GET_INBOX, impersonate(tls.mailboxes[0]!)));
      });
      expect(responseCodes(text)).toEqual(["NoError"]);
    } finally {
      await tls.stop();
    }
  });
});
