// One hostile case end to end: a mock EWS server, the hostile proxy in front of it with the
// case's rewrites, and a real `ewsvault backup` (in process, so its memory can be sampled) into a
// repository and cache inside a sandbox whose HOME and TMPDIR are sandbox folders too. What a
// case can assert afterwards: the JSON report (codes), the requests the proxy saw, the peak heap
// growth while the command ran, and every file written anywhere in the sandbox.
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { type MockEwsServer, startMockEwsServer } from "@ewsvault/mock-ews";
import { selfSignedCert } from "@ewsvault/testkit";
import { cli, jsonLines } from "../../helpers.js";
import { type HostileProxy, type Rewrite, startHostileProxy } from "./hostile-proxy.js";

export interface MailboxReport {
  readonly mailbox: string;
  readonly status: string;
  readonly items: number;
  readonly itemsExported: number;
  readonly snapshotId?: string;
  readonly failedItems: ReadonlyArray<{
    itemId: string;
    code: string;
    responseCode?: string;
    reason: string;
  }>;
  readonly error?: { code: string; message: string };
}

export interface HostileRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly mailboxes: readonly MailboxReport[];
  /** Requests per SOAP operation the proxy saw during this run. */
  readonly requests: Record<string, number>;
  /** Peak growth of the V8 heap (used) over its value before the run, in bytes. */
  readonly heapGrowth: number;
}

export interface HostileCase {
  readonly server: MockEwsServer;
  readonly proxy: HostileProxy;
  readonly sandbox: string;
  readonly repo: string;
  readonly cache: string;
  /** Runs `ewsvault <args> --json` (text output with json: false) with the repository options added. */
  run(args: readonly string[], options?: { json?: boolean }): Promise<HostileRun>;
  /** Runs `ewsvault backup` of the given mailboxes (default: the first) through the proxy. */
  backup(mailboxes?: readonly string[], extra?: readonly string[]): Promise<HostileRun>;
  /** Every file in the sandbox, relative to it, "/"-separated. */
  files(): Promise<string[]>;
  stop(): Promise<void>;
}

const MiB = 1024 * 1024;
/** The real temporary folder, read once: runs point TMPDIR at their sandbox while they last. */
const REAL_TMP = tmpdir();
/** Heap growth a backup of these small mailboxes may cost; an amplification attack costs far more. */
export const HEAP_BOUND = 256 * MiB;

/** Normal items the mock generates per mailbox for a hostile case. */
export const NORMAL_ITEMS = 24;
/**
 * Items a backed-up mailbox holds: the normal ones plus the 6 folder-associated items (rules,
 * views, configurations) the mock seeds in Inbox and Calendar, as Exchange mailboxes have them.
 */
export const MAILBOX_ITEMS = NORMAL_ITEMS + 6;

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.push(relative(root, path).split(sep).join("/"));
    }
  };
  await walk(root);
  return out.sort();
}

/** Files outside the repository and the cache folder (there must be none). */
export function strayFiles(files: readonly string[]): string[] {
  return files.filter((f) => !f.startsWith("repo/") && !f.startsWith("cache/"));
}

export async function startHostileCase(
  rewrites: Readonly<Record<string, Rewrite>>,
  mock: Parameters<typeof startMockEwsServer>[0] = {},
): Promise<HostileCase> {
  const path = await mkdtemp(join(REAL_TMP, "ewsvault-hostile-"));
  const dir = { path, cleanup: () => rm(path, { recursive: true, force: true }) };
  const sandbox = join(dir.path, "sandbox");
  const certs = join(dir.path, "certs");
  await mkdir(join(sandbox, "home"), { recursive: true });
  await mkdir(join(sandbox, "tmp"), { recursive: true });
  await mkdir(certs);
  const cert = selfSignedCert(certs);
  const server = await startMockEwsServer({ seed: 11, mailboxes: 2, itemsPerMailbox: NORMAL_ITEMS, ...mock });
  const proxy = await startHostileProxy({ upstream: server.url, rewrites, tls: cert });
  const repo = join(sandbox, "repo");
  const cache = join(sandbox, "cache");
  const env = {
    EWSVAULT_PASSWORD: "hostile test repository password",
    EWS_PASSWORD: server.credentials.password,
    HOME: join(sandbox, "home"),
    TMPDIR: join(sandbox, "tmp"),
    XDG_CACHE_HOME: join(sandbox, "home", ".cache"),
    XDG_CONFIG_HOME: join(sandbox, "home", ".config"),
  };
  const common = ["--repo", repo, "--cache-dir", cache];
  const init = await cli(["init", ...common], env);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);

  const run = async (args: readonly string[], options: { json?: boolean } = {}): Promise<HostileRun> => {
    const before = { ...proxy.requests() };
    global.gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 10);
    let result: Awaited<ReturnType<typeof cli>>;
    try {
      result = await cli([...args, ...common, ...(options.json === false ? [] : ["--json"])], env);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const after = proxy.requests();
    const requests: Record<string, number> = {};
    for (const [operation, n] of Object.entries(after)) {
      const delta = n - (before[operation] ?? 0);
      if (delta > 0) requests[operation] = delta;
    }
    const report = jsonLines(result.stdout).find((e) => e.type === "report") as
      | { mailboxes: MailboxReport[] }
      | undefined;
    return { ...result, mailboxes: report?.mailboxes ?? [], requests, heapGrowth: peak - base };
  };

  return {
    server,
    proxy,
    sandbox,
    repo,
    cache,
    run,
    backup: (mailboxes = [server.mailboxes[0] as string], extra = []) =>
      run([
        "backup",
        "--ews-url",
        proxy.url,
        "--insecure-tls",
        "--username",
        server.credentials.username,
        ...extra,
        "--mailbox",
        ...mailboxes,
      ]),
    files: () => listFiles(sandbox),
    async stop() {
      await proxy.stop();
      await server.stop();
      await dir.cleanup();
    },
  };
}
