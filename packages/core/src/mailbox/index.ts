// Mailbox access interfaces (MailboxSource / MailboxTarget) implemented by @ewsvault/ews.
export type * from "./types.js";
