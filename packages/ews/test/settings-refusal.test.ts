// A server that lacks one settings operation or refuses another: that kind gets its per-kind
// result (EWS_OPERATION_UNSUPPORTED, EWS_ACCESS_DENIED) and every other kind is still read or
// written. A small proxy in front of mock-ews answers the chosen operations as an older or a
// locked-down Exchange would and forwards the rest.
import type { SettingsKind } from "@ewsvault/mailbox";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EwsClient } from "../src/index.js";
import { type CannedServer, soapFault } from "./canned-server.js";
import { mockClient, startForwardingServer } from "./forwarding-server.js";

const ALL: SettingsKind[] = ["inboxRules", "oof", "folderPermissions", "delegates", "userConfigurations"];
const NS =
  'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"';

/** The schema-validation fault of a server whose schema does not declare the operation (Exchange 2007). */
function notDeclaredFault(operation: string): string {
  const text = `The request failed schema validation: The element 'http://schemas.microsoft.com/exchange/services/2006/messages:${operation}' is not declared.`;
  return soapFault("ErrorSchemaValidation").replace(
    "ErrorSchemaValidation fault</faultstring>",
    `${text}</faultstring>`,
  );
}

/** A self-framed Exchange answer (GetDelegate, UpdateInboxRules) refusing the request. */
function selfFramedError(operation: string, code: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:${operation}Response ${NS} ResponseClass="Error"><m:MessageText>${code}</m:MessageText><m:ResponseCode>${code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:${operation}Response></s:Body></s:Envelope>`;
}

/** Operation -> canned answer; everything else goes to the mock. */
type Refusals = Record<string, () => { status: number; body: string }>;

let mock: MockEwsServer;
let proxy: CannedServer;
let refusals: Refusals = {};
let client: EwsClient;

beforeAll(async () => {
  mock = await startMockEwsServer({ seed: 16, mailboxes: 2, itemsPerMailbox: 2 });
  proxy = await startForwardingServer(mock.url, (request) => refusals[request.operation]?.());
  client = mockClient(mock, proxy.url);
});

afterAll(async () => {
  await client?.close();
  await proxy?.stop();
  await mock?.stop();
});

describe("settings on a server that lacks or refuses an operation", () => {
  it("reads: the missing kind is EWS_OPERATION_UNSUPPORTED, the refused one EWS_ACCESS_DENIED, the rest is read", async () => {
    refusals = {
      GetInboxRules: () => ({ status: 500, body: notDeclaredFault("GetInboxRules") }),
      GetDelegate: () => ({ status: 200, body: selfFramedError("GetDelegate", "ErrorAccessDenied") }),
    };
    const mailbox = mock.mailboxes[0]!;
    const read = await client.getSettings(mailbox, ALL, { folderIds: ["calendar"] });
    expect(read.inboxRules).toMatchObject({
      ok: false,
      code: "EWS_OPERATION_UNSUPPORTED",
      responseCode: "ErrorSchemaValidation",
    });
    expect(read.delegates).toMatchObject({
      ok: false,
      code: "EWS_ACCESS_DENIED",
      responseCode: "ErrorAccessDenied",
    });
    expect(read.oof?.ok).toBe(true);
    expect(read.userConfigurations?.ok).toBe(true);
    expect(read.folderPermissions?.ok).toBe(true);
    expect(read.folderPermissions?.ok && read.folderPermissions.value.length).toBe(1);
  });

  it("writes: the refused kind is reported, the others are written", async () => {
    refusals = {};
    const [from, to] = [mock.mailboxes[0]!, mock.mailboxes[1]!];
    const read = await client.getSettings(from, ["oof", "inboxRules"]);
    refusals = {
      UpdateInboxRules: () => ({
        status: 200,
        body: selfFramedError("UpdateInboxRules", "ErrorInvalidOperation"),
      }),
    };
    const oof = read.oof?.ok ? read.oof.value : undefined;
    const rules = read.inboxRules?.ok ? read.inboxRules.value : undefined;
    const withoutFolders = rules?.filter(
      (r) => !("MoveToFolder" in r.actions) && !("CopyToFolder" in r.actions),
    );
    const report = await client.applySettings(to, { oof, inboxRules: withoutFolders });
    expect(report.inboxRules).toMatchObject({ ok: false, failure: { code: "EWS_OPERATION_UNSUPPORTED" } });
    expect(report.oof?.ok).toBe(true);
    refusals = {};
    const back = await client.getSettings(to, ["oof"]);
    expect(back.oof).toEqual({ ok: true, value: oof });
  });
});
