// `ewsvault scheduler` and `ewsvault worker` against a real redis-server and the mock EWS
// server: bad input is one line with a stable code and enqueues nothing; a scheduler process
// and a worker process back up a set due every two seconds, and both stop cleanly on SIGTERM.
import { join } from "node:path";
import { openRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { freePort } from "@ewsvault/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, jsonLines, spawnCli } from "./helpers.js";
import { type ServiceFixture, startServiceFixture } from "./service-fixture.js";

const env = { EWSVAULT_PASSWORD: "service commands test" };
let fixture: ServiceFixture;
let redis: ServiceFixture["redis"];
let server: ServiceFixture["server"];
let work: ServiceFixture["work"];
const configFile = (name: string, sets: unknown) => fixture.configFile(name, sets);

beforeAll(async () => {
  fixture = await startServiceFixture(
    { seed: 17, mailboxes: 3, itemsPerMailbox: 20 },
    env,
    "ewsvault-cli-service-",
  );
  ({ redis, server, work } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

describe("ewsvault scheduler / worker", { timeout: 120_000 }, () => {
  it.each([
    [
      "an invalid cron expression",
      { s: { mailboxes: ["a@x"], schedule: { cron: "0 25 * * *" } } },
      "SERVICE_INVALID_CRON",
    ],
    [
      "an unknown time zone",
      { s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *", timezone: "Moon/Base" } } },
      "SERVICE_INVALID_TIMEZONE",
    ],
    [
      // The config file's schema refuses an empty list before the service sees it; a list that
      // resolves to nothing (all excluded) is SERVICE_NO_MAILBOXES (packages/service tests).
      "a set naming no mailboxes",
      { s: { mailboxes: [], schedule: { cron: "0 2 * * *" } } },
      "CONFIG_INVALID",
    ],
  ])(
    "refuses %s with one line, a stable code and a non-zero exit, enqueueing nothing",
    async (_label, sets, code) => {
      const config = await configFile("bad", sets);
      const result = await cli([
        "scheduler",
        "--config",
        config,
        "--redis",
        redis.url,
        "--redis-prefix",
        "bad",
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(new RegExp(`^error ${code}: `));
      const client = new Redis(redis.url);
      try {
        expect(await client.keys("bad:*")).toEqual([]);
      } finally {
        client.disconnect();
      }
    },
  );

  it("refuses an unknown --log-format with one line and a usage exit", async () => {
    const config = await configFile("ok", { s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" } } });
    const result = await cli(["scheduler", "--config", config, "--redis", redis.url, "--log-format", "xml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error INVALID_ARGUMENT: --log-format must be json or text/);
  });

  it("refuses an unreachable Redis (SERVICE_REDIS_UNREACHABLE) and a Redis password on the command line", async () => {
    const config = await configFile("ok", { s: { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" } } });
    const port = await freePort();
    const unreachable = await cli(["scheduler", "--config", config, "--redis", `redis://127.0.0.1:${port}`]);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toMatch(/^error SERVICE_REDIS_UNREACHABLE: /);
    const inArgv = await cli([
      "scheduler",
      "--config",
      config,
      "--redis",
      `redis://:hunter2@127.0.0.1:${port}`,
    ]);
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toMatch(/^error REDIS_PASSWORD_IN_ARGV: /);
    expect(inArgv.stderr).not.toContain("hunter2");
  });

  it("a scheduler and a worker process back up a scheduled set, and stop on SIGTERM with exit 0", async () => {
    const mailboxes = server.mailboxes.slice(0, 2);
    const config = await configFile("run", {
      fast: { mailboxes, schedule: { cron: "*/2 * * * * *" }, tags: ["scheduled"] },
    });
    const serviceEnv = { ...env, EWS_PASSWORD: server.credentials.password, EWSVAULT_REDIS_URL: redis.url };
    const scheduler = spawnCli(
      ["scheduler", "--config", config, "--redis-prefix", "run", "--log-format", "text"],
      serviceEnv,
    );
    const worker = spawnCli(
      ["worker", "--config", config, "--redis-prefix", "run", "--concurrency", "2", "--metrics-listen", ":0"],
      serviceEnv,
    );
    const output = { scheduler: "", worker: "", errors: "" };
    scheduler.stdout?.on("data", (c: Buffer) => (output.scheduler += c.toString()));
    worker.stdout?.on("data", (c: Buffer) => (output.worker += c.toString()));
    scheduler.stderr?.on("data", (c: Buffer) => (output.errors += c.toString()));
    worker.stderr?.on("data", (c: Buffer) => (output.errors += c.toString()));
    const exit = (child: typeof worker) =>
      new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const exits = [exit(scheduler), exit(worker)];
    try {
      const deadline = Date.now() + 60_000;
      const backedUp = () =>
        new Set(
          jsonLines(output.worker)
            .filter((e) => e.event === "mailbox-done")
            .map((e) => e.mailbox),
        );
      while (backedUp().size < mailboxes.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      expect([...backedUp()].sort(), output.errors).toEqual([...mailboxes].sort());
      const metricsUrl = jsonLines(output.worker).find((e) => e.event === "worker-started")
        ?.metricsUrl as string;
      expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toMatch(
        /^ewsvault_mailbox_jobs_total\{status="completed"\} [1-9]\d*$/m,
      );
    } finally {
      scheduler.kill("SIGTERM");
      worker.kill("SIGTERM");
    }
    expect(await Promise.all(exits)).toEqual([0, 0]);
    // --log-format text: one line per record, "<time> <LEVEL> <event> key=value ...".
    const schedulerLog = output.scheduler.trim().split("\n");
    expect(
      schedulerLog.every((line) => /^\d{4}-\d\d-\d\dT\S+Z (INFO|WARN|ERROR) [a-z-]+( |$)/.test(line)),
    ).toBe(true);
    expect(schedulerLog.find((line) => / INFO run-enqueued /.test(line))).toMatch(
      /source=scheduler set=fast run=run\|fast\|\d+ dueAt=\S+ job=run\|fast\|\d+ mailboxes=2$/,
    );
    expect(schedulerLog.at(-1)).toMatch(/ INFO stopped source=cli$/);
    // JSON lines (the default): the worker's records, flat, with run, mailbox and job.
    const workerLog = jsonLines(output.worker);
    expect(workerLog.find((e) => e.event === "mailbox-done")).toMatchObject({
      level: "info",
      set: "fast",
      run: expect.stringMatching(/^run\|fast\|\d+$/),
      job: expect.stringMatching(/^mbx\|fast\|\d+\|/),
      status: "completed",
    });
    expect(workerLog.at(-1)?.event).toBe("stopped");
    expect(`${output.scheduler}${output.worker}${output.errors}`).not.toContain(env.EWSVAULT_PASSWORD);
    // The worker's EWS client took its requests' slots from the gate shared through Redis
    // (per endpoint and account), not from a gate of its own.
    const keys = new Redis(redis.url);
    try {
      expect(await keys.keys("run:throttle:*")).not.toEqual([]);
    } finally {
      keys.disconnect();
    }
    const status = await cli(["status", "--json", "--redis-prefix", "run"], {
      EWSVAULT_REDIS_URL: redis.url,
    });
    expect(status.code, status.stderr).toBe(0);
    const [report] = jsonLines(status.stdout) as Array<{
      type: string;
      runs: Array<{ set: string; completed: number }>;
      mailboxes: Array<{ mailbox: string; lastSuccess?: { snapshotId: string } }>;
    }>;
    expect(report?.type).toBe("status");
    expect(report?.runs.some((r) => r.set === "fast" && r.completed === mailboxes.length)).toBe(true);
    expect(
      report?.mailboxes
        .filter((m) => m.lastSuccess !== undefined)
        .map((m) => m.mailbox)
        .sort(),
    ).toEqual([...mailboxes].sort());
    const human = await cli(["status", "--redis-prefix", "run"], { EWSVAULT_REDIS_URL: redis.url });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^queue: /);
    expect(human.stdout).toContain(`${mailboxes[0]} (fast): last success `);
    const repository = await openRepository({
      destination: createFsDestination({ root: join(work.path, "repo") }),
      password: env.EWSVAULT_PASSWORD,
    });
    try {
      const snapshots = await repository.listSnapshots();
      expect(new Set(snapshots.map((s) => s.mailbox))).toEqual(new Set(mailboxes));
      expect(snapshots.every((s) => s.tags.includes("scheduled"))).toBe(true);
    } finally {
      await repository.close();
    }
  });
});
