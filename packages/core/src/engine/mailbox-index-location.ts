// Where a mailbox's LevelDB index (src/mailbox-index/) lives: one directory per mailbox, named by
// a keyed hash of its (case-insensitive) address, so the index directory tells nobody which
// mailboxes are backed up and any address maps to a safe, unique name. Index formats 1 and 2
// used a readable name; that directory held plaintext and is removed once the new index is
// rebuilt (backup/index-open.ts).
import { createHash } from "node:crypto";
import { join } from "node:path";
import { indexDirectoryName } from "../mailbox-index/index-crypto.js";

/** `cacheKey` is the repository's (Repository.cacheKey()). */
export function mailboxIndexDirectory(indexDirectory: string, mailbox: string, cacheKey: Uint8Array): string {
  return join(indexDirectory, indexDirectoryName(cacheKey, mailbox));
}

/** The directory index formats 1 and 2 used: `<readable address>-<12 hex of SHA-256>`. */
export function legacyMailboxIndexDirectory(indexDirectory: string, mailbox: string): string {
  const normalised = mailbox.trim().toLowerCase();
  const readable = normalised.replace(/[^a-z0-9@._-]/g, "_").slice(0, 64);
  const digest = createHash("sha256").update(normalised).digest("hex").slice(0, 12);
  return join(indexDirectory, `${readable}-${digest}`);
}
