// Fencing hook: backup() awaits options.beforeCommit before the mailbox index commits advanced
// sync states and before the snapshot is saved; when it throws, the mailbox fails with that
// error and neither is written (the service's workers throw there when their lease is lost).
import { backup } from "@ewsvault/core";
import { expect, it } from "vitest";
import { useEngineTest } from "../support/engine-fixture.js";

const A = "ann@contoso.test";

const t = useEngineTest(
  (exchange) => {
    exchange.addMailbox(A);
    const inbox = exchange.folderId(A, "Inbox");
    for (let i = 0; i < 12; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
  },
  { workers: 0 },
);

class LeaseLost extends Error {
  readonly code = "TEST_LEASE_LOST";
}

it("is asked before sync states advance and before the snapshot, in that order", async () => {
  const asked: string[] = [];
  const report = await backup({
    repository: t.repository,
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
    beforeCommit: (what) => {
      asked.push(what);
    },
  });
  expect(report.mailboxes[0]?.status).toBe("completed");
  expect(asked.at(-1)).toBe("snapshot");
  expect(asked.filter((w) => w === "snapshot")).toHaveLength(1);
  expect(asked.indexOf("sync-state")).toBeGreaterThanOrEqual(0);
  expect(asked.indexOf("sync-state")).toBeLessThan(asked.indexOf("snapshot"));
});

it("when it throws, the mailbox fails with its error, no snapshot is written and no sync state advances", async () => {
  const fenced = await backup({
    repository: t.repository,
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
    beforeCommit: () => {
      throw new LeaseLost("lease lost");
    },
  });
  expect(fenced.mailboxes[0]).toMatchObject({ status: "failed", error: { code: "TEST_LEASE_LOST" } });
  expect(await t.repository.listSnapshots()).toEqual([]);
  // Nothing was recorded as synced: the next unfenced run exports every item again.
  const next = await backup({
    repository: t.repository,
    source: t.exchange,
    mailboxes: [A],
    indexDirectory: t.work.path,
  });
  expect(next.mailboxes[0]).toMatchObject({ status: "completed", itemsExported: 12 });
});
