// Failure behaviour against a real OpenSSH sshd: the server killed mid-upload, host-key
// verification (pins, known_hosts, hashed entries, no pin at all), wrong credentials, the
// connection pool's bound and re-dialling, and URLs read from the environment.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import type { DestinationError } from "@ewsvault/destination";
import { destinationRejection as rejection } from "@ewsvault/destination/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createSftpDestination,
  createSftpDestinationFromUrl,
  type SftpDestinationOptions,
} from "../src/index.js";
import { type SshdServer, startSshd } from "./sshd-server.js";

let server: SshdServer;
let run = 0;

beforeAll(async () => {
  server = await startSshd();
});

afterAll(async () => {
  await server?.cleanup();
});

function options(extra: Partial<SftpDestinationOptions> = {}): SftpDestinationOptions {
  run++;
  return {
    host: "127.0.0.1",
    port: server.port,
    username: server.username,
    privateKey: server.clientKey,
    knownHostsPath: server.knownHostsPath,
    root: `${server.dataDir}/faults-${run}`,
    readyTimeoutMs: 10_000,
    ...extra,
  };
}

async function largestTempFile(dir: string): Promise<number> {
  let largest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile() && entry.name.startsWith(".tmp~")) {
      largest = Math.max(largest, (await stat(join(entry.parentPath, entry.name))).size);
    }
  }
  return largest;
}

describe("sftp destination faults (OpenSSH sshd)", () => {
  it("sshd killed mid-upload: DEST_TRANSIENT, nothing visible after restart, retry succeeds", async () => {
    const config = options();
    const destination = createSftpDestination(config);
    const before = randomBytes(1000);
    await destination.save("before", before);
    const big = randomBytes(64 * 1024 * 1024);
    const saving = rejection(destination.save("packs/big", big));
    const deadline = Date.now() + 30_000;
    while ((await largestTempFile(config.root as string)) < 2 * 1024 * 1024) {
      if (Date.now() > deadline) throw new Error("upload never started");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await server.stop();
    const error = await saving;
    expect(error.code).toBe("DEST_TRANSIENT");
    expect(error.message).not.toMatch(/[\r\n]/);

    await server.start();
    const names: string[] = [];
    for await (const info of destination.list()) names.push(info.name);
    expect(names.sort()).toEqual(["before"]);
    expect((await rejection(destination.load("packs/big"))).code).toBe("DEST_NOT_FOUND");
    expect((await rejection(destination.stat("packs/big"))).code).toBe("DEST_NOT_FOUND");
    // The interrupted temporary file is still on disk (the server died before it could be
    // removed) but is never reported as an object.
    expect(await largestTempFile(config.root as string)).toBeGreaterThan(0);

    await destination.save("packs/big", big);
    const back = await destination.load("packs/big");
    expect(Buffer.from(back).equals(big)).toBe(true);
    expect(Buffer.from(await destination.load("before")).equals(before)).toBe(true);
    await destination.close();
  }, 90_000);

  it("a hung server (SIGSTOP) fails pending calls with DEST_TRANSIENT via keepalive, then recovers", async () => {
    // One attempt: this case times keepalive detection; a retry would dial the frozen server.
    const destination = createSftpDestination(options({ keepaliveIntervalMs: 300, retry: false }));
    const data = randomBytes(8 * 1024 * 1024);
    await destination.save("hang/x", data);
    const started = Date.now();
    server.freeze(true);
    let error: DestinationError;
    try {
      error = await rejection(destination.load("hang/x"));
    } finally {
      server.freeze(false);
    }
    expect(error.code).toBe("DEST_TRANSIENT");
    // Three missed keepalives, not a TCP timeout of minutes.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(Buffer.from(await destination.load("hang/x")).equals(data)).toBe(true);
    await destination.close();
  }, 60_000);

  it("a pinned SHA256 fingerprint is enough; a wrong one is refused as a host key mismatch", async () => {
    const pinned = createSftpDestination(
      options({ knownHostsPath: undefined, hostFingerprint: server.hostFingerprint }),
    );
    await pinned.save("x", Uint8Array.of(1));
    expect([...(await pinned.load("x"))]).toEqual([1]);
    await pinned.close();

    const wrongPin = `SHA256:${Buffer.alloc(32, 9).toString("base64").replace(/=+$/, "")}`;
    const wrongOptions = options({ knownHostsPath: undefined, hostFingerprint: wrongPin });
    const wrong = createSftpDestination(wrongOptions);
    const error = await rejection(wrong.save("x", Uint8Array.of(1)));
    expect(error.code).toBe("DEST_PERMISSION");
    expect(error.message).toContain("host key mismatch");
    expect(error.message).toContain(server.hostFingerprint);
    expect(wrong.connectionsDialled).toBe(0);
    // Nothing was written through the refused connection.
    const check = createSftpDestination({ ...options(), root: wrongOptions.root });
    await check.save("y", Uint8Array.of(2));
    expect((await rejection(check.stat("x"))).code).toBe("DEST_NOT_FOUND");
    await check.close();
    await wrong.close();
  });

  it("without a pin or known_hosts, connecting fails with DEST_CONFIG saying how to pin", async () => {
    const destination = createSftpDestination(options({ knownHostsPath: undefined }));
    const error = await rejection(destination.stat("x"));
    expect(error.code).toBe("DEST_CONFIG");
    expect(error.message).toContain("hostFingerprint");
    expect(error.message).toContain("ssh-keygen");
    expect(destination.connectionsDialled).toBe(0);
  });

  it("known_hosts: a different key for the host is a mismatch, a missing host is DEST_CONFIG", async () => {
    const otherKey = join(server.dir, `other-${run}`);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-f", otherKey, "-N", ""]);
    const otherLine = execFileSync("cat", [`${otherKey}.pub`])
      .toString()
      .trim()
      .split(" ")
      .slice(0, 2)
      .join(" ");
    const mismatch = createSftpDestination(
      options({ knownHostsPath: undefined, knownHosts: `[127.0.0.1]:${server.port} ${otherLine}\n` }),
    );
    const error = await rejection(mismatch.load("x"));
    expect(error.code).toBe("DEST_PERMISSION");
    expect(error.message).toContain("host key mismatch");

    const unknown = createSftpDestination(
      options({ knownHostsPath: undefined, knownHosts: `[127.0.0.1]:1 ${server.hostPublicKey}\n` }),
    );
    const unknownError = await rejection(unknown.load("x"));
    expect(unknownError.code).toBe("DEST_CONFIG");
    expect(unknownError.message).toContain("not in known_hosts");

    const revoked = createSftpDestination(
      options({
        knownHostsPath: undefined,
        knownHosts: `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n@revoked * ${server.hostPublicKey}\n`,
      }),
    );
    expect((await rejection(revoked.load("x"))).code).toBe("DEST_PERMISSION");
  });

  it("known_hosts hashed by ssh-keygen -H is accepted", async () => {
    const hashed = join(server.dir, `hashed-${run}`);
    await writeFile(hashed, `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", hashed], { stdio: "ignore" });
    const text = execFileSync("cat", [hashed]).toString();
    expect(text.startsWith("|1|")).toBe(true);
    const destination = createSftpDestination(options({ knownHostsPath: hashed }));
    await destination.save("h", Uint8Array.of(7));
    expect([...(await destination.load("h"))]).toEqual([7]);
    await destination.close();
  });

  it("wrong key or password: DEST_PERMISSION, one line, no secret in message or inspect()", async () => {
    const otherKeyPath = join(server.dir, `unauthorised-${run}`);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-f", otherKeyPath, "-N", ""]);
    const otherKey = execFileSync("cat", [otherKeyPath]).toString();
    const wrongKey = createSftpDestination(options({ privateKey: otherKey }));
    const keyError = await rejection(wrongKey.save("x", Uint8Array.of(1)));
    expect(keyError.code).toBe("DEST_PERMISSION");
    expect(keyError.message).not.toMatch(/[\r\n]/);
    const keyBody = otherKey.split("\n")[1] as string;
    expect(inspect(keyError, { depth: 6 })).not.toContain(keyBody);

    const password = "correct-horse-battery-staple-42";
    const wrongPassword = createSftpDestination(options({ privateKey: undefined, password }));
    const passwordError = await rejection(wrongPassword.stat("x"));
    expect(passwordError.code).toBe("DEST_PERMISSION");
    expect(passwordError.message).not.toMatch(/[\r\n]/);
    expect(inspect(passwordError, { depth: 6 })).not.toContain(password);
    expect(wrongPassword.description).not.toContain(password);
  });

  it("a passphrase-protected key works with its passphrase and is DEST_CONFIG without it", async () => {
    const keyPath = join(server.dir, `protected-${run}`);
    const passphrase = "open-sesame-1234";
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-f", keyPath, "-N", passphrase]);
    const authorized = join(server.dir, "authorized_keys");
    await writeFile(authorized, execFileSync("cat", [`${keyPath}.pub`]), { flag: "a" });
    const privateKey = execFileSync("cat", [keyPath]).toString();
    const good = createSftpDestination(options({ privateKey, passphrase }));
    await good.save("p", Uint8Array.of(5));
    expect((await good.stat("p")).size).toBe(1);
    await good.close();
    const missing = createSftpDestination(options({ privateKey }));
    const error = await rejection(missing.stat("p"));
    expect(error.code).toBe("DEST_CONFIG");
    expect(inspect(error, { depth: 6 })).not.toContain(passphrase);
  });

  it("the pool never opens more than maxConnections and re-dials after connections break", async () => {
    const destination = createSftpDestination(options({ maxConnections: 3 }));
    const values = Array.from({ length: 24 }, (_, i) => randomBytes(2000 + i));
    await Promise.all(values.map((value, i) => destination.save(`pool/${i}`, value)));
    expect(destination.connectionsDialled).toBeGreaterThanOrEqual(1);
    expect(destination.connectionsDialled).toBeLessThanOrEqual(3);
    const afterFirstBurst = destination.connectionsDialled;
    await Promise.all(values.map((_, i) => destination.load(`pool/${i}`)));
    expect(destination.connectionsDialled).toBe(afterFirstBurst); // reused, not re-dialled

    await server.stop();
    await server.start();
    // Every pooled connection died with the server; the next calls dial fresh ones.
    const loaded = await Promise.all(values.map((_, i) => destination.load(`pool/${i}`).catch((e) => e)));
    const failures = loaded.filter((item) => !(item instanceof Uint8Array));
    for (const failure of failures) expect((failure as DestinationError).code).toBe("DEST_TRANSIENT");
    const again = await Promise.all(values.map((_, i) => destination.load(`pool/${i}`)));
    for (const [i, bytes] of again.entries())
      expect(Buffer.from(bytes).equals(values[i] as Buffer)).toBe(true);
    expect(destination.connectionsDialled).toBeGreaterThan(afterFirstBurst);
    expect(destination.connectionsDialled).toBeLessThanOrEqual(afterFirstBurst + 3 + 3);
    await destination.close();
    expect((await rejection(destination.stat("pool/0"))).code).toBe("DEST_CLOSED");
  });

  it("close() during a transfer: the pending call fails with DEST_CLOSED", async () => {
    const destination = createSftpDestination(options());
    await destination.save("warm", Uint8Array.of(1));
    const saving = rejection(destination.save("big", randomBytes(32 * 1024 * 1024)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await destination.close();
    expect((await saving).code).toBe("DEST_CLOSED");
  });

  it("a full file system is DEST_FULL, leaves no partial object or temp file, and frees up", async () => {
    // A 1 MiB tmpfs is a real ENOSPC, which OpenSSH reports only as a generic failure.
    const mountPoint = join(server.dir, `small-${run}`);
    execFileSync("mkdir", ["-p", mountPoint]);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]);
    try {
      const destination = createSftpDestination(options({ root: `${mountPoint}/repo` }));
      const small = randomBytes(100 * 1024);
      await destination.save("small", small);
      const error = await rejection(destination.save("packs/big", randomBytes(2 * 1024 * 1024)));
      expect(error.code).toBe("DEST_FULL");
      expect(error.message).not.toMatch(/[\r\n]/);
      const names: string[] = [];
      for await (const info of destination.list()) names.push(info.name);
      expect(names).toEqual(["small"]);
      expect(await largestTempFile(mountPoint)).toBe(0);
      await destination.remove("small");
      const fits = randomBytes(600 * 1024);
      await destination.save("packs/fits", fits);
      expect(Buffer.from(await destination.load("packs/fits")).equals(fits)).toBe(true);
      await destination.close();
    } finally {
      execFileSync("umount", [mountPoint]);
    }
  });

  it("an aborted signal rejects with its reason and stores nothing", async () => {
    const destination = createSftpDestination(options());
    const controller = new AbortController();
    controller.abort(new Error("stop-right-there"));
    await expect(destination.save("a", Uint8Array.of(1), { signal: controller.signal })).rejects.toThrow(
      "stop-right-there",
    );
    await expect(destination.load("a", { signal: controller.signal })).rejects.toThrow("stop-right-there");
    expect((await rejection(destination.stat("a"))).code).toBe("DEST_NOT_FOUND");
    await destination.close();
  });

  it("temporary and foreign files are never listed", async () => {
    const config = options();
    const destination = createSftpDestination(config);
    await destination.save("d/real", Uint8Array.of(1));
    await writeFile(join(config.root as string, "d", ".tmp~deadbeef"), "partial");
    await writeFile(join(config.root as string, "d", "has space"), "foreign");
    const names: string[] = [];
    for await (const info of destination.list()) names.push(info.name);
    expect(names).toEqual(["d/real"]);
    await destination.close();
  });

  it("an sftp: URL with key, known_hosts and fingerprint from the environment reaches the server", async () => {
    const url = `sftp:${server.username}@127.0.0.1:${server.port}${server.dataDir}/from-url`;
    const destination = createSftpDestinationFromUrl(url, {
      EWSVAULT_SFTP_KEY_FILE: server.clientKeyPath,
      EWSVAULT_SFTP_KNOWN_HOSTS: server.knownHostsPath,
    });
    expect(destination.description).toBe(
      `sftp:${server.username}@127.0.0.1:${server.port}${server.dataDir}/from-url`,
    );
    await destination.save("u/v", Uint8Array.of(3));
    await destination.close();
    const pinned = createSftpDestinationFromUrl(url, {
      EWSVAULT_SFTP_KEY_FILE: server.clientKeyPath,
      EWSVAULT_SFTP_HOST_FINGERPRINT: server.hostFingerprint,
      HOME: server.dir,
    });
    expect([...(await pinned.load("u/v"))]).toEqual([3]);
    await pinned.close();
  });
});
