// list() must stream a large tree: 100 000 files in 256 directories (the shape of a repository's
// data/ folder), counted once each, with temp files mixed in and never shown.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFsDestination } from "@ewsvault/destination-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Mount, mountTmpfs } from "./helpers.js";

const FILES = 100_000;
const hex = (i: number) => (i % 256).toString(16).padStart(2, "0");
const nameOf = (i: number) => `data/${hex(i)}/${String(i).padStart(8, "0")}`;
// Mostly empty files (no data pages on tmpfs); every 97th has content so sizes are checked too.
const sizeOf = (i: number) => (i % 97 === 0 ? (i % 50) + 1 : 0);

describe(`list() over ${FILES} files`, () => {
  let mount: Mount;
  beforeAll(async () => {
    // tmpfs keeps creation fast and cleanup instant; the walk is the same on any file system.
    mount = await mountTmpfs("size=64m,nr_inodes=200000,mode=0755");
    // Synchronous on purpose: test setup, and far faster than 100k promise round trips.
    for (let d = 0; d < 256; d++) mkdirSync(join(mount.path, "data", hex(d)), { recursive: true });
    for (let i = 0; i < FILES; i++)
      writeFileSync(join(mount.path, ...nameOf(i).split("/")), "x".repeat(sizeOf(i)));
    for (let d = 0; d < 256; d++) {
      writeFileSync(join(mount.path, "data", hex(d), "~tmp-000000000000000000000000"), "partial");
    }
  }, 120_000);
  afterAll(async () => {
    await mount?.unmount();
  });

  it("yields every object once, with its size, streaming", async () => {
    const destination = createFsDestination({ root: mount.path });
    const seen = new Set<string>();
    let duplicates = 0;
    let sizeMismatches = 0;
    const started = performance.now();
    const heapBefore = process.memoryUsage().heapUsed;
    let firstAfterMs = -1;
    for await (const info of destination.list("data/")) {
      if (firstAfterMs < 0) firstAfterMs = performance.now() - started;
      if (seen.has(info.name)) duplicates++;
      seen.add(info.name);
      const index = Number(info.name.slice(info.name.lastIndexOf("/") + 1));
      if (info.size !== sizeOf(index)) sizeMismatches++;
    }
    const elapsedMs = performance.now() - started;
    expect(seen.size).toBe(FILES);
    expect(duplicates).toBe(0);
    expect(sizeMismatches).toBe(0);
    expect(seen.has(nameOf(FILES - 1))).toBe(true);
    // Streaming: the first object arrives long before the walk ends.
    expect(firstAfterMs).toBeLessThan(elapsedMs / 10);
    console.info(
      `list of ${FILES} files: ${Math.round(elapsedMs)} ms, first after ${firstAfterMs.toFixed(1)} ms, ` +
        `heap delta ${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6)} MB (incl. the test's Set)`,
    );
    let underOne = 0;
    for await (const info of destination.list("data/0a/")) {
      expect(info.name.startsWith("data/0a/")).toBe(true);
      underOne++;
    }
    expect(underOne).toBe([...seen].filter((n) => n.startsWith("data/0a/")).length);
    expect(underOne).toBeGreaterThan(300);
    await destination.close();
  }, 60_000);
});
