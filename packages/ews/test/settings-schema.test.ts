// Every settings request the client sends (reads of all kinds, writes of all kinds, a rule
// using every predicate and action value shape) validated against Exchange 2016's messages.xsd:
// the shapes are Exchange's, not only what mock-ews accepts. The requests are recorded on
// their way to mock-ews.
import type { InboxRule } from "@ewsvault/mailbox";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { ensureCommand, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CannedServer } from "./canned-server.js";
import { mockClient, operationElement, startForwardingServer } from "./forwarding-server.js";
import { validateAll } from "./xsd-validate.js";

let mock: MockEwsServer;
let proxy: CannedServer;
let xmllint: string;
let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  xmllint = ensureCommand("xmllint", "libxml2-utils");
  dir = await tempDir("ews-settings-schema-");
  mock = await startMockEwsServer({ seed: 16, mailboxes: 3, itemsPerMailbox: 2 });
  proxy = await startForwardingServer(mock.url, () => undefined);
});

afterAll(async () => {
  await proxy?.stop();
  await mock?.stop();
  await dir?.cleanup();
});

/** A rule with every value shape the port has (strings, addresses, booleans, choices, ranges, folders). */
const EVERY_SHAPE: InboxRule = {
  displayName: "every shape",
  priority: 1,
  isEnabled: false,
  conditions: {
    ContainsSubjectStrings: { strings: ["a", "b <&>"] },
    FromAddresses: { addresses: [{ emailAddress: "x@contoso.test", name: "X", routingType: "SMTP" }] },
    HasAttachments: { boolean: true },
    Importance: { choice: "High" },
    Sensitivity: { choice: "Private" },
    WithinDateRange: { dateRange: { start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z" } },
    WithinSizeRange: { sizeRange: { minimumSize: 1, maximumSize: 100 } },
  },
  exceptions: { SentToMe: { boolean: true } },
  actions: {
    AssignCategories: { strings: ["Red category"] },
    CopyToFolder: { folderId: "deleteditems", distinguished: true },
    MarkImportance: { choice: "Low" },
    ServerReplyWithMessage: { itemId: "AAMkAGl0ZW0=", changeKey: "CQAAAA==" },
    StopProcessingRules: { boolean: true },
  },
};

describe("settings requests against messages.xsd", () => {
  it("every request of a full read and a full write validates", async () => {
    const client = mockClient(mock, proxy.url);
    try {
      const [from, to] = [mock.mailboxes[1]!, mock.mailboxes[2]!];
      const kinds = ["inboxRules", "oof", "folderPermissions", "delegates", "userConfigurations"] as const;
      const read = await client.getSettings(from, kinds, { folderIds: ["calendar", "inbox"] });
      const values = Object.fromEntries(
        Object.entries(read).flatMap(([kind, result]) => (result?.ok ? [[kind, result.value]] : [])),
      );
      expect(Object.keys(values).sort()).toEqual([...kinds].sort());
      // A Custom permission entry carries the rights elements too.
      const [calendar] = values.folderPermissions as unknown as { permissions: unknown[] }[];
      calendar?.permissions.push({
        user: { primarySmtpAddress: from },
        level: "Custom",
        canCreateItems: true,
        canCreateSubFolders: false,
        isFolderOwner: false,
        isFolderVisible: true,
        isFolderContact: false,
        editItems: "Owned",
        deleteItems: "Owned",
        readItems: "FullDetails",
      });
      await client.applySettings(to, { ...values, inboxRules: [EVERY_SHAPE] }, { folderIdMap: new Map() });
    } finally {
      await client.close();
    }
    const operations = new Set(proxy.requests.map((r) => r.operation));
    for (const op of [
      "GetInboxRules",
      "UpdateInboxRules",
      "GetUserOofSettingsRequest",
      "SetUserOofSettingsRequest",
      "GetFolder",
      "UpdateFolder",
      "GetDelegate",
      "FindItem",
      "GetUserConfiguration",
      "CreateUserConfiguration",
    ])
      expect(operations, op).toContain(op);
    const results = validateAll(xmllint, dir.path, proxy.requests.map(operationElement));
    const invalid = results
      .map((result, i) => ({ ...result, operation: proxy.requests[i]?.operation }))
      .filter((r) => !r.ok);
    expect(invalid.map((r) => `${r.operation}: ${r.output}`)).toEqual([]);
    expect(results.length).toBe(proxy.requests.length);
  });
});
