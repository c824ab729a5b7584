// Every request body the client builds, and the SOAP headers, validated against Exchange 2016's
// messages.xsd (xmllint), with a schema-invalid body to prove the check is not vacuous.
import { ensureCommand, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createFolderRequest,
  DISTINGUISHED_FOLDER_NAMES,
  exportItemsRequest,
  findFolderRequest,
  findItemRequest,
  getFolderRequest,
  getMimeContentRequest,
  probeFoldersRequest,
  syncFolderHierarchyRequest,
  syncFolderItemsRequest,
  uploadItemsRequest,
} from "../src/requests.js";
import { soapEnvelope } from "../src/soap.js";
import { parseXml } from "../src/xml-parser.js";
import type { XmlFragment } from "../src/xml-writer.js";
import { validateAll as validateWithSchema } from "./xsd-validate.js";

let xmllint: string;
let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  xmllint = ensureCommand("xmllint", "libxml2-utils");
  dir = await tempDir("ews-schema-");
});
afterAll(async () => {
  await dir.cleanup();
});

/** Validates many documents in one xmllint run. */
function validateAll(xmls: readonly string[]): { ok: boolean; output: string }[] {
  return validateWithSchema(xmllint, dir.path, xmls);
}
function validate(xml: string): { ok: boolean; output: string } {
  return validateAll([xml])[0] as { ok: boolean; output: string };
}

const ID =
  "AAMkADllMTlhYmUxLTg5MTctNDI4ZS1iNDdlLTM2NTk2Y2E5ODA0MwBGAAAAAADW58Si2h5DR47ERsh76m/ZBwC30utV9Qm1Tp6i563HuBDKAAER9URjAAA=";

const requests: Record<string, XmlFragment> = {
  "GetFolder (all distinguished, impersonation)": getFolderRequest(DISTINGUISHED_FOLDER_NAMES),
  "GetFolder (delegate)": getFolderRequest(["inbox", "msgfolderroot"], "other@example.com"),
  "GetFolder (change probe of many folders)": probeFoldersRequest(Array.from({ length: 200 }, () => ID)),
  "GetFolder (change probe, delegate)": probeFoldersRequest([ID, "inbox"], "other@example.com"),
  "SyncFolderHierarchy (first)": syncFolderHierarchyRequest("msgfolderroot", undefined),
  "SyncFolderHierarchy (state)": syncFolderHierarchyRequest(ID, "H4sIAAAAAAAEAGNgYGcAAotqE0tHE2NT"),
  "SyncFolderItems (first)": syncFolderItemsRequest({ folderId: "inbox", maxChanges: 512 }),
  "SyncFolderItems (state, associated, delegate)": syncFolderItemsRequest({
    folderId: ID,
    syncState: "H4sIAAAA",
    maxChanges: 10,
    includeAssociated: true,
    delegateMailbox: "x@example.com",
  }),
  FindItem: findItemRequest({ folderId: ID, offset: 500, pageSize: 500 }),
  "FindItem (associated)": findItemRequest({ folderId: "inbox", offset: 0, pageSize: 10, associated: true }),
  "FindFolder (deep)": findFolderRequest({ folderId: "msgfolderroot", offset: 0, pageSize: 500, deep: true }),
  "FindFolder (shallow public)": findFolderRequest({
    folderId: "publicfoldersroot",
    offset: 0,
    pageSize: 5,
    deep: false,
  }),
  ExportItems: exportItemsRequest([ID, `${ID}x`]),
  "GetItem (MimeContent)": getMimeContentRequest(ID),
  CreateFolder: createFolderRequest({
    parentFolderId: "msgfolderroot",
    displayName: `Restored <"&'> ${"ü"}`,
    folderClass: "IPF.Note",
  }),
  "CreateFolder (no class)": createFolderRequest({ parentFolderId: ID, displayName: "x" }),
  UploadItems: uploadItemsRequest([
    { parentFolderId: ID, data: new Uint8Array([1, 2, 3]), mode: "CreateNew" },
    { parentFolderId: ID, data: new Uint8Array([4, 5]), mode: "Update", itemId: ID, isAssociated: true },
    { parentFolderId: ID, data: new Uint8Array([6]), mode: "UpdateOrCreate", itemId: ID },
  ]),
};

describe("generated requests validate against the Exchange 2016 messages.xsd", () => {
  it("every operation body the client sends", () => {
    const names = Object.keys(requests);
    const results = validateAll(names.map((name) => (requests[name] as XmlFragment).xml));
    const failures = names
      .filter((_, i) => !results[i]?.ok)
      .map((name, i) => `${name}: ${results[i]?.output}`);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(17);
  });

  it("the SOAP headers (RequestServerVersion, ExchangeImpersonation) validate too", () => {
    const envelope = soapEnvelope(exportItemsRequest([ID]), {
      serverVersion: "Exchange2013_SP1",
      impersonate: "user@example.com",
    });
    const header = parseXml(envelope).children[0];
    expect(header?.name).toBe("Header");
    const ns = `xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"`;
    const start = envelope.indexOf("<soap:Header>") + "<soap:Header>".length;
    const end = envelope.indexOf("</soap:Header>");
    const inner = envelope.slice(start, end);
    const [version, impersonation] = inner.split(/(?=<t:ExchangeImpersonation)/);
    for (const part of [version, impersonation]) {
      const standalone = (part as string).replace(/^<(t:\w+)/, `<$1 ${ns}`);
      const result = validate(standalone);
      expect(result.output).toBe("");
      expect(result.ok).toBe(true);
    }
    expect(inner).toContain("<t:SmtpAddress>user@example.com</t:SmtpAddress>");
  });

  it("a schema-invalid body is caught (the check is not vacuous)", () => {
    const wrongOrder = requests.FindItem?.xml.replace(
      /(<m:IndexedPageItemView[^>]*\/>)(<m:ParentFolderIds>.*<\/m:ParentFolderIds>)/,
      "$2$1",
    );
    expect(wrongOrder).not.toBe(requests.FindItem?.xml);
    expect(validate(wrongOrder as string).ok).toBe(false);
  });
});
