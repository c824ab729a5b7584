// The write pool moves chunking, keyed ids, compression and sealing to worker threads. These
// tests pin that it changes nothing observable: the same cut points and ids as the inline path,
// the same dedupe decisions, stored blobs the inline reader opens, and the caller's buffer left
// alone unless it hands it over.

import { markAsUntransferable } from "node:worker_threads";
import { createMemoryDestination } from "@ewsvault/destination";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { createChunker, DEFAULT_CHUNKER_PARAMS } from "../src/chunker/index.js";
import { compressBlob } from "../src/compress/index.js";
import { deriveRepositoryKeys } from "../src/crypto/index.js";
import { blobAd } from "../src/format.js";
import { initRepository, openRepository } from "../src/index.js";
import { createSealer } from "../src/sealer.js";
import { WritePool } from "../src/write-pool.js";
import { concat, digest, FAST_KDF, mailText, PASSWORD, seededBytes } from "./helpers.js";

async function pair() {
  const destination = createMemoryDestination();
  const inline = await initRepository({ destination, password: PASSWORD, kdf: FAST_KDF, workers: 0 });
  const pooled = await openRepository({ destination, password: PASSWORD, workers: 2 });
  return { destination, inline, pooled };
}

describe("write pool", () => {
  it("cuts and names chunks exactly like the inline path, and stores what the inline reader opens", async () => {
    const { inline, pooled } = await pair();
    const inputs = [
      mailText(1, 32 * 1024), // the smallest pooled item
      mailText(2, 700_000),
      seededBytes(3, 1_500_000),
      concat(mailText(4, 90_000), seededBytes(5, 400_000), mailText(6, 50_000)),
      new Uint8Array(300_000), // zeros: maximal chunks, all equal
    ];
    // Separate destinations would be needed to compare newBytes; ids and cuts are the point here.
    const wInline = await inline.startWriter();
    const viaInline = [];
    for (const input of inputs) viaInline.push(await wInline.saveData(input));
    await wInline.close();
    const wPool = await pooled.startWriter();
    const viaPool = await Promise.all(inputs.map((input) => wPool.saveData(input)));
    await wPool.close();
    for (const [i, s] of viaPool.entries()) {
      expect(s.blobIds).toEqual(viaInline[i]!.blobIds);
      expect(s.size).toBe(inputs[i]!.length);
      expect(digest(await inline.loadData(s.blobIds))).toBe(digest(inputs[i]!));
    }
    await pooled.close();
    await inline.close();
  });

  it("compresses exactly like compressBlob, for zstd and brotli: same header, same payload bytes", async () => {
    const keys = deriveRepositoryKeys(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
    const chunker = createChunker(DEFAULT_CHUNKER_PARAMS, keys.chunkerKey);
    const sealer = createSealer(keys.dataKey);
    const data = concat(
      mailText(11, 300_000),
      seededBytes(12, 100_000),
      new Uint8Array(50_000),
      mailText(13, 9_000),
    );
    const chunks = chunker.split(data);
    for (const method of ["zstd", "brotli"] as const) {
      const pool = new WritePool(keys, chunker.plan, 1, method);
      const item = pool.add(data);
      const { ids } = await item.chunked;
      expect(ids).toHaveLength(chunks.length);
      const sealed = await item.seal(new Uint8Array(ids.length).fill(1));
      const headers = new Set<number>();
      for (const [i, blob] of sealed.entries()) {
        const opened = sealer.open(blob, blobAd("data", ids[i]!));
        const inline = compressBlob(chunks[i]!, method);
        headers.add(inline[0]!);
        expect(Buffer.from(opened).equals(Buffer.from(inline))).toBe(true);
      }
      expect(headers).toEqual(new Set([0, method === "zstd" ? 2 : 1]));
      await pool.close();
    }
    expect(() => new WritePool(keys, chunker.plan, 1, "lz4" as never)).toThrow(TypeError);
  });

  it("chunks and seals a small item in one round trip, exactly as add() and seal() do", async () => {
    const keys = deriveRepositoryKeys(Uint8Array.from({ length: 32 }, (_, i) => i));
    const chunker = createChunker(DEFAULT_CHUNKER_PARAMS, keys.chunkerKey);
    const sealer = createSealer(keys.dataKey);
    const pool = new WritePool(keys, chunker.plan, 1);
    try {
      const data = concat(mailText(21, 20_000), seededBytes(22, 10_000));
      const twoTrips = pool.add(data);
      const { cuts, ids } = await twoTrips.chunked;
      twoTrips.drop();
      const oneTrip = await pool.addSealed(data);
      expect(oneTrip.cuts).toEqual(cuts);
      expect(oneTrip.ids).toEqual(ids);
      const chunks = chunker.split(data);
      expect(oneTrip.sealed).toHaveLength(chunks.length);
      for (const [i, blob] of oneTrip.sealed.entries()) {
        const opened = sealer.open(blob, blobAd("data", ids[i]!));
        expect(Buffer.from(opened).equals(Buffer.from(compressBlob(chunks[i]!, "zstd")))).toBe(true);
      }
    } finally {
      await pool.close();
    }
  });

  it("stores a small item saved many times at once exactly once", async () => {
    const destination = createMemoryDestination();
    const repo = await initRepository({ destination, password: PASSWORD, kdf: FAST_KDF, workers: 2 });
    const item = mailText(31, 12_000);
    const writer = await repo.startWriter();
    // Every copy is sealed by a worker; only the first answer to claim a chunk keeps its blob.
    const saved = await Promise.all(Array.from({ length: 20 }, () => writer.saveData(item.slice())));
    await writer.close();
    expect(saved.reduce((n, s) => n + s.newBytes, 0)).toBe(item.length);
    expect(new Set(saved.map((s) => s.blobIds.join()))).toEqual(new Set([saved[0]!.blobIds.join()]));
    expect(digest(await repo.loadData(saved[0]!.blobIds))).toBe(digest(item));
    expect((await repo.stats()).dataBlobs).toBe(saved[0]!.blobIds.length);
    expect((await repo.verify({ readData: true })).problems).toEqual([]);
    await repo.close();
  });

  it("stores new chunks once, compressed when that pays, and verify reads them back", async () => {
    const destination = createMemoryDestination();
    const repo = await initRepository({ destination, password: PASSWORD, kdf: FAST_KDF, workers: 2 });
    const attachment = seededBytes(7, 600_000);
    const items = Array.from({ length: 12 }, (_, i) => concat(mailText(100 + i, 40_000), attachment));
    const writer = await repo.startWriter();
    const saved = await Promise.all(items.map((item) => writer.saveData(item)));
    await writer.checkpoint();
    const logical = items.reduce((n, item) => n + item.length, 0);
    const fresh = saved.reduce((n, s) => n + s.newBytes, 0);
    // Every distinct chunk is claimed by exactly one of the concurrent calls: the new bytes are
    // the sizes of the distinct chunks, each counted once. (How much of the shared attachment
    // dedupes depends on where its first cut falls after the text, i.e. on the repository's
    // random chunker key; counting distinct chunks makes the check independent of it.)
    const distinct = new Set(saved.flatMap((s) => s.blobIds));
    let distinctBytes = 0;
    for (const id of distinct) distinctBytes += (await repo.loadData([id])).length;
    expect(fresh).toBe(distinctBytes);
    expect(distinct.size).toBeLessThan(saved.reduce((n, s) => n + s.blobIds.length, 0));
    expect(fresh).toBeLessThan(logical / 2);
    expect(fresh).toBeGreaterThanOrEqual(attachment.length + 12 * 30_000);
    const text = await writer.saveData(mailText(999, 500_000));
    expect(text.storedBytes).toBeLessThan(text.newBytes / 2);
    const noise = await writer.saveData(seededBytes(998, 500_000));
    // Incompressible: stored raw, so only header, nonce and tag per chunk are added.
    expect(noise.storedBytes).toBeLessThanOrEqual(noise.newBytes + noise.blobIds.length * 29);
    await writer.close();
    for (const [i, s] of saved.entries())
      expect(digest(await repo.loadData(s.blobIds))).toBe(digest(items[i]!));
    expect((await repo.verify({ readData: true })).problems).toEqual([]);
    await repo.close();
  });

  it("leaves the caller's buffer intact unless told to take it over", async () => {
    const { destination, inline, pooled } = await pair();
    const writer = await pooled.startWriter();
    const kept = mailText(11, 200_000);
    const before = digest(kept);
    const a = await writer.saveData(kept);
    expect(kept.length).toBe(200_000);
    expect(digest(kept)).toBe(before);
    // A view into a larger buffer is copied even with transfer: its neighbours are not ours.
    const backing = seededBytes(12, 400_000);
    const view = backing.subarray(100_000, 300_000);
    const viewDigest = digest(view);
    await writer.saveData(view, { transfer: true });
    expect(backing.length).toBe(400_000);
    expect(digest(view)).toBe(viewDigest);
    const handed = mailText(13, 200_000);
    const handedDigest = digest(handed);
    const b = await writer.saveData(handed, { transfer: true });
    expect(handed.length).toBe(0); // moved to the worker
    await writer.close();
    await pooled.close();
    await inline.close();
    const reader = await openRepository({ destination, password: PASSWORD, workers: 0 });
    expect(digest(await reader.loadData(a.blobIds))).toBe(before);
    expect(digest(await reader.loadData(b.blobIds))).toBe(handedDigest);
    await reader.close();
  });

  it("copies Buffers it may not move: pooled, views of other memory, marked untransferable", async () => {
    // Node 24 marks the ArrayBuffer behind Buffer's allocation pool untransferable; moving any of
    // these would throw DataCloneError (or, on older Node, detach memory the caller still uses).
    const { destination, inline, pooled } = await pair();
    const writer = await pooled.startWriter();
    const neighbour = Buffer.from("a small pooled neighbour");
    const neighbourText = neighbour.toString();
    const big = Buffer.from(mailText(31, 60_000));
    const view = big.subarray(10_000, 50_000); // a Buffer view: Buffer#slice would share memory
    const marked = new Uint8Array(40_000).fill(7);
    markAsUntransferable(marked.buffer);
    const whole = Buffer.from(mailText(32, 30_000)); // allocated on its own: may move
    const inputs: Uint8Array[] = [view, marked, Buffer.from(mailText(33, 9_000)), whole];
    const digests = inputs.map(digest);
    const saved = await Promise.all(inputs.map((input) => writer.saveData(input, { transfer: true })));
    expect(neighbour.toString()).toBe(neighbourText);
    expect(digest(view)).toBe(digests[0]);
    expect(digest(marked)).toBe(digests[1]);
    await writer.close();
    await pooled.close();
    await inline.close();
    const reader = await openRepository({ destination, password: PASSWORD, workers: 0 });
    for (const [i, s] of saved.entries()) expect(digest(await reader.loadData(s.blobIds))).toBe(digests[i]);
    await reader.close();
  });

  it("fails a save with a stable code when the repository closes under it", async () => {
    const { inline, pooled } = await pair();
    const writer = await pooled.startWriter();
    const pending = writer.saveData(seededBytes(21, 3_000_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    await pooled.close();
    const error = await pending;
    expect(isEwsVaultError(error, "REPO_CLOSED") || isEwsVaultError(error, "REPO_WRITER_CLOSED")).toBe(true);
    await inline.close();
  });
});
