// Runs one of the exchangelib scripts (exchangelib_client.py, exchangelib_settings.py, both on
// exchangelib_common.py) against a mock server with Debian's unmodified python3-exchangelib,
// installing the package when it is missing (the tests fail, never skip, when it cannot be).
import { execFile, execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MockEwsServer } from "@ewsvault/mock-ews";

// Debian's interpreter: the package installs into /usr/lib/python3/dist-packages.
const PYTHON = "/usr/bin/python3";

function hasExchangelib(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import exchangelib"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Installs python3-exchangelib with apt-get when it is not importable; MUST throw when that fails. */
export function ensureExchangelib(): void {
  if (hasExchangelib()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore", env, timeout: 300_000 });
  execFileSync("apt-get", ["install", "-y", "-qq", "python3-exchangelib"], {
    stdio: "ignore",
    env,
    timeout: 600_000,
  });
  if (!hasExchangelib()) throw new Error("python3-exchangelib is still not importable after apt-get install");
}

/**
 * Runs `script` (a file beside this one) as the server's user on `mailbox`, the password in the
 * environment only, and resolves with the checks it printed.
 */
export function runExchangelibScript<Checks>(
  script: string,
  server: MockEwsServer,
  mailbox: string,
): Promise<Checks> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [path, server.url, server.credentials.username, mailbox],
      {
        env: { ...process.env, MOCK_EWS_PASSWORD: server.credentials.password },
        timeout: 240_000,
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`exchangelib client failed: ${error.message}\n${stderr}`));
        resolve((JSON.parse(stdout) as { checks: Checks }).checks);
      },
    );
  });
}
