// A real S3-compatible server for the tests: moto's standalone server (Python), started on a
// free loopback port. Moto implements multipart uploads, ranges, If-None-Match, Object Lock and
// SigV4 checking, which is what this package leans on. It keeps state in memory; for restart
// tests its request recorder serves as the "data dir": every request is journalled to a file
// and replayed into the fresh process, which rebuilds exactly the state the old one had.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { ensureCommand, freePort, waitForPort } from "@ewsvault/testkit";

export const MOTO_ACCESS_KEY = "AKIAEWSVAULTTEST0001";
export const MOTO_SECRET_KEY = "ewsvault-test-secret-not-real-0000000001";

function motoImportable(python: string): boolean {
  const probe = spawnSync(python, ["-c", "import moto.server, flask, flask_cors"], { stdio: "ignore" });
  return probe.status === 0;
}

/** Python interpreters worth probing: PATH's, then pyenv's (in case PATH lost its shims). */
function pythonCandidates(): string[] {
  const candidates = ["python3"];
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  candidates.push(join(pyenvRoot, "shims", "python3"));
  try {
    for (const version of readdirSync(join(pyenvRoot, "versions")).sort().reverse()) {
      candidates.push(join(pyenvRoot, "versions", version, "bin", "python3"));
    }
  } catch {
    // no pyenv here
  }
  candidates.push("/usr/bin/python3");
  return candidates.filter((path) => path === "python3" || existsSync(path));
}

let cachedPython: string | undefined;

/**
 * Returns a Python that can run moto's server, installing moto with pip when none can (Debian
 * 12 has no python3-moto; the project's machine image ships moto 5 for its Python 3.11).
 * Throws — never skips — when it cannot.
 */
export function ensureMoto(): string {
  if (cachedPython !== undefined) return cachedPython;
  const candidates = pythonCandidates();
  const found = candidates.find(motoImportable);
  if (found !== undefined) {
    cachedPython = found;
    return found;
  }
  const python = ensureCommand("python3", "python3");
  const install = spawnSync(python, ["-m", "pip", "install", "--quiet", "moto[server]>=5,<6"], {
    stdio: "ignore",
    timeout: 120_000,
  });
  if (install.status !== 0 || !motoImportable(python)) {
    throw new Error(
      `moto's S3 server is not available (tried ${candidates.join(", ")}) and \`pip install moto[server]\` failed`,
    );
  }
  cachedPython = python;
  return python;
}

export interface MotoServerOptions {
  /** Port to listen on; default: a free one. Give the old port to restart "the same" server. */
  readonly port?: number;
  /** Journal every request here and replay it on start (state survives restarts). */
  readonly journal?: string;
  /** Requests served without checking signatures before SigV4 checking starts. Default: never checks. */
  readonly unauthenticatedRequests?: number;
}

export interface MotoServer {
  readonly port: number;
  readonly endpoint: string;
  /** The OS process id, for tests that kill it. */
  readonly pid: number;
  /** SIGKILL: the crash case, no chance to flush or answer in-flight requests. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once("exit", () => resolve()));
}

/** Drops a half-written last line, the one torn write a SIGKILL can leave in the journal. */
async function repairJournal(path: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return false;
  }
  if (text === "") return false;
  if (!text.endsWith("\n")) {
    text = text.slice(0, text.lastIndexOf("\n") + 1);
    await writeFile(path, text);
  }
  return text !== "";
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const python = ensureMoto();
  const port = options.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: "1" };
  // Moto must never reach out to real AWS or read the developer's credentials.
  for (const name of Object.keys(env)) if (name.startsWith("AWS_")) delete env[name];
  const replay = options.journal !== undefined && (await repairJournal(options.journal));
  if (options.journal !== undefined) {
    env.MOTO_ENABLE_RECORDING = "True";
    env.MOTO_RECORDER_FILEPATH = options.journal;
  }
  if (options.unauthenticatedRequests !== undefined) {
    env.INITIAL_NO_AUTH_ACTION_COUNT = String(options.unauthenticatedRequests);
  }
  const child = spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const earlyExit = new Promise<never>((_, reject) => {
    child.once("exit", (code, signal) =>
      reject(new Error(`moto server exited during start (${code ?? signal}): ${stderr}`)),
    );
  });
  earlyExit.catch(() => {});
  await Promise.race([waitForPort(port, "127.0.0.1", 30_000), earlyExit]);
  const endpoint = `http://127.0.0.1:${port}`;
  if (replay) {
    const response = await fetch(`${endpoint}/moto-api/recorder/replay-recording`, { method: "POST" });
    if (!response.ok) throw new Error(`moto journal replay failed: HTTP ${response.status}`);
  }
  return {
    port,
    endpoint,
    pid: child.pid ?? -1,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}

/** A raw SDK client for test set-up and inspection (bucket creation, version listing). */
export function adminClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
    maxAttempts: 1,
  });
}

export async function createBucket(endpoint: string, bucket: string, objectLock = false): Promise<void> {
  const client = adminClient(endpoint);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: objectLock }));
  } finally {
    client.destroy();
  }
}
