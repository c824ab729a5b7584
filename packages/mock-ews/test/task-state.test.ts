// Task completion over raw SOAP (src/operations/task-state.ts): Status Completed and
// PercentComplete 100 imply each other, completing stamps CompleteDate, reopening drops it.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, itemShape, responseCodes } from "./helpers.js";
import { SchemaRecorder } from "./schema-recorder.js";

describe("task completion", () => {
  let server: MockEwsServer;
  const recorder = new SchemaRecorder(() => server);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 34, mailboxes: 1, itemsPerMailbox: 10 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const fields = `<t:AdditionalProperties><t:FieldURI FieldURI="task:Status"/><t:FieldURI FieldURI="task:PercentComplete"/><t:FieldURI FieldURI="task:CompleteDate"/></t:AdditionalProperties>`;
  const read = async (name: string, id: string) => {
    const text = await recorder.call(
      name,
      `<m:GetItem>${itemShape("IdOnly", fields)}<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
    );
    return {
      status: /<t:Status>(\w+)</.exec(text)?.[1],
      percent: Number(/<t:PercentComplete>([\d.]+)</.exec(text)?.[1]),
      completeDate: /<t:CompleteDate>([^<]+)</.exec(text)?.[1],
    };
  };
  const create = async (name: string, task: string) => {
    const text = await recorder.call(
      name,
      `<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="tasks"/></m:SavedItemFolderId><m:Items><t:Task><t:Subject>${name}</t:Subject>${task}</t:Task></m:Items></m:CreateItem>`,
    );
    expect(responseCodes(text)).toEqual(["NoError"]);
    return ids(text)[0]!;
  };
  const set = async (name: string, id: string, field: string, element: string) => {
    const text = await recorder.call(
      name,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="${field}"/><t:Task>${element}</t:Task></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    expect(responseCodes(text)).toEqual(["NoError"]);
    return ids(text)[0]!;
  };

  it("completes with either field and stamps CompleteDate", async () => {
    const byPercent = await create("by percent", "<t:PercentComplete>100</t:PercentComplete>");
    const done = await read("by percent read", byPercent);
    expect(done).toMatchObject({ status: "Completed", percent: 100 });
    expect(done.completeDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const open = await create(
      "open",
      "<t:Status>InProgress</t:Status><t:PercentComplete>20</t:PercentComplete>",
    );
    expect(await read("open read", open)).toEqual({
      status: "InProgress",
      percent: 20,
      completeDate: undefined,
    });
    const closed = await set("close", open, "task:Status", "<t:Status>Completed</t:Status>");
    const after = await read("closed read", closed);
    expect(after).toMatchObject({ status: "Completed", percent: 100 });
    expect(after.completeDate).toBeDefined();
  });

  it("reopens when PercentComplete drops below 100, dropping CompleteDate", async () => {
    const id = await create("reopen", "<t:Status>Completed</t:Status>");
    const reopened = await set(
      "reopen set",
      id,
      "task:PercentComplete",
      "<t:PercentComplete>40</t:PercentComplete>",
    );
    expect(await read("reopen read", reopened)).toEqual({
      status: "InProgress",
      percent: 40,
      completeDate: undefined,
    });
  });

  it("answers schema-valid XML throughout", async () => {
    expect(await recorder.failures()).toEqual([]);
  });
});
