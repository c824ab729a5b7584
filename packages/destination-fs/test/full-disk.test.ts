// ENOSPC for real: a 1 MiB tmpfs fills up mid-write. The destination must report DEST_FULL and
// leave neither a partial object nor a temp file behind.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { DestinationError } from "@ewsvault/destination";
import { expectBytes, expectDestinationError, listNames, randomBytes } from "@ewsvault/destination/testing";
import { createFsDestination } from "@ewsvault/destination-fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filesBelow, type Mount, mountTmpfs } from "./helpers.js";

const KiB = 1024;

describe("full file system (real tmpfs, size=1m)", () => {
  let mount: Mount;
  beforeAll(async () => {
    mount = await mountTmpfs("size=1m,mode=0755");
  });
  afterAll(async () => {
    await mount?.unmount();
  });

  it("a save that does not fit fails with DEST_FULL and leaves no object and no temp file", async () => {
    const root = join(mount.path, "repo1");
    const destination = createFsDestination({ root });
    const small = randomBytes(200 * KiB, 1);
    await destination.save("data/small", small);
    const error = await expectDestinationError(
      destination.save("data/big", randomBytes(2048 * KiB, 2)),
      "DEST_FULL",
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    await expectDestinationError(destination.load("data/big"), "DEST_NOT_FOUND");
    expect(await listNames(destination)).toEqual(["data/small"]);
    expect(await filesBelow(root)).toEqual(["data/small"]);
    expectBytes(await destination.load("data/small"), small, "the object saved before");
    await destination.close();
  });

  it("an overwrite or exclusive save that does not fit keeps the old object whole", async () => {
    const root = join(mount.path, "repo2");
    const destination = createFsDestination({ root });
    const old = randomBytes(300 * KiB, 3);
    await destination.save("index/0", old);
    // The temp file needs room next to the old object, which the small disk does not have.
    await expectDestinationError(destination.save("index/0", randomBytes(900 * KiB, 4)), "DEST_FULL");
    expectBytes(await destination.load("index/0"), old, "after the failed overwrite");
    await expectDestinationError(
      destination.save("locks/l", randomBytes(900 * KiB, 5), { exclusive: true }),
      "DEST_FULL",
    );
    await expectDestinationError(destination.stat("locks/l"), "DEST_NOT_FOUND");
    expect(await filesBelow(root)).toEqual(["index/0"]);
    // Nothing leaked: once the old object is gone, the same large save fits.
    await destination.remove("index/0");
    const replacement = randomBytes(700 * KiB, 6);
    await destination.save("index/0", replacement);
    expectBytes(await destination.load("index/0"), replacement, "after space was freed");
    await destination.remove("index/0");
    await destination.close();
  });
});

describe("file system out of inodes (real tmpfs, nr_inodes=4)", () => {
  let mount: Mount;
  beforeAll(async () => {
    mount = await mountTmpfs("size=1m,nr_inodes=4,mode=0755");
  });
  afterAll(async () => {
    await mount?.unmount();
  });

  it("creating directories or the temp file fails with DEST_FULL and leaves no file", async () => {
    const destination = createFsDestination({ root: mount.path });
    const error = await expectDestinationError(destination.save("a/b/c/d/e", randomBytes(10)), "DEST_FULL");
    expect(error).toBeInstanceOf(DestinationError);
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    expect(await filesBelow(mount.path)).toEqual([]);
    expect(await listNames(destination)).toEqual([]);
    expect((await readdir(mount.path, { recursive: true })).some((entry) => entry.includes("~tmp-"))).toBe(
      false,
    );
    await destination.close();
  });
});
