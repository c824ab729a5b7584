// Building blocks of the scenarios: a scratch directory, an fs repository, an EWS client for a
// mock server, on-disk byte counts and a mock request-count difference.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initRepository, openRepository, type Repository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient, type EwsClient, type EwsClientOptions } from "@ewsvault/ews";
import type { MockEwsCounters, MockEwsServer } from "@ewsvault/mock-ews";

/** The key file's scrypt cost does not touch any measured path; a cheap one keeps setup fast. */
export const BENCH_KDF = { N: 2 ** 14, r: 8, p: 1 } as const;

export async function scratchDirectory(label: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ewsvault-bench-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function benchPassword(): string {
  return randomBytes(16).toString("hex");
}

export async function createBenchRepository(
  root: string,
  password: string,
  options: { workers?: number } = {},
): Promise<Repository> {
  return initRepository({
    destination: createFsDestination({ root }),
    password,
    kdf: BENCH_KDF,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
}

export async function openBenchRepository(
  root: string,
  password: string,
  options: { cacheDir?: string } = {},
): Promise<Repository> {
  return openRepository({
    destination: createFsDestination({ root }),
    password,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
}

export function mockClient(
  server: Pick<MockEwsServer, "url" | "credentials">,
  options: Partial<EwsClientOptions> = {},
): EwsClient {
  return createEwsClient({
    url: server.url,
    allowInsecureAuth: true,
    auth: { kind: "basic", ...server.credentials },
    ...options,
  });
}

/** Bytes of every regular file below `dir`. */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Requests per operation since the last reset, sorted by count. */
export function requestCounts(counters: MockEwsCounters): Array<[string, number]> {
  return Object.entries(counters.requests).sort((a, b) => b[1] - a[1]);
}

export function describeCounts(counters: MockEwsCounters): string {
  return requestCounts(counters)
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
}
