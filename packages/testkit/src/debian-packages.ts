// Debian packages installed on demand: CI has no Docker, so a test that needs a server or a tool
// installs it with apt-get (as root) and throws, never skips, when it cannot.
import { execFileSync, spawnSync } from "node:child_process";

function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

let aptUpdated = false;

// Test files run in parallel processes, and two of them may install at once: wait for the other
// apt-get's dpkg lock instead of failing at once.
const WAIT_FOR_LOCK = ["-o", "DPkg::Lock::Timeout=300"];

/**
 * Installs Debian `aptPackage` (apt-get update first, once per process). With `withRecommends`
 * its recommended packages come too (some Python libraries need them to import). Throws when
 * apt-get fails; whether the package now does its job is the caller's check.
 */
export function ensureAptPackage(aptPackage: string, options: { withRecommends?: boolean } = {}): void {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    // apt-get update takes the lists lock, which DPkg::Lock::Timeout may not cover: retry a while.
    for (let attempt = 1; ; attempt++) {
      try {
        execFileSync("apt-get", ["update", "-qq", ...WAIT_FOR_LOCK], {
          stdio: "ignore",
          env,
          timeout: 300_000,
        });
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_000);
      }
    }
    aptUpdated = true;
  }
  const recommends = options.withRecommends ? [] : ["--no-install-recommends"];
  execFileSync("apt-get", ["install", "-y", "-qq", ...WAIT_FOR_LOCK, ...recommends, aptPackage], {
    stdio: "ignore",
    env,
    timeout: 600_000,
  });
}

/**
 * Makes sure `command` is on PATH, installing Debian `aptPackage` when it is not, and returns its
 * path. Throws (never skips) when it cannot: a test that needs a server must fail without it.
 */
export function ensureCommand(command: string, aptPackage: string): string {
  if (!hasCommand(command)) {
    ensureAptPackage(aptPackage);
    if (!hasCommand(command)) throw new Error(`${command} still missing after apt-get install ${aptPackage}`);
  }
  return execFileSync("sh", ["-c", `command -v ${command}`])
    .toString()
    .trim();
}
