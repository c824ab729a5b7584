// Issue 11, item 10, as an administrator sees it: damage to repository files is reported by
// `verify` in plain text (not only with --json), with its code; a lookup of the latest snapshot
// over a damaged manifest says REPO_CORRUPT, not "no snapshot".
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { onlyMailbox } from "./support/expectations.js";
import { type HostileCase, startHostileCase } from "./support/harness.js";

let hostile: HostileCase | undefined;
afterEach(async () => {
  await hostile?.stop();
  hostile = undefined;
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

describe("a tampered repository", { timeout: 120_000 }, () => {
  it("verify reports a deleted snapshot and a pack under a wrong name in text output", async () => {
    hostile = await startHostileCase({});
    const mailbox = hostile.server.mailboxes[0] as string;
    expect(onlyMailbox(await hostile.backup()).status).toBe("completed");
    hostile.server.modifyItem(hostile.server.listItems(mailbox, "inbox")[0]!, { subject: "changed" });
    const second = onlyMailbox(await hostile.backup());
    expect(second.status).toBe("completed");

    const snapshotFiles = await filesUnder(join(hostile.repo, "snapshots"));
    expect(snapshotFiles).toHaveLength(2);
    const first = snapshotFiles.find((f) => !f.endsWith(second.snapshotId!))!;
    await rm(first);
    const [pack] = await filesUnder(join(hostile.repo, "data"));
    await mkdir(join(hostile.repo, "data", "ab"), { recursive: true });
    await copyFile(pack!, join(hostile.repo, "data", "ab", "ab".repeat(32)));

    const text = await hostile.run(["verify"], { json: false });
    expect(text.code).toBe(4);
    expect(text.stdout + text.stderr).toContain("REPO_SNAPSHOT_MISSING");
    expect(text.stdout + text.stderr).toContain("1 pack(s) no index lists");
    const read = await hostile.run(["verify", "--read-data"], { json: false });
    expect(read.code).toBe(4);
    expect(read.stdout + read.stderr).toMatch(/REPO_CORRUPT: pack does not hash to its name/);
  });

  it("a damaged snapshot: `ls latest` fails with REPO_CORRUPT, not REPO_SNAPSHOT_NOT_FOUND", async () => {
    hostile = await startHostileCase({});
    const mailbox = hostile.server.mailboxes[0] as string;
    expect(onlyMailbox(await hostile.backup()).status).toBe("completed");
    const [snapshot] = await filesUnder(join(hostile.repo, "snapshots"));
    await writeFile(snapshot!, "not a sealed manifest");
    await rm(join(hostile.cache, "repository"), { recursive: true, force: true });
    const ls = await hostile.run(["ls", "--mailbox", mailbox, "latest"], { json: false });
    expect(ls.code).not.toBe(0);
    expect(ls.stderr).toContain("REPO_CORRUPT");
    expect(ls.stderr).not.toContain("REPO_SNAPSHOT_NOT_FOUND");
  });
});
