// restic as the reference tool: installed from Debian when missing, run with its password only in
// its own environment, repository format version 2 with default compression.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { treeBytes } from "./setup.js";

export function ensureRestic(): string {
  const find = () => execFileSync("sh", ["-c", "command -v restic"]).toString().trim();
  try {
    return find();
  } catch {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq", "-o", "DPkg::Lock::Timeout=300"], { stdio: "ignore", env });
    execFileSync(
      "apt-get",
      ["install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends", "restic"],
      {
        stdio: "ignore",
        env,
      },
    );
    return find();
  }
}

function run(command: string, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`${command} ${argv[0]} exited with ${code}: ${stderr.slice(-500)}`));
    });
  });
}

export interface ResticBackup {
  readonly version: string;
  readonly seconds: number;
  /** CPU (user + system) of the timed `backup` process; undefined where /proc is missing. */
  readonly cpuSeconds: number | undefined;
  readonly storedBytes: number;
}

/** CPU seconds of this process's waited-for children so far (Linux /proc; undefined elsewhere). */
function childrenCpuSeconds(): number | undefined {
  try {
    // Fields after the ")" that ends the command name: cutime and cstime are the 14th and 15th.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/** Backs `sourceDir` up into a new restic repository below `workDir`. */
export async function resticBackup(sourceDir: string, workDir: string): Promise<ResticBackup> {
  const restic = ensureRestic();
  const version = execFileSync(restic, ["version"]).toString().trim().split(" ").slice(0, 2).join(" ");
  const repo = join(workDir, "restic-repo");
  const env = {
    PATH: process.env.PATH,
    HOME: workDir,
    RESTIC_REPOSITORY: repo,
    RESTIC_PASSWORD: randomBytes(16).toString("hex"),
    RESTIC_CACHE_DIR: join(workDir, "restic-cache"),
  };
  await run(restic, ["init", "--repository-version", "2"], env);
  const cpuBefore = childrenCpuSeconds();
  const seconds = await run(restic, ["backup", "--quiet", "--host", "bench", sourceDir], env);
  const cpuAfter = childrenCpuSeconds();
  const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { version, seconds, cpuSeconds, storedBytes: await treeBytes(repo) };
}
