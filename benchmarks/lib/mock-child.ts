// Runs a mock EWS server in its own process for lib/mock-process.ts: options arrive as JSON in
// argv (plus optional generator options, since a generator object cannot cross processes); the
// parent asks for counters, resets them, edits items and stops the server over the IPC channel.
import {
  createMailboxGenerator,
  DEFAULTS,
  type MockEwsServerOptions,
  startMockEwsServer,
} from "@ewsvault/mock-ews";

const { options, generator } = JSON.parse(process.argv[2]!) as {
  options: MockEwsServerOptions;
  generator?: Parameters<typeof createMailboxGenerator>[0];
};
// The server reads every item up to three times in a backup (unread counts, SyncFolderItems,
// ExportItems), far apart when 16 mailboxes run at once: the unread pass reads a whole mailbox
// before its first page is synced. This process has memory to spare, so it keeps items the way a
// real server's store would (512 MiB holds the 16 x 500 scheduler mailboxes; 160 MiB still missed
// every SyncFolderItems read); the generator keeps none by default.
const CACHE_BYTES = 512 * 1024 * 1024;
const server = await startMockEwsServer({
  ...options,
  generator: createMailboxGenerator({
    seed: options.seed ?? DEFAULTS.seed,
    mailboxes: options.mailboxes ?? DEFAULTS.mailboxes,
    itemsPerMailbox: options.itemsPerMailbox ?? DEFAULTS.itemsPerMailbox,
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.publicFolderItems === undefined ? {} : { publicFolderItems: options.publicFolderItems }),
    ...generator,
    cacheBytes: CACHE_BYTES,
  }),
});
const cpuAtReset = { value: process.cpuUsage() };
process.on(
  "message",
  (message: { id: number; type: "counters" | "reset" | "stop" | "edit"; itemIds?: string[] }) => {
    if (message.type === "edit") {
      // A user edit: new subject and a category (a new change key, a slightly different stream).
      for (const itemId of message.itemIds ?? [])
        server.modifyItem(itemId, (data) => ({
          ...data,
          subject: `${data.subject} (edited)`,
          categories: ["Blue"],
        }));
      process.send!({ id: message.id });
    } else if (message.type === "counters") {
      const cpu = process.cpuUsage(cpuAtReset.value);
      process.send!({
        id: message.id,
        counters: server.counters(),
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      });
    } else if (message.type === "reset") {
      server.resetCounters();
      cpuAtReset.value = process.cpuUsage();
      process.send!({ id: message.id });
    } else {
      void server.stop().then(() => {
        process.send!({ id: message.id });
        process.disconnect();
      });
    }
  },
);
process.send!({
  id: 0,
  ready: { url: server.url, credentials: server.credentials, mailboxes: server.mailboxes },
});
