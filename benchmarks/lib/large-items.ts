// A MailboxGenerator whose every item carries one large incompressible attachment, for memory
// tests: the mock's own generator supplies folders and item fields, this wrapper swaps the
// attachments for `bytes` of AES-CTR keystream (deterministic per item, so repeated exports are
// byte-identical as the engine's contract requires).
import { createCipheriv, createHash } from "node:crypto";
import { createMailboxGenerator, type MailboxGenerator, type MockItemData } from "@ewsvault/mock-ews";

export function largeItemGenerator(options: {
  seed: number;
  mailboxes: number;
  itemsPerMailbox: number;
  bytes: number;
}): MailboxGenerator {
  const inner = createMailboxGenerator({
    seed: options.seed,
    mailboxes: options.mailboxes,
    itemsPerMailbox: options.itemsPerMailbox,
    publicFolderItems: 0,
  });
  // The mock asks for an item more than once (sync summary, export); a few cached items spare it
  // regenerating tens of MiB each time.
  const cache = new Map<string, MockItemData>();
  const payload = (key: string) => {
    const digest = createHash("sha256").update(`${options.seed}/${key}`).digest();
    return createCipheriv("aes-256-ctr", digest, Buffer.alloc(16)).update(Buffer.alloc(options.bytes));
  };
  return {
    seed: inner.seed,
    mailboxes: () => inner.mailboxes(),
    folders: (m) => inner.folders(m),
    itemCount: (m, f) => inner.itemCount(m, f),
    publicFolders: () => inner.publicFolders(),
    publicItemCount: (f) => inner.publicItemCount(f),
    publicItem: (f, i) => inner.publicItem(f, i),
    item(m, f, i) {
      const key = `${m}/${f}/${i}`;
      const cached = cache.get(key);
      if (cached) return cached;
      const base = inner.item(m, f, i);
      const data: MockItemData = {
        ...base,
        attachments: [
          {
            name: `scan-${key.replaceAll("/", "-")}.bin`,
            contentType: "application/octet-stream",
            isInline: false,
            lastModifiedTime: base.dateTimeCreated,
            content: payload(key),
          },
        ],
      };
      cache.set(key, data);
      if (cache.size > 6) cache.delete(cache.keys().next().value!);
      return data;
    },
  };
}
