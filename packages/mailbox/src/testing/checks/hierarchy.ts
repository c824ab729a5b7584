// Hierarchy sync: a full sync pages to its end with each folder once (parents first) and
// agrees with findFolders; a sync state resumes with exactly the changes since.
import { expect } from "vitest";
import type { FolderInfo } from "../../port/folders.js";
import { currentFolders, freshFolder, messageRoot, syncHierarchyToEnd, uniqueName } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

export const hierarchyChecks: readonly MailboxCheck[] = [
  {
    concern: "folder hierarchy",
    name: "a full sync reports each folder once, parents first, and agrees with findFolders and rootFolderId",
    async run({ source, mailbox, fixture }) {
      const root = await messageRoot(source, mailbox);
      const parentName = uniqueName("Parent");
      const parent = await fixture.addFolder(root, parentName);
      const child = await fixture.addFolder(parent, "Child");
      const grandchild = await fixture.addFolder(child, "Grandchild");

      // Hierarchy pages are the source's choice (EWS has no MaxChangesReturned for them).
      const { changes } = await syncHierarchyToEnd(source, mailbox);
      const order: string[] = [];
      const folders = new Map<string, FolderInfo>();
      for (const change of changes) {
        expect(change.kind, "a sync from scratch reports creates only").toBe("create");
        if (change.kind === "delete") continue;
        expect(folders.has(change.folder.folderId), `${change.folder.displayName} reported twice`).toBe(
          false,
        );
        folders.set(change.folder.folderId, change.folder);
        order.push(change.folder.folderId);
      }
      expect(folders.get(parent)).toMatchObject({ displayName: parentName, parentFolderId: root });
      expect(folders.get(child)).toMatchObject({ displayName: "Child", parentFolderId: parent });
      expect(folders.get(grandchild)).toMatchObject({ displayName: "Grandchild", parentFolderId: child });
      expect(folders.has(root), "the root itself is not reported").toBe(false);
      for (const [id, folder] of folders) {
        if (folders.has(folder.parentFolderId))
          expect(order.indexOf(folder.parentFolderId), `parent of ${folder.displayName} first`).toBeLessThan(
            order.indexOf(id),
          );
      }

      const found = await source.findFolders(mailbox, root);
      const byId = new Map(found.map((folder) => [folder.folderId, folder]));
      for (const [id, folder] of folders) {
        if (folder.isSearchFolder === true) continue;
        expect(
          byId.get(id)?.changeKey,
          `findFolders has ${folder.displayName} with the same change key`,
        ).toBe(folder.changeKey);
      }
      const below = await source.findFolders(mailbox, parent);
      expect(below.map((folder) => folder.folderId).sort()).toEqual([child, grandchild].sort());
      const onlyBelow = await syncHierarchyToEnd(source, mailbox, { rootFolderId: parent });
      expect(
        onlyBelow.changes
          .map((change) => (change.kind === "delete" ? change.folderId : change.folder.folderId))
          .sort(),
        "rootFolderId limits the sync to that subtree",
      ).toEqual([child, grandchild].sort());
    },
  },
  {
    concern: "folder hierarchy",
    name: "a sync state resumes with exactly the changes since: nothing, then a create, a rename and a delete",
    async run({ source, mailbox, fixture }) {
      const { root, folder: renamed } = await freshFolder({ source, mailbox, fixture }, "Renamed");
      const doomed = await fixture.addFolder(root, uniqueName("Doomed"));
      const { syncState } = await syncHierarchyToEnd(source, mailbox);

      const quiet = await syncHierarchyToEnd(source, mailbox, { syncState });
      expect(quiet.changes, "no changes for an unchanged hierarchy").toEqual([]);

      const newName = uniqueName("Now named");
      await fixture.renameFolder(renamed, newName);
      await fixture.deleteFolder(doomed);
      const created = await fixture.addFolder(root, uniqueName("Created"));
      const { changes } = await syncHierarchyToEnd(source, mailbox, { syncState });
      const summary = changes.map((change) =>
        change.kind === "delete" ? `delete ${change.folderId}` : `${change.kind} ${change.folder.folderId}`,
      );
      expect(summary.sort()).toEqual([`create ${created}`, `delete ${doomed}`, `update ${renamed}`].sort());
      const update = changes.find((change) => change.kind === "update");
      expect(update?.kind === "update" ? update.folder.displayName : undefined).toBe(newName);
      expect((await currentFolders(source, mailbox)).has(doomed)).toBe(false);
    },
  },
];
