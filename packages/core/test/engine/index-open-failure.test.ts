// A mailbox index that fails while being rebuilt (a snapshot tree cannot be read) must be closed
// again: LevelDB allows one open handle per directory, so a long-lived process (a service
// worker) that retries the mailbox would otherwise find its own index locked (INDEX_CORRUPT).
// A folder record that fails authentication once the index is open (while the run loads its
// folders) makes the mailbox run again on an index rebuilt from the repository.
import { rm } from "node:fs/promises";
import { backup, mailboxIndexDirectory, type Repository } from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { Level } from "level";
import { afterEach, beforeEach, expect, it } from "vitest";
import { engineStorage, type WorkDirectory } from "../support/engine-fixture.js";

const A = "ann@contoso.test";

let exchange: MemoryExchange;
let repository: Repository;
let work: WorkDirectory;

beforeEach(async () => {
  exchange = new MemoryExchange();
  exchange.addMailbox(A);
  const inbox = exchange.folderId(A, "Inbox");
  for (let i = 0; i < 6; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  ({ repository, work } = await engineStorage({ workers: 0 }));
});

afterEach(() => work.cleanup());

it("a rebuild that fails closes the index, so the next run in the same process rebuilds it", async () => {
  expect(
    (await backup({ repository, source: exchange, mailboxes: [A], indexDirectory: work.path })).mailboxes[0]
      ?.status,
  ).toBe("completed");
  await rm(work.path, { recursive: true, force: true }); // a lost index: rebuilt from the snapshot
  let failNext = true;
  const flaky = new Proxy(repository, {
    get(target, name, receiver) {
      if (name === "loadTree") {
        return async (id: string) => {
          if (failNext) {
            failNext = false;
            throw Object.assign(new Error("tree unreadable (test)"), { code: "TEST_TREE_UNREADABLE" });
          }
          return target.loadTree(id);
        };
      }
      const value = Reflect.get(target, name, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const failed = await backup({
    repository: flaky,
    source: exchange,
    mailboxes: [A],
    indexDirectory: work.path,
  });
  expect(failed.mailboxes[0]?.status).toBe("failed");
  const again = await backup({
    repository: flaky,
    source: exchange,
    mailboxes: [A],
    indexDirectory: work.path,
  });
  expect(again.mailboxes[0]?.status, JSON.stringify(again.mailboxes[0]?.error)).toBe("completed");
  expect(again.mailboxes[0]?.indexRebuilt).toBe(true);
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
