// @ewsvault/testkit — helpers for tests only: loopback ports, temporary directories, a redis-server and
// installing Debian packages on demand (CI has no Docker; tests start their own servers), and
// self-signed certificates for TLS tests. Third-party Python clients and mailbox comparisons live
// in files of their own, re-exported here.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommand } from "./debian-packages.js";

export { ensureAptPackage, ensureCommand } from "./debian-packages.js";
export {
  canonicalItem,
  type ItemStore,
  type MailboxContentOptions,
  type MailboxReader,
  mailboxContent,
} from "./mailbox-content.js";
export { ensurePythonModule, type PythonChecksOptions, runPythonChecks } from "./python-client.js";

/** A free TCP port on 127.0.0.1 (the port is released before returning, so race-prone but fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return reject(new Error("no port"));
      server.close(() => resolve(address.port));
    });
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(port: number, host = "127.0.0.1", timeoutMs = 30_000): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(
  prefix = "ewsvault-test-",
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Paths (and PEM text) of a self-signed certificate for 127.0.0.1 and its key. */
export interface SelfSignedCert {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Writes a one-day self-signed RSA certificate for CN and IP SAN 127.0.0.1 into `dir` (Debian's
 * openssl, installed on demand), for tests of TLS servers that a client must explicitly trust.
 */
export function selfSignedCert(dir: string): SelfSignedCert {
  const openssl = ensureCommand("openssl", "openssl");
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  execFileSync(
    openssl,
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

// A real redis-server (the service's tests): Debian's `redis-server`, installed with apt-get when
// missing, started on 127.0.0.1 on a free port with its own temporary directory, no persistence
// unless asked. It throws, never skips, when the server cannot start.
export interface RedisTestServer {
  readonly url: string;
  readonly port: number;
  /**
   * Stops the server (SIGTERM) and starts it again on the same port and directory after
   * `downMs`; with `persistence` its data survives, as a restarted production Redis's would.
   */
  restart(downMs?: number): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisTestServerOptions {
  /** Keep an append-only file in the temporary directory (for restart tests); default off. */
  readonly persistence?: boolean;
}

export async function startRedisServer(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
  const binary = ensureCommand("redis-server", "redis-server");
  const dir = await tempDir("ewsvault-redis-");
  const port = await freePort();
  const args = [
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--dir",
    dir.path,
    "--save",
    "",
    "--appendonly",
    options.persistence ? "yes" : "no",
    // BullMQ requires that Redis never evicts its keys.
    "--maxmemory-policy",
    "noeviction",
    "--protected-mode",
    "yes",
  ];
  /** Starts redis-server on the port and resolves once it accepts connections. */
  const launch = async () => {
    const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await Promise.race([
        waitForPort(port, "127.0.0.1", 15_000),
        exited.then(() => {
          throw new Error(`redis-server exited at start: ${stderr.trim()}`);
        }),
      ]);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
    return { child, exited };
  };
  const halt = async (server: Awaited<ReturnType<typeof launch>>) => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      // SIGTERM: redis-server flushes its append-only file before it exits.
      server.child.kill("SIGTERM");
      const timer = setTimeout(() => server.child.kill("SIGKILL"), 5_000);
      await server.exited;
      clearTimeout(timer);
    }
  };
  let running: Awaited<ReturnType<typeof launch>>;
  try {
    running = await launch();
  } catch (error) {
    await dir.cleanup();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart(downMs = 0) {
      await halt(running);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      running = await launch();
    },
    async stop() {
      await halt(running);
      await dir.cleanup();
    },
  };
}
