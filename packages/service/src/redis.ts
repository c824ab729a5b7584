// Redis connections and the names of the service's queues. Every process (scheduler, worker,
// status) checks that Redis answers before it starts, so an unreachable Redis is one clear
// error (SERVICE_REDIS_UNREACHABLE) instead of ioredis retrying forever in the background.
import { Redis, type RedisOptions } from "ioredis";
import { ServiceError } from "./errors.js";

/** Where the service's queues live; several clusters may share one Redis with different prefixes. */
export interface RedisLocation {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  readonly url: string;
  /** Key prefix of every queue; default "ewsvault". */
  readonly prefix?: string;
}

export const DEFAULT_PREFIX = "ewsvault";

/** Queue names (BullMQ forbids ":" in them). */
export const QUEUES = {
  /** One job per due time of a set, produced by BullMQ job schedulers; fanned out by a scheduler. */
  sets: "sets",
  /** One job per mailbox of a set's run; taken by workers. */
  mailboxes: "mailboxes",
  /** Prune and verify jobs of sets' maintenance schedules; taken by workers, one at a time each. */
  maintenance: "maintenance",
} as const;

/** How long the reachability check waits for PING; default 5 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connection options for BullMQ from a URL. maxRetriesPerRequest null is what BullMQ requires
 * of a worker's blocking connection: commands wait through a reconnect instead of failing, so a
 * restarted Redis costs a pause, not a lost job.
 */
export function bullConnection(location: RedisLocation): RedisOptions {
  const url = new URL(location.url);
  if (url.protocol !== "redis:" && url.protocol !== "rediss:")
    throw new TypeError(`Redis URL must start with redis:// or rediss://, not ${url.protocol}`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: url.port === "" ? 6379 : Number(url.port),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    // TLS verification stays on: rediss:// verifies the server's certificate by default.
    ...(url.protocol === "rediss:" ? { tls: { servername: url.hostname } } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Resolves when Redis answers PING; SERVICE_REDIS_UNREACHABLE otherwise (no retries). */
export async function assertRedisReachable(
  location: RedisLocation,
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<void> {
  const client = new Redis({
    ...bullConnection(location),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // Errors are reported through the rejected connect below; without a listener ioredis would
  // print them as unhandled.
  client.on("error", () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (cause) {
    throw new ServiceError(
      "SERVICE_REDIS_UNREACHABLE",
      `Redis at ${redactedUrl(location.url)} is unreachable: ${(cause as Error).message}`,
      { cause, details: { url: redactedUrl(location.url) } },
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** True when Redis answers PING within 2 s on a connection of a running worker or scheduler. */
export async function redisAnswers(client: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // BullMQ types its client loosely; it is an ioredis client.
    const redis = (await client) as { ping(): Promise<string> };
    return await Promise.race([
      redis.ping().then((reply) => reply === "PONG"),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), 2_000);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable Redis URL)";
  }
}
