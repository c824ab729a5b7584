// Runs the mock-ews bin (from source, through tsx's loader) as a child process.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url));

export interface BinInfo {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly mailboxes: string[];
}

export interface RunningBin {
  readonly child: ChildProcess;
  readonly info: BinInfo;
  /** Everything written so far (stdout and stderr). */
  output(): { stdout: string; stderr: string };
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns the bin in one node process (no wrapper), so its pid is the server's pid. */
export function spawnBin(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--conditions=source", "--import", "tsx", BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export async function startBin(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<RunningBin> {
  const child = spawnBin(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const info = await new Promise<BinInfo>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mock-ews printed nothing in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.stdout!.on("data", (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf("\n");
      if (newline >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(stdout.slice(0, newline)) as BinInfo);
        } catch (error) {
          reject(error);
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`mock-ews exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    info,
    output: () => ({ stdout, stderr }),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
