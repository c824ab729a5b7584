// Crash consistency and multi-process writing, with real child processes on an fs destination.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createFsDestination } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";
import { describe, expect, it } from "vitest";
import { blobId } from "../src/blob.js";
import { initRepository, openRepository } from "../src/index.js";
import type { RepositoryImpl } from "../src/repository.js";
import { itemBytes } from "./fixtures/items.js";
import { digest, FAST_KDF, PASSWORD, SMALL_CHUNKS } from "./helpers.js";

const SCRIPT = fileURLToPath(new URL("./fixtures/writer-process.ts", import.meta.url));
const WORKSPACE = fileURLToPath(new URL("../../../", import.meta.url));
const ITEMS = 16;

interface RunArgs {
  root: string;
  mailbox: string;
  seed: number;
}

function startWriter(args: RunArgs): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=source",
      SCRIPT,
      JSON.stringify({ ...args, items: ITEMS, checkpointEvery: 5, checkpointBytes: 24 * 1024 }),
    ],
    { cwd: WORKSPACE, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  let buffer = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    child.emit("line", parts);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) lines.push(`stderr: ${stderr}`);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

/** Resolves when the child printed `line` (or exited). */
function waitForLine(run: ReturnType<typeof startWriter>, line: string): Promise<void> {
  return new Promise((resolve) => {
    if (run.lines.includes(line)) return resolve();
    const onLine = () => {
      if (run.lines.includes(line)) {
        run.child.off("line", onLine);
        resolve();
      }
    };
    run.child.on("line", onLine);
    void run.exited.then(() => resolve());
  });
}

async function runToEnd(args: RunArgs): Promise<{ newBytes: number; snapshot: string }> {
  const run = startWriter(args);
  const code = await run.exited;
  const last = run.lines.filter((l) => l.startsWith("{")).pop();
  if (code !== 0 || last === undefined) throw new Error(`writer failed (${code}): ${run.lines.join("\n")}`);
  return JSON.parse(last) as { newBytes: number; snapshot: string };
}

/** Plaintext bytes of the mailbox's distinct chunks that the durable index does not hold. */
function expectedNewBytes(repo: RepositoryImpl, seed: number): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (let i = 0; i < ITEMS; i++) {
    for (const chunk of repo.chunker.split(itemBytes(seed, i))) {
      const id = blobId(repo.idKey, "data", chunk);
      if (seen.has(id)) continue;
      seen.add(id);
      if (!repo.packIndex.has(id)) bytes += chunk.length;
    }
  }
  return bytes;
}

/** xorshift: reproducible kill points; the seed is in the test name. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

async function initFsRepository(root: string) {
  const repo = await initRepository({
    destination: createFsDestination({ root }),
    password: PASSWORD,
    kdf: FAST_KDF,
    packSize: 16 * 1024,
    chunkerParams: SMALL_CHUNKS,
  });
  await repo.close();
}

async function restoreCheck(root: string, snapshotId: string, seed: number): Promise<void> {
  const repo = await openRepository({ destination: createFsDestination({ root }), password: PASSWORD });
  const snapshot = await repo.loadSnapshot(snapshotId);
  const tree = (await repo.loadTree(snapshot.tree)) as { items: { n: number; content: string[] }[] };
  expect(tree.items.length).toBe(ITEMS);
  for (const item of tree.items)
    expect(digest(await repo.loadData(item.content))).toBe(digest(itemBytes(seed, item.n)));
  await repo.close();
}

async function crashLane(lane: number, iterations: number, random: () => number): Promise<string[]> {
  const dir = await tempDir(`ewsvault-crash-${lane}-`);
  const log: string[] = [];
  try {
    await initFsRepository(dir.path);
    for (let it = 0; it < iterations; it++) {
      const args = {
        root: dir.path,
        mailbox: `mailbox-${lane}-${it % 3}@example.com`,
        seed: lane * 100 + it,
      };
      // kill after a random progress line (-1: right after start-up, ITEMS: while finishing)
      const point = Math.floor(random() * (ITEMS + 2)) - 1;
      const extraMs = Math.floor(random() * 12);
      const run = startWriter(args);
      await waitForLine(run, point < 0 ? "ready" : point >= ITEMS ? `item ${ITEMS - 1}` : `item ${point}`);
      await new Promise((r) => setTimeout(r, extraMs));
      run.child.kill("SIGKILL");
      await run.exited;
      log.push(`lane ${lane} it ${it}: killed after ${point} (+${extraMs} ms)`);

      const repo = (await openRepository({
        destination: createFsDestination({ root: dir.path }),
        password: PASSWORD,
      })) as unknown as RepositoryImpl;
      const report = await repo.verify();
      expect(report.problems, log.join("\n")).toEqual([]);
      const expected = expectedNewBytes(repo, args.seed);
      await repo.close();

      const rerun = await runToEnd(args);
      // the rerun re-sends exactly what was not durable, nothing more
      expect(rerun.newBytes, log.join("\n")).toBe(expected);
      await restoreCheck(dir.path, rerun.snapshot, args.seed);
    }
    const repo = await openRepository({
      destination: createFsDestination({ root: dir.path }),
      password: PASSWORD,
    });
    const final = await repo.verify({ readData: true });
    expect(final.problems).toEqual([]);
    expect(final.checked.snapshots).toBeGreaterThanOrEqual(iterations);
    await repo.close();
    return log;
  } finally {
    await dir.cleanup();
  }
}

describe("crash consistency (child processes killed with SIGKILL)", () => {
  const seed = Number(process.env.EWSVAULT_CRASH_SEED ?? Date.now() % 100_000);
  it(`verify is clean after every kill and a rerun re-uploads only what was not durable (seed ${seed})`, async () => {
    const random = prng(seed);
    // two lanes in parallel (two repositories) keep the 22 kills within the time budget
    const logs = await Promise.all([crashLane(1, 11, random), crashLane(2, 11, random)]);
    expect(logs.flat().length).toBe(22);
  }, 150_000);
});

describe("concurrent writer processes", () => {
  it("two processes write one repository at once; verify is clean and both snapshots restore", async () => {
    const dir = await tempDir("ewsvault-multi-");
    try {
      await initFsRepository(dir.path);
      const [a, b] = await Promise.all([
        runToEnd({ root: dir.path, mailbox: "alice@example.com", seed: 11 }),
        runToEnd({ root: dir.path, mailbox: "bob@example.com", seed: 12 }),
      ]);
      const repo = await openRepository({
        destination: createFsDestination({ root: dir.path }),
        password: PASSWORD,
      });
      const report = await repo.verify({ readData: true });
      expect(report.problems).toEqual([]);
      expect(report.checked.snapshots).toBe(2);
      await repo.close();
      await restoreCheck(dir.path, a.snapshot, 11);
      await restoreCheck(dir.path, b.snapshot, 12);
    } finally {
      await dir.cleanup();
    }
  }, 60_000);
});
