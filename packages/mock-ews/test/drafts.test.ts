// Drafts over raw SOAP (src/operations/draft-state.ts, mime-content.ts): a message saved unsent
// is IsDraft with mfUnsent in PidTagMessageFlags, one created with PidTagMessageFlags set is
// what the flags say, sending clears it, and only a draft takes a new MimeContent. Every body
// validates against messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes } from "./helpers.js";
import { capture, SchemaRecorder } from "./schema-recorder.js";

const FLAGS = `<t:ExtendedFieldURI PropertyTag="0x0E07" PropertyType="Integer"/>`;

describe("drafts: IsDraft, PidTagMessageFlags and MimeContent updates", () => {
  let server: MockEwsServer;
  const recorder = new SchemaRecorder(() => server);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 32, mailboxes: 2, itemsPerMailbox: 10 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const create = async (name: string, message: string) => {
    const text = await recorder.call(
      name,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message>${message}</t:Message></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(text), name).toEqual(["NoError"]);
    return ids(text)[0]!;
  };
  const state = async (name: string, id: string) => {
    const text = await recorder.call(
      name,
      `<m:GetItem>${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="item:IsDraft"/>${FLAGS}</t:AdditionalProperties>`)}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    );
    return { isDraft: capture(text, /<t:IsDraft>(\w+)</), flags: Number(capture(text, /<t:Value>(\d+)</)) };
  };

  it("marks unsent messages as drafts, unless PidTagMessageFlags was set at creation", async () => {
    const draft = await create("draft", "<t:Subject>a draft</t:Subject><t:IsRead>true</t:IsRead>");
    expect(await state("draft state", draft)).toEqual({ isDraft: "true", flags: 0x8 | 0x1 });
    const imported = await create(
      "imported",
      `<t:Subject>imported</t:Subject><t:ExtendedProperty>${FLAGS}<t:Value>1</t:Value></t:ExtendedProperty>`,
    );
    expect(await state("imported state", imported)).toEqual({ isDraft: "false", flags: 0x1 });
    const found = await recorder.call(
      "FindItem IsDraft",
      `<m:FindItem Traversal="Shallow">${itemShape("IdOnly", `<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties>`)}<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:IsDraft"/><t:FieldURIOrConstant><t:Constant Value="true"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="drafts"/></m:ParentFolderIds></m:FindItem>`,
    );
    expect(found).toContain("a draft");
    expect(found).not.toContain("imported");
  });

  it("clears the draft state when the message is sent", async () => {
    const draft = await create(
      "to send",
      `<t:Subject>leaving drafts</t:Subject><t:ToRecipients><t:Mailbox><t:EmailAddress>${server.mailboxes[1]}</t:EmailAddress></t:Mailbox></t:ToRecipients>`,
    );
    await recorder.call(
      "SendItem",
      `<m:SendItem SaveItemToFolder="true"><m:ItemIds><t:ItemId Id="${draft}"/></m:ItemIds></m:SendItem>`,
    );
    const sent = server
      .listItems(server.mailboxes[0]!, "sentitems")
      .find((id) => server.getItem(id).subject === "leaving drafts")!;
    expect(await state("sent state", sent)).toEqual({ isDraft: "false", flags: 0x1 });
  });

  it("takes a new MimeContent on a draft only", async () => {
    const draft = await create("mime draft", "<t:Subject>old subject</t:Subject>");
    const mime = Buffer.from(
      "From: a@example.test\r\nTo: b@example.test\r\nSubject: new subject\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nnew body\r\n",
    ).toString("base64");
    const setMime = (id: string) =>
      `<m:UpdateItem MessageDisposition="SaveOnly" ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:MimeContent"/><t:Message><t:MimeContent CharacterSet="UTF-8">${mime}</t:MimeContent></t:Message></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="item:Categories"/><t:Message><t:Categories><t:String>kept</t:String></t:Categories></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`;
    expect(responseCodes(await recorder.call("UpdateItem MimeContent", setMime(draft)))).toEqual(["NoError"]);
    const updated = server.getItem(
      server
        .listItems(server.mailboxes[0]!, "drafts")
        .find((id) => server.getItem(id).subject === "new subject")!,
    );
    expect(updated).toMatchObject({ subject: "new subject", categories: ["kept"] });
    expect(updated.toRecipients.map((a) => a.email)).toEqual(["b@example.test"]);
    expect(updated.body.content).toContain("new body");
    const received = server.listItems(server.mailboxes[0]!, "inbox")[0]!;
    const refused = await recorder.call("UpdateItem MimeContent received", setMime(received));
    expect(responseCodes(refused)).toEqual(["ErrorInvalidPropertySet"]);
  });

  it("answers schema-valid XML throughout", async () => {
    expect(await recorder.failures()).toEqual([]);
  });
});
