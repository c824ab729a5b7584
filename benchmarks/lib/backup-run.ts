// One measured backup against a mock server: fresh repository and index, an EWS client allowed
// as many requests in flight as the engine asks for, the mock's request counters for the run.
import { join } from "node:path";
import { type BackupOptions, type BackupReport, backup, type MailboxSource } from "@ewsvault/core";
import type { ConcurrencyGateSnapshot, EwsClientStats } from "@ewsvault/ews";
import type { MockEwsCounters } from "@ewsvault/mock-ews";
import { benchPassword, createBenchRepository, mockClient, openBenchRepository, treeBytes } from "./setup.js";

export interface MeasuredBackup {
  readonly report: BackupReport;
  readonly seconds: number;
  readonly items: number;
  readonly bytesRead: number;
  readonly counters: MockEwsCounters;
  readonly repositoryBytes: number;
  /** CPU seconds of this whole process (every thread: engine, client, seal workers, and the mock when in-process). */
  readonly cpuSeconds: number;
  /** Share of the run this process's main thread was busy (1 = the event loop never idled). */
  readonly eventLoopUtilization: number;
  /** CPU seconds of the mock's own process, when it runs in one. */
  readonly mockCpuSeconds?: number;
  /** The client's view: its request stats and its adaptive concurrency gate at the end. */
  readonly client: { readonly stats: EwsClientStats; readonly gate: ConcurrencyGateSnapshot };
}

/** What a run needs of a mock server, in-process (MockEwsServer) or in a child (BenchMockServer). */
export interface MockLike {
  readonly url: string;
  readonly credentials: { readonly username: string; readonly password: string };
  readonly mailboxes: readonly string[];
  counters():
    | (MockEwsCounters & { readonly cpuSeconds?: number })
    | Promise<MockEwsCounters & { readonly cpuSeconds?: number }>;
  resetCounters(): void | Promise<void>;
}

export interface BackupRunOptions {
  readonly server: MockLike;
  readonly workDir: string;
  readonly mailboxes: readonly string[];
  readonly mailboxConcurrency: number;
  readonly itemConcurrency: number;
  /** Requests the client lets through at once; default mailboxConcurrency x itemConcurrency. */
  readonly clientConcurrency?: number;
  readonly wrapSource?: (source: MailboxSource) => MailboxSource;
  readonly engine?: Partial<BackupOptions>;
  /** Back up into this existing repository (incremental runs) instead of a fresh one in workDir/repo. */
  readonly existing?: { readonly dir: string; readonly password: string };
}

export function summarise(report: BackupReport): { items: number; bytesRead: number; failed: number } {
  let items = 0;
  let bytesRead = 0;
  let failed = 0;
  for (const m of report.mailboxes) {
    items += m.itemsExported;
    bytesRead += m.bytesRead;
    failed += m.failedItems.length + (m.status === "failed" ? 1 : 0);
  }
  return { items, bytesRead, failed };
}

export async function measuredBackup(options: BackupRunOptions): Promise<MeasuredBackup> {
  const repoDir = options.existing?.dir ?? join(options.workDir, "repo");
  const repository = options.existing
    ? await openBenchRepository(options.existing.dir, options.existing.password)
    : await createBenchRepository(repoDir, benchPassword());
  const client = mockClient(options.server, {
    maxConcurrency: options.clientConcurrency ?? options.mailboxConcurrency * options.itemConcurrency,
  });
  const source = options.wrapSource ? options.wrapSource(client) : client;
  try {
    await options.server.resetCounters();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const eluBefore = performance.eventLoopUtilization();
    const report = await backup({
      repository,
      source,
      mailboxes: options.mailboxes,
      indexDirectory: join(options.workDir, "index"),
      mailboxConcurrency: options.mailboxConcurrency,
      itemConcurrency: options.itemConcurrency,
      ...options.engine,
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const eventLoopUtilization = performance.eventLoopUtilization(eluBefore).utilization;
    const counters = await options.server.counters();
    const { items, bytesRead, failed } = summarise(report);
    if (failed > 0) {
      const reasons = report.mailboxes
        .flatMap((m) => [m.error?.message, ...m.failedItems.map((f) => `${f.code} ${f.reason}`)])
        .filter(Boolean);
      throw new Error(`backup had ${failed} failures: ${reasons.slice(0, 3).join("; ")}`);
    }
    return {
      report,
      seconds,
      items,
      bytesRead,
      counters,
      repositoryBytes: await treeBytes(repoDir),
      cpuSeconds,
      eventLoopUtilization,
      client: { stats: client.stats(), gate: client.gate.snapshot() },
      ...(counters.cpuSeconds === undefined ? {} : { mockCpuSeconds: counters.cpuSeconds }),
    };
  } finally {
    await client.close();
    await repository.close();
  }
}
