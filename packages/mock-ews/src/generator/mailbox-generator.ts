import type { MailboxGenerator, MockFolderSpec, MockItemData, MockMailboxSpec } from "../model.js";
import { Prng, mixSeed } from "./prng.js";

export interface GeneratorOptions {
  seed: number;
  mailboxes: number;
  itemsPerMailbox: number;
  /** Default "contoso.test". */
  domain?: string;
  /** Default 20. */
  publicFolderItems?: number;
  attachmentPoolSize?: number;
  /** Cap of the size tail; default 40 MiB. */
  maxItemBytes?: number;
}

const FOLDERS: readonly MockFolderSpec[] = [
  { path: ["Inbox"], folderClass: "IPF.Note", distinguishedName: "inbox" },
  { path: ["Sent Items"], folderClass: "IPF.Note", distinguishedName: "sentitems" },
  { path: ["Deleted Items"], folderClass: "IPF.Note", distinguishedName: "deleteditems" },
  { path: ["Drafts"], folderClass: "IPF.Note", distinguishedName: "drafts" },
  { path: ["Outbox"], folderClass: "IPF.Note", distinguishedName: "outbox" },
  { path: ["Junk Email"], folderClass: "IPF.Note", distinguishedName: "junkemail" },
  { path: ["Calendar"], folderClass: "IPF.Appointment", distinguishedName: "calendar" },
  { path: ["Contacts"], folderClass: "IPF.Contact", distinguishedName: "contacts" },
  { path: ["Tasks"], folderClass: "IPF.Task", distinguishedName: "tasks" },
  { path: ["Notes"], folderClass: "IPF.StickyNote", distinguishedName: "notes" },
];

export function createMailboxGenerator(options: GeneratorOptions): MailboxGenerator {
  const domain = options.domain ?? "contoso.test";
  const seed = options.seed >>> 0;
  const item = (mailboxIndex: number, folderIndex: number, itemIndex: number): MockItemData => {
    const rng = new Prng(mixSeed(seed, mailboxIndex, folderIndex, itemIndex));
    return {
      itemClass: "IPM.Note",
      subject: `Item ${rng.u32()}`,
      body: { bodyType: "Text", content: "Hello" },
      toRecipients: [{ name: "User", email: `user${mailboxIndex}@${domain}` }],
      ccRecipients: [],
      bccRecipients: [],
      dateTimeReceived: "2024-01-01T00:00:00Z",
      dateTimeSent: "2024-01-01T00:00:00Z",
      dateTimeCreated: "2024-01-01T00:00:00Z",
      importance: "Normal",
      sensitivity: "Normal",
      categories: [],
      isRead: false,
      flagStatus: "NotFlagged",
      attachments: [],
    };
  };
  return {
    seed,
    mailboxes: () =>
      Array.from({ length: options.mailboxes }, (_, i) => ({
        smtpAddress: `user${i}@${domain}`,
        displayName: `User ${i}`,
        hasArchive: i % 3 === 0,
      })) satisfies MockMailboxSpec[],
    folders: () => FOLDERS,
    itemCount: (_m, folderIndex) => (folderIndex === 0 ? options.itemsPerMailbox : 0),
    item,
    publicFolders: () => [{ path: ["Company"], folderClass: "IPF.Post" }],
    publicItemCount: () => options.publicFolderItems ?? 20,
    publicItem: (folderIndex, itemIndex) => item(-1, folderIndex, itemIndex),
  };
}
