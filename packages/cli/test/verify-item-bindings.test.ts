// `ewsvault verify` proves each snapshot item holds its own content: a snapshot whose items'
// content lists were swapped (what a tampered mailbox index once made a backup record) passes
// every repository check, since all its objects are genuine, and only the item bindings the
// engine records tell. verify reports it, in text and in --json, and exits "damaged".
import { type FolderTree, type ItemPageTree, type MailboxTree, openRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, jsonLines } from "./helpers.js";

const PASSWORD = "verify-bindings-password";
let work: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await work.cleanup();
});

/** Saves a copy of the mailbox's latest snapshot whose first two-item page has its first two items' contents swapped. */
async function forgeSwappedSnapshot(repo: string, mailbox: string): Promise<string> {
  const destination = createFsDestination({ root: repo });
  const repository = await openRepository({ destination, password: PASSWORD, workers: 0 });
  try {
    const latest = (await repository.findSnapshot({ mailbox }))!;
    const root = (await repository.loadTree(latest.tree)) as MailboxTree;
    const writer = await repository.startWriter();
    let swapped = false;
    const folders = [];
    for (const ref of root.folders) {
      const folder = (await repository.loadTree(ref.subtree)) as FolderTree;
      const pages = [];
      for (const pageRef of folder.itemPages) {
        const page = (await repository.loadTree(pageRef.subtree)) as ItemPageTree;
        const items = page.items.map((item) => ({ ...item }));
        if (!swapped && items.length >= 2) {
          const [a, b] = [items[0]!, items[1]!];
          items[0] = { ...a, content: b.content, dataSize: b.dataSize };
          items[1] = { ...b, content: a.content, dataSize: a.dataSize };
          swapped = true;
        }
        pages.push({ ...pageRef, subtree: await writer.saveTree({ ...page, items }) });
      }
      folders.push({ ...ref, subtree: await writer.saveTree({ ...folder, itemPages: pages }) });
    }
    expect(swapped).toBe(true);
    const tree = await writer.saveTree({ ...root, folders });
    await writer.checkpoint();
    await writer.close();
    const forged = await repository.saveSnapshot({ mailbox, time: new Date(), tree, parent: latest.id });
    return forged.id;
  } finally {
    await repository.close();
    await destination.close();
  }
}

describe("verify checks item bindings", () => {
  it("is clean after a backup and reports a snapshot whose items hold each other's content", async () => {
    const server = await startMockEwsServer({ seed: 11, mailboxes: 1, itemsPerMailbox: 30 });
    try {
      const repo = `${work.path}/repo`;
      const env = { EWSVAULT_PASSWORD: PASSWORD, EWS_PASSWORD: server.credentials.password };
      const common = ["--repo", repo, "--cache-dir", `${work.path}/cache`];
      expect((await cli(["init", ...common], env)).code).toBe(0);
      const mailbox = server.mailboxes[0]!;
      const backedUp = await cli(
        [
          "backup",
          ...common,
          "--ews-url",
          server.url,
          "--username",
          server.credentials.username,
          "--mailbox",
          mailbox,
          "--allow-insecure-basic",
          "--quiet",
        ],
        env,
      );
      expect(backedUp.code, backedUp.stderr).toBe(0);

      const clean = await cli(["verify", ...common], env);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stdout).toMatch(/no errors: .* (\d+) items \(\1 bound to their content\)/);

      const forged = await forgeSwappedSnapshot(repo, mailbox);
      const text = await cli(["verify", ...common], env);
      expect(text.code).not.toBe(0);
      expect(text.stdout.match(/damage ITEM_BINDING_MISMATCH/g)?.length).toBe(2);
      expect(text.stdout).toContain(`snapshot ${forged.slice(0, 12)}`);
      const json = await cli(["verify", ...common, "--json"], env);
      const problems = jsonLines(json.stdout).filter((e) => e.type === "problem");
      expect(problems.map((p) => [p.code, p.snapshot])).toEqual([
        ["ITEM_BINDING_MISMATCH", forged],
        ["ITEM_BINDING_MISMATCH", forged],
      ]);
      expect(json.code).toBe(text.code);
    } finally {
      await server.stop();
    }
  });
});
