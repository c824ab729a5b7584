// The engine-level check every destination package runs in its own tests (the destination
// conformance suite checks the interface; this checks that the whole product works through it):
// the engine backs up two mock-ews mailboxes over HTTP into a repository on the destination,
// restores one into a third mailbox below a new folder, and the repository verifies with every
// byte read back — locks, packs, index files and snapshots all through the destination.
import { backup, initRepository, restore, type VerifyReport } from "@ewsvault/core";
import type { Destination } from "@ewsvault/destination";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { expect } from "vitest";

export interface EngineRoundTripOptions {
  /** Seed of the mock mailboxes (use a different one per destination, so runs differ). */
  readonly seed: number;
  /** Names the destination in the restore folder ("From <label>") and the repository password. */
  readonly label: string;
  /** Items per mock mailbox; default 15. */
  readonly itemsPerMailbox?: number;
}

/**
 * Runs the round trip against `destination` and asserts every step (vitest `expect`). The
 * destination is closed at the end; returns the verify report for destination-specific checks.
 */
export async function engineRoundTrip(
  destination: Destination,
  options: EngineRoundTripOptions,
): Promise<VerifyReport> {
  const server = await startMockEwsServer({
    seed: options.seed,
    mailboxes: 3,
    itemsPerMailbox: options.itemsPerMailbox ?? 15,
  });
  const ews = createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
  });
  const index = await tempDir();
  const repository = await initRepository({
    destination,
    password: `${options.label} engine test`,
    kdf: { N: 1024, r: 8, p: 1 },
  });
  try {
    const [a, b, target] = server.mailboxes as [string, string, string];
    const report = await backup({ repository, source: ews, mailboxes: [a, b], indexDirectory: index.path });
    expect(report.mailboxes.map((m) => m.status)).toEqual(["completed", "completed"]);
    const items = report.mailboxes[0]!.items;
    expect(items).toBeGreaterThan(0);

    const restored = await restore({
      repository,
      target: ews,
      mailbox: a,
      toMailbox: target,
      intoFolder: `From ${options.label}`,
    });
    expect(restored).toMatchObject({ restored: items, failed: 0 });
    for (const item of restored.items) {
      expect(server.getItem(item.targetItemId!).subject).toBe(
        item.subject ?? server.getItem(item.targetItemId!).subject,
      );
    }
    const verify = await repository.verify({ readData: true });
    expect(verify.problems).toEqual([]);
    expect(verify.checked.packsRead).toBeGreaterThan(0);
    return verify;
  } finally {
    await repository.close();
    await destination.close();
    await ews.close();
    await server.stop();
    await index.cleanup();
  }
}
