// End to end over HTTP: the ewsvault CLI backs up mock-ews mailboxes into a filesystem
// repository and restores them; contents are compared through EWS, property by property.
import type { EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { mailboxContent, tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliArgs, jsonLines, mockEwsClient, restoreInto } from "./helpers.js";

let server: MockEwsServer;
let client: EwsClient;
let work: { path: string; cleanup: () => Promise<void> };
let common: string[];
let ews: string[];
let env: Record<string, string>;

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 11, mailboxes: 16, itemsPerMailbox: 12 });
  client = mockEwsClient(server);
  work = await tempDir();
  ({ common, ews, env } = cliArgs(work.path, server, "e2e repository password"));
  const init = await cli(["init", ...common, "--json"], env);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  await work?.cleanup();
});

describe("ewsvault end to end against mock-ews", { timeout: 240_000 }, () => {
  it("backs up 8 mailboxes and restores each into a fresh mailbox, every item equal in every property", async () => {
    const sources = server.mailboxes.slice(0, 8);
    const result = await cli(["backup", ...common, ...ews, "--json", "--mailbox", ...sources], env);
    expect(result.code, result.stderr).toBe(0);
    const report = jsonLines(result.stdout).find((e) => e.type === "report") as {
      mailboxes: Array<{ status: string; items: number }>;
    };
    expect(report.mailboxes.map((m) => m.status)).toEqual(Array(8).fill("completed"));

    for (const [index, source] of sources.entries()) {
      const target = server.mailboxes[8 + index]!;
      const restored = await cli(
        ["restore", ...common, ...ews, ...restoreInto(source, target, "Restored")],
        env,
      );
      expect(restored.code, restored.stderr).toBe(0);
      const original = await mailboxContent(client, server, source);
      const copy = await mailboxContent(client, server, target, { under: "Restored" });
      expect(copy).toEqual(original);
      expect([...original.values()].flat().length).toBeGreaterThan(0);
    }
  });

  it("after item and folder changes the incremental run exports only those items, and each snapshot restores its own point in time", async () => {
    const mailbox = server.mailboxes[0]!;
    const reportOf = (text: string) =>
      (jsonLines(text).find((e) => e.type === "report") as { mailboxes: Array<Record<string, unknown>> })
        .mailboxes[0]!;
    const first = await cli(["backup", ...common, ...ews, "--json", "--mailbox", mailbox], env);
    expect(first.code, first.stderr).toBe(0);
    const before = await mailboxContent(client, server, mailbox, { skipTop: ["Restored"] });

    // Six items of the mailbox, wherever they are (a small generated inbox may hold fewer).
    const info = await client.getMailboxInfo(mailbox);
    const inbox: string[] = [];
    for (const folder of await client.findFolders(mailbox, info.distinguishedFolders.msgfolderroot!)) {
      for (const item of await client.findItems(mailbox, folder.folderId)) inbox.push(item.itemId);
    }
    expect(inbox.length).toBeGreaterThanOrEqual(6);
    server.modifyItem(inbox[0]!, { subject: "changed subject", categories: ["Blue"] });
    server.moveItem(inbox[1]!, "deleteditems");
    server.deleteItem(inbox[2]!);
    server.addItem(mailbox, "inbox", { ...server.getItem(inbox[3]!), subject: "added item" });
    const folder = server.addFolder(mailbox, "inbox", "New folder ✓");
    server.addItem(mailbox, folder, { ...server.getItem(inbox[3]!), subject: "item in new folder" });
    const renamed = server.addFolder(mailbox, "msgfolderroot", "Old name");
    server.addItem(mailbox, renamed, { ...server.getItem(inbox[4]!), subject: "in renamed folder" });
    const doomed = server.addFolder(mailbox, "msgfolderroot", "Doomed");
    server.addItem(mailbox, doomed, { ...server.getItem(inbox[5]!), subject: "in doomed folder" });

    // Snapshot 2 captures the new folders; then rename one and delete the other.
    const second = await cli(["backup", ...common, ...ews, "--json", "--mailbox", mailbox], env);
    expect(second.code, second.stderr).toBe(0);
    const middle = await mailboxContent(client, server, mailbox, { skipTop: ["Restored"] });
    server.renameFolder(renamed, "New name");
    server.deleteFolder(doomed);
    const third = await cli(["backup", ...common, ...ews, "--json", "--mailbox", mailbox], env);
    expect(third.code, third.stderr).toBe(0);
    const after = await mailboxContent(client, server, mailbox, { skipTop: ["Restored"] });

    // modified, moved (new id), added, added in new folder, in renamed folder, in doomed folder
    expect(reportOf(second.stdout)).toMatchObject({ itemsExported: 6, itemsDeleted: 2 });
    // renaming exports nothing; deleting a folder drops its item from the snapshot
    expect(reportOf(third.stdout)).toMatchObject({ itemsExported: 0 });
    const snapshots = [first, second, third].map((run) => reportOf(run.stdout).snapshotId as string);
    const target = server.mailboxes[15]!;
    for (const [index, expected] of [before, middle, after].entries()) {
      const into = `Point ${index}`;
      const restored = await cli(
        [
          "restore",
          ...common,
          ...ews,
          "--mailbox",
          mailbox,
          "--to-mailbox",
          target,
          "--snapshot",
          snapshots[index]!,
          "--into-folder",
          into,
        ],
        env,
      );
      expect(restored.code, restored.stderr).toBe(0);
      expect(await mailboxContent(client, server, target, { under: into })).toEqual(expected);
    }
    expect([...after.keys()]).toContain("New name");
    expect([...after.keys()]).not.toContain("Doomed");
  });

  it("restores a single item found by subject into another mailbox, and skips it when restored again", async () => {
    const mailbox = server.mailboxes[1]!;
    const target = server.mailboxes[9]!;
    const subject = server.getItem(server.listItems(mailbox, "inbox")[0]!).subject;
    const args = [
      "restore",
      ...common,
      ...ews,
      "--json",
      "--mailbox",
      mailbox,
      "--to-mailbox",
      target,
      "--subject",
      subject,
      "--into-folder",
      "One item",
    ];
    const first = await cli(args, env);
    expect(first.code, first.stderr).toBe(0);
    const report = jsonLines(first.stdout).find((e) => e.type === "report") as {
      restored: number;
      skipped: number;
    };
    expect(report.restored).toBeGreaterThanOrEqual(1);
    const again = jsonLines((await cli(args, env)).stdout).find((e) => e.type === "report") as {
      restored: number;
      skipped: number;
    };
    expect(again).toMatchObject({ restored: 0, skipped: report.restored });
  });
});
