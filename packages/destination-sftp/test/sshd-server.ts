// Starts Debian's OpenSSH sshd as a non-daemon child on a free loopback port, with a fresh
// host key, a fresh client key authorised for the current user and internal-sftp. stop()
// kills the listener and every per-connection child (sshd forks one per client and those
// survive the listener), so "the server went away" is really true; start() brings it back on
// the same port with the same host key and data.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { ensureCommand, freePort, tempDir, waitForPort } from "@ewsvault/testkit";

export interface SshdServer {
  readonly port: number;
  readonly username: string;
  /** Directory for test data (absolute path, also valid on the server side). */
  readonly dataDir: string;
  readonly clientKey: string;
  readonly clientKeyPath: string;
  /** Public host key line ("ssh-ed25519 AAAA..."). */
  readonly hostPublicKey: string;
  /** "SHA256:..." as ssh-keygen -l prints it. */
  readonly hostFingerprint: string;
  /** A known_hosts file with a plain entry for [127.0.0.1]:port. */
  readonly knownHostsPath: string;
  readonly dir: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOPs (true) or SIGCONTs (false) the listener and every session: a hung server. */
  freeze(frozen: boolean): void;
  cleanup(): Promise<void>;
}

function sshdPath(): string {
  try {
    return ensureCommand("sshd", "openssh-server");
  } catch (error) {
    // Debian puts sshd in /usr/sbin, which is not on every user's PATH.
    try {
      execFileSync("/usr/sbin/sshd", ["-V"], { stdio: "ignore" });
      return "/usr/sbin/sshd";
    } catch {
      throw error;
    }
  }
}

/** Every descendant pid of `root`, read from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process exited while we looked
    }
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export async function startSshd(): Promise<SshdServer> {
  const sshd = sshdPath();
  const keygen = ensureCommand("ssh-keygen", "openssh-client");
  // Privilege separation directory; sshd refuses to start without it.
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const dir = await tempDir("ewsvault-sshd-");
  const port = await freePort();
  const hostKey = join(dir.path, "host_key");
  const clientKeyPath = join(dir.path, "client_key");
  execFileSync(keygen, ["-q", "-t", "ed25519", "-f", hostKey, "-N", "", "-C", "ewsvault-test-host"]);
  execFileSync(keygen, ["-q", "-t", "ed25519", "-f", clientKeyPath, "-N", "", "-C", "ewsvault-test-client"]);
  await writeFile(join(dir.path, "authorized_keys"), readFileSync(`${clientKeyPath}.pub`));
  const hostPublicKey = readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  const hostFingerprint = execFileSync(keygen, ["-l", "-E", "sha256", "-f", `${hostKey}.pub`])
    .toString()
    .split(" ")[1] as string;
  const knownHostsPath = join(dir.path, "known_hosts");
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
  const dataDir = join(dir.path, "data");
  await mkdir(dataDir);
  const username = userInfo().username;
  const config = join(dir.path, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir.path, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir.path, "authorized_keys")}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin yes",
      "UsePAM no",
      "StrictModes no",
      "MaxStartups 100",
      "MaxSessions 20",
      "LogLevel INFO",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  execFileSync(sshd, ["-t", "-f", config]);

  let child: ChildProcess | undefined;
  let output = "";
  const start = async (): Promise<void> => {
    const proc = spawn(sshd, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    proc.stderr?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    });
    const exited = new Promise<never>((_, reject) => {
      proc.once("exit", (code) => reject(new Error(`sshd exited with ${code}: ${output.slice(-2000)}`)));
    });
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port, "127.0.0.1", 30_000), exited]);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null)
      return;
    const sessions = descendants(proc.pid);
    const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGKILL");
    for (const pid of sessions) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await gone;
  };

  const freeze = (frozen: boolean): void => {
    const pid = child?.pid;
    if (pid === undefined) return;
    for (const target of [pid, ...descendants(pid)]) {
      try {
        process.kill(target, frozen ? "SIGSTOP" : "SIGCONT");
      } catch {
        // already gone
      }
    }
  };

  await start();
  return {
    port,
    username,
    dataDir,
    clientKey: readFileSync(clientKeyPath, "utf8"),
    clientKeyPath,
    hostPublicKey,
    hostFingerprint,
    knownHostsPath,
    dir: dir.path,
    stop,
    start,
    freeze,
    cleanup: async () => {
      freeze(false);
      await stop();
      await dir.cleanup();
    },
  };
}
