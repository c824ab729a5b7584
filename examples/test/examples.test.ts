// Every example runs to completion against the mock and prints what it promises.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

async function example(name: string): Promise<string> {
  return (await exampleOutput(name)).stdout;
}

async function exampleOutput(name: string): Promise<{ stdout: string; stderr: string }> {
  return await run(process.execPath, ["--import", "tsx", "--conditions=source", `examples/${name}`], {
    cwd: root,
    timeout: 180_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
}

describe("examples", { timeout: 200_000 }, () => {
  it("the demo (README's main job) completes and Node prints no warning", async () => {
    const { stdout, stderr } = await exampleOutput("demo.ts");
    expect(stdout).toContain("demo completed: backup, incremental backup, restore and verify all succeeded");
    expect(stdout).toMatch(
      /settings restored into \S+: rules equal, out-of-office equal, delegates equal, configurations equal/,
    );
    // Node writes every process warning (MaxListenersExceededWarning, ExperimentalWarning,
    // DeprecationWarning...) to stderr as "(node:PID) NameWarning: ...".
    expect(stderr).not.toMatch(/Warning/);
  });

  it("single-mailbox-restore backs up and restores every item", async () => {
    const out = await example("single-mailbox-restore.ts");
    const backedUp = Number(/backed up (\d+) items/.exec(out)?.[1]);
    expect(backedUp).toBeGreaterThan(0);
    expect(out).toContain(`restored ${backedUp} items, 0 failed`);
  });

  it("restore-one-item restores exactly one item into another mailbox", async () => {
    const out = await example("restore-one-item.ts");
    expect(out).toMatch(/^restored: new item id \S+/m);
  });

  it("embed-engine feeds progress to a host UI and reports the corrupt item without failing", async () => {
    const out = await example("embed-engine.ts");
    expect(out).toMatch(/\[alert\] .* EWS_SERVER_ERROR/);
    expect(out).toContain("3 mailboxes in");
    expect(out).toMatch(/1 item\(s\) reported/);
  });
});
