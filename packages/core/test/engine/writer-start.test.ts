// Export batches of one mailbox run concurrently and store their items concurrently. They must
// all go through the mailbox's one writer (a second one would hold blobs that no checkpoint()
// covers; today the engine also starts it before any folder syncs, the shared start keeps that
// true if the order changes), and bytes a source keeps must survive the write pool's workers
// unless the source declares handsOverItemBytes.
import { backup, type EngineRepository, type Repository, restore } from "@ewsvault/core";
import { expect, it } from "vitest";
import { useEngineTest } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const B = "bob@contoso.test";

const t = useEngineTest(
  (exchange) => {
    exchange.addMailbox(A);
    exchange.addMailbox(B);
    const inbox = exchange.folderId(A, "Inbox");
    // Items above the write pool's 8 KiB floor, so they travel to its workers.
    for (let i = 0; i < 48; i++)
      exchange.addItem(A, inbox, `mail ${i}`, `line ${i} of a longer body\n`.repeat(900));
  },
  { workers: 2 },
);

it("uses one writer per mailbox and leaves the source's bytes alone while batches store concurrently", async () => {
  let started = 0;
  // A slow start makes every concurrent batch ask for the writer before the first one exists.
  const counting: EngineRepository = new Proxy(t.repository as unknown as EngineRepository, {
    get(target, name, receiver) {
      if (name === "startWriter") {
        return async (...args: Parameters<EngineRepository["startWriter"]>) => {
          started++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          return target.startWriter(...args);
        };
      }
      const value = Reflect.get(target, name, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  // Like a network round trip: several batches' answers arrive while the writer is starting.
  const exportItems = t.exchange.exportItems.bind(t.exchange);
  t.exchange.exportItems = async function* (...args: Parameters<typeof exportItems>) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    yield* exportItems(...args);
  };
  const before = t.exchange
    .itemsIn(A, t.exchange.folderId(A, "Inbox"))
    .map((i) => new TextDecoder().decode(i.data));
  const report = await backup({
    repository: counting as unknown as Repository,
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
    exportBatchItems: 2,
  });
  expect(report.mailboxes[0]!.status).toBe("completed");
  expect(started).toBe(1);
  // The source keeps its bytes (it does not declare handsOverItemBytes): nothing was detached.
  const after = t.exchange
    .itemsIn(A, t.exchange.folderId(A, "Inbox"))
    .map((i) => new TextDecoder().decode(i.data));
  expect(after).toEqual(before);
  expect((await t.repository.verify({ readData: true })).problems).toEqual([]);
  // Everything is restorable: into another mailbox, item for item.
  const restored = await restore({ repository: t.repository, target: t.exchange, mailbox: A, toMailbox: B });
  expect(restored.restored).toBe(48);
  const bodies = t.exchange
    .itemsIn(B, t.exchange.folderId(B, "Inbox"))
    .map((i) => new TextDecoder().decode(i.data))
    .sort();
  expect(bodies).toEqual([...before].sort());
});
