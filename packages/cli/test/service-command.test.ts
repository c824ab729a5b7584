// `ewsvault service` (scheduler and worker in one process) against a real redis-server and the
// mock EWS server: bad input (an invalid cron or unknown zone in a prune or verify schedule, no
// Redis given, an unreachable Redis) is one line with a stable code and a non-zero exit, and
// enqueues nothing; a good config backs up its set on schedule, runs its scheduled verify,
// reports both in `ewsvault status`, serves /metrics, and stops on SIGTERM with exit 0.
import { freePort } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, jsonLines, spawnCli } from "./helpers.js";
import { type ServiceFixture, startServiceFixture } from "./service-fixture.js";

const env = { EWSVAULT_PASSWORD: "service command test" };
let fixture: ServiceFixture;
let redis: ServiceFixture["redis"];
let server: ServiceFixture["server"];
const configFile = (name: string, sets: unknown) => fixture.configFile(name, sets);
const keys = (pattern: string) => fixture.keys(pattern);

beforeAll(async () => {
  fixture = await startServiceFixture(
    { seed: 23, mailboxes: 2, itemsPerMailbox: 8 },
    env,
    "ewsvault-cli-service-one-",
  );
  ({ redis, server } = fixture);
});
afterAll(async () => {
  await fixture?.stop();
});

const base = { mailboxes: ["a@x"], schedule: { cron: "0 2 * * *" } };

describe("ewsvault service", { timeout: 120_000 }, () => {
  it.each([
    [
      "an invalid cron in a verify schedule",
      { s: { ...base, verify: { cron: "0 2 * *" } } },
      "SERVICE_INVALID_CRON",
    ],
    [
      "an invalid cron in a prune schedule",
      { s: { ...base, retention: { keepLast: 1, prune: { cron: "61 2 * * *" } } } },
      "SERVICE_INVALID_CRON",
    ],
    [
      "an unknown time zone in a prune schedule",
      {
        s: { ...base, retention: { keepLast: 1, prune: { cron: "0 4 * * 0", timezone: "Europe/Atlantis" } } },
      },
      "SERVICE_INVALID_TIMEZONE",
    ],
    [
      "an unknown time zone in a verify schedule",
      { s: { ...base, verify: { cron: "0 5 * * *", timezone: "Mars/Olympus" } } },
      "SERVICE_INVALID_TIMEZONE",
    ],
    [
      "a set whose excludes leave no mailbox",
      { s: { ...base, excludeMailboxes: ["*"] } },
      "SERVICE_NO_MAILBOXES",
    ],
  ])("refuses %s: one line, a stable code, non-zero exit, nothing enqueued", async (_label, sets, code) => {
    const config = await configFile("bad", sets);
    const result = await cli(
      ["service", "--config", config, "--redis", redis.url, "--redis-prefix", "bad"],
      env,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^error ${code}: `));
    expect(await keys("bad:*")).toEqual([]);
  });

  it("refuses no Redis at all (REDIS_REQUIRED) and an unreachable one (SERVICE_REDIS_UNREACHABLE)", async () => {
    const config = await configFile("ok", { s: base });
    const missing = await cli(["service", "--config", config], { ...env, EWSVAULT_REDIS_URL: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/^error REDIS_REQUIRED: /);
    const port = await freePort();
    const unreachable = await cli(
      ["service", "--config", config, "--redis", `redis://127.0.0.1:${port}`],
      env,
    );
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/^error SERVICE_REDIS_UNREACHABLE: /);
  });

  it("backs up a scheduled set and runs its verify in one process, shows both in status, stops on SIGTERM", async () => {
    const mailboxes = server.mailboxes.slice(0, 2);
    const config = await configFile("one", {
      fast: {
        mailboxes,
        schedule: { cron: "*/2 * * * * *" },
        verify: { cron: "*/3 * * * * *", readDataSubset: "50%" },
      },
    });
    const child = spawnCli(
      ["service", "--config", config, "--redis-prefix", "one", "--metrics-listen", ":0"],
      {
        ...env,
        EWS_PASSWORD: server.credentials.password,
        EWSVAULT_REDIS_URL: redis.url,
      },
    );
    let out = "";
    let errors = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (errors += c.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const deadline = Date.now() + 60_000;
      const events = () => jsonLines(out);
      const ready = () =>
        new Set(
          events()
            .filter((e) => e.event === "mailbox-done")
            .map((e) => e.mailbox),
        ).size === mailboxes.length && events().some((e) => e.event === "maintenance-done");
      while (!ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(ready(), errors).toBe(true);
      const started = events().find((e) => e.event === "service-started");
      expect(started?.sets).toEqual(["fast"]);
      const metricsUrl = started?.metricsUrl as string;
      expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toMatch(
        /^ewsvault_mailbox_jobs_total\{status="completed"\} [1-9]\d*$/m,
      );
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(jsonLines(out).at(-1)?.event).toBe("stopped");
    expect(`${out}${errors}`).not.toContain(env.EWSVAULT_PASSWORD);
    const status = await cli(["status", "--redis-prefix", "one"], { EWSVAULT_REDIS_URL: redis.url });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`${mailboxes[0]} (fast): last success `);
    expect(status.stdout).toMatch(/^verify \(fast\): last success /m);
  });
});
