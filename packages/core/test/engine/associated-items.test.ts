// The engine and folder-associated items, on MemoryExchange: backed up by default (the source
// declares associatedItems), restored as associated items (and recognised when already there),
// left out with associatedItems: false, and a folder switched between the two scopes resyncs
// without exporting its normal items again.
import { backup, restore } from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngineFixture, type EngineFixture } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const FRESH = "fresh@contoso.test";

let exchange: MemoryExchange;
let fixture: EngineFixture;

beforeEach(async () => {
  exchange = new MemoryExchange();
  for (const mailbox of [A, FRESH]) exchange.addMailbox(mailbox);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 5; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  exchange.addItem(A, inbox, "", "rule", "IPM.Rule.Version2.Message", true);
  exchange.addItem(A, inbox, "Compact", "view", "IPM.Microsoft.FolderDesign.NamedView", true);
  fixture = await createEngineFixture();
});

afterEach(async () => {
  await fixture.close();
});

const run = (associatedItems?: boolean) =>
  backup({
    repository: fixture.repository,
    source: exchange,
    mailboxes: [A],
    indexDirectory: fixture.indexDirectory,
    ...(associatedItems === undefined ? {} : { associatedItems }),
  });

/** A folder's associated items by class, with their data. */
function associated(mailbox: string): Map<string, string> {
  const inbox = exchange.folderId(mailbox, "Inbox");
  return new Map(
    exchange
      .itemsIn(mailbox, inbox)
      .filter((i) => i.summary.isAssociated === true)
      .map((i) => [i.summary.itemClass ?? "", new TextDecoder().decode(i.data)]),
  );
}

describe("folder-associated items in the engine", () => {
  it("backs them up by default and restores them as associated items, once", async () => {
    const report = await run();
    expect(report.mailboxes[0]!.items).toBe(7);
    const restored = await restore({
      repository: fixture.repository,
      target: exchange,
      mailbox: A,
      toMailbox: FRESH,
    });
    expect(restored.failed).toBe(0);
    expect(associated(FRESH)).toEqual(associated(A));
    expect(associated(FRESH).size).toBe(2);
    const inbox = exchange.folderId(FRESH, "Inbox");
    expect(await exchange.findItems(FRESH, inbox)).toHaveLength(5);
    // Again: the FAI already there are recognised (conflict "skip"), not uploaded twice.
    const again = await restore({
      repository: fixture.repository,
      target: exchange,
      mailbox: A,
      toMailbox: FRESH,
    });
    expect(again.restored).toBe(0);
    expect(associated(FRESH).size).toBe(2);
  });

  it("associatedItems: false leaves them out; switching scope exports only the FAI", async () => {
    const plain = await run(false);
    expect(plain.mailboxes[0]!.items).toBe(5);
    const withFai = await run();
    expect(withFai.mailboxes[0]!.items).toBe(7);
    expect(withFai.mailboxes[0]!.itemsExported).toBe(2);
    const without = await run(false);
    expect(without.mailboxes[0]!.items).toBe(5);
    expect(without.mailboxes[0]!.itemsExported).toBe(0);
    await restore({ repository: fixture.repository, target: exchange, mailbox: A, toMailbox: FRESH });
    expect(associated(FRESH).size).toBe(0);
  });

  it("a source without the capability is never asked for them", async () => {
    Object.assign(exchange, { capabilities: { ...exchange.capabilities, associatedItems: false } });
    const report = await run(true);
    expect(report.mailboxes[0]!.items).toBe(5);
  });
});
