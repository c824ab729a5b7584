// Item sync: a full sync of a folder pages to its end with each item once and agrees with
// findItems; a sync state stays valid and resumes with exactly the changes since.
import { expect } from "vitest";
import type { ItemChange, ItemSummary } from "../../port/items.js";
import { freshFolder, syncItemsToEnd, uniqueName } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

function describeChanges(changes: readonly ItemChange[]): string[] {
  return changes
    .map((change) => {
      if ("item" in change) return `${change.kind} ${change.item.itemId}`;
      return `${change.kind} ${change.itemId}`;
    })
    .sort();
}

export const itemSyncChecks: readonly MailboxCheck[] = [
  {
    concern: "item sync",
    name: "a full sync pages to its end, reports each item of the folder once, and agrees with findItems",
    async run({ source, mailbox, fixture }) {
      const { root, folder } = await freshFolder({ source, mailbox, fixture }, "Synced");
      const other = await fixture.addFolder(root, uniqueName("Other"));
      const subjects = new Map<string, string>();
      for (let i = 0; i < 7; i++) {
        const subject = `item ${i} ${uniqueName("s")}`;
        subjects.set(await fixture.addItem(folder, { subject, body: `body ${i}` }), subject);
      }
      await fixture.addItem(other, { subject: "elsewhere", body: "not in the synced folder" });

      const { changes, pageSizes } = await syncItemsToEnd(source, mailbox, folder, { maxChanges: 3 });
      for (const size of pageSizes) expect(size, "changes per page <= maxChanges").toBeLessThanOrEqual(3);
      expect(pageSizes.length, "7 items at 3 per page take 3+ pages").toBeGreaterThanOrEqual(3);
      const items = new Map<string, ItemSummary>();
      for (const change of changes) {
        expect(change.kind, "a sync from scratch reports creates only").toBe("create");
        if (change.kind !== "create") continue;
        expect(items.has(change.item.itemId), `${change.item.itemId} reported twice`).toBe(false);
        items.set(change.item.itemId, change.item);
      }
      expect([...items.keys()].sort(), "exactly the folder's items").toEqual([...subjects.keys()].sort());
      for (const [id, subject] of subjects) expect(items.get(id)?.subject).toBe(subject);

      const found = await source.findItems(mailbox, folder);
      expect(found.map((item) => item.itemId).sort()).toEqual([...subjects.keys()].sort());
      for (const item of found)
        expect(item.changeKey, "findItems and sync agree").toBe(items.get(item.itemId)?.changeKey);
    },
  },
  {
    concern: "item sync",
    name: "a sync state stays valid and resumes with exactly the changes since",
    async run({ source, mailbox, fixture }) {
      const { folder } = await freshFolder({ source, mailbox, fixture }, "Resumed");
      const kept = await fixture.addItem(folder, { subject: "kept", body: "unchanged" });
      const changed = await fixture.addItem(folder, { subject: "changed", body: "before" });
      const deleted = await fixture.addItem(folder, { subject: "deleted", body: "soon gone" });
      const first = await syncItemsToEnd(source, mailbox, folder);
      const before = new Map(
        first.changes.flatMap((change) =>
          change.kind === "create" ? [[change.item.itemId, change.item]] : [],
        ),
      );
      expect([...before.keys()].sort()).toEqual([kept, changed, deleted].sort());

      const quiet = await syncItemsToEnd(source, mailbox, folder, { syncState: first.syncState });
      expect(quiet.changes, "no changes for an unchanged folder").toEqual([]);

      await fixture.modifyItem(changed, { body: "after" });
      await fixture.deleteItem(deleted);
      const added = await fixture.addItem(folder, { subject: "added", body: "new" });
      const resumed = await syncItemsToEnd(source, mailbox, folder, { syncState: first.syncState });
      expect(describeChanges(resumed.changes)).toEqual(
        describeChanges([
          { kind: "create", item: { itemId: added, changeKey: "" } },
          { kind: "update", item: { itemId: changed, changeKey: "" } },
          { kind: "delete", itemId: deleted },
        ]),
      );
      const update = resumed.changes.find((change) => change.kind === "update");
      expect(
        update?.kind === "update" && update.item.changeKey !== before.get(changed)?.changeKey,
        "new change key",
      ).toBe(true);
      // The same state again: a handed-out state stays valid and gives the same answer.
      const again = await syncItemsToEnd(source, mailbox, folder, { syncState: first.syncState });
      expect(describeChanges(again.changes)).toEqual(describeChanges(resumed.changes));
      const settled = await syncItemsToEnd(source, mailbox, folder, { syncState: resumed.syncState });
      expect(settled.changes, "nothing after the last state").toEqual([]);
    },
  },
  {
    concern: "item sync",
    name: "a read-flag change is reported for that item only, as a readFlag change or an update carrying isRead",
    async run({ source, mailbox, fixture }) {
      const { folder } = await freshFolder({ source, mailbox, fixture }, "Flagged");
      const flagged = await fixture.addItem(folder, { subject: "to be read", body: "x" });
      await fixture.addItem(folder, { subject: "left alone", body: "y" });
      await fixture.setRead(flagged, false);
      const { syncState } = await syncItemsToEnd(source, mailbox, folder);
      await fixture.setRead(flagged, true);
      const { changes } = await syncItemsToEnd(source, mailbox, folder, { syncState });
      expect(changes.length, "exactly one change").toBe(1);
      const [change] = changes;
      if (change?.kind === "readFlag") expect(change).toMatchObject({ itemId: flagged, isRead: true });
      else if (change?.kind === "update")
        expect(change.item).toMatchObject({ itemId: flagged, isRead: true });
      else throw new Error(`expected a readFlag change or an update, got ${JSON.stringify(change)}`);
    },
  },
];
