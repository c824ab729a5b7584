// The worker's wiring of shared throttling: with `sharedThrottle` and a source factory, the
// factory gets the gate shared through Redis, the mailbox's EWS requests go through it (its
// state in Redis counts them), and close() closes the source and the gate.
import { join } from "node:path";
import { initRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { type ConcurrencyGate, createEwsClient } from "@ewsvault/ews";
import { FlowProducer } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  bullConnection,
  enqueueRun,
  SharedConcurrencyGate,
  sharedThrottleKey,
  startWorker,
  type WorkerEvent,
} from "../src/index.js";
import { type ServiceWorld, startServiceWorld } from "./support/service-world.js";

let world: ServiceWorld;

beforeAll(async () => {
  world = await startServiceWorld({
    mock: { seed: 15, mailboxes: 1, itemsPerMailbox: 12 },
    tempPrefix: "ewsvault-shared-throttle-worker-",
  });
});
afterAll(async () => {
  await world?.stop();
});

it("gives the source factory the shared gate, and the mailbox's requests go through it", {
  timeout: 120_000,
}, async () => {
  const { redis, server, work } = world;
  const location = { url: redis.url, prefix: "wired" };
  const repository = await initRepository({
    destination: createFsDestination({ root: join(work.path, "repo") }),
    password: "shared throttle worker",
    kdf: { N: 1024, r: 8, p: 1 },
  });
  let given: ConcurrencyGate | undefined;
  const events: WorkerEvent[] = [];
  const mailbox = server.mailboxes[0] as string;
  const worker = await startWorker({
    redis: location,
    sets: { s: { mailboxes: [mailbox], schedule: { cron: "0 2 * * *" } } },
    repository,
    indexDirectory: join(work.path, "index"),
    sharedThrottle: { endpoint: server.url, account: server.credentials.username, max: 4 },
    source: (gate) => {
      given = gate;
      return createEwsClient({
        url: server.url,
        auth: { kind: "basic", ...server.credentials },
        allowInsecureAuth: true,
        ...(gate === undefined ? {} : { gate }),
      });
    },
    onEvent: (event) => events.push(event),
  });
  const flows = new FlowProducer({ connection: bullConnection(location), prefix: location.prefix });
  const admin = new Redis(bullConnection(location));
  try {
    expect(given).toBeInstanceOf(SharedConcurrencyGate);
    await enqueueRun(flows, { set: "s", dueAt: 1_800_000_000_000, mailboxes: [mailbox] }, {});
    const deadline = Date.now() + 90_000;
    while (!events.some((e) => e.type === "mailbox-done" || e.type === "mailbox-failed")) {
      if (Date.now() > deadline) throw new Error("no mailbox-done within 90 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events.find((e) => e.type === "mailbox-done")).toBeDefined();
    const state = `${sharedThrottleKey("wired", server.url, server.credentials.username)}:state`;
    // Every EWS request of the mailbox was admitted through Redis.
    expect(Number(await admin.hget(state, "admitted"))).toBeGreaterThanOrEqual(3);
  } finally {
    await worker.close();
    await flows.close();
    admin.disconnect();
    await repository.close();
  }
  // Closed with the worker: it admits nothing more.
  await expect((given as ConcurrencyGate).acquire()).rejects.toThrow(/closed/);
});
