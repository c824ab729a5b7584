import { createMemoryDestination } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { initRepository, openRepository } from "../src/index.js";
import { digest, FAST_KDF, names, newRepository, PASSWORD, SMALL_CHUNKS, seededBytes } from "./helpers.js";

/** Retries an assertion for up to 5 s (timers and background index writes under a loaded CI machine). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("checkpoints and write failures", () => {
  it("checkpointBytes writes index files while writing; checkpointSeconds flushes a quiet writer", async () => {
    const { repo, destination } = await newRepository({ packSize: 8 * 1024, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter({ checkpointBytes: 16 * 1024, checkpointSeconds: 0 });
    for (let i = 0; i < 10; i++) await writer.saveData(seededBytes(i, 20_000));
    // several index files exist before any explicit checkpoint
    await eventually(async () => expect((await names(destination, "index/")).length).toBeGreaterThan(2));
    await writer.close();

    const timed = await repo.startWriter({ checkpointSeconds: 1 });
    const saved = await timed.saveData(seededBytes(100, 3000)); // far below one pack
    const other = await openRepository({ destination, password: PASSWORD });
    await expect(other.loadData(saved.blobIds)).rejects.toMatchObject({ code: "REPO_MISSING_BLOB" });
    await new Promise((r) => setTimeout(r, 1000));
    await eventually(async () => {
      const later = await openRepository({ destination, password: PASSWORD });
      expect(digest(await later.loadData(saved.blobIds))).toBe(digest(seededBytes(100, 3000)));
    });
    await timed.close();
    await repo.close();
  });

  it("a failed pack upload fails the writer loudly and leaves the repository verifiable", async () => {
    const destination = createMemoryDestination();
    const repo = await initRepository({
      destination,
      password: PASSWORD,
      kdf: FAST_KDF,
      packSize: 8 * 1024,
      chunkerParams: SMALL_CHUNKS,
      workers: 0,
    });
    const writer = await repo.startWriter({ checkpointSeconds: 0 });
    const good = await writer.saveData(seededBytes(1, 30_000));
    await writer.checkpoint();
    destination.injectFault({
      operation: "save",
      code: "DEST_IO",
      prefix: "data/",
      times: Number.POSITIVE_INFINITY,
    });
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++)
      await writer.saveData(seededBytes(10 + i, 30_000)).catch((e: unknown) => errors.push(e));
    await writer.checkpoint().catch((e: unknown) => errors.push(e));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => (e as { code?: string }).code === "DEST_IO")).toBe(true);
    await expect(writer.saveData(seededBytes(99, 10))).rejects.toMatchObject({ code: "DEST_IO" });
    destination.clearFaults();
    await expect(repo.close()).rejects.toMatchObject({ code: "DEST_IO" });

    const fresh = await openRepository({ destination, password: PASSWORD });
    expect((await fresh.verify({ readData: true })).problems).toEqual([]);
    expect(digest(await fresh.loadData(good.blobIds))).toBe(digest(seededBytes(1, 30_000)));
    // the blobs of the failed packs were released: a new writer stores them again
    const retry = await fresh.startWriter();
    expect((await retry.saveData(seededBytes(10, 30_000))).newBytes).toBe(30_000);
    await retry.close();
    expect((await fresh.verify({ readData: true })).ok).toBe(true);
  });

  it("readData subsets: n/t parts cover every pack exactly once; bad specs are TypeErrors", async () => {
    const { repo } = await newRepository({ packSize: 4096, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter();
    for (let i = 0; i < 12; i++) await writer.saveData(seededBytes(i, 9000));
    await writer.close();
    const packs = (await repo.stats()).packs;
    expect(packs).toBeGreaterThan(10);
    let read = 0;
    for (const part of ["1/3", "2/3", "3/3"])
      read += (await repo.verify({ readData: part })).checked.packsRead;
    expect(read).toBe(packs);
    expect((await repo.verify({ readData: true })).checked.packsRead).toBe(packs);
    expect((await repo.verify({ readData: "100%" })).checked.packsRead).toBe(packs);
    expect((await repo.verify({})).checked.packsRead).toBe(0);
    await expect(repo.verify({ readData: "4/3" })).rejects.toThrow(TypeError);
    await expect(repo.verify({ readData: 0 })).rejects.toThrow(TypeError);
    await expect(repo.verify({ readData: "some" })).rejects.toThrow(TypeError);
  });

  it("a backup lock that cannot be refreshed stops the writer and refuses snapshots (REPO_LOCK_LOST)", async () => {
    const destination = createMemoryDestination();
    const repo = await initRepository({
      destination,
      password: PASSWORD,
      kdf: FAST_KDF,
      lockStaleAfterMs: 2000,
      workers: 0,
    });
    const writer = await repo.startWriter({ checkpointSeconds: 0 });
    const saved = await writer.saveData(seededBytes(5, 5000));
    const tree = await writer.saveTree({ content: saved.blobIds });
    await writer.checkpoint();
    destination.injectFault({
      operation: "save",
      code: "DEST_TRANSIENT",
      prefix: "locks/",
      times: Number.POSITIVE_INFINITY,
    });
    await new Promise((r) => setTimeout(r, 2300));
    await writer.saveData(seededBytes(6, 5000));
    await expect(writer.checkpoint()).rejects.toMatchObject({ code: "REPO_LOCK_LOST" });
    await expect(repo.saveSnapshot({ mailbox: "m", time: new Date(), tree })).rejects.toMatchObject({
      code: "REPO_LOCK_LOST",
    });
    destination.clearFaults();
    await repo.close().catch(() => undefined);
  });
});
