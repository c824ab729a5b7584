// The main job: a complete ewsvault session against the embedded mock EWS server.
// It starts the mock, creates a repository, backs up four mailboxes with the real CLI, changes
// some items and a setting, backs up incrementally, restores one mailbox (its items, then its
// settings: rules, out-of-office, permissions, delegates, configurations) into another, verifies
// the repository, and prints a report. Run with `pnpm demo`.

import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { main } from "@ewsvault/cli";
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import { type MockItemData, startMockEwsServer } from "@ewsvault/mock-ews";

const MAILBOXES = 4;
const ITEMS = Number(process.env.DEMO_ITEMS ?? 120);

function heading(text: string): void {
  process.stdout.write(`\n=== ${text}\n`);
}

async function ewsvault(args: string[], secretArgs: string[] = []): Promise<number> {
  const shown = args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a));
  process.stdout.write(`$ ewsvault ${shown.join(" ")}\n`);
  const started = Date.now();
  const code = await main([...args, ...secretArgs]);
  process.stdout.write(`  -> exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (code !== 0) throw new Error(`ewsvault ${args[0]} exited ${code}`);
  return code;
}

const server = await startMockEwsServer({
  seed: 7,
  mailboxes: MAILBOXES + 1,
  itemsPerMailbox: ITEMS,
  latencyMs: 2,
});
const work = await mkdtemp(join(tmpdir(), "ewsvault-demo-"));
const repo = join(work, "repository");
const cache = join(work, "cache");
const [source, ...others] = server.mailboxes;
const backedUp = server.mailboxes.slice(0, MAILBOXES);
const target = server.mailboxes[MAILBOXES]!;
// Passwords travel through the environment, never the command line or the output.
process.env.EWSVAULT_PASSWORD = "demo repository passphrase";
process.env.EWS_PASSWORD = server.credentials.password;
const ews = ["--ews-url", server.url, "--username", server.credentials.username, "--allow-insecure-basic"];
const common = ["--repo", repo, "--cache-dir", cache];

try {
  heading(`mock EWS server at ${server.url} with ${server.mailboxes.length} mailboxes x ${ITEMS} items`);
  heading("1. create an encrypted repository");
  await ewsvault(["init", ...common]);

  heading(`2. full backup of ${MAILBOXES} mailboxes (4 mailboxes x 4 requests at once)`);
  await ewsvault(["backup", ...common, ...ews, "--mailbox", ...backedUp]);

  heading("3. users change their mailboxes");
  const inbox = server.listItems(source!, "inbox");
  server.modifyItem(inbox[0]!, { subject: "Re: quarterly numbers (edited)" });
  server.modifyItem(inbox[1]!, { isRead: true });
  server.moveItem(inbox[2]!, "deleteditems");
  server.deleteItem(inbox[3]!);
  const template = server.getItem(inbox[4]!);
  server.addItem(source!, "inbox", { ...template, subject: "A brand new message", isRead: false });
  server.modifyItem(server.listItems(others[0]!, "inbox")[0]!, { categories: ["Red category"] });
  server.settings.setOof(source!, {
    state: "Enabled",
    internalReply: "I am on leave until Monday; Ann covers for me.",
  });
  process.stdout.write(
    `modified 2, moved 1, deleted 1, added 1, turned out-of-office on in ${source}; categorised 1 in ${others[0]}\n`,
  );

  heading("4. incremental backup: only the changes are exported");
  await ewsvault(["backup", ...common, ...ews, "--mailbox", ...backedUp]);

  heading("5. snapshots");
  await ewsvault(["snapshots", ...common]);

  heading(`6. restore ${source} into ${target}`);
  await ewsvault([
    "restore",
    ...common,
    ...ews,
    "--mailbox",
    source!,
    "--to-mailbox",
    target,
    "--snapshot",
    "latest",
    "--into-folder",
    "Restored from backup",
  ]);

  heading(`7. the settings the snapshot holds for ${source}, restored into ${target}`);
  await ewsvault(["ls", "latest", ...common, "--mailbox", source!, "--settings"]);
  await ewsvault(["restore", ...common, ...ews, "--mailbox", source!, "--to-mailbox", target, "--settings"]);

  heading("8. verify every byte of the repository");
  await ewsvault(["verify", ...common, "--read-data"]);

  heading("report");
  const client = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
  });
  try {
    const original = await itemsBelow(client, source!, undefined);
    const restored = await itemsBelow(client, target, "Restored from backup");
    const unmatched = [...original];
    let identical = 0;
    for (const item of restored) {
      const at = unmatched.findIndex((o) => isDeepStrictEqual(o, item));
      if (at >= 0) {
        unmatched.splice(at, 1);
        identical++;
      }
    }
    process.stdout.write(
      `${source}: ${original.length} items; ${restored.length} restored into ${target}/Restored from backup; ${identical} identical in every property\n`,
    );
    const settings = settingsCompared(source!, target);
    process.stdout.write(
      `${source}: settings restored into ${target}: ${settings.map(([kind, same]) => `${kind} ${same ? "equal" : "DIFFERENT"}`).join(", ")}\n`,
    );
    process.stdout.write(`repository kept at ${repo}\n`);
    if (identical !== original.length || restored.length !== original.length) {
      throw new Error("restored mailbox differs from the original");
    }
    if (settings.some(([, same]) => !same)) throw new Error("restored settings differ from the original");
  } finally {
    await client.close();
  }
  process.stdout.write("demo completed: backup, incremental backup, restore and verify all succeeded\n");
} finally {
  await server.stop();
}

/** Every item (as the mock stores it) in a mailbox, or below one top-level folder of it. */
/**
 * Each settings kind of `from` against `to`, through the mock's settings API: rules by name,
 * state, conditions and order (their folders are the target's own, found by path), the
 * out-of-office settings, the source's delegates among the target's, the configuration objects.
 */
function settingsCompared(from: string, to: string): [string, boolean][] {
  const rules = (mailbox: string) =>
    server.settings
      .rules(mailbox)
      .map((r) => [r.displayName, r.priority, r.isEnabled, r.conditions, r.exceptions]);
  // The objects of the mailbox's own folders, named as the settings restore names them. A
  // configuration object is an associated item of its folder, as in Exchange, so the item restore
  // above also brought the source's into the "Restored from backup" tree: not compared here.
  const configurations = (mailbox: string) => {
    const home = new Map<string, string>();
    for (const name of ["root", "msgfolderroot", "inbox", "calendar", "contacts", "tasks", "notes"]) {
      try {
        home.set(server.folderId(mailbox, name), name);
      } catch {
        // A mailbox without that folder has none of its objects.
      }
    }
    return server.settings
      .configurations(mailbox)
      .filter((c) => home.has(c.folderId))
      .map(({ folderId, ...rest }) => ({ folder: home.get(folderId), ...rest }))
      .sort((a, b) => `${a.folder}/${a.name}`.localeCompare(`${b.folder}/${b.name}`));
  };
  const delegates = server.settings.delegates(to);
  return [
    ["rules", isDeepStrictEqual(rules(to), rules(from))],
    ["out-of-office", isDeepStrictEqual(server.settings.oof(to), server.settings.oof(from))],
    [
      "delegates",
      server.settings.delegates(from).every((d) => delegates.some((t) => isDeepStrictEqual(t, d))),
    ],
    ["configurations", isDeepStrictEqual(configurations(to), configurations(from))],
  ];
}

async function itemsBelow(
  client: EwsClient,
  mailbox: string,
  topFolder: string | undefined,
): Promise<MockItemData[]> {
  const info = await client.getMailboxInfo(mailbox);
  const root = info.distinguishedFolders.msgfolderroot!;
  const folders = await client.findFolders(mailbox, root);
  let wanted = folders;
  if (topFolder !== undefined) {
    const top = folders.find((f) => f.parentFolderId === root && f.displayName === topFolder);
    if (top === undefined) return [];
    const below = new Set([top.folderId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const f of folders) {
        if (!below.has(f.folderId) && below.has(f.parentFolderId)) {
          below.add(f.folderId);
          grew = true;
        }
      }
    }
    wanted = folders.filter((f) => below.has(f.folderId));
  } else {
    wanted = folders.filter((f) => f.displayName !== "Restored from backup");
  }
  const items: MockItemData[] = [];
  for (const folder of wanted) {
    for (const item of await client.findItems(mailbox, folder.folderId))
      items.push(server.getItem(item.itemId));
  }
  return items;
}
