// `ewsvault scheduler`, `ewsvault worker`, `ewsvault service` (both in one process) and
// `ewsvault status`: the service (@ewsvault/service) run from a config file. The first three log
// the service's structured records on stdout, one per line (--log-format json, the default, or
// text: time, level, event, set, run, mailbox, job, code, message, facts; never secrets) and stop
// gracefully on SIGTERM or SIGINT: the scheduler after the fan-out in hand, the worker after
// making its mailboxes' finished work durable and handing them back to the queue.
//
// `ewsvault service` needs a Redis like the others: BullMQ's leases, job schedulers and flows are
// Redis scripts, and no embedded Redis for Node.js runs them. On one machine that is a local
// redis-server (`apt-get install redis-server`) on 127.0.0.1; `ewsvault backup` needs none.
import {
  type RunningScheduler,
  type ServiceSetConfig,
  serviceStatus,
  startScheduler,
} from "@ewsvault/service";
import type { Command } from "commander";
import { loadConfigFile } from "../config-file.js";
import type { ConfigFile } from "../config-schema.js";
import { ExitCode } from "../errors.js";
import type { Output } from "../output.js";
import { shown } from "../output.js";
import {
  addServiceOptions,
  addWorkerOptions,
  type CliLogger,
  cliLogger,
  listenAddress,
  redisLocation,
  type ServiceCommandOptions,
  stopSignal,
  type WorkerCommandOptions,
} from "./service-options.js";
import { addEwsOptions, addRepoOptions, type CommandRunner, positiveInteger } from "./shared.js";
import { withWorker } from "./worker-runtime.js";

export function registerServiceCommands(program: Command, run: CommandRunner): void {
  addServiceOptions(
    program
      .command("scheduler")
      .description("keep the backup sets' schedules in Redis and enqueue their runs"),
  ).action((options: ServiceCommandOptions) => run({ json: true }, () => schedulerCommand(options)));
  addWorkerOptions(
    addEwsOptions(
      addRepoOptions(
        addServiceOptions(
          program.command("worker").description("back up the mailboxes of enqueued runs, from any scheduler"),
        ),
      ),
    ),
  ).action((options: WorkerCommandOptions) => run({ json: true }, () => workerCommand(options)));
  addWorkerOptions(
    addEwsOptions(
      addRepoOptions(
        addServiceOptions(
          program
            .command("service")
            .description("scheduler and worker in one process (one machine; still needs a Redis: --redis)"),
        ),
      ),
    ),
  ).action((options: WorkerCommandOptions) => run({ json: true }, () => serviceCommand(options)));
  registerStatusCommand(program, run);
}

function registerStatusCommand(program: Command, run: CommandRunner): void {
  program
    .command("status")
    .description(
      "recent runs of the scheduled sets, each mailbox's last success and failure, prune and verify",
    )
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
    redis: redisLocation(options),
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
  for (const m of status.maintenance) {
    const success = m.lastSuccess ? `last success ${time(m.lastSuccess.at)}` : "never succeeded";
    const failure =
      m.lastFailure && (m.lastSuccess === undefined || m.lastFailure.at > m.lastSuccess.at)
        ? `, failed ${time(m.lastFailure.at)}: ${m.lastFailure.code} ${shown(m.lastFailure.message)}`
        : "";
    lines.push(`${m.task} (${shown(m.set)}): ${success}${failure}, ${m.pending} pending`);
  }
  out.event("status", { ...status }, () => lines.join("\n"));
  return ExitCode.ok;
}

function startSchedulerFrom(
  options: ServiceCommandOptions,
  config: ConfigFile,
  logger: CliLogger,
): Promise<RunningScheduler> {
  const metrics = listenAddress(options.metricsListen);
  return startScheduler({
    redis: redisLocation(options),
    sets: (config.sets ?? {}) as Readonly<Record<string, ServiceSetConfig>>,
    ...(metrics === undefined ? {} : { metrics }),
    logger,
  });
}

async function schedulerCommand(options: ServiceCommandOptions): Promise<number> {
  const logger = cliLogger(options.logFormat);
  const config = await loadConfigFile(options.config);
  const stopped = stopSignal();
  const scheduler = await startSchedulerFrom(options, config, logger);
  logger.note("scheduler-started", {
    sets: scheduler.sets.map((s) => s.name),
    metricsUrl: scheduler.metricsUrl,
  });
  const signal = await stopped;
  logger.note("stopping", { signal });
  await scheduler.close();
  logger.note("stopped");
  return ExitCode.ok;
}

async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const logger = cliLogger(options.logFormat);
  const config = await loadConfigFile(options.config);
  const stopped = stopSignal();
  await withWorker(options, config, logger, async (worker) => {
    logger.note("worker-started", { worker: worker.name, metricsUrl: worker.metricsUrl });
    logger.note("stopping", { signal: await stopped });
    return ExitCode.ok;
  });
  logger.note("stopped");
  return ExitCode.ok;
}

/**
 * Scheduler and worker in one process. The scheduler starts first: it validates the sets and
 * checks Redis before anything is written, so bad input enqueues nothing. /metrics is the
 * worker's (the scheduler serves none here: one port per process).
 */
async function serviceCommand(options: WorkerCommandOptions): Promise<number> {
  const logger = cliLogger(options.logFormat);
  const config = await loadConfigFile(options.config);
  const stopped = stopSignal();
  const scheduler = await startSchedulerFrom({ ...options, metricsListen: undefined }, config, logger);
  try {
    await withWorker(options, config, logger, async (worker) => {
      logger.note("service-started", {
        sets: scheduler.sets.map((s) => s.name),
        worker: worker.name,
        metricsUrl: worker.metricsUrl,
      });
      logger.note("stopping", { signal: await stopped });
      return ExitCode.ok;
    });
  } finally {
    await scheduler.close();
  }
  logger.note("stopped");
  return ExitCode.ok;
}
