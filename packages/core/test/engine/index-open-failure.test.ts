// A mailbox index that fails while being rebuilt (a snapshot tree cannot be read) must be closed
// again: LevelDB allows one open handle per directory, so a long-lived process (a service
// worker) that retries the mailbox would otherwise find its own index locked (INDEX_CORRUPT).
// A folder record that fails authentication once the index is open (while the run loads its
// folders) makes the mailbox run again on an index rebuilt from the repository.
import { rm } from "node:fs/promises";
import { backup, mailboxIndexDirectory } from "@ewsvault/core";
import { Level } from "level";
import { expect, it } from "vitest";
import { useEngineTest } from "../support/engine-fixture.js";

const A = "ann@contoso.test";

const t = useEngineTest(
  (exchange) => {
    exchange.addMailbox(A);
    const inbox = exchange.folderId(A, "Inbox");
    for (let i = 0; i < 6; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  },
  { workers: 0 },
);

it("a rebuild that fails closes the index, so the next run in the same process rebuilds it", async () => {
  expect(
    (
      await backup({
        repository: t.repository,
        source: t.exchange,
        mailboxes: [A],
        indexDirectory: t.work.path,
      })
    ).mailboxes[0]?.status,
  ).toBe("completed");
  await rm(t.work.path, { recursive: true, force: true }); // a lost index: rebuilt from the snapshot
  let failNext = true;
  const flaky = new Proxy(t.repository, {
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
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
  });
  expect(failed.mailboxes[0]?.status).toBe("failed");
  const again = await backup({
    repository: flaky,
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
  });
  expect(again.mailboxes[0]?.status, JSON.stringify(again.mailboxes[0]?.error)).toBe("completed");
  expect(again.mailboxes[0]?.indexRebuilt).toBe(true);
});

it("a tampered folder record makes the mailbox run again on a rebuilt index", async () => {
  const run = () =>
    backup({ repository: t.repository, source: t.exchange, mailboxes: [A], indexDirectory: t.work.path });
  expect((await run()).mailboxes[0]?.status).toBe("completed");
  const db = new Level<string, Uint8Array>(mailboxIndexDirectory(t.work.path, A, t.repository.cacheKey()), {
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
