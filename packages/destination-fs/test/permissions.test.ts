// Permission failures for real: a read-only remount (EROFS) and an unprivileged user (EACCES).
// Root ignores permission bits, so the second case drops the effective uid of this test worker.
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  collect,
  expectBytes,
  expectDestinationError,
  listNames,
  randomBytes,
} from "@ewsvault/destination/testing";
import { createFsDestination } from "@ewsvault/destination-fs";
import { tempDir } from "@ewsvault/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filesBelow, type Mount, mountTmpfs } from "./helpers.js";

const NOBODY = 65534;

describe("read-only file system (real tmpfs remounted ro)", () => {
  let mount: Mount;
  beforeAll(async () => {
    mount = await mountTmpfs("size=4m,mode=0755");
  });
  afterAll(async () => {
    mount?.remount("rw");
    await mount?.unmount();
  });

  it("writes fail with DEST_PERMISSION (cause EROFS), reads keep working", async () => {
    const destination = createFsDestination({ root: mount.path });
    const data = randomBytes(5000, 1);
    await destination.save("data/a", data);
    mount.remount("ro");
    try {
      const saveError = await expectDestinationError(
        destination.save("data/b", randomBytes(10)),
        "DEST_PERMISSION",
      );
      expect((saveError.cause as NodeJS.ErrnoException).code).toBe("EROFS");
      await expectDestinationError(destination.save("data/a", randomBytes(10)), "DEST_PERMISSION");
      await expectDestinationError(destination.save("new/dir/x", randomBytes(10)), "DEST_PERMISSION");
      await expectDestinationError(destination.remove("data/a"), "DEST_PERMISSION");
      expectBytes(await destination.load("data/a"), data, "load on a read-only mount");
      expect((await destination.stat("data/a")).size).toBe(data.length);
      expect(await listNames(destination)).toEqual(["data/a"]);
    } finally {
      mount.remount("rw");
    }
    expect(await filesBelow(mount.path)).toEqual(["data/a"]);
    await destination.close();
  });
});

describe("no permission (effective uid nobody)", () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir("ewsvault-fs-perm-");
    // The temp dir itself is 0700 root; let nobody reach the repository inside it.
    await chmod(dir.path, 0o755);
  });
  afterAll(async () => {
    await dir?.cleanup();
  });

  it("EACCES on save, load, remove and list maps to DEST_PERMISSION with the errno as cause", async () => {
    const seteuid = process.seteuid;
    expect(seteuid, "process.seteuid is needed to drop privileges").toBeTypeOf("function");
    const root = join(dir.path, "repo");
    const asRoot = createFsDestination({ root });
    const secret = randomBytes(100, 2);
    await asRoot.save("data/secret", secret);
    await asRoot.save("locked/x", randomBytes(5));
    await mkdir(join(root, "readonly"), { mode: 0o755 });
    await chmod(join(root, "locked"), 0o700);
    await chmod(root, 0o755);
    await chmod(join(root, "data"), 0o755);
    const asNobody = createFsDestination({ root });
    seteuid?.call(process, NOBODY);
    try {
      expect(process.geteuid?.()).toBe(NOBODY);
      const loadError = await expectDestinationError(asNobody.load("data/secret"), "DEST_PERMISSION");
      expect((loadError.cause as NodeJS.ErrnoException).code).toBe("EACCES");
      const saveError = await expectDestinationError(
        asNobody.save("data/new", randomBytes(5)),
        "DEST_PERMISSION",
      );
      expect((saveError.cause as NodeJS.ErrnoException).code).toBe("EACCES");
      await expectDestinationError(asNobody.save("readonly/sub/x", randomBytes(5)), "DEST_PERMISSION");
      await expectDestinationError(asNobody.remove("data/secret"), "DEST_PERMISSION");
      await expectDestinationError(() => collect(asNobody.list("locked/")), "DEST_PERMISSION");
      // stat needs only search permission on the directories, which nobody has here.
      expect((await asNobody.stat("data/secret")).size).toBe(secret.length);
    } finally {
      seteuid?.call(process, 0);
    }
    expect(process.geteuid?.()).toBe(0);
    expectBytes(await asRoot.load("data/secret"), secret, "untouched");
    expect(await filesBelow(root)).toEqual(["data/secret", "locked/x"]);
    await asRoot.close();
    await asNobody.close();
  });
});
