// A scheduler in a process of its own, for tests that need several: reads its options as JSON
// from EWSVAULT_TEST_SCHEDULER, prints each event as a JSON line, closes on SIGTERM.
import { startScheduler } from "../../src/index.js";

const options = JSON.parse(process.env.EWSVAULT_TEST_SCHEDULER ?? "{}");
const scheduler = await startScheduler({
  ...options,
  onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
});
process.stdout.write(`${JSON.stringify({ type: "ready" })}\n`);
process.once("SIGTERM", () => {
  void scheduler.close().then(() => process.exit(0));
});
