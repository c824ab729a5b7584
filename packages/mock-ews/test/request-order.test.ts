// Exchange answers a request naming several objects with one response message per object, in
// the order the request named them, also when the request mixes kinds of id (FolderId with
// DistinguishedFolderId, ItemId with an unknown id). Clients pair answers with ids by position.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes, soap } from "./helpers.js";

let server: MockEwsServer;
let mailbox: string;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 29, mailboxes: 1, itemsPerMailbox: 20 });
  mailbox = server.mailboxes[0]!;
});
afterAll(async () => {
  await server?.stop();
});

const folderShape = `<m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>`;
const displayNames = (text: string) =>
  [...text.matchAll(/<t:DisplayName>([^<]*)<\/t:DisplayName>/g)].map((m) => m[1]);

describe("response messages follow the request's order", () => {
  it("GetFolder mixing FolderId and DistinguishedFolderId", async () => {
    const real = await soap(
      server,
      `<m:GetFolder>${folderShape}<m:FolderIds><t:DistinguishedFolderId Id="inbox"/><t:DistinguishedFolderId Id="drafts"/></m:FolderIds></m:GetFolder>`,
    );
    const [inbox, drafts] = ids(real.text, "FolderId") as [string, string];
    const mixed = await soap(
      server,
      `<m:GetFolder>${folderShape}<m:FolderIds><t:FolderId Id="${drafts}"/><t:DistinguishedFolderId Id="calendar"/><t:FolderId Id="${inbox}"/><t:DistinguishedFolderId Id="sentitems"/></m:FolderIds></m:GetFolder>`,
    );
    expect(responseCodes(mixed.text)).toEqual(["NoError", "NoError", "NoError", "NoError"]);
    expect(displayNames(mixed.text)).toEqual(["Drafts", "Calendar", "Inbox", "Sent Items"]);
  });

  it("GetItem with an unknown id between known ones", async () => {
    const [first, second] = server.listItems(mailbox, "inbox").slice(0, 2) as [string, string];
    const got = await soap(
      server,
      `<m:GetItem>${itemShape()}<m:ItemIds><t:ItemId Id="${second}"/><t:ItemId Id="AAMkAGunknown"/><t:ItemId Id="${first}"/></m:ItemIds></m:GetItem>`,
    );
    expect(responseCodes(got.text)[0]).toBe("NoError");
    expect(responseCodes(got.text)[1]).not.toBe("NoError");
    expect(responseCodes(got.text)[2]).toBe("NoError");
    expect(ids(got.text, "ItemId")).toEqual([second, first]);
  });
});
