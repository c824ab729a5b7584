// The whole product over SFTP: the engine backs up two mock-ews mailboxes into a repository on
// a real OpenSSH sshd (loopback), restores one into another mailbox, and the repository
// verifies with every byte read back — locks, packs, index and snapshots all through SFTP.
import { backup, initRepository, restore } from "@ewsvault/core";
import { createEwsClient } from "@ewsvault/ews";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSftpDestination } from "../src/index.js";
import { type SshdServer, startSshd } from "./sshd-server.js";

let sshd: SshdServer;

beforeAll(async () => {
  sshd = await startSshd();
});

afterAll(async () => {
  await sshd?.cleanup();
});

it("backs up two mailboxes over SFTP and restores one into another mailbox", {
  timeout: 180_000,
}, async () => {
  const server = await startMockEwsServer({ seed: 43, mailboxes: 3, itemsPerMailbox: 15 });
  const ews = createEwsClient({ url: server.url, auth: { kind: "basic", ...server.credentials } });
  const index = await tempDir();
  const destination = createSftpDestination({
    host: "127.0.0.1",
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.clientKey,
    knownHostsPath: sshd.knownHostsPath,
    root: `${sshd.dataDir}/engine-repo`,
  });
  const repository = await initRepository({
    destination,
    password: "sftp engine test",
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
      intoFolder: "From SFTP",
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
    // The pool stayed within its bound for the whole run.
    expect(destination.connectionsDialled).toBeLessThanOrEqual(destination.capabilities.maxConnections);
  } finally {
    await repository.close();
    await destination.close();
    await ews.close();
    await server.stop();
    await index.cleanup();
  }
});
