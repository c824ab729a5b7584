// Where a mailbox's index lives: one directory per mailbox, named so that any SMTP address
// maps to a safe, unique, case-insensitive directory name.
import { createHash } from "node:crypto";
import { join } from "node:path";

export function mailboxIndexDirectory(indexDirectory: string, mailbox: string): string {
  const normalised = mailbox.trim().toLowerCase();
  const readable = normalised.replace(/[^a-z0-9@._-]/g, "_").slice(0, 64);
  const digest = createHash("sha256").update(normalised).digest("hex").slice(0, 12);
  return join(indexDirectory, `${readable}-${digest}`);
}
