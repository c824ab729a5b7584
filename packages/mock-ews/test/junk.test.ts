// MarkAsJunk over raw SOAP (src/operations/junk.ts): moves to Junk Email and back with MoveItem,
// answers MovedItemId, leaves items in place without it, and refuses bad requests cleanly.
// Every body validates against messages.xsd.
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ids, responseCodes } from "./helpers.js";
import { SchemaRecorder } from "./schema-recorder.js";

describe("MarkAsJunk", () => {
  let server: MockEwsServer;
  const recorder = new SchemaRecorder(() => server);

  beforeAll(async () => {
    server = await startMockEwsServer({ seed: 33, mailboxes: 1, itemsPerMailbox: 20 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const mark = (isJunk: string, move: string, idsXml: string) =>
    `<m:MarkAsJunk IsJunk="${isJunk}" MoveItem="${move}"><m:ItemIds>${idsXml}</m:ItemIds></m:MarkAsJunk>`;

  it("moves to Junk Email and back, answering the new ids", async () => {
    const box = server.mailboxes[0]!;
    const [first, second] = server.listItems(box, "inbox");
    const junkBefore = server.listItems(box, "junkemail").length;
    const text = await recorder.call(
      "MarkAsJunk move",
      mark("true", "true", `<t:ItemId Id="${first}"/><t:ItemId Id="AAAA"/><t:ItemId Id="${second}"/>`),
    );
    expect(responseCodes(text)).toEqual(["NoError", "ErrorInvalidIdMalformed", "NoError"]);
    const moved = ids(text, "MovedItemId");
    expect(moved).toHaveLength(2);
    expect(server.listItems(box, "junkemail")).toHaveLength(junkBefore + 2);
    expect(server.listItems(box, "junkemail")).toEqual(expect.arrayContaining(moved));
    const back = await recorder.call("MarkAsJunk back", mark("0", "1", `<t:ItemId Id="${moved[0]}"/>`));
    expect(responseCodes(back)).toEqual(["NoError"]);
    expect(server.listItems(box, "inbox")).toContain(ids(back, "MovedItemId")[0]);
    const stay = await recorder.call(
      "MarkAsJunk no move",
      mark("true", "false", `<t:ItemId Id="${moved[1]}"/>`),
    );
    expect(responseCodes(stay)).toEqual(["NoError"]);
    expect(ids(stay, "MovedItemId")).toEqual([]);
    expect(server.listItems(box, "junkemail")).toContain(moved[1]);
  });

  it("refuses a missing or non-boolean flag as a schema error", async () => {
    const [item] = server.listItems(server.mailboxes[0]!, "inbox");
    const missing = await recorder.call(
      "MarkAsJunk missing",
      `<m:MarkAsJunk IsJunk="true"><m:ItemIds><t:ItemId Id="${item}"/></m:ItemIds></m:MarkAsJunk>`,
    );
    expect(responseCodes(missing)).toEqual(["ErrorSchemaValidation"]);
    const bad = await recorder.call("MarkAsJunk bad", mark("yes", "true", `<t:ItemId Id="${item}"/>`));
    expect(responseCodes(bad)).toEqual(["ErrorSchemaValidation"]);
  });

  it("answers schema-valid XML throughout", async () => {
    expect(await recorder.failures()).toEqual([]);
  });
});
