// The webhook on a failed or partial run (and on a failed prune or verify): a JSON POST to a URL
// the operator configured, sent in the background so that a slow, hanging or failing endpoint
// never holds up the run it reports on. Each attempt has a timeout; failures are retried with
// back-off a few times, then given up (and reported as an event). The URL is treated as a secret
// (chat webhooks carry their token in the path): it is never logged or put in an event, only its
// origin. The payload holds set names, due times, counts, mailbox addresses and stable codes;
// messages are cut short and have credentials in URLs removed.

export interface WebhookOptions {
  /** http:// or https:// URL (certificates verified); a secret: never logged. */
  readonly url: string;
  /** Extra request headers (e.g. authorization); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Timeout of one attempt; default 10 s. */
  readonly timeoutMs?: number;
  /** Attempts per notification; default 3. */
  readonly attempts?: number;
  /** Delay before the second attempt, doubling after; default 2 s. */
  readonly retryDelayMs?: number;
}

/** What the webhook receives: one JSON object. */
export type WebhookPayload =
  | {
      readonly type: "run-failed" | "run-partial";
      readonly set: string;
      readonly dueAt: string;
      readonly completed: number;
      readonly failed: number;
      readonly failures: readonly RunFailure[];
      readonly worker: string;
    }
  | {
      readonly type: "maintenance-failed";
      readonly set: string;
      readonly task: string;
      readonly dueAt: string;
      readonly code: string;
      readonly message: string;
      readonly worker: string;
    };

export interface RunFailure {
  readonly mailbox: string;
  readonly code: string;
  readonly message: string;
}

export type WebhookEvent =
  | {
      readonly type: "webhook-delivered";
      readonly about: string;
      readonly origin: string;
      readonly attempts: number;
    }
  | {
      readonly type: "webhook-failed";
      readonly about: string;
      readonly origin: string;
      readonly attempts: number;
      /** "HTTP 500", "timeout", or the error's name: never the URL. */
      readonly reason: string;
    };

export interface WebhookNotifier {
  /** Queues a POST and returns at once. */
  notify(payload: WebhookPayload): void;
  /** Waits up to graceMs for deliveries in flight, then aborts them. */
  close(graceMs?: number): Promise<void>;
}

/** Throws a TypeError for a URL that is not http(s) (the caller turns it into its own error). */
export function createWebhookNotifier(
  options: WebhookOptions,
  onEvent: (event: WebhookEvent) => void = () => {},
): WebhookNotifier {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError("the webhook URL must start with http:// or https://");
  const origin = url.origin;
  const closing = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const attempts = Math.max(1, options.attempts ?? 3);

  const deliver = async (payload: WebhookPayload) => {
    const body = JSON.stringify(payload);
    let reason = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        const delay = (options.retryDelayMs ?? 2_000) * 2 ** (attempt - 2);
        const waited = await sleep(delay, closing.signal);
        if (!waited) break;
      }
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { ...options.headers, "content-type": "application/json", "user-agent": "ewsvault" },
          body,
          // A redirect could carry the notification (and headers) elsewhere: not followed.
          redirect: "manual",
          signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 10_000), closing.signal]),
        });
        await response.body?.cancel().catch(() => {});
        if (response.status >= 200 && response.status < 300) {
          onEvent({ type: "webhook-delivered", about: payload.type, origin, attempts: attempt });
          return;
        }
        reason = `HTTP ${response.status}`;
      } catch (error) {
        const name = (error as Error).name;
        reason = name === "TimeoutError" ? "timeout" : name === "AbortError" ? "stopped" : name || "error";
      }
      if (closing.signal.aborted) break;
    }
    onEvent({ type: "webhook-failed", about: payload.type, origin, attempts, reason });
  };

  return {
    notify(payload) {
      if (closing.signal.aborted) return;
      const delivery = deliver(payload).catch(() => {});
      inFlight.add(delivery);
      void delivery.finally(() => inFlight.delete(delivery));
    },
    async close(graceMs = 5_000) {
      const all = Promise.all(inFlight);
      await Promise.race([all, sleep(graceMs)]);
      closing.abort();
      await all;
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A message safe to send: credentials in URLs removed, at most 300 characters. */
export function safeMessage(message: string): string {
  const cleaned = message.replace(/\/\/[^/@\s]*@/g, "//***@");
  return cleaned.length > 300 ? `${cleaned.slice(0, 297)}...` : cleaned;
}

/**
 * A run's failed mailboxes from BullMQ's ignored child failures (job key -> "CODE: message"):
 * the key ends in the mailbox job's id, mbx|<set>|<due>|<mailbox> (jobs.ts).
 */
export function runFailures(ignored: Readonly<Record<string, string>>): RunFailure[] {
  return Object.entries(ignored).map(([key, reason]) => {
    const id = key.slice(key.lastIndexOf(":") + 1);
    const mailbox = decodeURIComponent(id.split("|")[3] ?? id);
    const match = /^([A-Z][A-Z0-9_]*): (.*)$/s.exec(reason);
    return { mailbox, code: match?.[1] ?? "UNKNOWN", message: safeMessage(match?.[2] ?? reason) };
  });
}

/** The events a webhook reports on, as workers emit them (structural: no import of worker.ts). */
export type NotifiableEvent =
  | {
      readonly type: "run-finished";
      readonly set: string;
      readonly dueAt: number;
      readonly completed: number;
      readonly failed: number;
      readonly failures?: readonly RunFailure[];
    }
  | {
      readonly type: "maintenance-failed";
      readonly set: string;
      readonly task: string;
      readonly dueAt: number;
      readonly code: string;
      readonly message: string;
      readonly final: boolean;
    }
  | { readonly type: string };

/** The payload for a failed or partial run or a failed maintenance job; undefined for anything else. */
export function webhookPayloadOf(event: NotifiableEvent, worker: string): WebhookPayload | undefined {
  if (event.type === "run-finished" && "failed" in event && event.failed > 0)
    return {
      type: event.completed === 0 ? "run-failed" : "run-partial",
      set: event.set,
      dueAt: new Date(event.dueAt).toISOString(),
      completed: event.completed,
      failed: event.failed,
      failures: (event.failures ?? []).slice(0, 100),
      worker,
    };
  if (event.type === "maintenance-failed" && "task" in event && event.final)
    return {
      type: "maintenance-failed",
      set: event.set,
      task: event.task,
      dueAt: new Date(event.dueAt).toISOString(),
      code: event.code,
      message: safeMessage(event.message),
      worker,
    };
  return undefined;
}
