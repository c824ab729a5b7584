// What `ewsvault scheduler`, `worker` and `service` share: their options, the Redis location
// (URL from --redis or EWSVAULT_REDIS_URL, password only from EWSVAULT_REDIS_PASSWORD), the
// webhook (URL only from EWSVAULT_WEBHOOK_URL: a chat webhook's URL is its secret), the log
// (the service's structured records as JSON lines or text lines on stdout) and the stop signal.
import type { RedisLocation, ServiceLogger, ServiceLogRecord, WebhookOptions } from "@ewsvault/service";
import type { Command } from "commander";
import type { EwsOptions, RepoOptions } from "../context.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine, shown } from "../output.js";

export interface ServiceCommandOptions {
  config: string;
  redis?: string;
  redisPrefix?: string;
  metricsListen?: string;
  logFormat?: string;
}

export interface WorkerCommandOptions extends ServiceCommandOptions, RepoOptions, EwsOptions {
  concurrency?: string;
  itemConcurrency?: string;
  indexDir?: string;
  leaseSeconds?: string;
}

export function addServiceOptions(command: Command): Command {
  return command
    .requiredOption("--config <file>", "YAML/JSON config file with the backup sets (and their schedules)")
    .option(
      "--redis <url>",
      "redis:// or rediss:// URL without password (env EWSVAULT_REDIS_URL; password in EWSVAULT_REDIS_PASSWORD)",
    )
    .option("--redis-prefix <prefix>", "key prefix of the queues, one per cluster", "ewsvault")
    .option(
      "--metrics-listen <host:port>",
      "serve Prometheus /metrics and /healthz here (e.g. 127.0.0.1:9464; :0 picks a port)",
    )
    .option("--log-format <format>", "log lines on stdout: json (one object per line) or text", "json");
}

/** The worker's own options (`ewsvault worker` and `ewsvault service`). */
export function addWorkerOptions(command: Command): Command {
  return command
    .option("--concurrency <n>", "mailbox jobs at once", "2")
    .option(
      "--item-concurrency <n>",
      "EWS requests in flight per mailbox (a set's itemConcurrency wins)",
      "4",
    )
    .option("--index-dir <dir>", "per-mailbox index directory (default <cache-dir>/index/<repository id>)")
    .option(
      "--lease-seconds <n>",
      "job lease: a dead worker's mailboxes are taken over within 1.5x this",
      "60",
    );
}

/** --redis or EWSVAULT_REDIS_URL, with the password from EWSVAULT_REDIS_PASSWORD (never argv). */
export function redisLocation(options: { redis?: string; redisPrefix?: string }): RedisLocation {
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

/** The webhook from EWSVAULT_WEBHOOK_URL (and EWSVAULT_WEBHOOK_AUTHORIZATION), or none. */
export function webhookFromEnv(): WebhookOptions | undefined {
  const url = process.env.EWSVAULT_WEBHOOK_URL;
  if (url === undefined || url === "") return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // The URL is a secret: the message does not repeat it.
  if (parsed === undefined || (parsed.protocol !== "https:" && parsed.protocol !== "http:"))
    throw new CliError(
      "INVALID_ARGUMENT",
      "EWSVAULT_WEBHOOK_URL must be an http:// or https:// URL",
      ExitCode.usage,
    );
  const authorization = process.env.EWSVAULT_WEBHOOK_AUTHORIZATION;
  return { url, ...(authorization ? { headers: { authorization } } : {}) };
}

/** "host:port" or ":port" (loopback) for --metrics-listen. */
export function listenAddress(text: string | undefined): { host: string; port: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65535)
    throw new CliError("INVALID_ARGUMENT", "--metrics-listen must be host:port or :port", ExitCode.usage);
  const host = match[1] === "" ? "127.0.0.1" : match[1]!.replace(/^\[|\]$/g, "");
  return { host, port };
}

/** The service's log on stdout, plus the command's own lifecycle records (started, stopping, stopped). */
export interface CliLogger extends ServiceLogger {
  /** A record of the command itself (source "cli"), at level info. */
  note(event: string, facts?: Readonly<Record<string, unknown>>): void;
}

/**
 * --log-format: "json" prints each record as one JSON object per line; "text" as
 * `<time> <LEVEL> <event> key=value ...` (strings with spaces quoted, all made safe for a
 * terminal). The records hold no secrets (the service's log-records.ts).
 */
export function cliLogger(format: string | undefined): CliLogger {
  if (format !== undefined && format !== "json" && format !== "text")
    throw new CliError("INVALID_ARGUMENT", "--log-format must be json or text", ExitCode.usage);
  const write =
    format === "text"
      ? (record: ServiceLogRecord) => process.stdout.write(`${textLine(record)}\n`)
      : (record: ServiceLogRecord) => process.stdout.write(jsonLine(record));
  return {
    log: write,
    note: (event, facts = {}) =>
      write({ time: new Date().toISOString(), level: "info", event, source: "cli", ...facts }),
  };
}

function textLine(record: ServiceLogRecord): string {
  const { time, level, event, ...facts } = record;
  const parts = [time, level.toUpperCase(), event];
  for (const [key, value] of Object.entries(facts)) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    parts.push(`${key}=${/[\s"=]/.test(text) || text === "" ? JSON.stringify(text) : text}`);
  }
  return shown(parts.join(" "));
}

/** Resolves on the first SIGTERM or SIGINT. */
export function stopSignal(): Promise<string> {
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
