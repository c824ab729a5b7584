// A real redis-server for the service's tests: Debian's `redis-server` (installed with apt-get
// when missing), started by the test on 127.0.0.1 on a free port with its own temporary
// directory, no persistence unless asked. It throws, never skips, when the server cannot start.
import { type ChildProcess, spawn } from "node:child_process";
import { ensureCommand, freePort, tempDir, waitForPort } from "@ewsvault/testkit";

export interface RedisTestServer {
  readonly url: string;
  readonly port: number;
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
    await dir.cleanup();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await dir.cleanup();
    },
  };
}
