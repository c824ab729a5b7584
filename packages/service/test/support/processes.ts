// Child processes running the service's source under tsx, with their JSON-line output collected.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const worktreeRoot = fileURLToPath(new URL("../../../../", import.meta.url));

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Every JSON line printed so far. */
  readonly events: Record<string, unknown>[];
  /** Resolves with the first event that matches, rejects when the process exits first or after timeoutMs. */
  waitFor(
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

export function startServiceProcess(script: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=source", fileURLToPath(new URL(script, import.meta.url))],
    {
      cwd: worktreeRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const events: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let stderr = "";
  let buffered = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        events.push(JSON.parse(line));
      } catch {
        events.push({ type: "text", line });
      }
    }
    for (const listener of listeners) listener();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => {
    for (const listener of listeners) listener();
  });
  return {
    child,
    events,
    waitFor(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) return done(() => resolve(found));
          if (child.exitCode !== null || child.signalCode !== null)
            return done(() =>
              reject(new Error(`process exited (${child.exitCode ?? child.signalCode}): ${stderr}`)),
            );
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no matching event after ${timeoutMs} ms; stderr: ${stderr}`))),
          timeoutMs,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
