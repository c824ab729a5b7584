// `ewsvault scheduler` and `ewsvault worker`: the service (@ewsvault/service) run from a config
// file. Both log one JSON object per line on stdout (time, event type, facts; never secrets)
// and stop gracefully on SIGTERM or SIGINT: the scheduler after the fan-out in hand, the worker
// after making its mailboxes' finished work durable and handing them back to the queue.
import { join } from "node:path";
import { openRepository } from "@ewsvault/core";
import {
  type RedisLocation,
  type ServiceSetConfig,
  serviceStatus,
  startScheduler,
  startWorker,
} from "@ewsvault/service";
import type { Command } from "commander";
import { loadConfigFile } from "../config-file.js";
import {
  cacheDirectory,
  type EwsOptions,
  ewsClientFromOptions,
  type RepoOptions,
  repositoryLocation,
  repositoryPassword,
} from "../context.js";
import { openDestination } from "../destinations.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine, type Output, shown } from "../output.js";
import { addEwsOptions, addRepoOptions, type CommandRunner, positiveInteger } from "./shared.js";

interface ServiceCommandOptions {
  config: string;
  redis?: string;
  redisPrefix?: string;
}

interface WorkerCommandOptions extends ServiceCommandOptions, RepoOptions, EwsOptions {
  concurrency?: string;
  itemConcurrency?: string;
  indexDir?: string;
  leaseSeconds?: string;
  metricsListen?: string;
}

function addServiceOptions(command: Command): Command {
  return command
    .requiredOption("--config <file>", "YAML/JSON config file with the backup sets (and their schedules)")
    .option(
      "--redis <url>",
      "redis:// or rediss:// URL without password (env EWSVAULT_REDIS_URL; password in EWSVAULT_REDIS_PASSWORD)",
    )
    .option("--redis-prefix <prefix>", "key prefix of the queues, one per cluster", "ewsvault");
}

export function registerServiceCommands(program: Command, run: CommandRunner): void {
  addServiceOptions(
    program
      .command("scheduler")
      .description("keep the backup sets' schedules in Redis and enqueue their runs"),
  ).action((options: ServiceCommandOptions) => run({ json: true }, () => schedulerCommand(options)));
  addEwsOptions(
    addRepoOptions(
      addServiceOptions(
        program.command("worker").description("back up the mailboxes of enqueued runs, from any scheduler"),
      ),
    ),
  )
    .option("--concurrency <n>", "mailbox jobs at once", "2")
    .option(
      "--item-concurrency <n>",
      "EWS requests in flight per mailbox (a set's itemConcurrency wins)",
      "4",
    )
    .option("--index-dir <dir>", "per-mailbox index directory (default <cache-dir>/index/<repository id>)")
    .option(
      "--metrics-listen <host:port>",
      "serve Prometheus /metrics and /healthz here (e.g. 127.0.0.1:9464)",
    )
    .option(
      "--lease-seconds <n>",
      "job lease: a dead worker's mailboxes are taken over within 1.5x this",
      "60",
    )
    .action((options: WorkerCommandOptions) => run({ json: true }, () => workerCommand(options)));
  registerStatusCommand(program, run);
}

function registerStatusCommand(program: Command, run: CommandRunner): void {
  program
    .command("status")
    .description("recent runs of the scheduled sets, and each mailbox's last success and last failure")
    .option(
      "--redis <url>",
      "redis:// or rediss:// URL without password (env EWSVAULT_REDIS_URL; password in EWSVAULT_REDIS_PASSWORD)",
    )
    .option("--redis-prefix <prefix>", "key prefix of the queues, one per cluster", "ewsvault")
    .option("--runs <n>", "runs to show", "20")
    .option("--json", "print the status as one JSON object")
    .action((options: ServiceCommandOptions & { runs?: string; json?: boolean }) =>
      run(options, (out) => statusCommand(options, out)),
    );
}

async function statusCommand(
  options: ServiceCommandOptions & { runs?: string },
  out: Output,
): Promise<number> {
  const status = await serviceStatus({
    redis: redisLocation({ ...options, config: "" }),
    runs: positiveInteger(options.runs, "--runs") ?? 20,
  });
  const time = (ms: number) => new Date(ms).toISOString();
  const q = status.queue;
  const lines = [
    `queue: ${q.active} active, ${q.waiting + q.prioritized} waiting, ${q.delayed} retrying, ${q.failed} failed, ${q.completed} completed`,
  ];
  for (const r of status.runs)
    lines.push(
      `run ${shown(r.set)} due ${time(r.dueAt)}: ${r.state}, ${r.completed}/${r.mailboxes} completed, ${r.failed} failed, ${r.pending} pending`,
    );
  for (const m of status.mailboxes) {
    const success = m.lastSuccess ? `last success ${time(m.lastSuccess.at)}` : "never succeeded";
    const failure =
      m.lastFailure && (m.lastSuccess === undefined || m.lastFailure.at > m.lastSuccess.at)
        ? `, failing since ${time(m.lastFailure.at)}: ${m.lastFailure.code} ${shown(m.lastFailure.message)}`
        : "";
    lines.push(`${shown(m.mailbox)} (${shown(m.set)}): ${success}${failure}`);
  }
  out.event("status", { ...status }, () => lines.join("\n"));
  return ExitCode.ok;
}

/** --redis or EWSVAULT_REDIS_URL, with the password from EWSVAULT_REDIS_PASSWORD (never argv). */
export function redisLocation(options: ServiceCommandOptions): RedisLocation {
  const fromArgv = options.redis !== undefined;
  const text = options.redis ?? process.env.EWSVAULT_REDIS_URL;
  if (text === undefined || text === "")
    throw new CliError("REDIS_REQUIRED", "--redis (or EWSVAULT_REDIS_URL) is required", ExitCode.usage);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError("INVALID_ARGUMENT", "--redis must be a redis:// or rediss:// URL", ExitCode.usage);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new CliError("INVALID_ARGUMENT", "--redis must be a redis:// or rediss:// URL", ExitCode.usage);
  if (fromArgv && url.password !== "")
    throw new CliError(
      "REDIS_PASSWORD_IN_ARGV",
      "put the Redis password in EWSVAULT_REDIS_PASSWORD, not in --redis (other users can read a command line)",
      ExitCode.usage,
    );
  const password = process.env.EWSVAULT_REDIS_PASSWORD;
  if (password) url.password = encodeURIComponent(password);
  return { url: url.toString(), prefix: options.redisPrefix ?? "ewsvault" };
}

function log(event: object): void {
  process.stdout.write(jsonLine({ time: new Date().toISOString(), ...event }));
}

/** Resolves on the first SIGTERM or SIGINT. */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve(signal);
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.once("SIGTERM", onTerm);
    process.once("SIGINT", onInt);
  });
}

async function schedulerCommand(options: ServiceCommandOptions): Promise<number> {
  const config = await loadConfigFile(options.config);
  const redis = redisLocation(options);
  const stopped = stopSignal();
  const scheduler = await startScheduler({
    redis,
    sets: (config.sets ?? {}) as Readonly<Record<string, ServiceSetConfig>>,
    onEvent: log,
  });
  log({ type: "scheduler-started", sets: scheduler.sets.map((s) => s.name) });
  const signal = await stopped;
  log({ type: "stopping", signal });
  await scheduler.close();
  log({ type: "stopped" });
  return ExitCode.ok;
}

async function workerCommand(cli: WorkerCommandOptions): Promise<number> {
  const config = await loadConfigFile(cli.config);
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
  const stopped = stopSignal();
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
      const source = await ewsClientFromOptions(options);
      try {
        const worker = await startWorker({
          redis,
          sets: (config.sets ?? {}) as Readonly<Record<string, ServiceSetConfig>>,
          repository,
          source,
          indexDirectory: options.indexDir ?? join(cacheDir, "index", repository.config.id),
          concurrency,
          itemConcurrency,
          lockDurationMs: leaseMs,
          stalledIntervalMs: leaseMs / 2,
          ...(options.metricsListen === undefined ? {} : { metrics: listenAddress(options.metricsListen) }),
          onEvent: (event) => {
            // Engine progress is too chatty for a log; checkpoints and failures are kept.
            if (
              event.type === "engine" &&
              event.event.type !== "checkpoint" &&
              event.event.type !== "item-failed"
            )
              return;
            log(event);
          },
        });
        log({ type: "worker-started", worker: worker.name, concurrency, metricsUrl: worker.metricsUrl });
        const signal = await stopped;
        log({ type: "stopping", signal });
        await worker.close();
        log({ type: "stopped" });
        return ExitCode.ok;
      } finally {
        await source.close();
      }
    } finally {
      await repository.close();
    }
  } finally {
    await destination.close();
  }
}

/** "host:port" or ":port" (loopback) for --metrics-listen. */
function listenAddress(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65535)
    throw new CliError("INVALID_ARGUMENT", "--metrics-listen must be host:port or :port", ExitCode.usage);
  const host = match[1] === "" ? "127.0.0.1" : match[1]!.replace(/^\[|\]$/g, "");
  return { host, port };
}
