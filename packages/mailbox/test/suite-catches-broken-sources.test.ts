// The conformance suite can fail: each deliberately broken source below (a memory mailbox with
// one contract broken) must fail exactly the checks about that contract, and pass the others.
import { describe, expect, it } from "vitest";
import { EwsVaultError, type MailboxSource } from "../src/index.js";
import {
  classified,
  type MailboxCheck,
  type MailboxConformanceOptions,
  MemoryExchange,
  runMailboxCheck,
  runMailboxChecks,
} from "../src/testing/index.js";

const MAILBOX = "broken@contoso.test";

/** The memory mailbox as a plain source object, with `broken` replacing some of its methods. */
function harness(
  broken: (exchange: MemoryExchange) => Partial<MailboxSource>,
  features = { target: false, probeFolders: false },
): MailboxConformanceOptions {
  return {
    name: "broken",
    features,
    async create() {
      const exchange = new MemoryExchange();
      exchange.addMailbox(MAILBOX);
      const source: MailboxSource = {
        capabilities: exchange.capabilities,
        getMailboxInfo: (m, s) => exchange.getMailboxInfo(m, s),
        syncFolderHierarchy: (m, o) => exchange.syncFolderHierarchy(m, o),
        syncFolderItems: (m, f, o) => exchange.syncFolderItems(m, f, o),
        findItems: (m, f, s) => exchange.findItems(m, f, s),
        findFolders: (m, r, s) => exchange.findFolders(m, r, s),
        exportItems: (m, i, s) => exchange.exportItems(m, i, s),
        getMimeContent: (m, i, s) => exchange.getMimeContent(m, i, s),
        close: () => exchange.close(),
        ...broken(exchange),
      };
      return { source, mailbox: MAILBOX, fixture: exchange.fixture(MAILBOX) };
    },
  };
}

/** Names of the checks that failed. */
async function failures(options: MailboxConformanceOptions): Promise<string[]> {
  const outcomes = await runMailboxChecks(options);
  expect(outcomes.length).toBeGreaterThan(5);
  return outcomes.filter((outcome) => outcome.error !== undefined).map((outcome) => outcome.check.name);
}

describe("the mailbox conformance suite catches broken sources", () => {
  it("an unbroken source fails nothing (the baseline the others are compared with)", async () => {
    expect(await failures(harness(() => ({})))).toEqual([]);
  });

  it("a sync that drops an item", async () => {
    const failed = await failures(
      harness((exchange) => ({
        async syncFolderItems(m, f, o) {
          const page = await exchange.syncFolderItems(m, f, o);
          return { ...page, changes: page.changes.slice(1) };
        },
      })),
    );
    expect(failed).toContain(
      "a full sync pages to its end, reports each item of the folder once, and agrees with findItems",
    );
    expect(failed).toContain("a sync state stays valid and resumes with exactly the changes since");
    expect(failed).toContain(
      "a read-flag change is reported for that item only, as a readFlag change or an update carrying isRead",
    );
  });

  it("an export whose bytes change between exports of an unchanged item", async () => {
    let exports = 0;
    const failed = await failures(
      harness((exchange) => ({
        async *exportItems(m, i, s) {
          exports++;
          for await (const result of exchange.exportItems(m, i, s))
            yield result.ok ? { ...result, data: Uint8Array.of(...result.data, exports) } : result;
        },
      })),
    );
    expect(failed).toEqual([
      "yields one result per id; unchanged items export byte-identical, changed ones differ, gone ones fail per item",
    ]);
  });

  it("a source claiming handsOverItemBytes that hands over the buffers it stores", async () => {
    const failed = await failures(
      harness((exchange) => ({ capabilities: { ...exchange.capabilities, handsOverItemBytes: true } })),
    );
    expect(failed).toEqual([
      "yields one result per id; unchanged items export byte-identical, changed ones differ, gone ones fail per item",
    ]);
  });

  it("a sync that ignores the sync state (restarts from scratch every time)", async () => {
    const failed = await failures(
      harness((exchange) => ({
        syncFolderItems: (m, f, o) => exchange.syncFolderItems(m, f, { ...o, syncState: undefined }),
      })),
    );
    expect(failed).toEqual([
      // Paging never ends: every page is the first one again.
      "a full sync pages to its end, reports each item of the folder once, and agrees with findItems",
      "a sync state stays valid and resumes with exactly the changes since",
      "a read-flag change is reported for that item only, as a readFlag change or an update carrying isRead",
      "a sync state that is garbage or of another folder is EWS_INVALID_SYNC_STATE, never a silent restart",
    ]);
  });

  it("a source that ignores abort signals", async () => {
    const failed = await failures(harness((exchange) => ({ findItems: (m, f) => exchange.findItems(m, f) })));
    expect(failed).toEqual(["an aborted signal rejects every method with EWS_ABORTED"]);
  });

  it("a source that rejects with a plain Error instead of EWS_MAILBOX_NOT_FOUND", async () => {
    const failed = await failures(
      harness((exchange) => ({
        async getMailboxInfo(m, s) {
          if (!exchange.mailboxes.has(m)) throw new Error("no such mailbox");
          return exchange.getMailboxInfo(m, s);
        },
      })),
    );
    expect(failed).toEqual(["an unknown mailbox is EWS_MAILBOX_NOT_FOUND from every reading method"]);
  });

  it("features that do not match the instance (a declared target that is not there)", async () => {
    const failed = await failures(harness(() => ({}), { target: true, probeFolders: false }));
    expect(failed).toContain("declares well-formed capabilities, and exactly the optional features it has");
    expect(failed).toContain(
      "exported items uploaded with CreateNew come back with subject, class and search key, in request order",
    );
  });
});

describe("every rejection during a check is held to the error contract", () => {
  it("records bare Errors and undocumented codes from promises and async iterables, not documented codes or TypeErrors", async () => {
    const violations: string[] = [];
    const wrapped = classified(
      {
        bare: async () => {
          throw new Error("boom");
        },
        undocumented: async () => {
          throw Object.assign(new EwsVaultError("EWS_SERVER_ERROR", "x"), { code: "EWS_MADE_UP" });
        },
        documented: async () => {
          throw new EwsVaultError("EWS_FOLDER_NOT_FOUND", "gone");
        },
        mistake: () => {
          throw new TypeError("bad argument");
        },
        async *stream() {
          yield 1;
          throw new RangeError("mid-stream");
        },
      },
      violations,
    );
    for (const call of [wrapped.bare, wrapped.undocumented, wrapped.documented, wrapped.mistake])
      await expect(Promise.resolve().then(call)).rejects.toBeDefined();
    await expect(
      (async () => {
        for await (const _ of wrapped.stream());
      })(),
    ).rejects.toBeInstanceOf(RangeError);
    expect(violations).toEqual([
      "bare: not an EwsVaultError: Error: boom",
      "undocumented: undocumented code EWS_MADE_UP",
      "stream: not an EwsVaultError: RangeError: mid-stream",
    ]);
  });

  it("runMailboxCheck fails a check whose source broke the contract, even when the check swallowed the error", async () => {
    const options = harness(() => ({
      getMimeContent: async () => {
        throw new Error("no MIME here");
      },
    }));
    const swallowing: MailboxCheck = {
      concern: "test",
      name: "asks for MIME and ignores the failure",
      async run({ source, mailbox }) {
        await source.getMimeContent(mailbox, "any").catch(() => undefined);
      },
    };
    await expect(runMailboxCheck(swallowing, options)).rejects.toThrow(
      "getMimeContent: not an EwsVaultError: Error: no MIME here",
    );
  });
});
