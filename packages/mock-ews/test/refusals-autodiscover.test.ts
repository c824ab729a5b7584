// The refusals clients act on — throttling (default: the Exchange 2013+ SOAP fault) and an
// operation the server does not serve (the ErrorSchemaValidation fault Exchange gives an
// undeclared body element) — and Autodiscover's settings and version encoding.
import { type MockEwsServer, startMockEwsServer, type ThrottlingOptions } from "@ewsvault/mock-ews";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, envelope, postRaw, responseCodes, soap } from "./helpers.js";

const GET_INBOX = `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`;
const TYPES = "http://schemas.microsoft.com/exchange/services/2006/types";

describe("throttling refusal forms", () => {
  const servers: MockEwsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  const start = async (throttling: ThrottlingOptions) => {
    const server = await startMockEwsServer({ seed: 61, mailboxes: 1, itemsPerMailbox: 5, throttling });
    servers.push(server);
    return server;
  };

  it("by default an exhausted budget is an HTTP 500 ErrorServerBusy fault with BackOffMilliseconds in the detail", async () => {
    const server = await start({ burst: 1, rechargePerSecond: 0.5 });
    expect(responseCodes((await soap(server, GET_INBOX)).text)).toEqual(["NoError"]);
    const refused = await soap(server, GET_INBOX);
    expect(refused.status).toBe(500);
    expect(refused.text).toContain(`<faultcode xmlns:a="${TYPES}">a:ErrorServerBusy</faultcode>`);
    expect(refused.text).toMatch(
      new RegExp(
        `<detail><e:ResponseCode [^>]*>ErrorServerBusy</e:ResponseCode><e:Message [^>]*>[^<]+</e:Message><t:MessageXml xmlns:t="${TYPES}"><t:Value Name="BackOffMilliseconds">\\d+</t:Value></t:MessageXml></detail>`,
      ),
    );
    const backOff = Number(/Name="BackOffMilliseconds">(\d+)</.exec(refused.text)![1]);
    expect(backOff).toBeGreaterThan(1000);
    expect(backOff).toBeLessThanOrEqual(2000);
    expect(server.counters().throttledBy).toEqual({ concurrency: 0, budget: 1 });
  });

  it("the other forms stay selectable: response messages and HTTP 503", async () => {
    const messages = await start({ burst: 1, rechargePerSecond: 0.5, refusal: "responseMessage" });
    await soap(messages, GET_INBOX);
    const asMessage = await soap(messages, GET_INBOX);
    expect(asMessage.status).toBe(200);
    expect(responseCodes(asMessage.text)).toEqual(["ErrorServerBusy"]);
    expect(asMessage.text).toContain('<m:MessageXml><t:Value Name="BackOffMilliseconds">');
    const legacy = await start({ burst: 1, rechargePerSecond: 0.5, soapFault: false });
    await soap(legacy, GET_INBOX);
    expect((await soap(legacy, GET_INBOX)).status).toBe(200);
    const http503 = await start({ burst: 1, rechargePerSecond: 0.5, refusal: "http503" });
    await soap(http503, GET_INBOX);
    const unavailable = await soap(http503, GET_INBOX);
    expect(unavailable.status).toBe(503);
  });
});

describe("unknown and unserved operations", () => {
  let server: MockEwsServer;
  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 62, mailboxes: 1, itemsPerMailbox: 2 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answer the ErrorSchemaValidation fault Exchange gives an undeclared element, with its position", async () => {
    for (const name of ["LaunchRockets", "GetUserOofSettingsRequest", "Subscribe"]) {
      const payload = envelope(`\n<m:${name}/>`);
      const result = await postRaw(server.url, payload, {
        authorization: basicAuth(server.credentials.username, server.credentials.password),
      });
      expect(result.status).toBe(500);
      expect(result.text).toContain(`<faultcode xmlns:a="${TYPES}">a:ErrorSchemaValidation</faultcode>`);
      const violation = `The &apos;http://schemas.microsoft.com/exchange/services/2006/messages:${name}&apos; element is not declared.`;
      expect(result.text).toContain(
        `<faultstring xml:lang="en-US">The request failed schema validation: ${violation}</faultstring>`,
      );
      expect(result.text).toContain(
        `<t:MessageXml xmlns:t="${TYPES}"><t:LineNumber>2</t:LineNumber><t:LinePosition>2</t:LinePosition><t:Violation>${violation}</t:Violation></t:MessageXml>`,
      );
      // Never the answers that make clients retry with other schema versions.
      expect(result.text).not.toMatch(
        /ErrorInvalidRequest|ErrorInvalidServerVersion|ErrorIncorrectSchemaVersion/,
      );
    }
    expect(server.counters().rejected).toBe(3);
    expect(responseCodes((await soap(server, GET_INBOX)).text)).toEqual(["NoError"]);
  });
});

describe("Autodiscover", () => {
  let server: MockEwsServer;
  let base: string;
  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 63, mailboxes: 3, itemsPerMailbox: 2 });
    base = server.url.replace(/\/EWS\/Exchange\.asmx$/, "");
  });
  afterAll(async () => {
    await server?.stop();
  });
  const auth = () => ({ authorization: basicAuth(server.credentials.username, server.credentials.password) });

  it("POX ServerVersion encodes the build of the EWS ServerVersionInfo header", async () => {
    const pox = await postRaw(
      `${base}/autodiscover/autodiscover.xml`,
      `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${server.mailboxes[0]}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`,
      auth(),
    );
    const hex = /<ServerVersion>([0-9A-F]{8})<\/ServerVersion>/.exec(pox.text)![1]!;
    const value = Number.parseInt(hex, 16);
    const ews = await soap(server, GET_INBOX);
    const header = /MajorVersion="(\d+)" MinorVersion="(\d+)" MajorBuildNumber="(\d+)"/.exec(ews.text)!;
    expect([(value >>> 22) & 0x3f, (value >>> 16) & 0x3f, value & 0x7fff]).toEqual([
      Number(header[1]),
      Number(header[2]),
      Number(header[3]),
    ]);
    expect(value >>> 28).toBe(7);
    expect(hex).toBe("73C189CB");
  });

  it("GetUserSettings answers exactly the settings asked for, per user, with errors for the rest", async () => {
    const names = [
      "UserDisplayName",
      "UserDN",
      "UserDeploymentId",
      "InternalMailboxServer",
      "MailboxDN",
      "ActiveDirectoryServer",
      "CasVersion",
      "EwsSupportedSchemas",
      "InternalEwsUrl",
      "ExternalEwsUrl",
      "AutoDiscoverSMTPAddress",
      "ExternalMailboxServer",
      "AlternateMailboxes",
      "InternalOABUrl",
      "NoSuchSetting",
    ];
    const users = [server.mailboxes[1]!, "ghost@contoso.test"];
    const result = await postRaw(
      `${base}/autodiscover/autodiscover.svc`,
      `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover"><soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users>${users.map((u) => `<a:User><a:Mailbox>${u}</a:Mailbox></a:User>`).join("")}</a:Users><a:RequestedSettings>${names.map((n) => `<a:Setting>${n}</a:Setting>`).join("")}</a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>`,
      auth(),
    );
    expect(result.status).toBe(200);
    const responses = [...result.text.matchAll(/<UserResponse>(.*?)<\/UserResponse>/g)].map((m) => m[1]!);
    expect(responses).toHaveLength(2);
    const settings = [...responses[0]!.matchAll(/<UserSetting i:type="(\w+)"><Name>(\w+)<\/Name>/g)].map(
      (m) => m[2],
    );
    expect(settings).toEqual(names.slice(0, 13));
    expect(responses[0]).toContain(`<Name>InternalEwsUrl</Name><Value>${server.url}</Value>`);
    expect(responses[0]).toContain("<Name>CasVersion</Name><Value>15.01.2507.006</Value>");
    expect(responses[0]).toContain("Exchange2016</Value>");
    expect(responses[0]).toContain(
      "<UserSettingError><ErrorCode>SettingIsNotAvailable</ErrorCode><ErrorMessage>User setting is not available.</ErrorMessage><SettingName>InternalOABUrl</SettingName></UserSettingError>",
    );
    expect(responses[0]).toContain(
      "<UserSettingError><ErrorCode>InvalidSetting</ErrorCode><ErrorMessage>The requested setting is invalid.</ErrorMessage><SettingName>NoSuchSetting</SettingName></UserSettingError>",
    );
    expect(responses[1]).toContain("<ErrorCode>InvalidUser</ErrorCode>");
  });
});
