// The EWS client, talking to a mock-ews server, passes the mailbox conformance suite: the same
// checks the in-memory mailbox passes, and any future source (Graph, a PST reader) must pass.
import { type MailboxFixture, runMailboxConformance } from "@ewsvault/mailbox/testing";
import { type MockEwsServer, type MockItemData, startMockEwsServer } from "@ewsvault/mock-ews";
import { createEwsClient } from "../src/index.js";

/** Changes the mock's store directly, as a user in Outlook would change the mailbox. */
function mockFixture(server: MockEwsServer, mailbox: string): MailboxFixture {
  // A generated mail item as the template: every field the store needs, with our subject and body.
  const template = server.getItem(server.listItems(mailbox, "inbox")[0]!);
  const mail = (subject: string, body: string): MockItemData => ({
    ...template,
    itemClass: "IPM.Note",
    subject,
    body: { bodyType: "Text", content: body },
    attachments: [],
    calendar: undefined,
    contact: undefined,
    task: undefined,
  });
  return {
    addFolder: (parent, name) => server.addFolder(mailbox, parent, name, "IPF.Note"),
    renameFolder: (folderId, name) => server.renameFolder(folderId, name),
    deleteFolder: (folderId) => server.deleteFolder(folderId),
    addItem: (folderId, item) => server.addItem(mailbox, folderId, mail(item.subject, item.body)),
    modifyItem: (itemId, change) =>
      server.modifyItem(itemId, { body: { bodyType: "Text", content: change.body } }),
    setRead: (itemId, isRead) => server.modifyItem(itemId, { isRead }),
    deleteItem: (itemId) => server.deleteItem(itemId),
  };
}

runMailboxConformance({
  name: "EWS client against mock-ews",
  features: { target: true, probeFolders: true, settings: true },
  async create() {
    const server = await startMockEwsServer({ seed: 14, mailboxes: 1, itemsPerMailbox: 3 });
    const mailbox = server.mailboxes[0]!;
    const client = createEwsClient({
      url: server.url,
      allowInsecureAuth: true,
      auth: { kind: "basic", ...server.credentials },
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    });
    return {
      source: client,
      target: client,
      mailbox,
      fixture: mockFixture(server, mailbox),
      dispose: () => server.stop(),
    };
  },
});
