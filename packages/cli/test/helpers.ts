// Helpers for the CLI's end-to-end tests: run `ewsvault` in-process (capturing its output) or
// as a child process, and read its JSON events. Mailbox comparisons come from @ewsvault/testkit
// (mailboxContent), shared with the service's tests.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "@ewsvault/cli";
import { createEwsClient, type EwsClient } from "@ewsvault/ews";
import type { MockEwsServer } from "@ewsvault/mock-ews";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const binPath = fileURLToPath(new URL("../src/bin.ts", import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process with extra environment variables; output is captured, not shown. */
export async function cli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Starts `ewsvault` as a child process (tsx, source condition), with only the given secrets in its env. */
export function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "--conditions=source", binPath, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Calls `onEvent` with each JSON event a child's stdout prints, as each line arrives (for tests
 * that act mid-run, e.g. send SIGINT after the first checkpoint).
 */
export function onJsonEvents(
  stream: NodeJS.ReadableStream,
  onEvent: (event: Record<string, unknown>) => void,
): void {
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("{")) onEvent(JSON.parse(line) as Record<string, unknown>);
    }
  });
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The `report` event `backup --json` ends with (the fields the tests read). */
export interface BackupReport {
  mailboxes: Array<{
    mailbox: string;
    status: string;
    items: number;
    itemsExported: number;
    snapshotId?: string;
    indexRebuilt: boolean;
    failedItems: Array<{ itemId: string; code: string; responseCode?: string; reason: string }>;
    error?: { code: string };
  }>;
}

/** The `report` event of a `backup --json` run's stdout. */
export function reportOf(stdout: string): BackupReport {
  return jsonLines(stdout).find((e) => e.type === "report") as unknown as BackupReport;
}

/** What most e2e tests pass to every command, built from a work directory and a mock server. */
export interface CliArgs {
  /** `--repo DIR/repo --cache-dir DIR/cache`. */
  readonly common: string[];
  /** The mock's URL and account over plain http (`--allow-insecure-basic`). */
  readonly ews: string[];
  /** The repository password and the mock account's password, as the CLI reads them. */
  readonly env: Record<string, string>;
}

export function cliArgs(dir: string, server: MockEwsServer, repositoryPassword: string): CliArgs {
  return {
    common: ["--repo", join(dir, "repo"), "--cache-dir", join(dir, "cache")],
    ews: ["--ews-url", server.url, "--username", server.credentials.username, "--allow-insecure-basic"],
    env: { EWSVAULT_PASSWORD: repositoryPassword, EWS_PASSWORD: server.credentials.password },
  };
}

/** An EWS client of the mock's own account with Basic auth, allowed over the mock's plain http. */
export function mockEwsClient(server: MockEwsServer): EwsClient {
  return createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
  });
}

/** `restore` arguments that put `source`'s latest snapshot into `target`, below a new folder `into`. */
export function restoreInto(source: string, target: string, into: string): string[] {
  return ["--mailbox", source, "--to-mailbox", target, "--into-folder", into];
}
