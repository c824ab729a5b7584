// Behaviour knobs: throttling (budget: ErrorServerBusy + BackOffMilliseconds; concurrency:
// ErrorExceededConnectionCount; or HTTP 503 for both), faults by
// schedule and by seeded rate, latency and bandwidth — each observed both on the wire and in
// counters().
import { type MockEwsServer, type MockEwsServerOptions, startMockEwsServer } from "@ewsvault/mock-ews";
import { afterEach, describe, expect, it } from "vitest";
import { itemShape, responseCodes, soap } from "./helpers.js";

const GET_INBOX = `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`;
const FIND_INBOX = `<m:FindItem Traversal="Shallow">${itemShape()}<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`;

describe("behaviour knobs", () => {
  const servers: MockEwsServer[] = [];
  async function start(options: MockEwsServerOptions): Promise<MockEwsServer> {
    const server = await startMockEwsServer({ seed: 4, mailboxes: 1, itemsPerMailbox: 30, ...options });
    servers.push(server);
    return server;
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it("budget: a burst of N requests, then ErrorServerBusy with BackOffMilliseconds", async () => {
    const server = await start({
      throttling: { burst: 3, rechargePerSecond: 0.5, refusal: "responseMessage" },
    });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await soap(server, GET_INBOX));
    expect(results.map((r) => responseCodes(r.text)[0])).toEqual([
      "NoError",
      "NoError",
      "NoError",
      "ErrorServerBusy",
      "ErrorServerBusy",
    ]);
    const backOff = Number(
      /<t:Value Name="BackOffMilliseconds">(\d+)<\/t:Value>/.exec(results[3]!.text)?.[1],
    );
    expect(backOff).toBeGreaterThan(1000);
    expect(backOff).toBeLessThanOrEqual(2000);
    expect(results[3]!.text).toContain("<m:MessageXml>");
    expect(server.counters()).toMatchObject({
      throttled: 2,
      throttledBy: { concurrency: 0, budget: 2 },
      requests: { GetFolder: 5 },
      totalRequests: 5,
    });
  });

  it("budget with http503: HTTP 503 and Retry-After instead", async () => {
    const server = await start({ throttling: { burst: 1, rechargePerSecond: 0.1, http503: true } });
    expect((await soap(server, GET_INBOX)).status).toBe(200);
    const response = await fetch(server.url, { method: "POST" });
    expect(response.status).toBe(401);
    const throttled = await soap(server, GET_INBOX);
    expect(throttled.status).toBe(503);
    expect(throttled.text).toContain("ErrorServerBusy");
    expect(server.counters().throttled).toBe(1);
  });

  it("budget with soapFault: an ErrorServerBusy SOAP fault carrying BackOffMilliseconds", async () => {
    const server = await start({ throttling: { burst: 1, rechargePerSecond: 1, soapFault: true } });
    expect((await soap(server, GET_INBOX)).status).toBe(200);
    const throttled = await soap(server, GET_INBOX);
    expect(throttled.status).toBe(500);
    expect(throttled.text).toContain(
      '<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>',
    );
    const backOff = Number(/<t:Value Name="BackOffMilliseconds">(\d+)<\/t:Value>/.exec(throttled.text)?.[1]);
    expect(backOff).toBeGreaterThan(0);
    expect(backOff).toBeLessThanOrEqual(1000);
    expect(server.counters().throttled).toBe(1);
  });

  it("concurrency: requests beyond maxConcurrency in flight get ErrorExceededConnectionCount, no backoff, no budget", async () => {
    const server = await start({
      latencyMs: 400,
      throttling: { maxConcurrency: 2, burst: 3, rechargePerSecond: 0.01, refusal: "responseMessage" },
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => soap(server, GET_INBOX)));
    const codes = results.map((r) => responseCodes(r.text)[0]);
    expect(codes.filter((c) => c === "NoError")).toHaveLength(2);
    expect(codes.filter((c) => c === "ErrorExceededConnectionCount")).toHaveLength(3);
    const refused = results.find((r) => responseCodes(r.text)[0] === "ErrorExceededConnectionCount");
    expect(refused?.text).toContain('<t:Value Name="Policy">MaxConcurrency</t:Value>');
    expect(refused?.text).toContain('<t:Value Name="MaxConcurrencyLimit">2</t:Value>');
    expect(refused?.text).not.toContain("BackOffMilliseconds");
    expect(server.counters()).toMatchObject({ throttled: 3, throttledBy: { concurrency: 3, budget: 0 } });
    // Refused requests took nothing from the budget (3): one more passes, then the budget refuses.
    expect(responseCodes((await soap(server, GET_INBOX)).text)).toEqual(["NoError"]);
    expect(responseCodes((await soap(server, GET_INBOX)).text)).toEqual(["ErrorServerBusy"]);
    expect(server.counters()).toMatchObject({ throttled: 4, throttledBy: { concurrency: 3, budget: 1 } });
  });

  it("concurrency with soapFault: an ErrorExceededConnectionCount SOAP fault (HTTP 500)", async () => {
    const server = await start({ latencyMs: 300, throttling: { maxConcurrency: 1, soapFault: true } });
    const [a, b] = await Promise.all([soap(server, GET_INBOX), soap(server, GET_INBOX)]);
    const refused = a!.status === 500 ? a! : b!;
    expect(refused.status).toBe(500);
    expect(refused.text).toContain(
      '<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorExceededConnectionCount</faultcode>',
    );
    expect(refused.text).toContain('<t:Value Name="MaxConcurrencyLimit">1</t:Value>');
    expect(server.counters().throttledBy).toEqual({ concurrency: 1, budget: 0 });
  });

  it("faults by schedule: http500, mailboxMove, slow, reset and truncate hit exactly the Nth request", async () => {
    const server = await start({
      slowResponseMs: 300,
      faults: [
        { kind: "http500", operation: "GetFolder", nth: [2] },
        { kind: "mailboxMove", operation: "GetFolder", nth: [3] },
        { kind: "slow", operation: "GetFolder", nth: [4] },
        { kind: "reset", operation: "FindItem", nth: [1] },
        { kind: "truncate", operation: "FindItem", nth: [2] },
      ],
    });
    const first = await soap(server, GET_INBOX);
    expect(responseCodes(first.text)).toEqual(["NoError"]);
    const second = await soap(server, GET_INBOX);
    expect(second.status).toBe(500);
    expect(second.text).toContain("ErrorInternalServerError");
    expect(responseCodes((await soap(server, GET_INBOX)).text)).toEqual(["ErrorMailboxMoveInProgress"]);
    const started = Date.now();
    expect(responseCodes((await soap(server, GET_INBOX)).text)).toEqual(["NoError"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await expect(soap(server, FIND_INBOX)).rejects.toThrow();
    await expect(soap(server, FIND_INBOX)).rejects.toThrow();
    expect(responseCodes((await soap(server, FIND_INBOX)).text)).toEqual(["NoError"]);
    expect(server.counters()).toMatchObject({
      requests: { GetFolder: 4, FindItem: 3 },
      faulted: { http500: 1, mailboxMove: 1, slow: 1, reset: 1, truncate: 1 },
    });
    server.resetCounters();
    expect(server.counters()).toMatchObject({
      requests: {},
      totalRequests: 0,
      throttled: 0,
      throttledBy: { concurrency: 0, budget: 0 },
      faulted: {},
    });
  });

  it("per-item faults in GetItem and ExportItems", async () => {
    const server = await start({
      faults: [
        { kind: "itemNotFound", operation: "GetItem", nth: [2] },
        { kind: "corruptData", operation: "GetItem", nth: [3] },
        { kind: "corruptData", operation: "ExportItems", nth: [1] },
      ],
    });
    const items = server.listItems(server.mailboxes[0]!, "inbox").slice(0, 4);
    const list = items.map((id) => `<t:ItemId Id="${id}"/>`).join("");
    const got = await soap(server, `<m:GetItem>${itemShape()}<m:ItemIds>${list}</m:ItemIds></m:GetItem>`);
    expect(responseCodes(got.text)).toEqual(["NoError", "ErrorItemNotFound", "ErrorCorruptData", "NoError"]);
    const exported = await soap(server, `<m:ExportItems><m:ItemIds>${list}</m:ItemIds></m:ExportItems>`);
    expect(responseCodes(exported.text)).toEqual(["ErrorCorruptData", "NoError", "NoError", "NoError"]);
    expect(server.counters().faulted).toEqual({ itemNotFound: 1, corruptData: 2 });
  });

  it("a response cut by reset draws no item faults: the Nth item is the Nth item delivered", async () => {
    const server = await start({
      faults: [
        { kind: "reset", operation: "GetItem", nth: [1] },
        { kind: "corruptData", operation: "GetItem", nth: [2] },
      ],
    });
    const list = server
      .listItems(server.mailboxes[0]!, "inbox")
      .slice(0, 3)
      .map((id) => `<t:ItemId Id="${id}"/>`)
      .join("");
    const body = `<m:GetItem>${itemShape()}<m:ItemIds>${list}</m:ItemIds></m:GetItem>`;
    await expect(soap(server, body)).rejects.toThrow();
    expect(responseCodes((await soap(server, body)).text)).toEqual([
      "NoError",
      "ErrorCorruptData",
      "NoError",
    ]);
    expect(server.counters().faulted).toEqual({ reset: 1, corruptData: 1 });
  });

  it("request-level errors are repeated once per requested entry, as Exchange does", async () => {
    const server = await start({
      throttling: { burst: 1, rechargePerSecond: 0.01, refusal: "responseMessage" },
      faults: [{ kind: "mailboxMove", operation: "ExportItems", nth: [1] }],
    });
    const list = server
      .listItems(server.mailboxes[0]!, "inbox")
      .slice(0, 3)
      .map((id) => `<t:ItemId Id="${id}"/>`)
      .join("");
    const moved = await soap(server, `<m:ExportItems><m:ItemIds>${list}</m:ItemIds></m:ExportItems>`);
    expect(responseCodes(moved.text)).toEqual(Array(3).fill("ErrorMailboxMoveInProgress"));
    const busy = await soap(server, `<m:GetItem>${itemShape()}<m:ItemIds>${list}</m:ItemIds></m:GetItem>`);
    expect(responseCodes(busy.text)).toEqual(Array(3).fill("ErrorServerBusy"));
    expect((busy.text.match(/BackOffMilliseconds/g) ?? []).length).toBe(3);
  });

  it("faults by rate are reproducible for the same fault seed", async () => {
    const run = async () => {
      const server = await start({ faultSeed: 99, faults: [{ kind: "http500", rate: 0.3 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await soap(server, GET_INBOX)).status);
      return { statuses, faulted: server.counters().faulted.http500 ?? 0 };
    };
    const a = await run();
    const b = await run();
    expect(a.statuses).toEqual(b.statuses);
    const failures = a.statuses.filter((s) => s === 500).length;
    expect(failures).toBe(a.faulted);
    expect(failures).toBeGreaterThan(2);
    expect(failures).toBeLessThan(20);
  });

  it("latency and bandwidth slow responses down as configured", async () => {
    const slow = await start({ latencyMs: 250 });
    let started = Date.now();
    await soap(slow, GET_INBOX);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);

    const narrow = await start({ bandwidthBytesPerSecond: 20_000 });
    started = Date.now();
    const result = await soap(
      narrow,
      `<m:FindItem Traversal="Shallow">${itemShape("AllProperties")}<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
    );
    const elapsed = Date.now() - started;
    const bytes = Buffer.byteLength(result.text);
    expect(bytes).toBeGreaterThan(5_000);
    expect(elapsed).toBeGreaterThanOrEqual((bytes / 20_000) * 1000 * 0.8);
  });
});
