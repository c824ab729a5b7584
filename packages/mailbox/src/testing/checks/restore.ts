// Restore through MailboxTarget: createFolder (and EWS_FOLDER_EXISTS for a sibling of the same
// name), and exported data uploaded with CreateNew recreating the items, results in request order.
import { expect } from "vitest";
import type { ItemSummary } from "../../port/items.js";
import type { MailboxTarget } from "../../port/target.js";
import type { MailboxUnderTest } from "../harness.js";
import {
  expectMailboxError,
  exportAll,
  exportedData,
  freshFolder,
  messageRoot,
  uniqueName,
} from "../helpers.js";
import type { MailboxCheck } from "./check.js";

function targetOf(subject: MailboxUnderTest): MailboxTarget {
  if (subject.target === undefined)
    throw new Error("features.target is declared but the instance has no target");
  return subject.target;
}

export const restoreChecks: readonly MailboxCheck[] = [
  {
    concern: "restore (MailboxTarget)",
    name: "createFolder makes a folder findFolders shows; a sibling of the same name fails with EWS_FOLDER_EXISTS",
    needs: "target",
    async run(subject) {
      const target = targetOf(subject);
      const root = await messageRoot(subject.source, subject.mailbox);
      const name = uniqueName("Restored");
      const created = await target.createFolder(subject.mailbox, root, name, "IPF.Note");
      expect(created).toMatchObject({ displayName: name, parentFolderId: root });
      const found = await target.findFolders(subject.mailbox, root);
      expect(found.find((folder) => folder.folderId === created.folderId)?.displayName).toBe(name);
      await expectMailboxError(
        () => target.createFolder(subject.mailbox, root, name, "IPF.Note"),
        "EWS_FOLDER_EXISTS",
        "createFolder of an existing name",
      );
    },
  },
  {
    concern: "restore (MailboxTarget)",
    name: "exported items uploaded with CreateNew come back with subject, class and search key, in request order",
    needs: "target",
    async run(subject) {
      const target = targetOf(subject);
      const { source, mailbox, fixture } = subject;
      const { root, folder: origin } = await freshFolder({ source, mailbox, fixture }, "Origin");
      const ids = [
        await fixture.addItem(origin, { subject: "first restored", body: "one" }),
        await fixture.addItem(origin, { subject: "second restored", body: "two" }),
      ];
      const originals = new Map<string, ItemSummary>(
        (await source.findItems(mailbox, origin)).map((item) => [item.itemId, item]),
      );
      const exported = await exportAll(source, mailbox, ids);
      const into = await target.createFolder(mailbox, root, uniqueName("Restore into"), "IPF.Note");
      const results = await target.uploadItems(
        mailbox,
        ids.map((id) => ({
          parentFolderId: into.folderId,
          data: exportedData(exported, id),
          mode: "CreateNew" as const,
        })),
      );
      expect(results.length, "one result per request").toBe(ids.length);
      const restored = await target.findItems(mailbox, into.folderId);
      expect(restored.length).toBe(ids.length);
      ids.forEach((id, index) => {
        const result = results[index];
        if (result?.ok !== true) throw new Error(`upload ${index} failed: ${JSON.stringify(result)}`);
        const original = originals.get(id);
        const copy = restored.find((item) => item.itemId === result.itemId);
        expect(copy, `result ${index} names the uploaded item`).toBeDefined();
        expect(copy?.subject, `result ${index} is the item of request ${index}`).toBe(original?.subject);
        expect(copy?.itemClass).toBe(original?.itemClass);
        if (original?.searchKey !== undefined)
          expect(copy?.searchKey, "search key survives").toBe(original.searchKey);
      });
      // Restored data is exportable again and restores again.
      const again = await exportAll(
        source,
        mailbox,
        results.flatMap((result) => (result.ok ? [result.itemId] : [])),
      );
      expect([...again.values()].every((result) => result.ok)).toBe(true);
    },
  },
];
