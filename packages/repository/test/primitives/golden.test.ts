// Golden test vectors: the same numbers docs/repository-crypto.md publishes. If one of these
// changes, the on-disk format changed: bump its version and say so, never "fix" the vector.

import { createHash } from "node:crypto";
import { createMemoryDestination } from "@ewsvault/destination";
import { describe, expect, it } from "vitest";
import { createChunker, deriveGearTable } from "../../src/chunker/index.js";
import { compressBlob, decompressBlob } from "../../src/compress/index.js";
import {
  createAeadCipher,
  deriveRepositoryKeys,
  keyedBlobId,
  sealWithNonce,
} from "../../src/crypto/index.js";
import { buildEscrowKeyFile, generateEscrowKeyPair, recoverWithEscrow } from "../../src/keys/escrow-slots.js";
import { buildPasswordKeyFile, unlockWithPassword } from "../../src/keys/password-slots.js";
import { formatRecoveryCode } from "../../src/keys/recovery-code.js";
import { buildRecoveryKeyFile, recoverWithCode } from "../../src/keys/recovery-code-slots.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
/** Bytes start, start+1, ... (mod 256). */
const seq = (n: number, start = 0): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Golden chunker input: SHA-256("ewsvault/golden-chunker-data" || u32be(block)) for block = 0, 1, ... */
function goldenData(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block++) {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, block);
    const digest = createHash("sha256").update("ewsvault/golden-chunker-data").update(counter).digest();
    out.set(digest.subarray(0, Math.min(32, length - block * 32)), block * 32);
  }
  return out;
}

function cutOffsets(chunks: Uint8Array[]): number[] {
  let offset = 0;
  return chunks.map((c) => (offset += c.length));
}

const MASTER_KEY = seq(32); // 000102...1f

describe("golden vectors (docs/repository-crypto.md)", () => {
  it("V1: master key -> HKDF subkeys and a keyed blob id", () => {
    const keys = deriveRepositoryKeys(MASTER_KEY);
    expect(hex(keys.dataKey)).toBe("b8e4499de500f786b3a39614d8ee20739fdc29ee3c71371d5ed54df7855028ac");
    expect(hex(keys.idKey)).toBe("5baf9752e6e3754bfd8fe1666a6497b4dec005ebdaf550ba2e91e6fbeb4899d5");
    expect(hex(keys.chunkerKey)).toBe("c4dc5943ed5bd56229ee0e157cc6ce0f08e9f0548de3a02fd58d0ea33421a1b2");
    expect(keyedBlobId(keys.idKey, utf8("abc"))).toBe(
      "6c0682a4b65827a771fe7cbf7db528e31cc203379e67de040480d583458ba5c6",
    );
  });

  it("V2: key + nonce + plaintext + AAD -> sealed bytes, identical in node and noble", () => {
    const key = seq(32, 0x40);
    const nonce = seq(12, 0xa0);
    const plaintext = utf8("ewsvault golden plaintext");
    const aad = utf8("pack 0001");
    const expected =
      "a0a1a2a3a4a5a6a7a8a9aaab" +
      "b2f87549839ef05959082e92edd95ed69f7b94ae821be05596" +
      "d72e896a4b9392a46985174a7f3c81aa";
    expect(hex(sealWithNonce(key, nonce, plaintext, aad, "node"))).toBe(expected);
    expect(hex(sealWithNonce(key, nonce, plaintext, aad, "noble"))).toBe(expected);
    for (const impl of ["node", "noble"] as const) {
      expect(hex(createAeadCipher(key, impl).open(fromHex(expected), aad))).toBe(hex(plaintext));
    }
  });

  it("V3: gear tables", () => {
    const unkeyed = deriveGearTable();
    const bigEndian = new Uint8Array(1024);
    const view = new DataView(bigEndian.buffer);
    for (const [i, word] of unkeyed.entries()) view.setInt32(i * 4, word, false);
    expect(createHash("sha256").update(bigEndian).digest("hex")).toBe(
      "923c66faba38d9e05ccfe0c7b59897c64d09f37e23500720ce000dfbe81adbc3",
    );
    expect(Array.from(unkeyed.subarray(0, 4), (v) => (v >>> 0).toString(16))).toEqual([
      "2ef65684",
      "b3fe9027",
      "399e1136",
      "5a1e7728",
    ]);
    const keyed = deriveGearTable(deriveRepositoryKeys(MASTER_KEY).chunkerKey);
    expect(Array.from(keyed.subarray(0, 4), (v) => (v >>> 0).toString(16))).toEqual([
      "36e915ec",
      "9c5805c6",
      "abacf459",
      "a065b6b2",
    ]);
  });

  it("V4: fixed data -> chunk boundaries (default params, unkeyed and keyed; small params)", () => {
    const data = goldenData(1 << 20);
    expect(cutOffsets(createChunker().split(data))).toEqual([
      44476, 78212, 122637, 134251, 181769, 218829, 227358, 271261, 324353, 350390, 393122, 401600, 463234,
      499487, 509221, 522050, 559311, 596828, 630201, 666576, 716282, 758334, 792845, 844285, 872148, 927184,
      974049, 1008266, 1016633, 1048576,
    ]);
    const chunkerKey = deriveRepositoryKeys(MASTER_KEY).chunkerKey;
    expect(cutOffsets(createChunker(undefined, chunkerKey).split(data))).toEqual([
      35721, 70669, 109301, 146028, 166679, 217412, 243120, 281622, 311105, 320845, 353844, 395018, 419054,
      460914, 494314, 532812, 584862, 619098, 658866, 692216, 728511, 777809, 825489, 860094, 893196, 927529,
      962320, 997454, 1035899, 1048576,
    ]);
    expect(
      cutOffsets(
        createChunker({ minSize: 256, avgSize: 1024, maxSize: 4096 }).split(data.subarray(0, 16384)),
      ),
    ).toEqual([1204, 2400, 3717, 5332, 6600, 7644, 8727, 10517, 11952, 13040, 14280, 15743, 16384]);
  });

  it("V5: compression framing", () => {
    expect(hex(compressBlob(utf8("short")))).toBe(`00${hex(utf8("short"))}`);
    const brotli = fromHex("018b23000080aaaaaaeaff74e5f3950f7ce3db220207709f7aa54bec00d6f85c9fe35c0437");
    expect(new TextDecoder().decode(decompressBlob(brotli))).toBe("ewsvault ".repeat(8));
    // Header 2: one zstd frame (RFC 8878) with its content size. Encoder output may differ across
    // zstd versions, so the decoding and the header are pinned, not the encoder's bytes.
    const zstd = fromHex("0228b52ffd20487d0000486577737661756c74200100a4548e");
    expect(new TextDecoder().decode(decompressBlob(zstd))).toBe("ewsvault ".repeat(8));
    const written = compressBlob(utf8("ewsvault ".repeat(8)));
    expect(written[0]).toBe(2);
    expect(hex(written.subarray(1, 5))).toBe("28b52ffd");
    expect(new TextDecoder().decode(decompressBlob(written))).toBe("ewsvault ".repeat(8));
    const asBrotli = compressBlob(utf8("ewsvault ".repeat(8)), "brotli");
    expect(asBrotli[0]).toBe(1);
    expect(new TextDecoder().decode(decompressBlob(asBrotli))).toBe("ewsvault ".repeat(8));
  });

  it("V6: password + salt + params -> key file, which unlocks", async () => {
    const bytes = await buildPasswordKeyFile({
      masterKey: MASTER_KEY,
      password: "correct horse battery staple",
      kdf: { N: 1024, r: 8, p: 1 },
      keyId: "0123456789abcdef0123456789abcdef",
      createdAt: "2026-01-01T00:00:00.000Z",
      hostname: "backup-01",
      salt: seq(32, 0x10),
      nonce: seq(12, 0xc0),
    });
    expect(new TextDecoder().decode(bytes)).toBe(`{
  "version": 1,
  "kind": "password",
  "createdAt": "2026-01-01T00:00:00.000Z",
  "hostname": "backup-01",
  "kdf": {
    "name": "scrypt",
    "N": 1024,
    "r": 8,
    "p": 1,
    "salt": "EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8=",
    "check": "yYhFn3EVSh0="
  },
  "wrappedKey": "wMHCw8TFxsfIycrLN2xV4P/0MIqdceNfqovAJnsA2WoOxr+w3jJPlouX9ulRXhc6u2LdxOFZ7L72Z9f6"
}
`);
    const destination = createMemoryDestination();
    await destination.save("keys/0123456789abcdef0123456789abcdef", bytes);
    const unlocked = await unlockWithPassword(destination, "correct horse battery staple");
    expect(hex(unlocked.masterKey)).toBe(hex(MASTER_KEY));
  });

  it("V7: escrow key file (sealed box to an X25519 key), which the escrow private key opens", async () => {
    const escrowPrivateKey = seq(32, 0x50);
    const recipientPublicKey = fromHex("392d174a38b3b1beafaf1fe824870841c5fa531bc6eafdb6402c124664488c1c");
    const bytes = buildEscrowKeyFile({
      masterKey: MASTER_KEY,
      recipientPublicKey,
      keyId: "fedcba9876543210fedcba9876543210",
      createdAt: "2026-01-02T00:00:00.000Z",
      ephemeralPrivateKey: seq(32, 0x70),
      nonce: seq(12, 0xd0),
    });
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      version: 1,
      kind: "escrow",
      createdAt: "2026-01-02T00:00:00.000Z",
      escrow: {
        ephemeralPublicKey: "I7e7jJGuAIcR+xKEZ4C83x4GX4Ib3+xJ9X58fc1MSCM=",
        recipientPublicKey: "OS0XSjizsb6vrx/oJIcIQcX6UxvG6v22QCwSRmRIjBw=",
      },
      wrappedKey: "0NHS09TV1tfY2drb4eHALL4LQIClk8Q0vWk4hxdE+ua0NJszrutQH01z7PVuc+MalcvFybke1HqZauu/",
    });
    const destination = createMemoryDestination();
    await destination.save("keys/fedcba9876543210fedcba9876543210", bytes);
    expect(hex((await recoverWithEscrow(destination, escrowPrivateKey)).masterKey)).toBe(hex(MASTER_KEY));
    expect(generateEscrowKeyPair().publicKey).toHaveLength(32);
  });

  it("V8: recovery code and its key file", async () => {
    const entropy = seq(16, 0x90);
    expect(formatRecoveryCode(entropy)).toBe("J28S-54WM-JPB9-F64S-KADS-S7CY-KXB5-M16E");
    const bytes = buildRecoveryKeyFile({
      masterKey: MASTER_KEY,
      entropy,
      keyId: "00112233445566778899aabbccddeeff",
      createdAt: "2026-01-03T00:00:00.000Z",
      salt: seq(32, 0x30),
      nonce: seq(12, 0xe0),
    });
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      version: 1,
      kind: "recovery-code",
      createdAt: "2026-01-03T00:00:00.000Z",
      kdf: {
        name: "hkdf-sha256",
        salt: "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk8=",
        check: "T7nrDkAJd54=",
      },
      wrappedKey: "4OHi4+Tl5ufo6errhK3flAo2JItS2MqSSoqeXarmCOL1czG1I3e/ztoctQ+JZBNsOLJEbAMJ9KKyb8vF",
    });
    const destination = createMemoryDestination();
    await destination.save("keys/00112233445566778899aabbccddeeff", bytes);
    const recovered = await recoverWithCode(destination, "j28s 54wm jpb9 f64s kads s7cy kxb5 m16e");
    expect(hex(recovered.masterKey)).toBe(hex(MASTER_KEY));
  });
});
