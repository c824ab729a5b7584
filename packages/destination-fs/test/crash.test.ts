// Kills a process in the middle of saving (SIGKILL, no chance to clean up) and checks the
// crash guarantee: every visible object is whole, temp files are invisible, the destination
// keeps working on the same root.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expectBytes, listNames, randomBytes } from "@ewsvault/destination/testing";
import { createFsDestination } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const writer = fileURLToPath(new URL("./fixtures/crash-writer.ts", import.meta.url));
const workspace = fileURLToPath(new URL("../../..", import.meta.url));

function version(seed: number): Uint8Array {
  const length = 256 * 1024 + (seed % 7) * 64 * 1024;
  const data = randomBytes(length, seed);
  new DataView(data.buffer).setUint32(0, seed);
  return data;
}

/** Runs the writer until it has completed `saves` saves plus `extraMs`, then SIGKILLs it. */
async function runAndKill(root: string, saves: number, extraMs: number): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", writer, root], {
    cwd: workspace,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let completed = 0;
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      completed += chunk
        .toString()
        .split("\n")
        .filter((line) => line.startsWith("saved ")).length;
      if (completed >= saves) resolve();
    });
    child.once("exit", () => reject(new Error(`writer exited early after ${completed} saves: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, extraMs));
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return completed;
}

describe("crash safety (writer killed with SIGKILL mid-save)", () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir("ewsvault-fs-crash-");
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it("leaves only whole objects, hides leftover temp files, and the root stays usable", async () => {
    let temps = 0;
    for (const [round, extraMs] of [23, 71].entries()) {
      const root = join(dir.path, `round-${round}`);
      const completed = await runAndKill(root, 8, extraMs);
      expect(completed).toBeGreaterThanOrEqual(8);
      const destination = createFsDestination({ root });
      const names = await listNames(destination);
      expect(names.filter((name) => name.startsWith("obj/")).length).toBe(4);
      for (const name of names) {
        const bytes = await destination.load(name);
        const seed = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
        expectBytes(bytes, version(seed), `${name} (seed ${seed})`);
        if (name.startsWith("locks/")) expect(name).toBe(`locks/${seed}`);
      }
      for (const sub of ["obj", "locks"]) {
        temps += (await readdir(join(root, sub))).filter((entry) => entry.startsWith("~tmp-")).length;
      }
      // The same root keeps working: overwrite and exclusive saves next to any leftovers.
      await destination.save("obj/0", version(1_000_000));
      expectBytes(await destination.load("obj/0"), version(1_000_000), "after the crash");
      // Fresh leftovers survive the default sweep (their writer might still be running)...
      let leftovers = 0;
      for (const sub of ["obj", "locks"]) {
        leftovers += (await readdir(join(root, sub))).filter((entry) => entry.startsWith("~tmp-")).length;
      }
      expect(await destination.removeStaleTempFiles()).toBe(0);
      // ...and an explicit zero age removes every one of them, touching no object.
      expect(await destination.removeStaleTempFiles({ olderThanMs: 0 })).toBe(leftovers);
      for (const sub of ["obj", "locks"]) {
        expect((await readdir(join(root, sub))).filter((entry) => entry.startsWith("~tmp-"))).toEqual([]);
      }
      expect(await listNames(destination)).toEqual(names);
      await destination.close();
    }
    console.info(`crash test: ${temps} leftover temp file(s) across 2 kills, none visible as objects`);
  }, 60_000);
});
