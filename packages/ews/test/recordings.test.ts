// Response parsing against real Exchange Online recordings (../shared/ews-spec): GetFolder,
// SyncFolderItems, Find paging, per-item errors, entities and Autodiscover.
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { parseAutodiscoverResponse } from "../src/autodiscover.js";
import { folderElements, parseFindPage, parseFolder, parseItem, parseItemChanges } from "../src/responses.js";
import { interpretEnvelope, isSuccess, responseMessages } from "../src/soap.js";
import { child, childText, parseXml } from "../src/xml-parser.js";
import { recordings } from "./shared-spec.js";

const all = recordings();

function soapBody(body: string) {
  const soap = interpretEnvelope(parseXml(body));
  if (soap?.body === undefined) throw new Error("no SOAP body");
  return soap;
}

describe("recorded Exchange Online responses", () => {
  it("parses every recorded response body without error", () => {
    let soapCount = 0;
    let autodiscoverCount = 0;
    let transportErrors = 0;
    for (const recording of all) {
      if (recording.body === "") {
        // Transport failures recorded by the client (DNS, redirects): nothing to parse.
        expect(recording.error || (recording.statusCode ?? 0) >= 300).toBe(true);
        transportErrors++;
        continue;
      }
      if (recording.body.includes("<html")) {
        // An HTML error page from a front end: must be refused as malformed, not crash.
        expect(() => parseAutodiscoverResponse(recording.body)).toThrowError(
          expect.objectContaining({ code: "EWS_MALFORMED_RESPONSE" }),
        );
        continue;
      }
      const root = parseXml(recording.body);
      if (root.name === "Autodiscover") {
        expect(parseAutodiscoverResponse(recording.body).kind).toBe("settings");
        autodiscoverCount++;
        continue;
      }
      const soap = interpretEnvelope(root);
      expect(soap?.body, `${recording.file}#${recording.index}`).toBeDefined();
      expect(soap?.serverVersion).toBe("V2018_01_08");
      const messages = responseMessages(soap?.body as NonNullable<typeof soap>["body"] & object);
      expect(messages.length, `${recording.file}#${recording.index}`).toBeGreaterThan(0);
      for (const message of messages) {
        expect(["Success", "Warning", "Error"]).toContain(message.responseClass);
        expect(message.responseCode).toMatch(/^(NoError|Error\w+)$/);
      }
      soapCount++;
    }
    expect(soapCount).toBeGreaterThan(170);
    expect(autodiscoverCount).toBe(1);
    expect(transportErrors).toBeGreaterThan(0);
  });

  it("reads GetFolder for a distinguished folder", () => {
    const recording = all.find((r) => r.file === "APITest.testGetFolderByDistinguishedId.json");
    const soap = soapBody(recording?.body ?? "");
    expect(soap.body?.name).toBe("GetFolderResponse");
    const [message] = responseMessages(soap.body as NonNullable<typeof soap.body>);
    expect(message?.responseClass).toBe("Success");
    expect(message?.responseCode).toBe("NoError");
    const folder = folderElements(child(message?.element, "Folders"))[0];
    const info = parseFolder(folder as NonNullable<typeof folder>);
    expect(info.displayName).toBe("Calendar");
    expect(info.folderId).toMatch(/^AQMkADllMTlh/);
    expect(info.changeKey).toBe("AgAAABYAAAC30utV9Qm1Tp6i563HuBDKAAER7Am7");
    expect(info.totalCount).toBe(0);
  });

  it("reads an ErrorItemNotFound response message", () => {
    const recording = all.find((r) => r.file === "APITest.testDeleteItemsFail.json" && r.index === 2);
    const soap = soapBody(recording?.body ?? "");
    const [message] = responseMessages(soap.body as NonNullable<typeof soap.body>);
    expect(message?.responseClass).toBe("Error");
    expect(message?.responseCode).toBe("ErrorItemNotFound");
    expect(message && isSuccess(message)).toBe(false);
    expect(message?.messageText).toContain("not found in the store");
  });

  it("reads SyncFolderItems changes, sync state and IncludesLastItemInRange", () => {
    const recording = all.find(
      (r) => r.file === "APITest.testListItemChanges_with_data_set__0.json" && r.index === 2,
    );
    const soap = soapBody(recording?.body ?? "");
    const [message] = responseMessages(soap.body as NonNullable<typeof soap.body>);
    expect(childText(message?.element, "SyncState")).toMatch(/^H4sIA/);
    expect(childText(message?.element, "IncludesLastItemInRange")).toBe("true");
    const changes = parseItemChanges(child(message?.element, "Changes"));
    expect(changes).toHaveLength(1);
    const change = changes[0];
    expect(change?.kind).toBe("create");
    if (change?.kind !== "create") throw new Error("unreachable");
    expect(change.item.itemClass).toBe("IPM.Appointment");
    expect(change.item.subject).toBe("Test Sync Item Changes");
    expect(change.item.size).toBe(4194);
    expect(change.item.hasAttachments).toBe(false);
    expect(change.item.receivedAt).toBe("2020-09-10T14:15:11Z");
    expect(change.item.isAssociated).toBe(false);
    // An empty <m:Changes/> is no change at all.
    const empty = all.find(
      (r) => r.file === "APITest.testListItemChanges_with_data_set__0.json" && r.index === 3,
    );
    const emptySoap = soapBody(empty?.body ?? "");
    const [emptyMessage] = responseMessages(emptySoap.body as NonNullable<typeof emptySoap.body>);
    expect(parseItemChanges(child(emptyMessage?.element, "Changes"))).toEqual([]);
  });

  it("reads FindFolder / FindItem paging attributes", () => {
    const folders = all.find((r) => r.file === "APITest.testFolderPaging.json" && r.index === 3);
    const soap = soapBody(folders?.body ?? "");
    const [message] = responseMessages(soap.body as NonNullable<typeof soap.body>);
    const page = parseFindPage(message?.element as NonNullable<typeof message>["element"], "Folders", (e) =>
      parseFolder(e),
    );
    expect(page.entries.map((f) => f.displayName)).toEqual(["Deep 1", "Deep 2"]);
    expect(page.includesLast).toBe(false);
    expect(page.nextOffset).toBe(2);

    const items = all.find((r) => r.file === "ContactsAPITest.testPaging.json" && r.index === 3);
    const itemSoap = soapBody(items?.body ?? "");
    const [itemMessage] = responseMessages(itemSoap.body as NonNullable<typeof itemSoap.body>);
    const itemPage = parseFindPage(
      itemMessage?.element as NonNullable<typeof itemMessage>["element"],
      "Items",
      parseItem,
    );
    expect(itemPage.entries.map((i) => i.subject)).toEqual(["Doe 1", "John 5"]);
    expect(itemPage.entries[0]?.itemClass).toBe("IPM.Contact");
    expect(itemPage.includesLast).toBe(false);
    expect(itemPage.nextOffset).toBe(2);
  });

  it("decodes entities in text (WebClientReadFormQueryString keeps its &)", () => {
    const recording = all.find(
      (r) => r.file === "APITest.testListItemChanges_with_data_set__0.json" && r.index === 2,
    );
    const soap = soapBody(recording?.body ?? "");
    const [message] = responseMessages(soap.body as NonNullable<typeof soap.body>);
    const item = child(child(message?.element, "Changes"), "Create")?.children[0];
    expect(childText(item, "WebClientReadFormQueryString")).toContain("&exvsurl=1&path=/calendar/item");
  });

  it("reads the EWS URL from the recorded Autodiscover response", () => {
    const recording = all.find((r) => r.file === "ExchangeAutodiscoverTest.testGetAPI.json" && r.body !== "");
    const answer = parseAutodiscoverResponse(recording?.body ?? "");
    expect(answer).toEqual({ kind: "settings", ewsUrl: "https://outlook.office365.com/EWS/Exchange.asmx" });
  });

  it("refuses an Autodiscover error page as EWS_MALFORMED_RESPONSE", () => {
    const recording = all.find(
      (r) => r.file === "ExchangeAutodiscoverTest.testGetAPIFailure.json" && r.body !== "",
    );
    try {
      parseAutodiscoverResponse(recording?.body ?? "");
      expect.unreachable();
    } catch (error) {
      expect(isEwsVaultError(error, "EWS_MALFORMED_RESPONSE")).toBe(true);
    }
  });
});
