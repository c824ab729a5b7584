// Sending over raw SOAP (src/operations/send.ts, response-objects.ts): what Exchange stamps on a
// submitted message, SendItem of a draft, UpdateItem with a send disposition, replies and
// forwards, and clean EWS errors for what Exchange refuses. Every body validates against
// messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, responseCodes, soap } from "./helpers.js";
import { SchemaRecorder } from "./schema-recorder.js";

describe("sending: CreateItem dispositions, SendItem, UpdateItem sends, response objects", () => {
  let server: MockEwsServer;
  let me: string;
  let other: string;
  const recorder = new SchemaRecorder(() => server);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 31, mailboxes: 2, itemsPerMailbox: 10 });
    [me, other] = server.mailboxes as [string, string];
  });
  afterAll(async () => {
    await server?.stop();
  });

  const to = (...addresses: string[]) =>
    `<t:ToRecipients>${addresses.map((a) => `<t:Mailbox><t:EmailAddress>${a}</t:EmailAddress></t:Mailbox>`).join("")}</t:ToRecipients>`;
  const subjects = (mailbox: string, folder: string) =>
    server.listItems(mailbox, folder).map((id) => server.getItem(id).subject);
  const find = (mailbox: string, folder: string, subject: string) =>
    server
      .listItems(mailbox, folder)
      .map((id) => server.getItem(id))
      .filter((d) => d.subject === subject);
  const draft = async (subject: string, recipients = to(other)) => {
    const text = await recorder.call(
      `draft ${subject}`,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>${subject}</t:Subject><t:Body BodyType="Text">original text</t:Body>${recipients}</t:Message></m:Items></m:CreateItem>`,
    );
    return ids(text)[0]!;
  };

  it("stamps sender, send time and message id; answers a send without the item id", async () => {
    const text = await recorder.call(
      "SendAndSaveCopy",
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:Message><t:Subject>stamped</t:Subject>${to(other)}</t:Message></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(text)).toEqual(["NoError"]);
    expect(text).toContain("<m:Items/>");
    const [kept] = find(me, "sentitems", "stamped");
    expect(kept?.from?.email).toBe(me);
    expect(kept?.isRead).toBe(true);
    expect(kept?.internetMessageId).toMatch(/^<[0-9a-f]{32}@/);
    const [delivered] = find(other, "inbox", "stamped");
    expect(delivered).toMatchObject({ isRead: false, from: { email: me } });
    expect(delivered?.internetMessageId).toBe(kept?.internetMessageId);
  });

  it("SendItem moves a draft to Sent Items, or drops it with SaveItemToFolder false", async () => {
    const a = await draft("send me");
    const b = await draft("send and forget");
    const sent = await recorder.call(
      "SendItem",
      `<m:SendItem SaveItemToFolder="true"><m:ItemIds><t:ItemId Id="${a}"/></m:ItemIds><m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"/></m:SavedItemFolderId></m:SendItem>`,
    );
    expect(responseCodes(sent)).toEqual(["NoError"]);
    const dropped = await recorder.call(
      "SendItem no copy",
      `<m:SendItem SaveItemToFolder="false"><m:ItemIds><t:ItemId Id="${b}"/></m:ItemIds></m:SendItem>`,
    );
    expect(responseCodes(dropped)).toEqual(["NoError"]);
    expect(subjects(me, "drafts")).not.toContain("send me");
    expect(subjects(me, "drafts")).not.toContain("send and forget");
    expect(subjects(me, "sentitems")).toContain("send me");
    expect(subjects(me, "sentitems")).not.toContain("send and forget");
    expect(subjects(other, "inbox")).toEqual(expect.arrayContaining(["send me", "send and forget"]));
  });

  it("refuses what Exchange refuses, per item, with clean EWS errors", async () => {
    const lonely = await draft("no recipients", "");
    const contacts = server.listItems(me, "contacts");
    const errors = await recorder.call(
      "SendItem errors",
      `<m:SendItem SaveItemToFolder="true"><m:ItemIds><t:ItemId Id="${lonely}"/><t:ItemId Id="${contacts[0]}"/><t:ItemId Id="AAAAAA=="/></m:ItemIds></m:SendItem>`,
    );
    expect(responseCodes(errors)).toEqual([
      "ErrorInvalidRecipients",
      "ErrorInvalidItemForOperationSendItem",
      "ErrorInvalidIdMalformed",
    ]);
    expect(subjects(me, "drafts")).toContain("no recipients");
    const conflicting = await recorder.call(
      "SendItem save settings",
      `<m:SendItem SaveItemToFolder="false"><m:ItemIds><t:ItemId Id="${lonely}"/></m:ItemIds><m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"/></m:SavedItemFolderId></m:SendItem>`,
    );
    expect(responseCodes(conflicting)).toEqual(["ErrorInvalidSendItemSaveSettings"]);
    const noFlag = await recorder.call(
      "SendItem no SaveItemToFolder",
      `<m:SendItem><m:ItemIds><t:ItemId Id="${lonely}"/></m:ItemIds></m:SendItem>`,
    );
    expect(responseCodes(noFlag)).toEqual(["ErrorSchemaValidation"]);
    const refs = await recorder.call(
      "response object errors",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:ReplyToItem><t:Subject>x</t:Subject></t:ReplyToItem><t:ForwardItem><t:ReferenceItemId Id="${contacts[0]}"/></t:ForwardItem><t:ReplyAllToItem><t:ReferenceItemId Id="not an id"/></t:ReplyAllToItem></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(refs)).toEqual([
      "ErrorMissingInformationReferenceItemId",
      "ErrorInvalidReferenceItem",
      "ErrorInvalidIdMalformed",
    ]);
  });

  it("UpdateItem with SendAndSaveCopy sends the updated message", async () => {
    const id = await draft("before update");
    const text = await recorder.call(
      "UpdateItem send",
      `<m:UpdateItem MessageDisposition="SendAndSaveCopy" ConflictResolution="AutoResolve"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>after update</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(responseCodes(text)).toEqual(["NoError"]);
    expect(text).toContain("<m:Items/>");
    expect(subjects(me, "drafts")).not.toContain("before update");
    expect(subjects(me, "sentitems")).toContain("after update");
    expect(subjects(other, "inbox")).toContain("after update");
  });

  it("builds replies, reply-alls and forwards from the original", async () => {
    // The colleague writes to me and a third address; I answer.
    await soap2(
      `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>question</t:Subject><t:Body BodyType="HTML">&lt;p&gt;what?&lt;/p&gt;</t:Body>${to(me, "third@example.test")}</t:Message></m:Items></m:CreateItem>`,
    );
    const original = server.listItems(me, "inbox").find((id) => server.getItem(id).subject === "question")!;
    const text = await recorder.call(
      "response objects",
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:ReplyToItem><t:ReferenceItemId Id="${original}"/><t:NewBodyContent BodyType="Text">answer</t:NewBodyContent></t:ReplyToItem><t:ReplyAllToItem><t:ReferenceItemId Id="${original}"/><t:NewBodyContent BodyType="HTML">&lt;b&gt;all&lt;/b&gt;</t:NewBodyContent></t:ReplyAllToItem><t:ForwardItem><t:ReferenceItemId Id="${original}"/>${to("fourth@example.test")}</t:ForwardItem></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(text)).toEqual(["NoError", "NoError", "NoError"]);
    const [reply] = find(me, "sentitems", "RE: question");
    expect(reply?.toRecipients.map((a) => a.email)).toEqual([other]);
    expect(reply?.body.bodyType).toBe("Text");
    expect(reply?.body.content).toMatch(/^answer\r\n/);
    expect(reply?.body.content).toContain("Subject: question");
    expect(reply?.body.content).toContain("what?");
    const replies = find(me, "sentitems", "RE: question");
    expect(replies).toHaveLength(2);
    const all = replies[1]!;
    expect(all.toRecipients.map((a) => a.email)).toEqual([other, "third@example.test"]);
    expect(all.body.bodyType).toBe("HTML");
    expect(all.body.content).toMatch(/^<b>all<\/b><hr>/);
    const [forward] = find(me, "sentitems", "FW: question");
    expect(forward?.toRecipients.map((a) => a.email)).toEqual(["fourth@example.test"]);
    expect(find(other, "inbox", "RE: question")).toHaveLength(2);
    // A reply shares its original's ConversationId (the topic decides without a conversation index).
    const conversation = async (name: string, id: string) =>
      /<t:ConversationId Id="([^"]+)"/.exec(
        await recorder.call(
          name,
          `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:ConversationId"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
        ),
      )?.[1];
    const replyId = server
      .listItems(me, "sentitems")
      .find((id) => server.getItem(id).subject === "RE: question")!;
    const originalConversation = await conversation("conversation of the original", original);
    expect(originalConversation).toMatch(/^AAQkAD/);
    expect(await conversation("conversation of the reply", replyId)).toBe(originalConversation);
    const saved = await recorder.call(
      "reply draft",
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:ReplyToItem><t:ReferenceItemId Id="${original}"/><t:Subject>my draft</t:Subject></t:ReplyToItem></m:Items></m:CreateItem>`,
    );
    expect(ids(saved)).toHaveLength(1);
    expect(subjects(me, "drafts")).toContain("my draft");
  });

  it("answers schema-valid XML throughout", async () => {
    expect(await recorder.failures()).toEqual([]);
  });

  /** A call as the colleague (not recorded: the shapes are those of CreateItem above). */
  async function soap2(body: string): Promise<void> {
    const result = await soap(server, body, { mailbox: other });
    expect(responseCodes(result.text)).toEqual(["NoError"]);
  }
});
