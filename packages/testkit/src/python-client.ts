// Unmodified third-party Python clients (Debian's python3-exchangelib) driven against the mock
// EWS server: a script runs its checks and prints one JSON object {"checks": {...}} that the
// vitest test asserts on. One runner for every such script, so each test says only which script,
// which arguments, and what it expects.
import { execFile, execFileSync } from "node:child_process";
import { ensureAptPackage } from "./debian-packages.js";

/** Debian's interpreter: apt's python3-* packages install into /usr/lib/python3/dist-packages. */
const PYTHON = "/usr/bin/python3";

function canImport(module: string): boolean {
  try {
    execFileSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure Debian's python3 can `import module`, installing `aptPackage` (with its recommended
 * packages) when it cannot. Throws, never skips, when the module is still missing.
 */
export function ensurePythonModule(module: string, aptPackage: string): void {
  if (canImport(module)) return;
  ensureAptPackage(aptPackage, { withRecommends: true });
  if (!canImport(module)) throw new Error(`${aptPackage} is still not importable after apt-get install`);
}

export interface PythonChecksOptions {
  /** Extra environment for the script (secrets go here, never into argv). */
  readonly env?: Readonly<Record<string, string>>;
  /** Default 240 s. */
  readonly timeoutMs?: number;
  /** Largest stdout accepted; default 1 MiB (Node's default). */
  readonly maxBuffer?: number;
}

/**
 * Runs `script` with `args` under Debian's python3 and resolves to the `checks` object it
 * printed as JSON; rejects with the script's stderr when it fails.
 */
export function runPythonChecks<Checks>(
  script: string,
  args: readonly string[],
  options: PythonChecksOptions = {},
): Promise<Checks> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [script, ...args],
      {
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 240_000,
        ...(options.maxBuffer === undefined ? {} : { maxBuffer: options.maxBuffer }),
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${script} failed: ${error.message}\n${stderr}`));
        resolve((JSON.parse(stdout) as { checks: Checks }).checks);
      },
    );
  });
}
