// Child processes for the pack test: every command runs on the Node that runs the test (its
// directory leads PATH, so `npx`, `npm` and `#!/usr/bin/env node` bins pick it), with the
// environment a user's shell would have rather than the one pnpm gives the test run.
import { type ChildProcess, spawn } from "node:child_process";
import { delimiter, dirname } from "node:path";
import { createInterface } from "node:readline";

/** Environment for a child: the caller's, minus pnpm/npm script variables, plus `extra`. */
export function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // npm_config_* that pnpm exports for its scripts (user agent, frozen lockfile, node-gyp)
    // would change how npm installs in the consumer; registry and proxy settings stay.
    const lower = key.toLowerCase();
    const keep =
      /^npm_config_(registry|cache|https?[-_]proxy|proxy|noproxy|no[-_]proxy|cafile|strict[-_]ssl)$/.test(
        lower,
      );
    if (lower.startsWith("npm_") && !keep) continue;
    if (lower.startsWith("pnpm_")) continue;
    env[key] = value;
  }
  env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`;
  return { ...env, ...extra };
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `command args` in `cwd`; resolves with its output when it exits 0, rejects otherwise. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? userEnvironment(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve({ stdout, stderr, ms: Date.now() - started });
      else
        reject(
          new Error(
            `${command} ${args.join(" ")} (in ${options.cwd}) ended with ${code ?? signal}\n` +
              `--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`,
          ),
        );
    });
  });
}

/** A long-running child and the first line it printed on stdout. */
export interface Started {
  readonly child: ChildProcess;
  readonly firstLine: string;
  stop(): Promise<void>;
}

/** Starts `command args` and resolves once it has printed its first stdout line. */
export function startUntilFirstLine(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Started> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} printed nothing in ${options.timeoutMs} ms; stderr: ${stderr}`));
    }, options.timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (firstLine) => {
      clearTimeout(timer);
      resolve({ child, firstLine, stop });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited ${code} before printing a line; stderr: ${stderr}`));
    });
  });
}
