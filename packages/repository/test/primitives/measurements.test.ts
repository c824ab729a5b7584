// Prints throughput of the primitives on this machine (the full report is
// benchmarks/chunker/primitives.ts). Assertions are loose on purpose: CI machines are shared
// and noisy; what must hold everywhere is the ordering (native AES far ahead of the portable
// one) and that keying the chunker costs next to nothing.

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createChunker, DEFAULT_CHUNKER_PARAMS } from "../../src/chunker/index.js";
import { compressBlob } from "../../src/compress/index.js";
import { createAeadCipher, randomKey } from "../../src/crypto/index.js";
import { syntheticExports } from "./mail-corpus.js";
import { bestOf } from "./measure-primitives.js";

const MiB = 1024 * 1024;

describe("measured throughput (MiB per CPU-second, printed)", () => {
  it("chunker keyed vs unkeyed, AES-GCM node vs noble, compression", () => {
    const data = new Uint8Array(randomBytes(16 * MiB));
    const unkeyed = createChunker(DEFAULT_CHUNKER_PARAMS);
    const keyed = createChunker(DEFAULT_CHUNKER_PARAMS, randomKey());
    let u = 0;
    let k = 0;
    for (let r = 0; r < 5; r++) {
      u = Math.max(
        u,
        bestOf(1, data.length, () => unkeyed.split(data)),
      );
      k = Math.max(
        k,
        bestOf(1, data.length, () => keyed.split(data)),
      );
    }
    const cipherKey = randomKey();
    const node = createAeadCipher(cipherKey, "node");
    const noble = createAeadCipher(cipherKey, "noble");
    const blob = data.subarray(0, 32 * 1024);
    const nodeSeal = bestOf(3, 256 * blob.length, () => {
      for (let i = 0; i < 256; i++) node.seal(blob);
    });
    const nobleSeal = bestOf(3, 16 * blob.length, () => {
      for (let i = 0; i < 16; i++) noble.seal(blob);
    });
    const mail = syntheticExports(11, 40).exports;
    const mailBytes = mail.reduce((n, b) => n + b.length, 0);
    let compressed = 0;
    const compress = bestOf(2, mailBytes, () => {
      compressed = 0;
      for (const item of mail)
        for (const chunk of unkeyed.split(item)) compressed += compressBlob(chunk).length;
    });
    const rows = {
      "chunker unkeyed": u,
      "chunker keyed": k,
      "AES-256-GCM seal node (32 KiB)": nodeSeal,
      "AES-256-GCM seal noble (32 KiB)": nobleSeal,
      "compressBlob on mail chunks": compress,
    };
    console.log(
      Object.entries(rows)
        .map(([name, v]) => `${name}: ${v.toFixed(0)} MiB per CPU-second`)
        .join("\n"),
      `\ncompressed mail to ${((100 * compressed) / mailBytes).toFixed(1)}%`,
    );
    expect(u).toBeGreaterThan(20);
    expect(k).toBeGreaterThan(u / 3);
    expect(nodeSeal).toBeGreaterThan(nobleSeal);
    expect(compressed).toBeLessThan(mailBytes);
  });
});
