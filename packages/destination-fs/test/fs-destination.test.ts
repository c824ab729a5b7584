// Behaviour specific to the file-system destination: on-disk layout, the atomic-write protocol
// (temp file, fsync, rename/link, directory fsync), errno mapping and leftovers of a crash.
import { chmod, mkdir, readdir, stat, utimes, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { DestinationError, type DestinationErrorCode } from "@ewsvault/destination";
import {
  collect,
  expectBytes,
  expectDestinationError,
  expectTypeError,
  listNames,
  randomBytes,
} from "@ewsvault/destination/testing";
import { createFsDestination, FsDestination } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errnoError, filesBelow, hookedFs } from "./helpers.js";

let base: { path: string; cleanup: () => Promise<void> };
let counter = 0;
const freshRoot = () => join(base.path, `root-${++counter}`);

beforeAll(async () => {
  base = await tempDir("ewsvault-fs-unit-");
});
afterAll(async () => {
  await base?.cleanup();
});

describe("options", () => {
  it("rejects bad options with TypeError and describes itself by absolute root", async () => {
    await expectTypeError(() => createFsDestination({ root: "" }));
    await expectTypeError(() => createFsDestination({ root: "x", maxConnections: 0 }));
    await expectTypeError(() => createFsDestination({ root: "x", maxConnections: 1.5 }));
    const destination = createFsDestination({ root: "relative/dir" });
    expect(destination).toBeInstanceOf(FsDestination);
    expect(destination.root).toBe(join(process.cwd(), "relative/dir"));
    expect(destination.description).toBe(`fs:${destination.root}`);
    expect(destination.capabilities).toEqual({
      maxConnections: 16,
      atomicReplace: true,
      rangedReads: true,
      listAfterWriteConsistent: true,
    });
    expect(createFsDestination({ root: "x", maxConnections: 3 }).capabilities.maxConnections).toBe(3);
  });
});

describe("layout and the atomic-write protocol", () => {
  it("stores each object as a plain 0600 file at root/<segments>, with nothing else left", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    const data = randomBytes(3000, 1);
    await destination.save("data/ab/0123", data);
    expect(await filesBelow(root)).toEqual(["data/ab/0123"]);
    const info = await stat(join(root, "data", "ab", "0123"));
    expect(info.size).toBe(3000);
    expect(info.mode & 0o777).toBe(0o600);
    expect((await stat(join(root, "data"))).mode & 0o777).toBe(0o700);
    expectBytes(await destination.load("data/ab/0123"), data);
  });

  it("writes a temp file, fsyncs, renames, then fsyncs every directory whose entries changed", async () => {
    const root = freshRoot();
    const { fs, calls } = hookedFs(() => undefined);
    const destination = createFsDestination({ root, fs });
    await destination.save("a/b/c", randomBytes(10));
    const rel = (path: string) => relative(base.path, path.split(" ")[1] ?? "") || ".";
    const ops = calls.map((call) => `${call.split(" ")[0]} ${rel(call)}`);
    const root1 = relative(base.path, root);
    // The first open fails (no directories yet), directories are made top-down, the temp file
    // is written and renamed, and each changed directory is synced, parents first.
    expect(ops[0]).toMatch(new RegExp(`^open ${root1}/a/b/~tmp-[0-9a-f]{24}$`));
    const syncs = ops.filter((op) => op.startsWith("sync "));
    expect(syncs).toEqual([`sync .`, `sync ${root1}`, `sync ${root1}/a`, `sync ${root1}/a/b`]);
    const renameAt = ops.findIndex((op) => op.startsWith("rename"));
    expect(ops[renameAt]).toBe(`rename ${root1}/a/b/c`);
    expect(renameAt).toBeLessThan(ops.indexOf(`sync .`));
    calls.length = 0;
    await destination.save("a/b/d", randomBytes(10));
    expect(calls.filter((call) => call.startsWith("sync ")).map(rel)).toEqual([`${root1}/a/b`]);
    expect(calls.filter((call) => call.startsWith("mkdir "))).toEqual([]);
  });

  it("fsyncDirectories: false skips the directory fsyncs", async () => {
    const { fs, calls } = hookedFs(() => undefined);
    const destination = createFsDestination({ root: freshRoot(), fs, fsyncDirectories: false });
    await destination.save("x/y", randomBytes(10));
    await destination.save("x/z", randomBytes(10), { exclusive: true });
    expect(calls.filter((call) => call.startsWith("sync "))).toEqual([]);
    expect(await listNames(destination)).toEqual(["x/y", "x/z"]);
  });

  it("exclusive saves hard-link the temp file and remove it, never renaming over", async () => {
    const root = freshRoot();
    const { fs, calls } = hookedFs(() => undefined);
    const destination = createFsDestination({ root, fs });
    await destination.save("locks/l", randomBytes(10), { exclusive: true });
    expect(calls.some((call) => call.startsWith("link ") && call.endsWith("/locks/l"))).toBe(true);
    expect(calls.some((call) => call.startsWith("rename "))).toBe(false);
    await expectDestinationError(
      destination.save("locks/l", randomBytes(5), { exclusive: true }),
      "DEST_ALREADY_EXISTS",
    );
    expect(await filesBelow(root)).toEqual(["locks/l"]);
  });

  it("hides temp and foreign files left by a crash and works around them", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    await destination.save("data/x", randomBytes(10, 1));
    // What a crash between write and rename leaves behind, plus files no object name can have.
    await writeFile(join(root, "data", "~tmp-0123456789abcdef01234567"), randomBytes(5));
    await writeFile(join(root, "data", "notes with spaces.txt"), "x");
    await mkdir(join(root, "not an object dir"));
    await writeFile(join(root, "not an object dir", "y"), "y");
    expect(await listNames(destination)).toEqual(["data/x"]);
    expect(await listNames(destination, "data/")).toEqual(["data/x"]);
    await destination.save("data/x", randomBytes(10, 2));
    expectBytes(await destination.load("data/x"), randomBytes(10, 2));
    await expectTypeError(() => destination.load("data/~tmp-0123456789abcdef01234567"));
  });

  it("removeStaleTempFiles deletes only old temp files, never objects or fresh temp files", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    await destination.save("data/x", randomBytes(10, 1));
    await destination.save(".tmp-looks-like-temp", randomBytes(10, 2));
    const old = join(root, "data", "~tmp-00000000000000000000000a");
    const fresh = join(root, "~tmp-00000000000000000000000b");
    await writeFile(old, "partial");
    await writeFile(fresh, "partial");
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    expect(await destination.removeStaleTempFiles()).toBe(1);
    expect(await filesBelow(root)).toEqual([
      ".tmp-looks-like-temp",
      "data/x",
      "~tmp-00000000000000000000000b",
    ]);
    expect(await destination.removeStaleTempFiles({ olderThanMs: 0 })).toBe(1);
    expect(await listNames(destination)).toEqual([".tmp-looks-like-temp", "data/x"]);
    expect(await filesBelow(root)).toEqual([".tmp-looks-like-temp", "data/x"]);
    await expectTypeError(() => destination.removeStaleTempFiles({ olderThanMs: -1 }));
    await destination.close();
    await expectDestinationError(destination.removeStaleTempFiles(), "DEST_CLOSED");
  });

  it("names that collide with another object's directory fail with DEST_IO and leave no temp file", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    await destination.save("a", randomBytes(3));
    await destination.save("d/x", randomBytes(4));
    await expectDestinationError(destination.save("a/b", randomBytes(5)), "DEST_IO");
    await expectDestinationError(destination.save("a/b/c", randomBytes(5)), "DEST_IO");
    await expectDestinationError(destination.save("d", randomBytes(5)), "DEST_IO");
    await expectDestinationError(destination.save("d", randomBytes(5), { exclusive: true }), "DEST_IO");
    expect(await filesBelow(root)).toEqual(["a", "d/x"]);
    await expectDestinationError(destination.load("d"), "DEST_NOT_FOUND");
    await destination.remove("d");
    expect(await listNames(destination)).toEqual(["a", "d/x"]);
  });
});

describe("errno mapping (injected failures)", () => {
  const table: Array<[string, DestinationErrorCode]> = [
    ["ENOSPC", "DEST_FULL"],
    ["EDQUOT", "DEST_FULL"],
    ["EACCES", "DEST_PERMISSION"],
    ["EPERM", "DEST_PERMISSION"],
    ["EROFS", "DEST_PERMISSION"],
    ["EMFILE", "DEST_TRANSIENT"],
    ["ENFILE", "DEST_TRANSIENT"],
    ["EAGAIN", "DEST_TRANSIENT"],
    ["EBUSY", "DEST_TRANSIENT"],
    ["EIO", "DEST_IO"],
    ["EINVAL", "DEST_IO"],
  ];

  for (const [errno, code] of table) {
    it(`${errno} -> ${code} on save (mid-write, rename, link), load, stat, list and remove`, async () => {
      const root = freshRoot();
      let failOn: string | undefined;
      const { fs } = hookedFs((method) => {
        if (method === failOn) throw errnoError(errno, method);
      });
      // One attempt: this case is about the errno mapping; retrying is checked in retry.test.ts.
      const destination = createFsDestination({ root, fs, retry: false });
      await destination.save("obj/kept", randomBytes(100, 1));
      for (const [method, exclusive] of [
        ["write", false],
        ["rename", false],
        ["link", true],
        ["mkdir", false],
      ] as const) {
        failOn = method;
        const name = method === "mkdir" ? "new/dir/obj" : "obj/new";
        const error = await expectDestinationError(
          destination.save(name, randomBytes(4096, 2), { exclusive }),
          code,
        );
        expect((error.cause as NodeJS.ErrnoException).code, method).toBe(errno);
        failOn = undefined;
        await expectDestinationError(destination.load(name), "DEST_NOT_FOUND");
      }
      // The half-written temp files were removed, the old object is whole.
      expect(await filesBelow(root)).toEqual(["obj/kept"]);
      expectBytes(await destination.load("obj/kept"), randomBytes(100, 1));
      failOn = "open";
      await expectDestinationError(destination.load("obj/kept"), code);
      failOn = "stat";
      await expectDestinationError(destination.stat("obj/kept"), code);
      failOn = "opendir";
      await expectDestinationError(() => collect(destination.list("obj/")), code);
      failOn = "unlink";
      await expectDestinationError(destination.remove("obj/kept"), code);
      failOn = undefined;
    });
  }

  it("ENOENT and ENOTDIR on reads are DEST_NOT_FOUND, and errors keep their cause", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    await destination.save("f", randomBytes(1));
    const error = await expectDestinationError(destination.load("missing"), "DEST_NOT_FOUND");
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
    const below = await expectDestinationError(destination.load("f/below"), "DEST_NOT_FOUND");
    expect((below.cause as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    expect(await listNames(destination, "f/")).toEqual([]);
  });
});

describe("abort and close", () => {
  it("an aborted save rejects with the abort reason and leaves nothing", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    const before = new AbortController();
    before.abort();
    await expect(destination.save("x/a", randomBytes(10), { signal: before.signal })).rejects.toThrow(
      before.signal.reason as Error,
    );
    const during = new AbortController();
    const { fs } = hookedFs((method) => {
      if (method === "write") during.abort();
    });
    const hooked = createFsDestination({ root, fs });
    const error = await hooked
      .save("x/b", randomBytes(10), { signal: during.signal })
      .catch((e: unknown) => e);
    expect(error).toBe(during.signal.reason);
    expect(error).not.toBeInstanceOf(DestinationError);
    await expectDestinationError(hooked.load("x/b"), "DEST_NOT_FOUND");
    expect((await filesBelow(root).catch(() => [])).filter((f) => f.includes("~tmp-"))).toEqual([]);
  });

  it("close() waits for running saves, then every call throws DEST_CLOSED", async () => {
    const root = freshRoot();
    const destination = createFsDestination({ root });
    const saves = Array.from({ length: 8 }, (_, i) => destination.save(`c/${i}`, randomBytes(256 * 1024, i)));
    await destination.close();
    const outcomes = await Promise.allSettled(saves);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected")
        expect((outcome.reason as DestinationError).code).toBe("DEST_CLOSED");
    }
    // Whatever finished is whole, and no temp file outlives close().
    const files = await filesBelow(root).catch(() => []);
    expect(files.filter((f) => f.includes("~tmp-"))).toEqual([]);
    for (const file of files) expect((await stat(join(root, file))).size).toBe(256 * 1024);
    await expectDestinationError(destination.save("c/late", randomBytes(1)), "DEST_CLOSED");
  });

  it("at most maxConnections file operations run at once", async () => {
    let open = 0;
    let peak = 0;
    const { fs } = hookedFs(() => undefined);
    const counting = {
      ...fs,
      open: (async (...args: Parameters<typeof fs.open>) => {
        open++;
        peak = Math.max(peak, open);
        try {
          return await fs.open(...args);
        } finally {
          await new Promise((resolve) => setTimeout(resolve, 2));
          open--;
        }
      }) as typeof fs.open,
    };
    const destination = createFsDestination({ root: freshRoot(), fs: counting, maxConnections: 3 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => destination.save(`m/${i}`, randomBytes(100, i))));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect((await listNames(destination, "m/")).length).toBe(30);
  });
});

describe("permission bits are respected by a file written as root", () => {
  it("a new root is created on demand, directories 0700", async () => {
    const root = join(freshRoot(), "deep", "er");
    const destination = createFsDestination({ root });
    expect(await listNames(destination)).toEqual([]);
    await expectDestinationError(destination.load("x"), "DEST_NOT_FOUND");
    await destination.save("x", randomBytes(1));
    expect((await stat(root)).isDirectory()).toBe(true);
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    await chmod(root, 0o755);
    expect(await readdir(root)).toEqual(["x"]);
  });
});
