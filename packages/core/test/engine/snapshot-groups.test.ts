// Snapshot groups: a snapshot records what was backed up; "latest", the incremental parent and
// forget policies work within a group, so a partial set's run never stands in for the whole
// mailbox. The selection's encoding is pinned in packages/repository/test/snapshot-selection.test.ts.
import {
  backup,
  LEGACY_GROUP,
  type Repository,
  resolveSnapshot,
  restore,
  selectionGroup,
  WHOLE_MAILBOX_SELECTION,
} from "@ewsvault/core";
import { MemoryExchange } from "@ewsvault/mailbox/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngineFixture } from "../support/engine-fixture.js";

const A = "ann@contoso.test";
const TO = "restore@contoso.test";

describe("backup and restore within snapshot groups", () => {
  let exchange: MemoryExchange;
  let repository: Repository;
  let indexDirectory: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    exchange = new MemoryExchange();
    exchange.addMailbox(A);
    exchange.addMailbox(TO);
    const inbox = exchange.folderId(A, "Inbox");
    const sent = exchange.folderId(A, "Sent Items");
    for (let i = 0; i < 58; i++) exchange.addItem(A, inbox, `mail ${i}`, `body ${i}`);
    for (let i = 0; i < 2; i++) exchange.addItem(A, sent, `sent ${i}`, `sent body ${i}`);
    ({ repository, indexDirectory, close: cleanup } = await createEngineFixture());
  });

  afterEach(() => cleanup());

  const run = async (selection?: { includeFolders: string[] }) => {
    const report = await backup({
      repository,
      source: exchange,
      mailboxes: [A],
      indexDirectory,
      ...(selection ? { selection } : {}),
    });
    expect(report.mailboxes[0]!.status).toBe("completed");
    return repository.loadSnapshot(report.mailboxes[0]!.snapshotId!);
  };

  it("latest after a partial run restores the whole-mailbox group; parents stay in their group; forget keeps each group", async () => {
    const whole1 = await run();
    const partial = await run({ includeFolders: ["inbox"] });
    expect(whole1.group).toBe(selectionGroup(WHOLE_MAILBOX_SELECTION));
    expect(partial.group).not.toBe(whole1.group);
    expect(partial.counts?.items).toBe(58);
    expect(partial.parent).toBeUndefined(); // first of its group
    const whole2 = await run();
    expect(whole2.parent).toBe(whole1.id); // not the partial run in between
    const partial2 = await run({ includeFolders: ["inbox"] });
    expect(partial2.parent).toBe(partial.id);

    // The partial run is the newest snapshot, yet "latest" means the whole mailbox.
    expect((await resolveSnapshot(repository, A, "latest")).id).toBe(whole2.id);
    expect((await resolveSnapshot(repository, A, "latest", "any")).id).toBe(partial2.id);
    expect((await resolveSnapshot(repository, A, "latest", partial.group)).id).toBe(partial2.id);
    const report = await restore({ repository, target: exchange, mailbox: A, toMailbox: TO });
    expect(report.snapshotId).toBe(whole2.id);
    expect(report.restored).toBe(60);

    const forgotten = await repository.forget({ keepLast: 1 }, { dryRun: true });
    expect(forgotten.keep.map((k) => k.snapshot.id).sort()).toEqual([whole2.id, partial2.id].sort());
    expect(forgotten.remove.map((s) => s.id).sort()).toEqual([whole1.id, partial.id].sort());
  });

  it("snapshots written before selections were recorded form the legacy group, never taken for the whole mailbox", async () => {
    const partial = await run({ includeFolders: ["inbox"] });
    // What an older engine wrote: the same manifest without a selection.
    const legacy = await repository.saveSnapshot({
      mailbox: A,
      time: new Date(partial.time.getTime() + 1000),
      tree: partial.tree,
      counts: partial.counts ?? {},
    });
    expect(legacy.group).toBe(LEGACY_GROUP);
    expect(legacy.selection).toBeUndefined();
    // A partial group and a legacy one, no whole mailbox: no silent choice.
    await expect(resolveSnapshot(repository, A, "latest")).rejects.toMatchObject({
      code: "SNAPSHOT_GROUP_AMBIGUOUS",
    });
    const whole = await run();
    expect(whole.parent).toBeUndefined(); // neither the legacy nor the partial snapshot
    expect((await resolveSnapshot(repository, A, "latest")).id).toBe(whole.id);
    expect((await resolveSnapshot(repository, A, "latest", LEGACY_GROUP)).id).toBe(legacy.id);
  });

  it("with only partial groups, latest refuses to choose (SNAPSHOT_GROUP_AMBIGUOUS) until told", async () => {
    const inbox = await run({ includeFolders: ["inbox"] });
    expect((await resolveSnapshot(repository, A, "latest")).id).toBe(inbox.id); // the only group
    const sent = await run({ includeFolders: ["sentitems"] });
    await expect(resolveSnapshot(repository, A, "latest")).rejects.toMatchObject({
      code: "SNAPSHOT_GROUP_AMBIGUOUS",
    });
    expect((await resolveSnapshot(repository, A, "latest", sent.group)).id).toBe(sent.id);
  });
});
