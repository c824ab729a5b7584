// ExportItems / UploadItems (MS-OXWSBTRF): the exported stream uploads back into an item equal
// in every property, attachments included; unchanged items export to identical bytes; PR_SEARCH_KEY
// survives export/upload, CopyItem and MoveItem.
import { createHash } from "node:crypto";
import { type MockEwsServer, type MockItemData, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes, soap } from "./helpers.js";

/** The item with attachment bytes as digests (deep equality on big byte arrays is slow in vitest). */
function comparable(item: MockItemData): unknown {
  return {
    ...item,
    attachments: item.attachments.map((a) => ({
      ...a,
      content: createHash("sha256").update(a.content).digest("hex"),
      length: a.content.length,
    })),
  };
}

function exportBody(itemIds: readonly string[]): string {
  return `<m:ExportItems><m:ItemIds>${itemIds.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:ExportItems>`;
}

function dataOf(text: string): string[] {
  return [...text.matchAll(/<m:Data>([^<]*)<\/m:Data>/g)].map((m) => m[1]!);
}

async function searchKeyViaEws(server: MockEwsServer, id: string, mailbox?: string): Promise<string> {
  const result = await soap(
    server,
    `<m:GetItem>${itemShape("IdOnly", `<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x300B" PropertyType="Binary"/></t:AdditionalProperties>`)}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    mailbox === undefined ? {} : { mailbox },
  );
  const match =
    /<t:ExtendedFieldURI PropertyTag="0x300b" PropertyType="Binary"\/><t:Value>([^<]+)<\/t:Value>/.exec(
      result.text,
    );
  expect(match, result.text.slice(0, 400)).not.toBeNull();
  return match![1]!;
}

describe("ExportItems / UploadItems", () => {
  let server: MockEwsServer;
  let mailbox: string;
  let withAttachments: string[];

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 9, mailboxes: 2, itemsPerMailbox: 300 });
    mailbox = server.mailboxes[0]!;
    const all = ["inbox", "sentitems", "calendar", "contacts", "tasks", "notes"].flatMap((f) =>
      server.listItems(mailbox, f),
    );
    withAttachments = all.filter((id) => server.getItem(id).attachments.length > 0);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("round-trips every item class, attachments included, into an equal item", async () => {
    const folders = ["inbox", "calendar", "contacts", "tasks", "notes"];
    const sample = [
      ...folders.flatMap((f) => server.listItems(mailbox, f).slice(0, 4)),
      ...withAttachments.slice(0, 5),
    ];
    expect(withAttachments.length).toBeGreaterThan(0);
    const exported = await soap(server, exportBody(sample));
    expect(responseCodes(exported.text).every((c) => c === "NoError")).toBe(true);
    const data = dataOf(exported.text);
    expect(data).toHaveLength(sample.length);
    const target = server.folderId(server.mailboxes[1]!, "inbox");
    const upload = `<m:UploadItems><m:Items>${data.map((d) => `<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${target}"/><t:Data>${d}</t:Data></t:Item>`).join("")}</m:Items></m:UploadItems>`;
    const uploaded = await soap(server, upload, { mailbox: server.mailboxes[1]! });
    const newIds = ids(uploaded.text);
    expect(newIds).toHaveLength(sample.length);
    for (let i = 0; i < sample.length; i++) {
      expect(comparable(server.getItem(newIds[i]!))).toEqual(comparable(server.getItem(sample[i]!)));
      expect(server.getSearchKey(newIds[i]!)).toEqual(server.getSearchKey(sample[i]!));
    }
    // Re-exporting the uploaded copy gives the same bytes as the original.
    const again = await soap(server, exportBody(newIds), { mailbox: server.mailboxes[1]! });
    expect(dataOf(again.text)).toEqual(data);
  });

  it("exports an unchanged item to identical bytes, a changed one to different bytes", async () => {
    const id = server.listItems(mailbox, "inbox")[5]!;
    const first = dataOf((await soap(server, exportBody([id]))).text)[0];
    const second = dataOf((await soap(server, exportBody([id]))).text)[0];
    expect(first).toBeDefined();
    expect(second).toBe(first);
    server.modifyItem(id, { categories: ["Changed"] });
    const third = dataOf((await soap(server, exportBody([id]))).text)[0];
    expect(third).not.toBe(first);
  });

  it("PR_SEARCH_KEY is served as ExtendedProperty 0x300B and survives CopyItem, MoveItem and Update", async () => {
    const id = server.listItems(mailbox, "inbox")[1]!;
    const key = await searchKeyViaEws(server, id);
    expect(Buffer.from(key, "base64")).toHaveLength(16);
    expect(Buffer.from(server.getSearchKey(id)).toString("base64")).toBe(key);
    const copied = ids(
      (
        await soap(
          server,
          `<m:CopyItem><m:ToFolderId><t:DistinguishedFolderId Id="drafts"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:CopyItem>`,
        )
      ).text,
    )[0]!;
    expect(await searchKeyViaEws(server, copied)).toBe(key);
    const moved = ids(
      (
        await soap(
          server,
          `<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="deleteditems"/></m:ToFolderId><m:ItemIds><t:ItemId Id="${copied}"/></m:ItemIds></m:MoveItem>`,
        )
      ).text,
    )[0]!;
    expect(moved).not.toBe(copied);
    expect(await searchKeyViaEws(server, moved)).toBe(key);
    const other = server.listItems(mailbox, "inbox")[2]!;
    expect(await searchKeyViaEws(server, other)).not.toBe(key);
  });

  it("UploadItems Update replaces an item in place; UpdateOrCreate creates a missing one", async () => {
    const [source, victim] = server.listItems(mailbox, "inbox").slice(10, 12) as [string, string];
    const data = dataOf((await soap(server, exportBody([source]))).text)[0]!;
    const inbox = server.folderId(mailbox, "inbox");
    const update = await soap(
      server,
      `<m:UploadItems><m:Items><t:Item CreateAction="Update"><t:ParentFolderId Id="${inbox}"/><t:ItemId Id="${victim}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`,
    );
    expect(responseCodes(update.text)).toEqual(["NoError"]);
    expect(ids(update.text)).toEqual([victim]);
    expect(comparable(server.getItem(victim))).toEqual(comparable(server.getItem(source)));

    server.deleteItem(victim);
    const missing = await soap(
      server,
      `<m:UploadItems><m:Items><t:Item CreateAction="Update"><t:ParentFolderId Id="${inbox}"/><t:ItemId Id="${victim}"/><t:Data>${data}</t:Data></t:Item><t:Item CreateAction="UpdateOrCreate"><t:ParentFolderId Id="${inbox}"/><t:ItemId Id="${victim}"/><t:Data>${data}</t:Data></t:Item><t:Item CreateAction="CreateNew" IsAssociated="true"><t:ParentFolderId Id="${inbox}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`,
    );
    expect(responseCodes(missing.text)).toEqual(["ErrorItemNotFound", "NoError", "NoError"]);
    const created = ids(missing.text);
    expect(created).toHaveLength(2);
    expect(created[0]).not.toBe(victim);
    expect(comparable(server.getItem(created[0]!))).toEqual(comparable(server.getItem(source)));
    // The associated item is not a normal item of the folder.
    expect(server.listItems(mailbox, "inbox")).toContain(created[0]);
  });

  it("UploadItems follows MS-OXWSBTRF: no ItemId for Update is a fault; UpdateOrCreate outside the folder uploads a copy", async () => {
    const [source, other] = server.listItems(mailbox, "inbox").slice(20, 22) as [string, string];
    const data = dataOf((await soap(server, exportBody([source]))).text)[0]!;
    const drafts = server.folderId(mailbox, "drafts");
    for (const action of ["Update", "UpdateOrCreate"]) {
      const fault = await soap(
        server,
        `<m:UploadItems><m:Items><t:Item CreateAction="${action}"><t:ParentFolderId Id="${drafts}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`,
      );
      expect(fault.status).toBe(500);
      expect(fault.text).toContain(
        '<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorInvalidRequest</e:ResponseCode>',
      );
    }
    const outside = await soap(
      server,
      `<m:UploadItems><m:Items><t:Item CreateAction="Update"><t:ParentFolderId Id="${drafts}"/><t:ItemId Id="${other}"/><t:Data>${data}</t:Data></t:Item><t:Item CreateAction="UpdateOrCreate"><t:ParentFolderId Id="${drafts}"/><t:ItemId Id="${other}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`,
    );
    expect(responseCodes(outside.text)).toEqual(["ErrorItemNotFound", "NoError"]);
    const copy = ids(outside.text)[0]!;
    expect(copy).not.toBe(other);
    expect(server.listItems(mailbox, "drafts")).toContain(copy);
    expect(comparable(server.getItem(copy))).toEqual(comparable(server.getItem(source)));
    expect(server.getItem(other).subject).not.toBeUndefined();
  });

  it("UploadItems with corrupt data answers ErrorCorruptData", async () => {
    const inbox = server.folderId(mailbox, "inbox");
    const data = dataOf((await soap(server, exportBody([server.listItems(mailbox, "inbox")[0]!]))).text)[0]!;
    const bytes = Buffer.from(data, "base64");
    bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0xff;
    const result = await soap(
      server,
      `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${inbox}"/><t:Data>${bytes.toString("base64")}</t:Data></t:Item><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${inbox}"/><t:Data>${bytes.subarray(0, 10).toString("base64")}</t:Data></t:Item></m:Items></m:UploadItems>`,
    );
    expect(responseCodes(result.text)).toEqual(["ErrorCorruptData", "ErrorCorruptData"]);
  });

  it("ExportItems answers ErrorMessageSizeExceeded past the response size limit", async () => {
    const small = await startMockEwsServer({
      seed: 9,
      mailboxes: 1,
      itemsPerMailbox: 60,
      maxResponseBytes: 200_000,
    });
    try {
      const items = ["inbox", "sentitems"].flatMap((f) => small.listItems(small.mailboxes[0]!, f));
      const result = await soap(small, exportBody(items));
      const codes = responseCodes(result.text);
      expect(codes).toHaveLength(items.length);
      expect(codes).toContain("NoError");
      expect(codes).toContain("ErrorMessageSizeExceeded");
      expect(result.text.length).toBeLessThan(200_000 + 400 * items.length + 2000);
    } finally {
      await small.stop();
    }
  });
});
