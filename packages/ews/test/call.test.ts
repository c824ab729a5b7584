// The one call helper (call.ts) against a fake transport: the count check, the request-level
// error rule, the per-item classification and the re-asking of transient items, which bulk
// export, bulk upload and every operation rely on.
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import {
  answerOf,
  callEach,
  callSingle,
  type ItemAnswer,
  mailboxAccess,
  type OperationTransport,
  settleTransient,
} from "../src/call.js";
import { resolveRetryOptions } from "../src/retry.js";
import { interpretEnvelope, responseMessages } from "../src/soap.js";
import type { CallResult } from "../src/transport-types.js";
import { parseXml } from "../src/xml-parser.js";
import { el } from "../src/xml-writer.js";
import { errorMessage, okMessage, soapResponse } from "./canned-server.js";

/** A transport that answers every call with `xml` and counts the calls. */
function answering(xml: string): OperationTransport & { calls: number } {
  const fake = {
    calls: 0,
    async call(): Promise<CallResult> {
      fake.calls++;
      const soap = interpretEnvelope(parseXml(xml)) as CallResult["soap"];
      return { soap, payloads: [], responseBytes: xml.length };
    },
  };
  return fake;
}

const body = el("m:GetFolder");
const context = { mailbox: "a@example.com", impersonate: true };

describe("callEach", () => {
  it("resolves one message per object and refuses any other count", async () => {
    const two = answering(soapResponse("GetFolder", [okMessage("GetFolder"), okMessage("GetFolder")]));
    const { messages } = await callEach(two, "GetFolder", body, context, { count: 2, noun: "folders" });
    expect(messages).toHaveLength(2);
    await expect(callEach(two, "GetFolder", body, context, { count: 3, noun: "folders" })).rejects.toSatisfy(
      (e: unknown) => isEwsVaultError(e, "EWS_MALFORMED_RESPONSE"),
    );
  });

  it("applies one error message to every object only when asked to", async () => {
    const refused = answering(
      soapResponse("ExportItems", [errorMessage("ExportItems", "ErrorMailboxMoveInProgress")]),
    );
    const { messages } = await callEach(refused, "ExportItems", body, context, {
      count: 3,
      noun: "items",
      requestLevelErrors: true,
    });
    expect(messages.map((m) => m.responseCode)).toEqual(Array(3).fill("ErrorMailboxMoveInProgress"));
    await expect(
      callEach(refused, "ExportItems", body, context, { count: 3, noun: "items" }),
    ).rejects.toSatisfy((e: unknown) => isEwsVaultError(e, "EWS_MALFORMED_RESPONSE"));
  });
});

describe("callSingle", () => {
  it("maps a failed message to its code and a missing one to EWS_MALFORMED_RESPONSE", async () => {
    const failed = answering(soapResponse("GetFolder", [errorMessage("GetFolder", "ErrorFolderNotFound")]));
    await expect(callSingle(failed, "GetFolder", body, context)).rejects.toSatisfy((e: unknown) =>
      isEwsVaultError(e, "EWS_FOLDER_NOT_FOUND"),
    );
    const empty = answering(soapResponse("GetFolder", []));
    await expect(callSingle(empty, "GetFolder", body, context)).rejects.toSatisfy((e: unknown) =>
      isEwsVaultError(e, "EWS_MALFORMED_RESPONSE"),
    );
  });
});

describe("per-item answers", () => {
  it("classifies success, transient and failed messages", () => {
    const messages = responseMessages(
      interpretEnvelope(
        parseXml(
          soapResponse("UploadItems", [
            okMessage("UploadItems"),
            errorMessage("UploadItems", "ErrorServerBusy", 300),
            errorMessage("UploadItems", "ErrorImpersonateUserDenied"),
          ]),
        ),
      )?.body as NonNullable<CallResult["soap"]["body"]>,
    );
    const answers = messages.map((m) =>
      answerOf(
        m,
        () => "ok",
        (error) => `${error.responseCode}:${error.disposition}`,
      ),
    );
    expect(answers).toEqual([
      { result: "ok" },
      {
        transient: expect.objectContaining({ responseCode: "ErrorServerBusy", disposition: "retry" }),
        backOffMs: 300,
      },
      { result: "ErrorImpersonateUserDenied:fatal" },
    ]);
  });

  it("asks again for transient objects only, and gives up after maxAttempts rounds", async () => {
    const retry = resolveRetryOptions({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 });
    const busy = {
      transient: { code: "EWS_THROTTLED" as const, message: "busy", disposition: "retry" as const },
      backOffMs: undefined,
    };
    const rounds: string[][] = [];
    let flakyBusy = 1;
    const again = async (objects: string[]): Promise<ItemAnswer<string>[]> => {
      rounds.push(objects);
      return objects.map((o) =>
        (o === "flaky" && flakyBusy-- > 0) || o === "stuck" ? busy : { result: `${o} done` },
      );
    };
    const results = await settleTransient(
      ["fine", "flaky", "stuck"],
      [{ result: "fine done" }, busy, busy],
      again,
      (object, last) => `${object} gave up (${last.code})`,
      retry,
    );
    expect(results).toEqual(["fine done", "flaky done", "stuck gave up (EWS_THROTTLED)"]);
    expect(rounds).toEqual([
      ["flaky", "stuck"],
      ["flaky", "stuck"],
    ]);
  });
});

describe("mailbox access", () => {
  it("impersonates other mailboxes, and names them as delegate when impersonation is off", () => {
    const auth = { kind: "basic" as const, username: "Svc@example.com", password: "p" };
    expect(mailboxAccess(auth, undefined, "svc@example.com")).toEqual({
      mailbox: "svc@example.com",
      impersonate: false,
      delegate: undefined,
    });
    expect(mailboxAccess(auth, undefined, "a@example.com")).toMatchObject({
      impersonate: true,
      delegate: undefined,
    });
    expect(mailboxAccess(auth, false, "a@example.com")).toMatchObject({
      impersonate: false,
      delegate: "a@example.com",
    });
  });
});
