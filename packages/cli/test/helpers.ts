// Helpers for the CLI's end-to-end tests: run `ewsvault` in-process (capturing its output) or
// as a child process, and read a mailbox's content back through EWS for comparisons.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main } from "@ewsvault/cli";
import type { EwsClient } from "@ewsvault/ews";
import type { MockEwsServer, MockItemData } from "@ewsvault/mock-ews";

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

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Canonical text of an item (sorted keys, bytes as base64), for order-independent comparison. */
export function canonical(item: MockItemData): string {
  const normalise = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
    if (Array.isArray(value)) return value.map(normalise);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
          .map((key) => [key, normalise((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return JSON.stringify(normalise(item));
}

/**
 * The items of a mailbox by folder path ('/'-joined display names below msgfolderroot), read
 * through EWS and resolved to the mock's stored data. With `under`, only that top folder's
 * subtree, with paths relative to it.
 */
export async function mailboxContent(
  client: EwsClient,
  server: MockEwsServer,
  mailbox: string,
  options: { under?: string; skipTop?: readonly string[] } = {},
): Promise<Map<string, string[]>> {
  const info = await client.getMailboxInfo(mailbox);
  const root = info.distinguishedFolders.msgfolderroot!;
  const folders = await client.findFolders(mailbox, root);
  const byId = new Map(folders.map((f) => [f.folderId, f]));
  const pathOf = (folderId: string): string[] => {
    const folder = byId.get(folderId);
    if (folder === undefined || folderId === root) return [];
    return [...pathOf(folder.parentFolderId), folder.displayName];
  };
  const result = new Map<string, string[]>();
  for (const folder of folders) {
    let path = pathOf(folder.folderId);
    if (options.under !== undefined) {
      if (path[0] !== options.under || path.length < 2) continue;
      path = path.slice(1);
    } else if (options.skipTop?.includes(path[0]!)) {
      continue;
    }
    const items = await client.findItems(mailbox, folder.folderId);
    if (items.length === 0) continue;
    result.set(path.join("/"), items.map((i) => canonical(server.getItem(i.itemId))).sort());
  }
  return result;
}
