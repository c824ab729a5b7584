// Ctrl-C (SIGINT) on a real child process: a backup exits 130 after making its finished work
// durable and the next run resumes without exporting that work again; a restore exits 130 too,
// and the same restore again skips what already arrived.
import { once } from "node:events";
import { join } from "node:path";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliArgs, jsonLines, onJsonEvents, reportOf, spawnCli } from "./helpers.js";

const PASSWORD = "ctrl-c repository password";

let work: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => {
  await work?.cleanup();
});

describe("Ctrl-C", { timeout: 180_000 }, () => {
  it("exits 130 after making finished work durable, and the next run resumes", async () => {
    const slow = await startMockEwsServer({ seed: 45, mailboxes: 1, itemsPerMailbox: 80, latencyMs: 15 });
    try {
      const dir = join(work.path, "ctrl-c");
      const { common: own, ews, env: childEnv } = cliArgs(dir, slow, PASSWORD);
      expect((await cli(["init", ...own], childEnv)).code).toBe(0);
      const mailbox = slow.mailboxes[0]!;
      const args = ["backup", ...own, ...ews];
      const child = spawnCli(
        [...args, "--json", "--checkpoint-interval", "0.2", "--item-concurrency", "1", "--mailbox", mailbox],
        childEnv,
      );
      let itemsDone = 0;
      let sent = false;
      onJsonEvents(child.stdout!, (line) => {
        const event = line as { type: string; progress?: { itemsDone: number } };
        if (event.type === "progress") itemsDone = event.progress!.itemsDone;
        if (event.type === "checkpoint" && itemsDone > 0 && !sent) {
          sent = true;
          child.kill("SIGINT");
        }
      });
      const [code] = await once(child, "exit");
      expect(sent).toBe(true);
      expect(code).toBe(130);

      const rerun = await cli([...args, "--json", "--mailbox", mailbox], childEnv);
      expect(rerun.code, rerun.stderr).toBe(0);
      const report = reportOf(rerun.stdout).mailboxes[0]!;
      // Resumed: what the interrupted run made durable is not exported again.
      expect(report.itemsExported).toBeLessThan(report.items);
      const verify = await cli(["verify", ...own], childEnv);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);

      // A restore stopped by Ctrl-C exits 130 too; the same restore again skips what arrived.
      const restoreArgs = [
        "restore",
        ...own,
        ...ews,
        "--mailbox",
        mailbox,
        "--into-folder",
        "Restored",
        "--concurrency",
        "1",
        "--json",
      ];
      const restoring = spawnCli(restoreArgs, childEnv);
      let restored = 0;
      onJsonEvents(restoring.stdout!, (line) => {
        const event = line as { type: string; status?: string };
        if (event.type === "item" && event.status === "restored" && ++restored === 1)
          restoring.kill("SIGINT");
      });
      const [restoreCode] = await once(restoring, "exit");
      expect(restored).toBeGreaterThan(0);
      expect(restoreCode).toBe(130);
      const again = await cli(restoreArgs, childEnv);
      expect(again.code, again.stderr).toBe(0);
      const final = jsonLines(again.stdout).find((e) => e.type === "report") as {
        restored: number;
        skipped: number;
      };
      expect(final.skipped).toBeGreaterThanOrEqual(restored);
      expect(final.restored + final.skipped).toBe(report.items);
    } finally {
      await slow.stop();
    }
  });
});
