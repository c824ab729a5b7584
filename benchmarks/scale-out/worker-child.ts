// One scale-out worker in a process of its own (as on its own machine): the engine on its share
// of the mailboxes, 4 mailboxes x 4 requests, through an EWS client whose gate is either shared
// through Redis with the other workers or its own. Prepares, says "ready" over IPC, starts on
// "go" (so that every worker starts at once), and sends back what it did.
import { join } from "node:path";
import { backup } from "@ewsvault/core";
import { openSharedGate } from "@ewsvault/service";
import { summarise } from "../lib/backup-run.js";
import { benchPassword, createBenchRepository, mockClient } from "../lib/setup.js";

export interface WorkerChildOptions {
  readonly name: string;
  readonly workDir: string;
  readonly mock: { readonly url: string; readonly credentials: { username: string; password: string } };
  readonly mailboxes: readonly string[];
  readonly mailboxConcurrency: number;
  readonly itemConcurrency: number;
  /** The client's ceiling: the shared gate's max, or the client's own maxConcurrency. */
  readonly clientConcurrency: number;
  /** Redis URL and key prefix of the shared gate; undefined: the client throttles on its own. */
  readonly shared?: { readonly url: string; readonly prefix: string };
}

const options = JSON.parse(process.argv[2] ?? "{}") as WorkerChildOptions;
const send = (message: Record<string, unknown>) =>
  new Promise<void>((resolve) => process.send?.(message, () => resolve()));

const repository = await createBenchRepository(join(options.workDir, "repo"), benchPassword());
const gate =
  options.shared === undefined
    ? undefined
    : await openSharedGate({
        redis: options.shared,
        endpoint: options.mock.url,
        account: options.mock.credentials.username,
        max: options.clientConcurrency,
      });
const client = mockClient(options.mock, {
  maxConcurrency: options.clientConcurrency,
  ...(gate === undefined ? {} : { gate }),
});
await send({ type: "ready" });
await new Promise<void>((resolve) => process.once("message", () => resolve()));
const started = performance.now();
const cpuBefore = process.cpuUsage();
const report = await backup({
  repository,
  source: client,
  mailboxes: options.mailboxes,
  indexDirectory: join(options.workDir, "index"),
  mailboxConcurrency: options.mailboxConcurrency,
  itemConcurrency: options.itemConcurrency,
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const { items, failed } = summarise(report);
await send({
  type: "done",
  name: options.name,
  items,
  failed,
  seconds,
  // CPU seconds of this worker's process over the run: what the scaling scenario must keep
  // well under the machine's cores to stay latency-bound.
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  stats: client.stats(),
  gate: client.gate.snapshot(),
});
await client.close();
await gate?.close();
await repository.close();
process.exit(0);
