// The error contract: an unknown mailbox, an unknown folder and a sync state the source cannot
// resume from are refused with their documented codes, never answered with made-up data.
import { Buffer } from "node:buffer";
import { expect } from "vitest";
import type { MailboxUnderTest } from "../harness.js";
import { expectMailboxError, freshFolder, syncItemsToEnd, uniqueName } from "../helpers.js";
import type { MailboxCheck } from "./check.js";

function missingMailbox({ mailbox, missingMailbox }: MailboxUnderTest): string {
  if (missingMailbox !== undefined) return missingMailbox;
  const domain = mailbox.includes("@") ? mailbox.slice(mailbox.lastIndexOf("@") + 1) : "example.invalid";
  return `nobody-${Math.random().toString(36).slice(2, 10)}@${domain}`;
}

export const errorChecks: readonly MailboxCheck[] = [
  {
    concern: "errors",
    name: "an unknown mailbox is EWS_MAILBOX_NOT_FOUND from every reading method",
    async run(subject) {
      const { source } = subject;
      const ghost = missingMailbox(subject);
      await expectMailboxError(() => source.getMailboxInfo(ghost), "EWS_MAILBOX_NOT_FOUND", "getMailboxInfo");
      await expectMailboxError(
        () => source.syncFolderHierarchy(ghost),
        "EWS_MAILBOX_NOT_FOUND",
        "syncFolderHierarchy",
      );
      await expectMailboxError(
        () => source.syncFolderItems(ghost, "inbox"),
        "EWS_MAILBOX_NOT_FOUND",
        "syncFolderItems",
      );
      await expectMailboxError(
        () => source.findFolders(ghost, "msgfolderroot"),
        "EWS_MAILBOX_NOT_FOUND",
        "findFolders",
      );
    },
  },
  {
    concern: "errors",
    name: "a folder that is gone is EWS_FOLDER_NOT_FOUND from syncFolderItems, findItems and findFolders",
    async run({ source, mailbox, fixture }) {
      const { folder: gone } = await freshFolder({ source, mailbox, fixture }, "Vanishing");
      await fixture.addItem(gone, { subject: "in a vanishing folder", body: "x" });
      await fixture.deleteFolder(gone);
      await expectMailboxError(
        () => source.syncFolderItems(mailbox, gone),
        "EWS_FOLDER_NOT_FOUND",
        "syncFolderItems",
      );
      await expectMailboxError(() => source.findItems(mailbox, gone), "EWS_FOLDER_NOT_FOUND", "findItems");
      await expectMailboxError(
        () => source.findFolders(mailbox, gone),
        "EWS_FOLDER_NOT_FOUND",
        "findFolders",
      );
    },
  },
  {
    concern: "errors",
    name: "a sync state that is garbage or of another folder is EWS_INVALID_SYNC_STATE, never a silent restart",
    async run({ source, mailbox, fixture }) {
      const { root, folder: one } = await freshFolder({ source, mailbox, fixture }, "One");
      const two = await fixture.addFolder(root, uniqueName("Two"));
      await fixture.addItem(one, { subject: "in one", body: "1" });
      await fixture.addItem(two, { subject: "in two", body: "2" });
      const { syncState } = await syncItemsToEnd(source, mailbox, one);
      expect(syncState.length).toBeGreaterThan(0);
      for (const garbage of [
        "not a sync state",
        "H4sIAAAAAAAEAO29B2AcSZYlJi9tynt",
        Buffer.from("{}").toString("base64"),
      ]) {
        await expectMailboxError(
          () => source.syncFolderItems(mailbox, one, { syncState: garbage }),
          "EWS_INVALID_SYNC_STATE",
          `syncFolderItems with ${JSON.stringify(garbage)}`,
        );
      }
      await expectMailboxError(
        () => source.syncFolderItems(mailbox, two, { syncState }),
        "EWS_INVALID_SYNC_STATE",
        "syncFolderItems with another folder's state",
      );
      await expectMailboxError(
        () => source.syncFolderHierarchy(mailbox, { syncState: "not a sync state" }),
        "EWS_INVALID_SYNC_STATE",
        "syncFolderHierarchy with a garbage state",
      );
    },
  },
];
