// Pack buffers are reused (pack.ts, writer.ts): a builder writes over whatever a reused buffer
// held, grows it when a pack outgrows it, and a writer hands an uploaded pack's buffer to a later
// pack. These tests prove the bytes of every pack stay exactly what they would be in a fresh
// buffer, and that data written through many reused buffers reads back byte for byte.
import { createMemoryDestination } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { blobId, sealBlob } from "../src/blob.js";
import { deriveRepositoryKeys } from "../src/crypto/index.js";
import { PackBuilder, parsePack } from "../src/pack.js";
import { createDeterministicSealer } from "../src/sealer.js";
import { concat, digest, mailText, names, newRepository, SMALL_CHUNKS, seededBytes } from "./helpers.js";

const keys = deriveRepositoryKeys(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));

/** The same blobs, sealed with the same nonces, packed by `builder`. */
function packWith(builder: PackBuilder) {
  const sealer = createDeterministicSealer(keys.dataKey, 7);
  for (let i = 0; i < 20; i++) {
    const plain = i % 2 === 0 ? mailText(i, 3000 + i * 700) : seededBytes(i, 5000 + i * 300);
    const id = blobId(keys.idKey, "data", plain);
    builder.add("data", id, sealBlob(sealer, "data", id, plain), plain.length);
  }
  return { sealer, finished: builder.finish(sealer) };
}

describe("pack buffers", () => {
  it("a reused, dirty or too small buffer gives the same pack bytes and id as a fresh one", () => {
    const fresh = packWith(new PackBuilder()).finished;
    const dirty = new Uint8Array(fresh.bytes.length + 100).fill(0xa5);
    const reused = packWith(new PackBuilder(dirty)).finished;
    const tooSmall = packWith(new PackBuilder(new Uint8Array(10).fill(1))).finished;
    for (const other of [reused, tooSmall]) {
      expect(Buffer.from(other.bytes).equals(Buffer.from(fresh.bytes))).toBe(true);
      expect(other.id).toBe(fresh.id);
      expect(other.entries).toEqual(fresh.entries);
    }
    // the dirty buffer was written in place, not copied
    expect(reused.buffer).toBe(dirty);
    const { sealer } = packWith(new PackBuilder());
    expect(parsePack(reused.bytes, sealer, "reused")).toEqual(fresh.entries);
  });

  it("a writer reusing pack buffers over many packs stores everything byte for byte", async () => {
    const destination = createMemoryDestination();
    const { repo } = await newRepository({ destination, packSize: 16 * 1024, chunkerParams: SMALL_CHUNKS });
    const writer = await repo.startWriter();
    const inputs = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0 ? seededBytes(100 + i, 20_000 + i * 500) : concat(mailText(i, 9000), seededBytes(i, 4000)),
    );
    // Sequential, so uploads finish and their buffers come back while later packs are built.
    const saved = [];
    for (const input of inputs) saved.push(await writer.saveData(input));
    await writer.close();
    const packs = await names(destination, "data/");
    expect(packs.length).toBeGreaterThan(10);
    for (const [i, s] of saved.entries())
      expect(digest(await repo.loadData(s.blobIds))).toBe(digest(inputs[i]!));
    const report = await repo.verify({ readData: true });
    expect(report.problems).toEqual([]);
    await repo.close();
  });
});
