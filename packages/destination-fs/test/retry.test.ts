// A destination from the factory retries DEST_TRANSIENT by default (BaseDestination does it, so
// every destination package behaves alike): a busy file system that recovers is invisible to
// the caller, one that does not recover fails after the policy's attempts, and a permanent
// failure is reported after one attempt.
import { join } from "node:path";
import { collect, expectBytes, expectDestinationError, randomBytes } from "@ewsvault/destination/testing";
import { createFsDestination } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errnoError, hookedFs } from "./helpers.js";

let base: { path: string; cleanup: () => Promise<void> };
let counter = 0;
const freshRoot = () => join(base.path, `root-${++counter}`);

beforeAll(async () => {
  base = await tempDir("ewsvault-fs-retry-");
});
afterAll(async () => {
  await base?.cleanup();
});

/** An fs layer whose `method` fails with `errno` for the next `times` calls; counts calls per method. */
function flaky() {
  const failing = { method: "", errno: "", times: 0 };
  const counts = new Map<string, number>();
  const { fs } = hookedFs((method) => {
    counts.set(method, (counts.get(method) ?? 0) + 1);
    if (method === failing.method && failing.times > 0) {
      failing.times--;
      throw errnoError(failing.errno, method);
    }
  });
  return {
    fs,
    fail(method: string, errno: string, times: number) {
      Object.assign(failing, { method, errno, times });
      counts.clear();
    },
    calls: (method: string) => counts.get(method) ?? 0,
  };
}

const fast = { initialDelayMs: 2, maxDelayMs: 10 };

describe("fs destination retries by default", () => {
  it("a busy file system that recovers: every operation succeeds after retries", async () => {
    const layer = flaky();
    const destination = createFsDestination({ root: freshRoot(), fs: layer.fs, retry: fast });
    expect(destination.retryPolicy.maxAttempts).toBe(4);
    await destination.save("a/first", randomBytes(1)); // the directory exists from here on
    layer.fail("open", "EBUSY", 2);
    await destination.save("a/b", randomBytes(100, 1));
    // Two failed opens of a temp file, then the temp file, then the directory fsync.
    expect(layer.calls("open")).toBe(4);
    layer.fail("open", "EMFILE", 3);
    expectBytes(await destination.load("a/b"), randomBytes(100, 1));
    expect(layer.calls("open")).toBe(4);
    layer.fail("stat", "EAGAIN", 1);
    expect((await destination.stat("a/b")).size).toBe(100);
    expect(layer.calls("stat")).toBe(2);
    layer.fail("opendir", "EBUSY", 2);
    expect((await collect(destination.list("a/"))).map((info) => info.name).sort()).toEqual([
      "a/b",
      "a/first",
    ]);
    expect(layer.calls("opendir")).toBe(3);
    layer.fail("unlink", "EBUSY", 1);
    await destination.remove("a/b");
    expect(layer.calls("unlink")).toBe(2);
    await expectDestinationError(destination.stat("a/b"), "DEST_NOT_FOUND");
  });

  it("one that stays busy fails with DEST_TRANSIENT after maxAttempts; permanent errors are not retried", async () => {
    const layer = flaky();
    const destination = createFsDestination({
      root: freshRoot(),
      fs: layer.fs,
      retry: { ...fast, maxAttempts: 3 },
    });
    await destination.save("x", randomBytes(10));
    layer.fail("stat", "EBUSY", Number.POSITIVE_INFINITY);
    await expectDestinationError(destination.stat("x"), "DEST_TRANSIENT");
    expect(layer.calls("stat")).toBe(3);
    layer.fail("stat", "EACCES", Number.POSITIVE_INFINITY);
    await expectDestinationError(destination.stat("x"), "DEST_PERMISSION");
    expect(layer.calls("stat")).toBe(1);
    layer.fail("open", "ENOSPC", Number.POSITIVE_INFINITY);
    await expectDestinationError(destination.save("y", randomBytes(10)), "DEST_FULL");
    expect(layer.calls("open")).toBe(1);
  });

  it("retry: false makes one attempt", async () => {
    const layer = flaky();
    const destination = createFsDestination({ root: freshRoot(), fs: layer.fs, retry: false });
    await destination.save("x", randomBytes(10));
    layer.fail("stat", "EBUSY", 1);
    await expectDestinationError(destination.stat("x"), "DEST_TRANSIENT");
    expect(layer.calls("stat")).toBe(1);
    expect((await destination.stat("x")).size).toBe(10);
  });
});
