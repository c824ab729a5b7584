// probeFolders, for sources that offer it: unchanged folders probe equal, any item change moves
// a marker of its folder only, and a folder that is gone is left out instead of failing the call.
import { expect } from "vitest";
import type { FolderChangeProbe } from "../../port/folders.js";
import type { MailboxSource } from "../../port/source.js";
import { freshFolder, uniqueName } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

function markers(probe: FolderChangeProbe | undefined): unknown {
  return probe && [probe.commitTimeMax, probe.deletedCountTotal, probe.totalCount];
}

async function probe(source: MailboxSource, mailbox: string, ids: readonly string[]) {
  if (source.probeFolders === undefined)
    throw new Error("features.probeFolders is declared but the source has none");
  return source.probeFolders(mailbox, ids);
}

export const probeChecks: readonly MailboxCheck[] = [
  {
    concern: "probeFolders",
    name: "unchanged folders probe equal; an added, changed or deleted item moves its folder's markers only; a gone folder is left out",
    needs: "probeFolders",
    async run({ source, mailbox, fixture }) {
      const { root, folder: busy } = await freshFolder({ source, mailbox, fixture }, "Busy");
      const quiet = await fixture.addFolder(root, uniqueName("Quiet"));
      const item = await fixture.addItem(busy, { subject: "probed", body: "v1" });
      await fixture.addItem(quiet, { subject: "still", body: "never changes" });

      const base = await probe(source, mailbox, [busy, quiet]);
      expect(base.get(busy)?.commitTimeMax, "commitTimeMax reported").toBeTypeOf("string");
      expect(markers((await probe(source, mailbox, [busy, quiet])).get(busy))).toEqual(
        markers(base.get(busy)),
      );

      let last = base.get(busy);
      for (const [what, change] of [
        ["an added item", () => fixture.addItem(busy, { subject: "added", body: "new" })],
        ["a changed item", () => fixture.modifyItem(item, { body: "v2" })],
        ["a deleted item", () => fixture.deleteItem(item)],
      ] as const) {
        // Exchange's commit time has a resolution of a second or so: a change in the same tick
        // must still move a marker, which is why all three are compared.
        await change();
        const now = await probe(source, mailbox, [busy, quiet]);
        expect(markers(now.get(busy)), `${what} moves a marker`).not.toEqual(markers(last));
        expect(markers(now.get(quiet)), `${what} elsewhere leaves the quiet folder alone`).toEqual(
          markers(base.get(quiet)),
        );
        last = now.get(busy);
      }

      await fixture.deleteFolder(quiet);
      const partial = await probe(source, mailbox, [busy, quiet]);
      expect(partial.has(quiet), "a gone folder is left out").toBe(false);
      expect(partial.has(busy)).toBe(true);
    },
  },
];
