// The shared destination conformance suite against a real OpenSSH sshd started here, and —
// when EWSVAULT_TEST_SFTP_REPO names a real server (credentials and host-key pin in the
// EWSVAULT_SFTP_* variables the CLI reads) — against that server too.
import { randomUUID } from "node:crypto";
import type { Destination } from "@ewsvault/destination";
import { collect, describeDestinationConformance } from "@ewsvault/destination/testing";
import { beforeAll } from "vitest";
import { createSftpDestination, createSftpDestinationFromUrl } from "../src/index.js";
import { type SshdServer, startSshd } from "./sshd-server.js";

let server: SshdServer | undefined;

beforeAll(async () => {
  server = await startSshd();
  return async () => {
    await server?.cleanup();
  };
});

describeDestinationConformance(
  "sftp (OpenSSH sshd)",
  () => {
    const sshd = server;
    if (sshd === undefined) throw new Error("sshd did not start");
    return {
      create: async () =>
        createSftpDestination({
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.username,
          privateKey: sshd.clientKey,
          knownHostsPath: sshd.knownHostsPath,
          root: `${sshd.dataDir}/run-${randomUUID()}`,
          readyTimeoutMs: 10_000,
        }),
      faults: {
        interrupt: async () => {
          await sshd.stop();
          return () => sshd.start();
        },
      },
    };
  },
  { faults: true },
);

const realRepo = process.env.EWSVAULT_TEST_SFTP_REPO;
if (realRepo !== undefined && realRepo !== "") {
  const used: Destination[] = [];
  describeDestinationConformance(
    `sftp (${realRepo})`,
    {
      create: async () => {
        const url = `${realRepo.replace(/\/+$/, "")}/ewsvault-test-${randomUUID()}`;
        // The suite closes what create() returns; a twin on the same root cleans up after it.
        used.push(createSftpDestinationFromUrl(url));
        return createSftpDestinationFromUrl(url);
      },
      cleanup: async () => {
        for (const destination of used) {
          for (const info of await collect(destination.list())) await destination.remove(info.name);
          await destination.close();
        }
      },
    },
    { manyObjects: 500 },
  );
}
