// One shared-gate user in a process of its own, as a worker on another machine would be. Options
// come as JSON from EWSVAULT_TEST_GATE: with `hold` it takes that many slots, prints "held" and
// waits (to be killed); otherwise it runs `requests` acquire / hold `holdMs` / release cycles,
// `parallel` at a time, printing each one's [start, end] (this machine's clock) and then "done".
import { openSharedGate } from "../../src/index.js";

const options = JSON.parse(process.env.EWSVAULT_TEST_GATE ?? "{}");
const gate = await openSharedGate(options.gate);
if (options.hold !== undefined) {
  for (let i = 0; i < options.hold; i++) await gate.acquire();
  process.stdout.write(`${JSON.stringify({ type: "held", count: options.hold })}\n`);
  setInterval(() => {}, 60_000);
} else {
  let next = 0;
  const spans: Array<[number, number]> = [];
  const run = async () => {
    while (next < options.requests) {
      next++;
      const ticket = await gate.acquire();
      const start = Date.now();
      await new Promise((r) => setTimeout(r, options.holdMs * (0.5 + Math.random())));
      spans.push([start, Date.now()]);
      gate.release("success", ticket);
    }
  };
  await Promise.all(Array.from({ length: options.parallel }, run));
  process.stdout.write(`${JSON.stringify({ type: "done", spans })}\n`);
  await gate.close();
}
