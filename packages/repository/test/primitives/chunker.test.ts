import { createCipheriv, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ChunkerParams,
  createChunker,
  DEFAULT_CHUNKER_PARAMS,
  deriveGearTable,
} from "../../src/chunker/index.js";
import { concatBytes } from "../../src/format.js";
import { createMailCorpus, encodeItem } from "./mail-corpus.js";

/**
 * Deterministic pseudo-random bytes (an AES-CTR keystream of a counter seed), so that the
 * statistical properties below are checked on fixed inputs and cannot flake: content-defined
 * resynchronisation has a long tail (a 5 KB insertion occasionally costs 7 chunks).
 */
function rnd(n: number, seed: string): Uint8Array {
  const key = createHash("sha256").update(`chunker-test/${seed}`).digest().subarray(0, 16);
  return new Uint8Array(createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(n)));
}
const SMALL: ChunkerParams = { minSize: 256, avgSize: 1024, maxSize: 4096 };
const digest = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function checkInvariants(chunks: Uint8Array[], data: Uint8Array, params: ChunkerParams): void {
  expect(Buffer.from(concatBytes(chunks)).equals(Buffer.from(data))).toBe(true);
  const problems: string[] = [];
  chunks.forEach((chunk, index) => {
    if (chunk.length > params.maxSize || chunk.length === 0)
      problems.push(`#${index}: ${chunk.length} bytes`);
    if (index < chunks.length - 1 && chunk.length < params.minSize) problems.push(`#${index} below min`);
    // subarrays of the input, never copies
    if (chunk.buffer !== data.buffer) problems.push(`#${index} is a copy`);
  });
  expect(problems).toEqual([]);
}

describe("content-defined chunker", () => {
  it("concatenation equals the input and sizes stay within [min, max] for many sizes and params", () => {
    for (const params of [SMALL, DEFAULT_CHUNKER_PARAMS, { minSize: 64, avgSize: 128, maxSize: 192 }]) {
      const chunker = createChunker(params);
      for (const size of [
        0,
        1,
        params.minSize - 1,
        params.minSize,
        params.minSize + 1,
        params.maxSize + 1,
        1_000_003,
      ]) {
        const data = rnd(size, "s1");
        checkInvariants(chunker.split(data), data, params);
      }
    }
  });

  it("keeps data up to minSize whole and yields nothing for empty input", () => {
    const chunker = createChunker();
    expect(chunker.split(new Uint8Array(0))).toEqual([]);
    const small = rnd(DEFAULT_CHUNKER_PARAMS.minSize, "s2");
    expect(chunker.split(small)).toHaveLength(1);
    expect(chunker.split(rnd(100, "s3"))).toHaveLength(1);
  });

  it("forces a cut at maxSize on data without natural boundaries", () => {
    const zeros = new Uint8Array(1_000_000);
    const chunks = createChunker(SMALL).split(zeros);
    checkInvariants(chunks, zeros, SMALL);
    // Constant input makes the gear hash periodic; whatever it does, no chunk may exceed max.
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(zeros.length / SMALL.maxSize));
  });

  it("is deterministic and averages near avgSize on random data", () => {
    const data = rnd(8 * 1024 * 1024, "s4");
    const a = createChunker()
      .split(data)
      .map((c) => c.length);
    const b = createChunker()
      .split(data)
      .map((c) => c.length);
    expect(a).toEqual(b);
    const mean = data.length / a.length;
    // Normalized chunking puts the mean a little above avgSize (the min region is never cut).
    expect(mean).toBeGreaterThan(DEFAULT_CHUNKER_PARAMS.avgSize * 0.8);
    expect(mean).toBeLessThan(DEFAULT_CHUNKER_PARAMS.avgSize * 1.6);
    // Normalized chunking: forced cuts at maxSize are rare (expected about e^-12 per chunk) and
    // most chunks fall within a factor of two of avgSize.
    const forced = a.slice(0, -1).filter((n) => n === DEFAULT_CHUNKER_PARAMS.maxSize).length;
    expect(forced / a.length).toBeLessThan(0.01);
    const near = a.filter(
      (n) => n >= DEFAULT_CHUNKER_PARAMS.avgSize / 2 && n <= DEFAULT_CHUNKER_PARAMS.avgSize * 2,
    );
    expect(near.length / a.length).toBeGreaterThan(0.75);
  });

  it("resists shifts: bytes inserted at the front change only the first chunk(s)", () => {
    const chunker = createChunker();
    const data = rnd(4 * 1024 * 1024, "s5");
    const beforeChunks = chunker.split(data);
    const before = beforeChunks.map(digest);
    for (const inserted of [1, 7, 100, 5000, 70_000]) {
      const shifted = new Uint8Array(inserted + data.length);
      shifted.set(rnd(inserted, "s6"), 0);
      shifted.set(data, inserted);
      const afterChunks = chunker.split(shifted);
      const after = new Set(afterChunks.map(digest));
      const known = new Set(before);
      const freshBytes = afterChunks.filter((c) => !known.has(digest(c))).reduce((n, c) => n + c.length, 0);
      const lost = before.filter((id) => !after.has(id)).length;
      // Cuts resynchronise within a few chunks of the edit (over 100 random trials: always 1 for
      // a 1-byte insertion, 1-3 chunks typically and at most 7 for 5 KB and 70 KB insertions);
      // everything past the first MiB is shared.
      expect(lost, `inserted ${inserted}`).toBeLessThanOrEqual(8);
      expect(freshBytes).toBeLessThan(inserted + 8 * DEFAULT_CHUNKER_PARAMS.maxSize);
      let offset = 0;
      for (const [index, chunk] of beforeChunks.entries()) {
        if (offset > 1024 * 1024) expect(after.has(before[index]!)).toBe(true);
        offset += chunk.length;
      }
      if (inserted < DEFAULT_CHUNKER_PARAMS.minSize) expect(lost).toBeLessThanOrEqual(3);
    }
  });

  it("finds a shared attachment again at a different offset in another item", () => {
    const chunker = createChunker();
    const attachment = rnd(1024 * 1024, "s7");
    const itemA = concatBytes([rnd(3000, "s8"), attachment, rnd(500, "s9")]);
    const itemB = concatBytes([rnd(41_000, "s10"), attachment, rnd(9000, "s11")]);
    const a = new Set(chunker.split(itemA).map(digest));
    const shared = chunker.split(itemB).filter((c) => a.has(digest(c)));
    const sharedBytes = shared.reduce((n, c) => n + c.length, 0);
    // All of the attachment except its first and last chunk or so.
    expect(sharedBytes).toBeGreaterThan(attachment.length - 3 * DEFAULT_CHUNKER_PARAMS.maxSize);
  });

  it("a keyed chunker cuts elsewhere than the unkeyed one and keeps every invariant", () => {
    const data = rnd(2 * 1024 * 1024, "s12");
    const key = rnd(32, "s13");
    const keyed = createChunker(DEFAULT_CHUNKER_PARAMS, key);
    const unkeyed = createChunker(DEFAULT_CHUNKER_PARAMS);
    const k = keyed.split(data);
    checkInvariants(k, data, DEFAULT_CHUNKER_PARAMS);
    expect(k.map((c) => c.length)).not.toEqual(unkeyed.split(data).map((c) => c.length));
    expect(
      createChunker(DEFAULT_CHUNKER_PARAMS, Uint8Array.from(key))
        .split(data)
        .map((c) => c.length),
    ).toEqual(k.map((c) => c.length));
    expect(Array.from(deriveGearTable(key))).not.toEqual(Array.from(deriveGearTable()));
  });

  it("splits the mail corpus: small items whole, large items in pieces", () => {
    const chunker = createChunker();
    const corpus = createMailCorpus(3, 60, 6);
    for (const item of corpus.items) {
      const bytes = encodeItem(item);
      const chunks = chunker.split(bytes);
      checkInvariants(chunks, bytes, DEFAULT_CHUNKER_PARAMS);
      if (bytes.length <= DEFAULT_CHUNKER_PARAMS.minSize) expect(chunks).toHaveLength(1);
      if (bytes.length > DEFAULT_CHUNKER_PARAMS.maxSize) expect(chunks.length).toBeGreaterThan(1);
    }
  });

  it("rejects invalid params and inputs with TypeError", () => {
    expect(() => createChunker({ minSize: 1024, avgSize: 1000, maxSize: 4096 })).toThrow(TypeError);
    expect(() => createChunker({ minSize: 4096, avgSize: 2048, maxSize: 8192 })).toThrow(TypeError);
    expect(() => createChunker({ minSize: 16, avgSize: 64, maxSize: 128 })).toThrow(TypeError);
    expect(() => createChunker({ minSize: 1024, avgSize: 2048, maxSize: 2048 })).toThrow(TypeError);
    expect(() => createChunker(DEFAULT_CHUNKER_PARAMS, new Uint8Array(4))).toThrow(TypeError);
    expect(() => createChunker().split("text" as never)).toThrow(TypeError);
  });
});
