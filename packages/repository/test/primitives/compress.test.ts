import { randomBytes } from "node:crypto";
import { brotliCompressSync, constants, createZstdCompress, zstdCompressSync } from "node:zlib";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { COMPRESSION, compressBlob, decompressBlob, looksIncompressible } from "../../src/compress/index.js";
import { readZstdFrameHeader } from "../../src/compress/zstd-frame.js";
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
  it("compresses mail-like data with zstd by default, brotli on request, and round-trips both", () => {
    const item = encodeItem(createMailCorpus(5, 20, 2).items.find((i) => i.attachments.length === 0)!);
    const text = new TextEncoder().encode(
      "Please review the attached quarterly report before Monday. ".repeat(2000),
    );
    for (const data of [item, text]) {
      for (const [method, header] of [
        [undefined, COMPRESSION.zstd],
        ["zstd", COMPRESSION.zstd],
        ["brotli", COMPRESSION.brotli],
      ] as const) {
        const blob = compressBlob(data, method);
        expect(blob[0]).toBe(header);
        expect(blob.length).toBeLessThan(data.length * 0.5);
        expect(Buffer.from(decompressBlob(blob)).equals(Buffer.from(data))).toBe(true);
      }
    }
  });

  it("stores incompressible and tiny data raw with header 0 and round-trips it", () => {
    for (const data of [rnd(0), rnd(1), rnd(63), rnd(5000), rnd(300_000)]) {
      for (const method of ["zstd", "brotli"] as const) {
        const blob = compressBlob(data, method);
        expect(blob[0]).toBe(COMPRESSION.stored);
        expect(blob.length).toBe(data.length + 1);
        expect(Buffer.from(decompressBlob(blob)).equals(Buffer.from(data))).toBe(true);
      }
    }
  });

  it("the entropy pre-check flags random data but not text or half-random data", () => {
    expect(looksIncompressible(rnd(64 * 1024))).toBe(true);
    expect(looksIncompressible(new TextEncoder().encode("mail body text ".repeat(5000)))).toBe(false);
    const half = new Uint8Array(64 * 1024);
    half.set(rnd(32 * 1024));
    expect(looksIncompressible(half)).toBe(false);
    const blob = compressBlob(half);
    expect(blob[0]).toBe(COMPRESSION.zstd);
    expect(Buffer.from(decompressBlob(blob)).equals(Buffer.from(half))).toBe(true);
    // Below 8 KiB the codec decides on its own.
    expect(looksIncompressible(rnd(4096))).toBe(false);
  });

  it("throws REPO_CORRUPT for empty blobs, unknown headers and undecodable payloads", () => {
    expectCorrupt(() => decompressBlob(new Uint8Array(0)));
    expectCorrupt(() => decompressBlob(Uint8Array.of(3, 1, 2, 3)));
    expectCorrupt(() => decompressBlob(Uint8Array.of(COMPRESSION.zstd, 1, 2, 3)));
    expectCorrupt(() => decompressBlob(Uint8Array.of(COMPRESSION.zstd)));
    // A zstd magic with garbage after it, and a skippable frame (valid zstd, but not a blob).
    expectCorrupt(() =>
      decompressBlob(Uint8Array.of(COMPRESSION.zstd, 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xff, 0xff, 0xff, 0xff)),
    );
    expectCorrupt(() => decompressBlob(Uint8Array.of(COMPRESSION.zstd, 0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0)));
    expectCorrupt(() => decompressBlob(Uint8Array.of(255)));
    // Fixed invalid streams: about 4% of random byte strings happen to be valid brotli.
    expectCorrupt(() =>
      decompressBlob(Uint8Array.of(COMPRESSION.brotli, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
    );
    expectCorrupt(() =>
      decompressBlob(Uint8Array.of(COMPRESSION.brotli, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef)),
    );
    expectCorrupt(() => decompressBlob(Uint8Array.of(COMPRESSION.brotli, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)));
    for (const method of ["zstd", "brotli"] as const) {
      const good = compressBlob(new TextEncoder().encode("x".repeat(10_000)), method);
      expect(good[0]).toBe(COMPRESSION[method]);
      expectCorrupt(() => decompressBlob(good.subarray(0, good.length - 2)));
    }
  });

  it("enforces maxSize for stored and compressed blobs (a decompression bomb fails fast)", () => {
    const data = new Uint8Array(100_000).fill(65);
    for (const method of ["zstd", "brotli"] as const) {
      const blob = compressBlob(data, method);
      expect(blob[0]).toBe(COMPRESSION[method]);
      expect(decompressBlob(blob, 100_000)).toHaveLength(100_000);
      expectCorrupt(() => decompressBlob(blob, 99_999));
    }
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

  it("refuses a zstd bomb: a frame that claims more than maxSize, and one that only produces more", async () => {
    const zstdBlob = (frame: Uint8Array): Uint8Array => {
      const blob = new Uint8Array(frame.length + 1);
      blob[0] = COMPRESSION.zstd;
      blob.set(frame, 1);
      return blob;
    };
    // One-shot: the frame header carries the content size, 65 MiB, over the default 64 MiB.
    const claiming = zstdBlob(zstdCompressSync(new Uint8Array(65 * 1024 * 1024)));
    expect(claiming.length).toBeLessThan(200_000);
    expect(readZstdFrameHeader(claiming.subarray(1))?.contentSize).toBe(65 * 1024 * 1024);
    expectCorrupt(() => decompressBlob(claiming));
    // The same 1 MiB frame read with a ceiling of 1 MiB - 1 is refused from its header alone.
    const small = zstdBlob(zstdCompressSync(new Uint8Array(1024 * 1024)));
    expect(decompressBlob(small, 1024 * 1024)).toHaveLength(1024 * 1024);
    expectCorrupt(() => decompressBlob(small, 1024 * 1024 - 1));
    // Streamed: the frame does not say its size, so only the output ceiling can stop it.
    const streamed = await new Promise<Uint8Array>((resolve, reject) => {
      const parts: Buffer[] = [];
      const z = createZstdCompress();
      z.on("data", (d: Buffer) => parts.push(d));
      z.on("end", () => resolve(new Uint8Array(Buffer.concat(parts))));
      z.on("error", reject);
      for (let i = 0; i < 65; i++) z.write(Buffer.alloc(1024 * 1024));
      z.end();
    });
    expect(readZstdFrameHeader(streamed)?.contentSize).toBeUndefined();
    const unsized = zstdBlob(streamed);
    expect(unsized.length).toBeLessThan(200_000);
    expectCorrupt(() => decompressBlob(unsized));
    expect(decompressBlob(unsized, 65 * 1024 * 1024)).toHaveLength(65 * 1024 * 1024);
  });

  it("reads zstd frame headers: every content-size field width, and rejects what is not a frame", () => {
    for (const size of [0, 1, 255, 256, 65_791, 65_792, 5_000_000]) {
      const frame = zstdCompressSync(new Uint8Array(size));
      expect(readZstdFrameHeader(frame)?.contentSize).toBe(size);
    }
    // Hand-made header: 8-byte content size field (flag 3), single segment, 2^40 bytes.
    const huge = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 0, 1, 0, 0);
    expect(readZstdFrameHeader(huge)?.contentSize).toBe(2 ** 40);
    expectCorrupt(() => decompressBlob(Uint8Array.of(COMPRESSION.zstd, ...huge)));
    expect(readZstdFrameHeader(huge.subarray(0, 10))).toBeUndefined(); // truncated
    expect(readZstdFrameHeader(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x08))).toBeUndefined(); // reserved bit
    expect(readZstdFrameHeader(Uint8Array.of(1, 2, 3, 4, 5, 6))).toBeUndefined();
  });

  it("rejects programmer mistakes with TypeError", () => {
    expect(() => compressBlob("text" as never)).toThrow(TypeError);
    expect(() => compressBlob(Uint8Array.of(1), "lz4" as never)).toThrow(TypeError);
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
