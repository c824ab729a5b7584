// The whole product over SFTP (engineRoundTrip from @ewsvault/engine-testkit): two mock-ews
// mailboxes backed up into a repository on a real OpenSSH sshd (loopback), one restored into
// another mailbox, every byte verified — locks, packs, index and snapshots all through SFTP.
import { engineRoundTrip } from "@ewsvault/engine-testkit";
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
  const destination = createSftpDestination({
    host: "127.0.0.1",
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.clientKey,
    knownHostsPath: sshd.knownHostsPath,
    root: `${sshd.dataDir}/engine-repo`,
  });
  await engineRoundTrip(destination, { seed: 43, label: "SFTP" });
  // The pool stayed within its bound for the whole run.
  expect(destination.connectionsDialled).toBeLessThanOrEqual(destination.capabilities.maxConnections);
});
