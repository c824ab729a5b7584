// Golden vectors of the settings format v1 (docs/settings-document.md): the exact bytes of a
// kind's document and of the settings tree the engine writes. A change here is a format change:
// document it (and bump `v`), never just update the vectors.
import { createHash } from "node:crypto";
import { canonicalJson } from "@ewsvault/core";
import { describe, expect, it } from "vitest";
import {
  decodeSettingsDocument,
  encodeSettingsDocument,
  loadSettingsTree,
} from "../../src/engine/settings-document.js";
import { loadMailboxTree, writeMailboxTree } from "../../src/engine/snapshot-tree.js";
import { recordingWriter } from "../support/recording-writer.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("settings document golden vectors (settings format v1)", () => {
  it("an inbox rules document, byte for byte", () => {
    const bytes = encodeSettingsDocument(
      "inboxRules",
      [
        {
          displayName: "Boss",
          priority: 1,
          isEnabled: true,
          conditions: { FromAddresses: { addresses: [{ emailAddress: "boss@contoso.test", name: "Boss" }] } },
          exceptions: {},
          actions: { MoveToFolder: { folderId: "AAMkF1" }, StopProcessingRules: { boolean: true } },
        },
      ],
      [],
    );
    expect(text(bytes)).toBe(GOLDEN.rules);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(GOLDEN.rulesSha256);
    expect(decodeSettingsDocument("inboxRules", bytes).value[0]?.displayName).toBe("Boss");
  });

  it("an OOF document with an entry failure; a folder permission document (one folder)", () => {
    const oof = encodeSettingsDocument(
      "oof",
      {
        state: "Scheduled",
        externalAudience: "Known",
        duration: { start: "2026-12-24T00:00:00Z", end: "2027-01-02T00:00:00Z" },
        internalReply: { message: "Away", lang: "en-US" },
        externalReply: { message: "Away" },
      },
      [{ entry: "x", code: "EWS_SERVER_ERROR", message: "m", responseCode: "ErrorX" }],
    );
    expect(text(oof)).toBe(GOLDEN.oof);
    const permissions = encodeSettingsDocument("folderPermissions", [
      {
        folderId: "AAMkF1",
        calendar: false,
        permissions: [
          { user: { distinguishedUser: "Default" }, level: "None" },
          {
            user: { primarySmtpAddress: "ann@contoso.test", sid: "S-1-5-21-1" },
            level: "Reviewer",
            readItems: "FullDetails",
          },
        ],
      },
    ]);
    expect(text(permissions)).toBe(GOLDEN.permissions);
  });

  it("refuses another kind, another version, or bytes that are no settings document", () => {
    const bytes = encodeSettingsDocument("delegates", { users: [] });
    expect(() => decodeSettingsDocument("oof", bytes)).toThrow(
      expect.objectContaining({ code: "SETTINGS_DOCUMENT_INVALID" }),
    );
    const v2 = new TextEncoder().encode(text(bytes).replace('"v":1', '"v":2'));
    expect(() => decodeSettingsDocument("delegates", v2)).toThrow(
      expect.objectContaining({ code: "SETTINGS_DOCUMENT_INVALID" }),
    );
    expect(() => decodeSettingsDocument("delegates", new TextEncoder().encode("{}"))).toThrow(
      expect.objectContaining({ code: "SETTINGS_DOCUMENT_INVALID" }),
    );
  });

  it("the settings tree: per kind a document, a document list or a failure", async () => {
    const tree = {
      kind: "settings",
      v: 1,
      kinds: {
        inboxRules: { content: ["ab".repeat(32)], size: 310 },
        folderPermissions: { documents: [{ content: ["cd".repeat(32)], size: 200 }], entryFailures: [] },
        delegates: {
          failure: { code: "EWS_ACCESS_DENIED", message: "denied", responseCode: "ErrorAccessDenied" },
        },
      },
    };
    expect(canonicalJson(tree)).toBe(GOLDEN.tree);
    const loaded = await loadSettingsTree({ loadTree: async () => JSON.parse(GOLDEN.tree) }, "id");
    expect(loaded.kinds.delegates).toEqual(tree.kinds.delegates);
    await expect(loadSettingsTree({ loadTree: async () => ({ ...tree, v: 2 }) }, "id")).rejects.toMatchObject(
      { code: "SETTINGS_DOCUMENT_INVALID" },
    );
    await expect(
      loadSettingsTree({ loadTree: async () => ({ ...tree, kinds: { rules: { content: [] } } }) }, "id"),
    ).rejects.toMatchObject({ code: "SETTINGS_DOCUMENT_INVALID" });
  });
});

describe("the mailbox tree's settings reference", () => {
  it("is `settings: { subtree }` in the root tree, absent without settings", async () => {
    const { writer, trees } = recordingWriter();
    const none = async function* () {};
    const settings = { subtree: "ef".repeat(32) };
    const withRef = await writeMailboxTree(writer, "ann@contoso.test", [], () => true, none, settings);
    const without = await writeMailboxTree(writer, "ann@contoso.test", [], () => true, none);
    const index = JSON.parse(trees.get(without.rootTreeId)!).itemIndex.subtree as string;
    expect(trees.get(withRef.rootTreeId)).toBe(
      `{"folders":[],"itemIndex":{"subtree":"${index}"},"kind":"mailbox","mailbox":"ann@contoso.test","settings":{"subtree":"${"ef".repeat(32)}"},"v":1}`,
    );
    expect(trees.get(without.rootTreeId)).toBe(
      `{"folders":[],"itemIndex":{"subtree":"${index}"},"kind":"mailbox","mailbox":"ann@contoso.test","v":1}`,
    );
    const reader = { loadTree: async (id: string) => JSON.parse(trees.get(id)!) };
    expect((await loadMailboxTree(reader, withRef.rootTreeId)).settings).toEqual(settings);
    expect((await loadMailboxTree(reader, without.rootTreeId)).settings).toBeUndefined();
  });
});

const GOLDEN = {
  rules:
    '{"entryFailures":[],"format":"ewsvault-settings","kind":"inboxRules","v":1,"value":[{"actions":{"MoveToFolder":{"folderId":"AAMkF1"},"StopProcessingRules":{"boolean":true}},"conditions":{"FromAddresses":{"addresses":[{"emailAddress":"boss@contoso.test","name":"Boss"}]}},"displayName":"Boss","exceptions":{},"isEnabled":true,"priority":1}]}',
  rulesSha256: "f0a881fe704e65afa5f6acda58115719ac81038ddcf06ca9e5fb2c06dd989cd7",
  oof: '{"entryFailures":[{"code":"EWS_SERVER_ERROR","entry":"x","message":"m","responseCode":"ErrorX"}],"format":"ewsvault-settings","kind":"oof","v":1,"value":{"duration":{"end":"2027-01-02T00:00:00Z","start":"2026-12-24T00:00:00Z"},"externalAudience":"Known","externalReply":{"message":"Away"},"internalReply":{"lang":"en-US","message":"Away"},"state":"Scheduled"}}',
  permissions:
    '{"entryFailures":[],"format":"ewsvault-settings","kind":"folderPermissions","v":1,"value":[{"calendar":false,"folderId":"AAMkF1","permissions":[{"level":"None","user":{"distinguishedUser":"Default"}},{"level":"Reviewer","readItems":"FullDetails","user":{"primarySmtpAddress":"ann@contoso.test","sid":"S-1-5-21-1"}}]}]}',
  tree: '{"kind":"settings","kinds":{"delegates":{"failure":{"code":"EWS_ACCESS_DENIED","message":"denied","responseCode":"ErrorAccessDenied"}},"folderPermissions":{"documents":[{"content":["cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"],"size":200}],"entryFailures":[]},"inboxRules":{"content":["abababababababababababababababababababababababababababababababab"],"size":310}},"v":1}',
};
