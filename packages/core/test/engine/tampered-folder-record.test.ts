// A folder record of the mailbox index that fails authentication is met while the run loads
// the index's folders (after the index opened): the mailbox runs once more with the index
// rebuilt from the repository, reports INDEX_AUTH_FAILED as a warning, and completes.
import { backup, initRepository, mailboxIndexDirectory, type Repository } from "@ewsvault/core";
import { createMemoryDestination } from "@ewsvault/destination";
import { tempDir } from "@ewsvault/testkit";
import { Level } from "level";
import { afterEach, beforeEach, expect, it } from "vitest";
import { MemoryExchange } from "../support/memory-mailbox.js";

const A = "ann@contoso.test";

let exchange: MemoryExchange;
let repository: Repository;
let work: { path: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 6; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  repository = await initRepository({
    destination: createMemoryDestination(),
    password: "folder records",
    kdf: { N: 1024, r: 8, p: 1 },
    workers: 0,
  });
  work = await tempDir();
});

afterEach(async () => {
  await repository.close();
  await work.cleanup();
});

it("a tampered folder record makes the mailbox run again on a rebuilt index", async () => {
  const run = () => backup({ repository, source: exchange, mailboxes: [A], indexDirectory: work.path });
  expect((await run()).mailboxes[0]?.status).toBe("completed");
  const db = new Level<string, Uint8Array>(mailboxIndexDirectory(work.path, A, repository.cacheKey()), {
    valueEncoding: "view",
  });
  await db.open();
  let tampered = 0;
  for await (const [key, value] of db.iterator({ gte: "f!", lt: 'f"' })) {
    const edited = Buffer.from(value);
    edited[edited.length - 1]! ^= 0x01;
    await db.put(key, edited);
    tampered++;
  }
  await db.close();
  expect(tampered).toBeGreaterThan(0);

  const report = (await run()).mailboxes[0]!;
  expect(report).toMatchObject({ status: "completed", indexRebuilt: true, itemsExported: 0, items: 6 });
  expect(report.warnings?.map((w) => w.code)).toEqual(["INDEX_AUTH_FAILED"]);
  const next = (await run()).mailboxes[0]!;
  expect(next).toMatchObject({ status: "completed", indexRebuilt: false, itemsExported: 0 });
  expect(next.warnings).toBeUndefined();
});
