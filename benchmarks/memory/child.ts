// The measured process of bench:memory: one backup at full concurrency, nothing else, so its
// peak RSS is the engine's + the EWS client's. Prints one JSON line with its own VmHWM at the end.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { backup, initRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";

const config = JSON.parse(process.argv[2]!) as {
  url: string;
  username: string;
  workDir: string;
  mailboxes: string[];
  /** Optional knobs for experiments: the client's and the engine's in-flight byte budgets. */
  clientInFlightBytes?: number;
  engineInFlightBytes?: number;
};
const password = process.env.BENCH_EWS_PASSWORD!;
const repository = await initRepository({
  destination: createFsDestination({ root: join(config.workDir, "repo") }),
  password: process.env.BENCH_REPO_PASSWORD!,
  kdf: { N: 2 ** 14, r: 8, p: 1 },
});
const client = createEwsClient({
  url: config.url,
  allowInsecureAuth: true,
  auth: { kind: "basic", username: config.username, password },
  maxConcurrency: 16,
});
const started = performance.now();
const report = await backup({
  repository,
  source: client,
  mailboxes: config.mailboxes,
  indexDirectory: join(config.workDir, "index"),
  mailboxConcurrency: 4,
  itemConcurrency: 4,
  ...(config.engineInFlightBytes ? { inFlightBytes: config.engineInFlightBytes } : {}),
});
const seconds = (performance.now() - started) / 1000;
await client.close();
await repository.close();
const status = readFileSync("/proc/self/status", "utf8");
const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
const items = report.mailboxes.reduce((n, m) => n + m.itemsExported, 0);
const failed = report.mailboxes.reduce(
  (n, m) => n + m.failedItems.length + (m.status === "failed" ? 1 : 0),
  0,
);
const bytesRead = report.mailboxes.reduce((n, m) => n + m.bytesRead, 0);
process.stdout.write(`${JSON.stringify({ items, failed, bytesRead, seconds, vmHwmKiB: kib("VmHWM") })}\n`);
