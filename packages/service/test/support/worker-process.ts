// A worker in a process of its own, as on another machine: its own index directory, the shared
// filesystem repository, the mock EWS server over HTTP. Options come as JSON from
// EWSVAULT_TEST_WORKER and the two passwords from their own variables (never argv); each
// worker event is printed as a JSON line (engine events only for checkpoints); SIGTERM closes.
import { openRepository } from "@ewsvault/core";
import { createFsDestination } from "@ewsvault/destination-fs";
import { createEwsClient } from "@ewsvault/ews";
import { startWorker } from "../../src/index.js";

const options = JSON.parse(process.env.EWSVAULT_TEST_WORKER ?? "{}");
const repository = await openRepository({
  destination: createFsDestination({ root: options.repository }),
  password: process.env.EWSVAULT_TEST_REPO_PASSWORD ?? "",
  workers: 0,
  ...(options.lockStaleAfterMs === undefined ? {} : { lockStaleAfterMs: options.lockStaleAfterMs }),
});
const source = createEwsClient({
  url: options.ewsUrl,
  auth: { kind: "basic", username: options.username, password: process.env.EWSVAULT_TEST_EWS_PASSWORD ?? "" },
  allowInsecureAuth: true, // the mock speaks plain http on loopback
});
const worker = await startWorker({
  ...options,
  repository,
  source,
  onEvent: (event) => {
    if (event.type === "engine" && event.event.type !== "checkpoint") return;
    process.stdout.write(`${JSON.stringify({ ...event, worker: options.name, at: Date.now() })}\n`);
  },
});
process.stdout.write(
  `${JSON.stringify({ type: "ready", worker: options.name, metricsUrl: worker.metricsUrl })}\n`,
);
process.once("SIGTERM", () => {
  void (async () => {
    await worker.close();
    await repository.close();
    await source.close();
    process.exit(0);
  })();
});
