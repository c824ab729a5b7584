// Mutated and truncated requests, pipelined garbage and aborted uploads: every one is answered
// (or the connection dropped) without taking the server down.
import { connect } from "node:net";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../src/server/prng.js";
import { basicAuth, envelope, impersonate, itemShape, postRaw, responseCodes, soap } from "./helpers.js";

describe("robustness", () => {
  let server: MockEwsServer;
  let auth: string;

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 17, mailboxes: 1, itemsPerMailbox: 40 });
    auth = basicAuth(server.credentials.username, server.credentials.password);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("answers 300 randomly mutated requests with 200 or a SOAP fault, and keeps serving", async () => {
    const mailbox = server.mailboxes[0]!;
    const item = server.listItems(mailbox, "inbox")[0]!;
    const inbox = server.folderId(mailbox, "inbox");
    const bodies = [
      `<m:GetItem>${itemShape("AllProperties")}<m:ItemIds><t:ItemId Id="${item}"/></m:ItemIds></m:GetItem>`,
      `<m:FindItem Traversal="Shallow">${itemShape("Default")}<m:IndexedPageItemView MaxEntriesReturned="5" Offset="0" BasePoint="Beginning"/><m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="a"/></t:Contains></m:Restriction><m:ParentFolderIds><t:FolderId Id="${inbox}"/></m:ParentFolderIds></m:FindItem>`,
      `<m:SyncFolderItems>${itemShape()}<m:SyncFolderId><t:FolderId Id="${inbox}"/></m:SyncFolderId><m:MaxChangesReturned>5</m:MaxChangesReturned></m:SyncFolderItems>`,
      `<m:UpdateItem ConflictResolution="AutoResolve"><m:ItemChanges><t:ItemChange><t:ItemId Id="${item}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>x</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
      `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${inbox}"/><t:Data>AAAA</t:Data></t:Item></m:Items></m:UploadItems>`,
      `<m:CreateFolder><m:ParentFolderId><t:FolderId Id="${inbox}"/></m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>f</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`,
    ];
    const random = seededRandom(1234);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      let text = envelope(pick(bodies), impersonate(mailbox));
      const mutations = 1 + Math.floor(random() * 3);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(random() * text.length);
        switch (Math.floor(random() * 5)) {
          case 0:
            text = text.slice(0, at);
            break;
          case 1:
            text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 20));
            break;
          case 2:
            text =
              text.slice(0, at) +
              pick(["<", ">", "&", '"', "</t:Item>", "<m:Bogus/>", "\u0000", "é", '=""']) +
              text.slice(at);
            break;
          case 3:
            text = text.replace(
              /Id="[^"]*"/,
              `Id="${pick(["", "AAAA", "%%%", "A".repeat(200), item.slice(0, 20)])}"`,
            );
            break;
          default:
            text = text.replace(/>[^<]{1,30}</, `>${pick(["-1", "99999999999", "true", "", "NaN"])}<`);
        }
      }
      const result = await postRaw(server.url, text, { authorization: auth });
      statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
      expect([200, 500], `${result.status} for ${text.slice(0, 300)}`).toContain(result.status);
      expect(result.text.startsWith("<?xml")).toBe(true);
      // A fault is fine; an internal error means a request reached a code path that threw.
      expect(result.text, text.slice(0, 600)).not.toContain("ErrorInternalServerError");
    }
    expect(statuses.get(500)).toBeGreaterThan(0);
    const ok = await soap(
      server,
      `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
    );
    expect(responseCodes(ok.text)).toEqual(["NoError"]);
  });

  it("survives raw garbage, a lying Content-Length and a client that disconnects mid-upload", async () => {
    const { hostname, port } = new URL(server.url);
    const raw = (payload: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(port), hostname, () => socket.end(payload));
        let data = "";
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => {
          data += chunk;
        });
        socket.on("close", () => resolve(data));
        socket.on("error", () => resolve(data));
      });
    expect(await raw("NOT HTTP AT ALL\r\n\r\n")).toContain("400");
    await raw(
      `POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 100000\r\n\r\n<soap:Envelope>`,
    );
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 5000\r\n\r\n<soap:Env`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    const ok = await soap(
      server,
      `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`,
    );
    expect(responseCodes(ok.text)).toEqual(["NoError"]);
  });
});
