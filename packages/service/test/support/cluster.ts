// Two worker processes (own index directories, as on two machines) sharing a fresh filesystem
// repository, a Redis and the mock EWS server, with one run of a set enqueued: what the
// failover, fencing, graceful-stop and Redis-restart tests start from.
import { join } from "node:path";
import { initRepository, openRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import type { MockEwsServer } from "@ewsvault/mock-ews";
import { FlowProducer } from "bullmq";
import { bullConnection, enqueueRun } from "../../src/index.js";
import { type ServiceProcess, startServiceProcess } from "./processes.js";

export const CLUSTER_REPO_PASSWORD = "service cluster test";

export interface ClusterOptions {
  readonly redisUrl: string;
  readonly server: MockEwsServer;
  /** A directory the test owns. */
  readonly work: string;
  /** Names the Redis prefix, the repository and the index directories. */
  readonly name: string;
  readonly mailboxes: readonly string[];
  readonly lease: {
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    readonly lockStaleAfterMs: number;
  };
}

export async function startCluster(options: ClusterOptions) {
  const { server, work, name, mailboxes } = options;
  const repo = join(work, `repo-${name}`);
  const repository = await initRepository({
    destination: createFsDestination({ root: repo }),
    password: CLUSTER_REPO_PASSWORD,
    kdf: { N: 1024, r: 8, p: 1 },
  });
  await repository.close();
  const location = { url: options.redisUrl, prefix: name };
  const sets = { s: { mailboxes, schedule: { cron: "0 2 * * *" } } };
  const workers: ServiceProcess[] = ["w1", "w2"].map((worker) =>
    startServiceProcess("./worker-process.ts", {
      EWSVAULT_TEST_WORKER: JSON.stringify({
        name: worker,
        redis: location,
        sets,
        repository: repo,
        indexDirectory: join(work, `${name}-index-${worker}`),
        ewsUrl: server.url,
        username: server.credentials.username,
        concurrency: 1,
        itemConcurrency: 1,
        checkpointSeconds: 0.2,
        ...options.lease,
      }),
      EWSVAULT_TEST_REPO_PASSWORD: CLUSTER_REPO_PASSWORD,
      EWSVAULT_TEST_EWS_PASSWORD: server.credentials.password,
    }),
  );
  await Promise.all(workers.map((w) => w.waitFor((e) => e.type === "ready", 60_000)));
  const flows = new FlowProducer({ connection: bullConnection(location), prefix: location.prefix });
  await enqueueRun(
    flows,
    { set: "s", dueAt: 1_800_000_000_000, mailboxes },
    { retryDelayMs: 300, mailboxAttempts: 8 },
  );
  await flows.close();
  return {
    workers,
    location,
    events: () => workers.flatMap((w) => w.events),
    open: () =>
      openRepository({ destination: createFsDestination({ root: repo }), password: CLUSTER_REPO_PASSWORD }),
  };
}
