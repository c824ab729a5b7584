// The server half of export-cpu.ts, in its own process so that its CPU time is the mock's alone:
// starts a mock, adds ITEMS items of BODY_BYTES each to the first inbox (or, with GENERATED=1,
// takes the generator's own items), prints one JSON line
// (url, credentials, mailbox, item ids), then answers "cpu" lines on stdin with its CPU time.
import { createInterface } from "node:readline";
import { startMockEwsServer } from "@ewsvault/mock-ews";

const items = Number(process.env.ITEMS ?? "2000");
const bodyBytes = Number(process.env.BODY_BYTES ?? String(16 * 1024));

// GENERATED=1: the generator's own items (log-normal sizes, regenerated on demand) instead of
// ITEMS stored items of BODY_BYTES.
const generated = process.env.GENERATED === "1";
const cacheBytes = process.env.EXPORT_CACHE_BYTES;
const server = await startMockEwsServer({
  seed: 17,
  mailboxes: 1,
  itemsPerMailbox: generated ? items : 10,
  ...(cacheBytes === undefined ? {} : { exportCacheBytes: Number(cacheBytes) }),
});
const mailbox = server.mailboxes[0]!;
const ids: string[] = [];
if (generated) {
  for (const folder of [
    "inbox",
    "sentitems",
    "deleteditems",
    "drafts",
    "junkemail",
    "archive",
    "calendar",
    "contacts",
    "tasks",
    "notes",
  ]) {
    try {
      ids.push(...server.listItems(mailbox, folder));
    } catch {
      // a folder this mailbox does not have
    }
  }
} else {
  const template = server.getItem(server.listItems(mailbox, "inbox")[0]!);
  const word = "lorem ipsum dolor sit amet ";
  for (let i = 0; i < items; i++) {
    const body = `${i} ${word.repeat(Math.ceil(bodyBytes / word.length))}`.slice(0, bodyBytes);
    ids.push(
      server.addItem(mailbox, "inbox", {
        ...template,
        subject: `bench ${i}`,
        body: { bodyType: "Text", content: body },
        attachments: [],
      }),
    );
  }
}
process.stdout.write(
  `${JSON.stringify({ url: server.url, username: server.credentials.username, password: server.credentials.password, mailbox, ids })}\n`,
);
// Each "cpu" line on stdin is answered with the CPU time used so far; end of stdin stops.
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "cpu") continue;
  const used = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ cpuMs: (used.user + used.system) / 1000, userMs: used.user / 1000, systemMs: used.system / 1000 })}\n`,
  );
}
await server.stop();
process.exit(0);
