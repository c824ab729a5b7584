// A worker as `ewsvault worker` and `ewsvault service` run it: the config's repository, EWS
// account and sets, opened in that order and closed in reverse, the worker giving its structured
// log records to the command's logger (the library leaves engine progress out: too chatty for a
// log; checkpoints and item failures kept) and, when EWSVAULT_WEBHOOK_URL is set, notifying the
// webhook of failed runs.
import { join } from "node:path";
import { openRepository } from "@ewsvault/core";
import { type RunningWorker, type ServiceSetConfig, startWorker } from "@ewsvault/service";
import type { ConfigFile } from "../config-schema.js";
import {
  cacheDirectory,
  ewsClientFromOptions,
  ewsUrl,
  ewsUsername,
  repositoryLocation,
  repositoryPassword,
} from "../context.js";
import { openDestination } from "../destinations.js";
import {
  type CliLogger,
  listenAddress,
  redisLocation,
  type WorkerCommandOptions,
  webhookFromEnv,
} from "./service-options.js";
import { positiveInteger } from "./shared.js";

/** Runs `body` with a started worker; everything is closed afterwards, also when body throws. */
export async function withWorker(
  cli: WorkerCommandOptions,
  config: ConfigFile,
  logger: CliLogger,
  body: (worker: RunningWorker) => Promise<number>,
): Promise<number> {
  const redis = redisLocation(cli);
  const options: WorkerCommandOptions = {
    ...cli,
    repo: cli.repo ?? config.repository,
    passwordFile: cli.passwordFile ?? config.passwordFile,
    cacheDir: cli.cacheDir ?? config.cacheDir,
    ewsUrl: cli.ewsUrl ?? config.ews?.url,
    username: cli.username ?? config.ews?.username,
    ewsPasswordFile: cli.ewsPasswordFile ?? config.ews?.passwordFile,
  } as WorkerCommandOptions;
  const concurrency = positiveInteger(options.concurrency, "--concurrency") ?? 2;
  const itemConcurrency = positiveInteger(options.itemConcurrency, "--item-concurrency") ?? 4;
  const leaseMs = (positiveInteger(options.leaseSeconds, "--lease-seconds") ?? 60) * 1000;
  const metrics = listenAddress(options.metricsListen);
  const webhook = webhookFromEnv();
  const destination = await openDestination(repositoryLocation(options));
  const cacheDir = cacheDirectory(options);
  try {
    const repository = await openRepository({
      destination,
      password: await repositoryPassword(options),
      cacheDir: join(cacheDir, "repository"),
      // A dead or paused worker's mailbox lock goes stale when its lease does, so the worker
      // the queue gives the job to can take the mailbox over.
      lockStaleAfterMs: leaseMs,
    });
    try {
      const worker = await startWorker({
        redis,
        sets: (config.sets ?? {}) as Readonly<Record<string, ServiceSetConfig>>,
        repository,
        // Exchange limits the account however many workers call it: every worker's EWS client
        // shares one concurrency ceiling and pace through Redis, per endpoint and account.
        source: (gate) => ewsClientFromOptions(options, "EWS_PASSWORD", gate === undefined ? {} : { gate }),
        sharedThrottle: {
          endpoint: ewsUrl(options) ?? "",
          account: ewsUsername(options) ?? "",
          // The EWS client's default ceiling (EwsClientOptions.maxConcurrency), now per account.
          max: 8,
        },
        indexDirectory: options.indexDir ?? join(cacheDir, "index", repository.config.id),
        concurrency,
        itemConcurrency,
        lockDurationMs: leaseMs,
        stalledIntervalMs: leaseMs / 2,
        ...(metrics === undefined ? {} : { metrics }),
        ...(webhook === undefined ? {} : { webhook }),
        logger,
      });
      try {
        return await body(worker);
      } finally {
        await worker.close();
      }
    } finally {
      await repository.close();
    }
  } finally {
    await destination.close();
  }
}
