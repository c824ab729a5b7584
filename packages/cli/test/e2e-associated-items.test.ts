// End to end: folder-associated items (the rules, views and configuration Outlook keeps hidden
// in Inbox and Calendar) are backed up by default, restored as associated items equal to the
// originals (same ExportItems bytes, IsAssociated, not in normal views), changed ones cost a few
// KiB on the next run, each snapshot restores them as they were then, and `--no-associated`
// leaves them out.
import type { EwsClient } from "@ewsvault/ews";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliArgs, jsonLines, mockEwsClient, reportOf } from "./helpers.js";

let server: MockEwsServer;
let client: EwsClient;
let work: { path: string; cleanup: () => Promise<void> };
const PASSWORD = "fai repository password";

beforeAll(async () => {
  server = await startMockEwsServer({ seed: 8, mailboxes: 2, itemsPerMailbox: 12 });
  client = mockEwsClient(server);
  work = await tempDir();
  const { common, env } = cliArgs(work.path, server, PASSWORD);
  const init = await cli(["init", ...common, "--json"], env);
  expect(init.code, init.stderr).toBe(0);
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  await work?.cleanup();
});

/** Each item's ExportItems bytes (base64), in the order of `ids`. */
async function exported(mailbox: string, ids: readonly string[]): Promise<string[]> {
  const byId = new Map<string, string>();
  for await (const result of client.exportItems(
    mailbox,
    ids.map((itemId) => ({ itemId })),
  )) {
    if (!result.ok) throw new Error(`${result.itemId}: ${result.error.code}`);
    byId.set(result.itemId, Buffer.from(result.data).toString("base64"));
  }
  return ids.map((id) => byId.get(id)!);
}

const sorted = (values: string[]) => [...values].sort();

describe("folder-associated items", { timeout: 120_000 }, () => {
  it("a mailbox first backed up with --no-associated gets its FAI on the next default run, nothing else re-exported", async () => {
    const mailbox = server.mailboxes[1]!;
    const { common, ews, env } = cliArgs(work.path, server, PASSWORD);
    const backup = async (...extra: string[]) => {
      const run = await cli(["backup", ...common, ...ews, "--json", "--mailbox", mailbox, ...extra], env);
      expect(run.code, run.stderr).toBe(0);
      return reportOf(run.stdout).mailboxes[0]!;
    };
    const plain = await backup("--no-associated");
    const withFai = await backup();
    const fai = [
      ...server.listAssociatedItems(mailbox, "inbox"),
      ...server.listAssociatedItems(mailbox, "calendar"),
    ];
    expect(fai).toHaveLength(6);
    expect(withFai.itemsExported).toBe(fai.length);
    expect(withFai.items).toBe(plain.items + fai.length);
  });

  it("are backed up by default, restored as FAI, incremental when changed, and skipped with --no-associated", async () => {
    const [source, target] = server.mailboxes as [string, string];
    const { common, ews, env } = cliArgs(work.path, server, PASSWORD);
    const backup = async (...extra: string[]) => {
      const run = await cli(["backup", ...common, ...ews, "--json", "--mailbox", source, ...extra], env);
      expect(run.code, run.stderr).toBe(0);
      const done = jsonLines(run.stdout).find((e) => e.type === "mailbox-done") as {
        report: { bytesNew: number; itemsExported: number };
      };
      return { ...reportOf(run.stdout).mailboxes[0]!, ...done.report };
    };
    const restore = async (into: string, snapshot?: string) => {
      const run = await cli(
        [
          "restore",
          ...common,
          ...ews,
          "--mailbox",
          source,
          "--to-mailbox",
          target,
          "--into-folder",
          into,
          ...(snapshot === undefined ? [] : ["--snapshot", snapshot]),
        ],
        env,
      );
      expect(run.code, run.stderr).toBe(0);
    };

    const originals = {
      inbox: server.listAssociatedItems(source, "inbox"),
      calendar: server.listAssociatedItems(source, "calendar"),
    };
    expect(originals.inbox).toHaveLength(3);
    const normalCount =
      server.listItems(source, "inbox").length + server.listItems(source, "calendar").length;
    const first = await backup();
    expect(first.itemsExported).toBeGreaterThanOrEqual(normalCount + 6);

    await restore("Restored");
    for (const [folder, ids] of Object.entries(originals)) {
      const path = `Restored/${folder === "inbox" ? "Inbox" : "Calendar"}`;
      const restored = server.listAssociatedItems(target, path);
      expect(restored).toHaveLength(ids.length);
      // Not visible to normal traversals.
      for (const id of restored) expect(server.listItems(target, path)).not.toContain(id);
      expect(sorted(await exported(target, restored))).toEqual(sorted(await exported(source, ids)));
      expect(sorted(restored.map((id) => server.getItem(id).itemClass))).toEqual(
        sorted(ids.map((id) => server.getItem(id).itemClass)),
      );
    }

    // The same restore again (--conflict skip, the default) recognises the FAI already there.
    await restore("Restored");
    expect(server.listAssociatedItems(target, "Restored/Inbox")).toHaveLength(originals.inbox.length);
    expect(server.listAssociatedItems(target, "Restored/Calendar")).toHaveLength(originals.calendar.length);

    // One changed FAI: the next run exports it alone and stores a few KiB.
    const view = originals.inbox[2]!;
    const before = (await exported(source, [view]))[0]!;
    server.modifyItem(view, { subject: "Compact (changed by the user)" });
    const second = await backup();
    expect(second.itemsExported).toBe(1);
    expect(second.bytesNew).toBeGreaterThan(0);
    expect(second.bytesNew).toBeLessThan(8 * 1024);

    // The first snapshot restores the view as it was then, the second as it is now.
    await restore("Then", first.snapshotId);
    const thenView = server
      .listAssociatedItems(target, "Then/Inbox")
      .filter((id) => server.getItem(id).itemClass === "IPM.Microsoft.FolderDesign.NamedView");
    expect(await exported(target, thenView)).toEqual([before]);
    await restore("Now", second.snapshotId);
    const nowView = server
      .listAssociatedItems(target, "Now/Inbox")
      .filter((id) => server.getItem(id).itemClass === "IPM.Microsoft.FolderDesign.NamedView");
    expect(await exported(target, nowView)).toEqual(await exported(source, [view]));
    expect(server.getItem(nowView[0]!).subject).toBe("Compact (changed by the user)");

    // --no-associated: the next snapshot has none of them, normal items unchanged.
    const third = await backup("--no-associated");
    expect(third.itemsExported).toBe(0);
    await restore("Plain", third.snapshotId);
    expect(server.listAssociatedItems(target, "Plain/Inbox")).toEqual([]);
    expect(server.listAssociatedItems(target, "Plain/Calendar")).toEqual([]);
    expect(server.listItems(target, "Plain/Inbox")).toHaveLength(server.listItems(source, "inbox").length);
  });
});
