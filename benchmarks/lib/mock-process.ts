// A mock EWS server in a child process, so the mock's CPU work (generating, encoding and
// serialising items) does not share the measured process's event loop with the client and the
// engine. Exposes what the scenarios need of MockEwsServer, with counters fetched over IPC.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { createMailboxGenerator, MockEwsCounters, MockEwsServerOptions } from "@ewsvault/mock-ews";

export interface BenchMockServer {
  readonly url: string;
  readonly credentials: { readonly username: string; readonly password: string };
  readonly mailboxes: readonly string[];
  /** Counters since the last reset, and the mock process's CPU seconds over the same span. */
  counters(): Promise<MockEwsCounters & { readonly cpuSeconds?: number }>;
  resetCounters(): Promise<void>;
  /** Edits items as a user would: a new subject and a category (SyncFolderItems reports updates). */
  editItems(itemIds: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startMockProcess(
  options: MockEwsServerOptions,
  generator?: Parameters<typeof createMailboxGenerator>[0],
): Promise<BenchMockServer> {
  const child = fork(
    fileURLToPath(new URL("./mock-child.ts", import.meta.url)),
    [JSON.stringify({ options, generator })],
    {
      // BENCH_MOCK_CPU_PROF_DIR=dir profiles the mock's process (node --cpu-prof) for
      // report/profile-summary.ts.
      execArgv: [
        "--import",
        "tsx",
        "--conditions=source",
        ...(process.env.BENCH_MOCK_CPU_PROF_DIR
          ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_MOCK_CPU_PROF_DIR}`]
          : []),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    },
  );
  let next = 1;
  const pending = new Map<number, (value: Record<string, unknown>) => void>();
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    pending.set(0, resolve);
    child.once("exit", (code) => reject(new Error(`mock process exited with ${code}`)));
  });
  child.on("message", (message: Record<string, unknown> & { id: number }) => {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const ask = (type: string, extra: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      child.send({ id, type, ...extra });
    });
  const info = (await ready).ready as Pick<BenchMockServer, "url" | "credentials" | "mailboxes">;
  return {
    ...info,
    async counters() {
      const reply = await ask("counters");
      return { ...(reply.counters as MockEwsCounters), cpuSeconds: reply.cpuSeconds as number };
    },
    async resetCounters() {
      await ask("reset");
    },
    async editItems(itemIds) {
      await ask("edit", { itemIds });
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await ask("stop");
      await exited;
    },
  };
}
