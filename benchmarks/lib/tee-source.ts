// A MailboxSource that passes everything through and also writes every exported item stream to
// a file, so a reference tool can back up exactly the bytes the engine saw.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExportRequest, ExportResult, MailboxSource } from "@ewsvault/core";

export function teeSource(inner: MailboxSource, dir: string): MailboxSource {
  return {
    capabilities: inner.capabilities,
    getMailboxInfo: (mailbox, signal) => inner.getMailboxInfo(mailbox, signal),
    syncFolderHierarchy: (mailbox, options) => inner.syncFolderHierarchy(mailbox, options),
    syncFolderItems: (mailbox, folderId, options) => inner.syncFolderItems(mailbox, folderId, options),
    findItems: (mailbox, folderId, signal) => inner.findItems(mailbox, folderId, signal),
    findFolders: (mailbox, rootFolderId, signal) => inner.findFolders(mailbox, rootFolderId, signal),
    getMimeContent: (mailbox, itemId, signal) => inner.getMimeContent(mailbox, itemId, signal),
    close: () => inner.close(),
    async *exportItems(mailbox: string, items: readonly ExportRequest[], signal?: AbortSignal) {
      const folder = join(dir, mailbox);
      await mkdir(folder, { recursive: true });
      for await (const result of inner.exportItems(mailbox, items, signal) as AsyncIterable<ExportResult>) {
        if (result.ok) {
          // Item ids are base64 (with '/'): a digest makes a safe, stable file name.
          const name = createHash("sha256").update(result.itemId).digest("hex").slice(0, 32);
          await writeFile(join(folder, `${name}.item`), result.data);
        }
        yield result;
      }
    },
  };
}
