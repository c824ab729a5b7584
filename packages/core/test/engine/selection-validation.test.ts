// A selection that cannot match anything is refused before any work: picomatch would compile
// "[" or "[z-a]" into a regex that never matches, and the backup would write an empty snapshot
// that becomes the mailbox's latest.
import { backup, createFolderFilter, type MailboxSource, restore, validateSelection } from "@ewsvault/core";
import type { MemoryExchange } from "@ewsvault/mailbox/testing";
import { describe, expect, it } from "vitest";
import { useEngineTest } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const t = useEngineTest((exchange) => {
  exchange.addMailbox(A);
  exchange.addItem(A, exchange.folderId(A, "Inbox"), "hello", "body");
});

/** The exchange, counting every call the engine makes. */
function counted(): { source: MailboxSource; calls: () => number; names: string[] } {
  const names: string[] = [];
  const source = new Proxy(t.exchange, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        names.push(String(property));
        return value.apply(target, args);
      };
    },
  }) as unknown as MailboxSource;
  return { source, calls: () => names.length, names };
}

describe("selection validation", () => {
  it.each([
    ["includeFolders", ["["]],
    ["includeFolders", ["[z-a]"]],
    ["excludeFolders", ["{a,b"]],
    ["excludeFolders", ["Inbox/(x"]],
    ["includeFolders", [""]],
    ["includeItemClasses", [" "]],
  ])(
    "backup with %s %j fails with SELECTION_INVALID before asking the server or writing",
    async (field, value) => {
      const { source, calls } = counted();
      await expect(
        backup({
          repository: t.repository,
          source,
          mailboxes: [A],
          indexDirectory: t.work.path,
          selection: { [field]: value },
        }),
      ).rejects.toMatchObject({ code: "SELECTION_INVALID", details: { field } });
      expect(calls()).toBe(0);
      expect(await t.repository.listSnapshots()).toEqual([]);
    },
  );

  it("refuses an empty or inverted date range and an invalid date", () => {
    const may1 = new Date("2024-05-01T00:00:00Z");
    const may2 = new Date("2024-05-02T00:00:00Z");
    expect(() => validateSelection({ receivedAfter: may2, receivedBefore: may1 })).toThrow(
      expect.objectContaining({ code: "SELECTION_INVALID" }),
    );
    expect(() => validateSelection({ receivedAfter: may1, receivedBefore: may1 })).toThrow(
      expect.objectContaining({ code: "SELECTION_INVALID" }),
    );
    expect(() => validateSelection({ receivedAfter: new Date("nope") })).toThrow(
      expect.objectContaining({ code: "SELECTION_INVALID" }),
    );
    // Valid selections pass, including literal brackets escaped and balanced ones.
    validateSelection({
      receivedAfter: may1,
      receivedBefore: may2,
      includeFolders: ["inbox", "Inbox/**", "[Gg]mail/*", "\\[Gmail\\]/**", "Projects (old)", "{a,b}/c"],
    });
    expect(
      createFolderFilter({ includeFolders: ["\\[Gmail\\]/**"] })({
        path: ["[Gmail]", "Sent"],
        distinguishedNames: [],
      }),
    ).toBe(true);
  });

  it("restore with an invalid folder pattern fails with SELECTION_INVALID and writes nothing", async () => {
    const report = await backup({
      repository: t.repository,
      source: t.exchange,
      mailboxes: [A],
      indexDirectory: t.work.path,
    });
    expect(report.mailboxes[0]!.status).toBe("completed");
    const { source, names } = counted();
    await expect(
      restore({
        repository: t.repository,
        target: source as unknown as MemoryExchange,
        mailbox: A,
        folders: ["[z-a]"],
      }),
    ).rejects.toMatchObject({ code: "SELECTION_INVALID" });
    // restore() reads the target mailbox's folders first; the plan (and its check) comes next.
    expect(names.filter((name) => name !== "getMailboxInfo")).toEqual([]);
  });
});
