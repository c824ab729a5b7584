// restic's CPU for backing up a directory of files (the captured item streams, one file each),
// measured as the CPU of the restic process, not wall time: this process's children's CPU
// (/proc/self/stat cutime + cstime, added when a child is reaped) around the backup command.
// restic's fixed cost per run (start, opening the repository: scrypt, index, lock) is measured
// by backups of an empty directory into the same repository (the least of three) and reported
// apart, so the per-file figure compares with the engine's per-item CPU, which does not include
// opening a repository.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureRestic } from "../lib/restic.js";

/** CPU seconds of this process's reaped children (user + system), or NaN without /proc. */
async function childrenCpuSeconds(): Promise<number> {
  try {
    const stat = await readFile("/proc/self/stat", "latin1");
    // Fields after the command name (which may hold spaces) start at field 3 ("state").
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // cutime and cstime are fields 16 and 17 (1-based), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function runRestic(restic: string, argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(restic, argv, { env, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`restic ${argv[0]} failed: ${String(stderr).slice(-500)}`)) : resolve(),
    );
  });
}

export interface ResticCpu {
  readonly version: string;
  /** CPU seconds of `restic backup` of the files. */
  readonly backupCpuSeconds: number;
  /** CPU seconds of `restic backup` of an empty directory into the same repository (least of 3). */
  readonly fixedCpuSeconds: number;
}

/** Backs `sourceDir` up into a new restic repository below `workDir`; CPU of the backup. */
export async function resticBackupCpu(sourceDir: string, workDir: string): Promise<ResticCpu> {
  const restic = ensureRestic();
  const version = await new Promise<string>((resolve, reject) =>
    execFile(restic, ["version"], (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim().split(" ").slice(0, 2).join(" ")),
    ),
  );
  const empty = join(workDir, "empty");
  await mkdir(empty, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: workDir,
    RESTIC_REPOSITORY: join(workDir, "restic-repo"),
    RESTIC_PASSWORD: randomBytes(16).toString("hex"),
    RESTIC_CACHE_DIR: join(workDir, "restic-cache"),
  };
  await runRestic(restic, ["init", "--repository-version", "2"], env);
  const cpuOf = async (dir: string) => {
    const before = await childrenCpuSeconds();
    await runRestic(restic, ["backup", "--quiet", "--host", "bench", dir], env);
    return (await childrenCpuSeconds()) - before;
  };
  // The fixed cost is the least of three runs: one run's figure swings by several hundred ms on a
  // loaded machine (CPU frequency, cache), which would swamp a few thousand small files.
  const fixedRuns = [await cpuOf(empty), await cpuOf(empty), await cpuOf(empty)];
  const fixedCpuSeconds = Math.min(...fixedRuns);
  const backupCpuSeconds = await cpuOf(sourceDir);
  return { version, backupCpuSeconds, fixedCpuSeconds };
}
