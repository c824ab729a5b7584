// ExportItems and UploadItems against a canned server (bulk-export.ts, bulk-upload.ts): batch
// splitting on ErrorMessageSizeExceeded, per-item dispositions, the byte budget, the learned
// growth, request-level errors, transient re-asks and mailbox-level failures.
import { type ExportResult, isEwsVaultError } from "@ewsvault/mailbox";
import { afterEach, describe, expect, it } from "vitest";
import { ByteBudget, createEwsClient, type EwsClient, type EwsClientOptions } from "../src/index.js";
import {
  type CannedHandler,
  type CannedServer,
  errorMessage,
  okMessage,
  send,
  soapFault,
  soapResponse,
  startCannedServer,
} from "./canned-server.js";

const servers: CannedServer[] = [];
const clients: EwsClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(handler: CannedHandler): Promise<CannedServer> {
  const server = await startCannedServer(handler);
  servers.push(server);
  return server;
}

/** A client of `server` over plain http (Basic as u@example.com unless `options` say otherwise). */
function clientOf(server: CannedServer, options: Partial<EwsClientOptions> = {}): EwsClient {
  const client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", username: "u@example.com", password: "p" },
    ...options,
  });
  clients.push(client);
  return client;
}

/** An ExportItems success message carrying `size` bytes of the item's content. */
function exported(id: string, size: number, changeKey = ""): string {
  return okMessage(
    "ExportItems",
    `<m:ItemId Id="${id}"${changeKey}/><m:Data>${content(id, size).toString("base64")}</m:Data>`,
  );
}

function idsOf(body: string): string[] {
  return [...body.matchAll(/<t:ItemId Id="([^"]+)"\/>/g)].map((m) => m[1] as string);
}

/** Deterministic content per id: `size` bytes derived from the id. */
function content(id: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (id.charCodeAt(i % id.length) + i) & 0xff;
  return out;
}

async function collect(iterable: AsyncIterable<ExportResult>): Promise<ExportResult[]> {
  const out: ExportResult[] = [];
  for await (const result of iterable) out.push(result);
  return out;
}

describe("ExportItems batching", () => {
  it("splits a batch the server refuses with ErrorMessageSizeExceeded and classifies per-item errors", async () => {
    const sizes = new Map<string, number>();
    const busyOnce = new Set(["busy"]);
    const server = await serve((req, res) => {
      const ids = idsOf(req.body);
      if (ids.length > 2) {
        send(res, 500, soapFault("ErrorMessageSizeExceeded"));
        return;
      }
      const messages = ids.map((id) => {
        if (id === "gone") return errorMessage("ExportItems", "ErrorItemNotFound");
        if (id === "corrupt") return errorMessage("ExportItems", "ErrorCorruptData");
        if (id === "moving") return errorMessage("ExportItems", "ErrorMailboxMoveInProgress");
        if (id === "denied") return errorMessage("ExportItems", "ErrorImpersonateUserDenied");
        if (busyOnce.delete(id)) return errorMessage("ExportItems", "ErrorServerBusy", 250);
        return exported(id, sizes.get(id) ?? 10, ' ChangeKey="ck"');
      });
      send(res, 200, soapResponse("ExportItems", messages));
    });
    const client = clientOf(server, {
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
      maxConcurrency: 2,
    });
    const ids = ["a", "b", "c", "gone", "corrupt", "moving", "busy", "d", "denied"];
    for (const [i, id] of ids.entries()) sizes.set(id, 100 + i);
    const results = await collect(
      client.exportItems(
        "u@example.com",
        ids.map((itemId) => ({ itemId, size: sizes.get(itemId) })),
      ),
    );
    expect(results.map((r) => r.itemId).sort()).toEqual([...ids].sort());
    const byId = new Map(results.map((r) => [r.itemId, r]));
    for (const id of ["a", "b", "c", "busy", "d"]) {
      const result = byId.get(id);
      expect(result?.ok).toBe(true);
      if (result?.ok) expect(Buffer.from(result.data).equals(content(id, sizes.get(id) ?? 0))).toBe(true);
    }
    const disposition = (id: string) => {
      const r = byId.get(id);
      return r && !r.ok ? [r.error.responseCode, r.error.disposition] : undefined;
    };
    expect(disposition("gone")).toEqual(["ErrorItemNotFound", "skip"]);
    expect(disposition("corrupt")).toEqual(["ErrorCorruptData", "skip"]);
    expect(disposition("moving")).toEqual(["ErrorMailboxMoveInProgress", "retry"]);
    expect(disposition("denied")).toEqual(["ErrorImpersonateUserDenied", "fatal"]);
    expect(client.stats().exportSplits).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.operation === "ExportItems")).toBe(true);
    // The re-ask for the one busy item waited for its BackOffMilliseconds.
    const busyRequests = server.requests.filter(
      (r) => idsOf(r.body).length <= 2 && idsOf(r.body).includes("busy"),
    );
    expect(busyRequests).toHaveLength(2);
    expect((busyRequests[1]?.at ?? 0) - (busyRequests[0]?.at ?? 0)).toBeGreaterThanOrEqual(245);
  });

  it("keeps item data in flight under the byte budget and answers one result per id", async () => {
    const itemSize = 40_000;
    const server = await serve((req, res) => {
      const ids = idsOf(req.body);
      const messages = ids.map((id) => exported(id, itemSize));
      setTimeout(() => send(res, 200, soapResponse("ExportItems", messages)), 5);
    });
    const budget = new ByteBudget(200_000);
    const client = clientOf(server, {
      maxConcurrency: 4,
      maxExportBatchBytes: 120_000,
      inFlightBytes: budget,
    });
    const ids = Array.from({ length: 60 }, (_, i) => `item-${i}`);
    let count = 0;
    for await (const result of client.exportItems(
      "u@example.com",
      ids.map((itemId) => ({ itemId, size: itemSize })),
    )) {
      expect(result.ok).toBe(true);
      count++;
      // A slow consumer: workers must wait for the budget instead of piling data up.
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(count).toBe(60);
    expect(budget.snapshot().peak).toBeLessThanOrEqual(200_000);
    expect(budget.snapshot().peak).toBeGreaterThan(100_000);
    expect(budget.inUse).toBe(0);
    // Two items per request: 2 x ~53 KiB base64 fits 120 KB, three would not.
    expect(server.requests.every((r) => idsOf(r.body).length <= 2)).toBe(true);
    expect(client.stats().largestResponseBytes).toBeLessThanOrEqual(120_000);
  });

  it("learns from a response that overshoots the cap (under-reported sizes) and plans smaller batches", async () => {
    const server = await serve((req, res) => {
      const messages = idsOf(req.body).map((id) => exported(id, 30_000));
      send(res, 200, soapResponse("ExportItems", messages));
    });
    const warnings: string[] = [];
    const responses: { items?: number; bytes: number }[] = [];
    const cap = 120_000;
    const client = clientOf(server, {
      maxConcurrency: 1,
      maxExportBatchBytes: cap,
      logger: { warn: (message) => warnings.push(message) },
      onResponse: (info) => responses.push(info),
    });
    // The server claims 10 kB per item but sends 30 kB.
    const results = await collect(
      client.exportItems(
        "u@example.com",
        Array.from({ length: 40 }, (_, i) => ({ itemId: `i${i}`, size: 10_000 })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(40);
    expect(responses[0]?.bytes).toBeGreaterThan(cap);
    expect((responses[0]?.items ?? 0) > (responses[1]?.items ?? 0)).toBe(true);
    for (const response of responses.slice(1)) expect(response.bytes).toBeLessThanOrEqual(cap);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/under-reported/);
  });

  it("releases the budget when the consumer stops early", async () => {
    const server = await serve((req, res) => {
      const messages = idsOf(req.body).map((id) => exported(id, 1000));
      send(res, 200, soapResponse("ExportItems", messages));
    });
    const client = clientOf(server, {
      maxExportBatchBytes: 4000,
    });
    for await (const result of client.exportItems(
      "u@example.com",
      Array.from({ length: 20 }, (_, i) => ({ itemId: `i${i}`, size: 1000 })),
    )) {
      expect(result.ok).toBe(true);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(client.byteBudget.inUse).toBe(0);
  });

  it("applies a single request-level error message to every item of the batch", async () => {
    let first = true;
    const server = await serve((req, res) => {
      const ids = idsOf(req.body);
      if (first) {
        // Exchange answers a request it refuses as a whole with one message, not one per item.
        first = false;
        send(
          res,
          200,
          soapResponse("ExportItems", [errorMessage("ExportItems", "ErrorMailboxMoveInProgress")]),
        );
        return;
      }
      const messages = ids.map((id) => exported(id, 8, ' ChangeKey="ck"'));
      send(res, 200, soapResponse("ExportItems", messages));
    });
    const client = clientOf(server, {
      auth: { kind: "basic", username: "u", password: "p" },
    });
    const results = await collect(
      client.exportItems("a@example.com", [
        { itemId: "one", size: 8 },
        { itemId: "two", size: 8 },
        { itemId: "three", size: 8 },
      ]),
    );
    expect(results.map((r) => r.itemId).sort()).toEqual(["one", "three", "two"]);
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.error).toMatchObject({
          responseCode: "ErrorMailboxMoveInProgress",
          disposition: "retry",
        });
    }
  });

  it("rejects the whole call for a mailbox-level failure", async () => {
    const server = await serve((_req, res) => send(res, 500, soapFault("ErrorNonExistentMailbox")));
    const client = clientOf(server, {
      auth: { kind: "basic", username: "u", password: "p" },
    });
    await expect(
      collect(client.exportItems("nobody@example.com", [{ itemId: "x", size: 1 }])),
    ).rejects.toSatisfy((e: unknown) => isEwsVaultError(e, "EWS_MAILBOX_NOT_FOUND"));
  });
});

describe("UploadItems", () => {
  it("returns one result per request in order, retrying only transient items", async () => {
    let busy = true;
    const server = await serve((req, res) => {
      const items = [
        ...req.body.matchAll(/<t:Item CreateAction="(\w+)"[^>]*>.*?<t:Data>([^<]*)<\/t:Data><\/t:Item>/g),
      ];
      const messages = items.map((match) => {
        const data = Buffer.from(match[2] as string, "base64").toString();
        if (data === "bad") return errorMessage("UploadItems", "ErrorCorruptData");
        if (data === "busy" && busy) {
          busy = false;
          return errorMessage("UploadItems", "ErrorServerBusy");
        }
        return okMessage("UploadItems", `<m:ItemId Id="new-${data}" ChangeKey="ck-${match[1]}"/>`);
      });
      send(res, 200, soapResponse("UploadItems", messages));
    });
    const client = clientOf(server, {
      retry: { baseDelayMs: 5, maxDelayMs: 10 },
    });
    const data = (s: string) => new TextEncoder().encode(s);
    const results = await client.uploadItems("u@example.com", [
      { parentFolderId: "F1", data: data("one"), mode: "CreateNew" },
      { parentFolderId: "F1", data: data("bad"), mode: "CreateNew" },
      { parentFolderId: "F1", data: data("busy"), mode: "Update", itemId: "old" },
      {
        parentFolderId: "F1",
        data: data("four"),
        mode: "UpdateOrCreate",
        itemId: "old4",
        isAssociated: true,
      },
    ]);
    expect(results.map((r) => (r.ok ? r.itemId : r.error.responseCode))).toEqual([
      "new-one",
      "ErrorCorruptData",
      "new-busy",
      "new-four",
    ]);
    expect(results[2]).toMatchObject({ ok: true, changeKey: "ck-Update" });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.body).toContain('CreateAction="UpdateOrCreate" IsAssociated="true"');
    expect(server.requests[1]?.body).not.toContain("b25l"); // "one" is not sent twice
    await expect(
      client.uploadItems("u@example.com", [{ parentFolderId: "F1", data: data("x"), mode: "Update" }]),
    ).rejects.toThrow(TypeError);
  });

  it("splits a request the server refuses as too large and skips an item too large on its own", async () => {
    const server = await serve((req, res) => {
      const items = [...req.body.matchAll(/<t:Data>([^<]*)<\/t:Data>/g)].map((m) =>
        Buffer.from(m[1] as string, "base64").toString(),
      );
      if (items.length > 2 || items.includes("huge")) {
        send(res, 413, "");
        return;
      }
      const messages = items.map((data) =>
        okMessage("UploadItems", `<m:ItemId Id="new-${data}" ChangeKey="ck"/>`),
      );
      send(res, 200, soapResponse("UploadItems", messages));
    });
    const client = clientOf(server);
    const data = (s: string) => new TextEncoder().encode(s);
    const results = await client.uploadItems(
      "u@example.com",
      ["one", "two", "huge", "four", "five"].map((s) => ({
        parentFolderId: "F1",
        data: data(s),
        mode: "CreateNew" as const,
      })),
    );
    expect(results.map((r) => (r.ok ? r.itemId : `${r.error.responseCode}:${r.error.disposition}`))).toEqual([
      "new-one",
      "new-two",
      "ErrorMessageSizeExceeded:skip",
      "new-four",
      "new-five",
    ]);
  });

  it("rejects with the mailbox-level code and stops the other batches", async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => send(res, 500, soapFault("ErrorImpersonateUserDenied")), 20);
    });
    const client = clientOf(server, {
      maxConcurrency: 2,
    });
    const items = Array.from({ length: 1000 }, (_, i) => ({
      parentFolderId: "F1",
      data: new Uint8Array([i & 0xff]),
      mode: "CreateNew" as const,
    }));
    await expect(client.uploadItems("other@example.com", items)).rejects.toSatisfy((e: unknown) =>
      isEwsVaultError(e, "EWS_IMPERSONATION_DENIED"),
    );
    // 10 batches of 100; two in flight when the first failure arrives, none started after.
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });
});
