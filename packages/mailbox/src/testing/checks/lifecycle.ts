// Abort signals and close(): an aborted signal stops a call with EWS_ABORTED, and close()
// resolves, also a second time.
import { expect } from "vitest";
import { expectMailboxError, exportAll, freshFolder, uniqueName } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

export const lifecycleChecks: readonly MailboxCheck[] = [
  {
    concern: "abort and close",
    name: "an aborted signal rejects every method with EWS_ABORTED",
    async run({ source, target, mailbox, fixture }) {
      const { root, folder } = await freshFolder({ source, mailbox, fixture }, "Aborted");
      const item = await fixture.addItem(folder, { subject: "never read", body: "x" });
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      const signal = controller.signal;
      await expectMailboxError(() => source.getMailboxInfo(mailbox, signal), "EWS_ABORTED", "getMailboxInfo");
      await expectMailboxError(
        () => source.syncFolderHierarchy(mailbox, { signal }),
        "EWS_ABORTED",
        "syncFolderHierarchy",
      );
      await expectMailboxError(
        () => source.syncFolderItems(mailbox, folder, { signal }),
        "EWS_ABORTED",
        "syncFolderItems",
      );
      await expectMailboxError(() => source.findItems(mailbox, folder, signal), "EWS_ABORTED", "findItems");
      await expectMailboxError(() => source.findFolders(mailbox, root, signal), "EWS_ABORTED", "findFolders");
      await expectMailboxError(
        () => exportAll(source, mailbox, [item], signal),
        "EWS_ABORTED",
        "exportItems",
      );
      await expectMailboxError(
        () => source.getMimeContent(mailbox, item, signal),
        "EWS_ABORTED",
        "getMimeContent",
      );
      if (source.probeFolders !== undefined)
        await expectMailboxError(
          () => source.probeFolders?.(mailbox, [folder], signal),
          "EWS_ABORTED",
          "probeFolders",
        );
      if (target !== undefined) {
        await expectMailboxError(
          () => target.createFolder(mailbox, root, uniqueName("Never"), "IPF.Note", signal),
          "EWS_ABORTED",
          "createFolder",
        );
        await expectMailboxError(
          () =>
            target.uploadItems(
              mailbox,
              [{ parentFolderId: folder, data: new Uint8Array(8), mode: "CreateNew" }],
              signal,
            ),
          "EWS_ABORTED",
          "uploadItems",
        );
      }
      // The aborted calls changed nothing and the source still works without the signal.
      expect((await source.findItems(mailbox, folder)).map((summary) => summary.itemId)).toEqual([item]);
    },
  },
  {
    concern: "abort and close",
    name: "close() resolves, also when called twice",
    async run({ source, target }) {
      await source.close();
      await source.close();
      if (target !== undefined && target !== (source as unknown)) {
        await target.close();
        await target.close();
      }
    },
  },
];
