import { randomBytes } from "node:crypto";
import { brotliCompressSync, constants } from "node:zlib";
import { describe, expect, it } from "vitest";
import { isEwsVaultError } from "../../../src/errors.js";
import {
  COMPRESSION,
  compressBlob,
  decompressBlob,
  looksIncompressible,
} from "../../../src/repository/compress/index.js";
import { createMailCorpus, encodeItem } from "./mail-corpus.js";

const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function expectCorrupt(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isEwsVaultError(thrown, "REPO_CORRUPT"), String(thrown)).toBe(true);
}

describe("blob compression", () => {
  it("compresses mail-like data with brotli and round-trips it", () => {
    const item = encodeItem(createMailCorpus(5, 20, 2).items.find((i) => i.attachments.length === 0)!);
    const text = new TextEncoder().encode(
      "Please review the attached quarterly report before Monday. ".repeat(2000),
    );
    for (const data of [item, text]) {
      const blob = compressBlob(data);
      expect(blob[0]).toBe(COMPRESSION.brotli);
      expect(blob.length).toBeLessThan(data.length * 0.5);
      expect(Buffer.from(decompressBlob(blob)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("stores incompressible and tiny data raw with header 0 and round-trips it", () => {
    for (const data of [rnd(0), rnd(1), rnd(63), rnd(5000), rnd(300_000)]) {
      const blob = compressBlob(data);
      expect(blob[0]).toBe(COMPRESSION.stored);
      expect(blob.length).toBe(data.length + 1);
      expect(Buffer.from(decompressBlob(blob)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("the entropy pre-check flags random data but not text or half-random data", () => {
    expect(looksIncompressible(rnd(64 * 1024))).toBe(true);
    expect(looksIncompressible(new TextEncoder().encode("mail body text ".repeat(5000)))).toBe(false);
    const half = new Uint8Array(64 * 1024);
    half.set(rnd(32 * 1024));
    expect(looksIncompressible(half)).toBe(false);
    const blob = compressBlob(half);
    expect(blob[0]).toBe(COMPRESSION.brotli);
    expect(Buffer.from(decompressBlob(blob)).equals(Buffer.from(half))).toBe(true);
    // Below 8 KiB brotli decides on its own.
    expect(looksIncompressible(rnd(4096))).toBe(false);
  });

  it("throws REPO_CORRUPT for empty blobs, unknown headers and undecodable payloads", () => {
    expectCorrupt(() => decompressBlob(new Uint8Array(0)));
    expectCorrupt(() => decompressBlob(Uint8Array.of(2, 1, 2, 3)));
    expectCorrupt(() => decompressBlob(Uint8Array.of(255)));
    // Fixed invalid streams: about 4% of random byte strings happen to be valid brotli.
    expectCorrupt(() =>
      decompressBlob(Uint8Array.of(COMPRESSION.brotli, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
    );
    expectCorrupt(() =>
      decompressBlob(Uint8Array.of(COMPRESSION.brotli, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef)),
    );
    expectCorrupt(() => decompressBlob(Uint8Array.of(COMPRESSION.brotli, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
    const good = compressBlob(new TextEncoder().encode("x".repeat(10_000)));
    expectCorrupt(() => decompressBlob(good.subarray(0, good.length - 2)));
  });

  it("enforces maxSize for stored and compressed blobs (a decompression bomb fails fast)", () => {
    const data = new Uint8Array(100_000).fill(65);
    const blob = compressBlob(data);
    expect(decompressBlob(blob, 100_000)).toHaveLength(100_000);
    expectCorrupt(() => decompressBlob(blob, 99_999));
    const raw = compressBlob(rnd(1000));
    expect(decompressBlob(raw, 1000)).toHaveLength(1000);
    expectCorrupt(() => decompressBlob(raw, 999));
    // 65 MiB of zeros, just over the default 64 MiB ceiling, in a few KiB.
    const bombPayload = brotliCompressSync(new Uint8Array(65 * 1024 * 1024), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 1 },
    });
    const bomb = new Uint8Array(bombPayload.length + 1);
    bomb[0] = COMPRESSION.brotli;
    bomb.set(bombPayload, 1);
    expect(bomb.length).toBeLessThan(200_000);
    expectCorrupt(() => decompressBlob(bomb));
  });

  it("rejects programmer mistakes with TypeError", () => {
    expect(() => compressBlob("text" as never)).toThrow(TypeError);
    expect(() => decompressBlob(Uint8Array.of(0), -1)).toThrow(TypeError);
  });
});

describe("looksIncompressible in a worker", () => {
  it("is self-contained: its source text, evaluated alone, decides the same", () => {
    const copy = new Function(`return (${looksIncompressible.toString()});`)() as (d: Uint8Array) => boolean;
    const inputs = [
      rnd(64 * 1024),
      rnd(100),
      new TextEncoder().encode("mail body text ".repeat(5000)),
      new Uint8Array(50_000),
    ];
    for (const input of inputs) expect(copy(input)).toBe(looksIncompressible(input));
    expect(copy(inputs[0]!)).toBe(true);
  });
});
