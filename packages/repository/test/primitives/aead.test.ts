import { randomBytes } from "node:crypto";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import {
  createAeadCipher,
  KEY_BYTES,
  NONCE_BYTES,
  SEAL_OVERHEAD,
  sealWithNonce,
} from "../../src/crypto/index.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function expectAuthFailed(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(isEwsVaultError(thrown, "CRYPTO_AUTH_FAILED"), String(thrown)).toBe(true);
}

describe("AES-256-GCM", () => {
  it("matches the published GCM test vectors (McGrew & Viega test cases 13 and 14) in both implementations", () => {
    const key = new Uint8Array(32);
    const nonce = new Uint8Array(12);
    for (const impl of ["node", "noble"] as const) {
      expect(hex(sealWithNonce(key, nonce, new Uint8Array(0), undefined, impl))).toBe(
        `${"00".repeat(12)}530f8afbc74536b9a963b4f1c4cb738b`,
      );
      expect(hex(sealWithNonce(key, nonce, new Uint8Array(16), undefined, impl))).toBe(
        `${"00".repeat(12)}cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919`,
      );
    }
  });

  it("node and noble produce identical bytes for the same key, nonce, plaintext and AAD", () => {
    for (const size of [0, 1, 15, 16, 17, 255, 4096, 65_537]) {
      for (const aadSize of [0, 1, 13, 64]) {
        const key = rnd(KEY_BYTES);
        const nonce = rnd(NONCE_BYTES);
        const plaintext = rnd(size);
        const aad = rnd(aadSize);
        const a = sealWithNonce(key, nonce, plaintext, aad, "node");
        const b = sealWithNonce(key, nonce, plaintext, aad, "noble");
        expect(hex(a)).toBe(hex(b));
        expect(a.length).toBe(size + SEAL_OVERHEAD);
      }
    }
  });

  it("cross-opens: node seals and noble opens, and vice versa, with and without AAD", () => {
    const key = rnd(KEY_BYTES);
    const node = createAeadCipher(key, "node");
    const noble = createAeadCipher(key);
    expect(noble.implementation).toBe("node");
    const nobleCipher = createAeadCipher(key, "noble");
    expect(nobleCipher.implementation).toBe("noble");
    for (const size of [0, 1, 100, 70_000]) {
      const plaintext = rnd(size);
      const aad = rnd(20);
      expect(hex(nobleCipher.open(node.seal(plaintext, aad), aad))).toBe(hex(plaintext));
      expect(hex(node.open(nobleCipher.seal(plaintext, aad), aad))).toBe(hex(plaintext));
      expect(hex(nobleCipher.open(node.seal(plaintext)))).toBe(hex(plaintext));
      expect(hex(node.open(nobleCipher.seal(plaintext)))).toBe(hex(plaintext));
    }
    void noble;
  });

  it("uses a fresh nonce for every seal", () => {
    const cipher = createAeadCipher(rnd(KEY_BYTES));
    const nonces = new Set<string>();
    const plaintext = new Uint8Array(8);
    for (let i = 0; i < 2000; i++) nonces.add(hex(cipher.seal(plaintext).subarray(0, NONCE_BYTES)));
    expect(nonces.size).toBe(2000);
  });

  it("detects a flipped bit at every byte position, in both implementations", () => {
    const key = rnd(KEY_BYTES);
    const aad = new TextEncoder().encode("aad");
    for (const impl of ["node", "noble"] as const) {
      const cipher = createAeadCipher(key, impl);
      const sealed = cipher.seal(new TextEncoder().encode("a small secret blob"), aad);
      expect(new TextDecoder().decode(cipher.open(sealed, aad))).toBe("a small secret blob");
      for (let position = 0; position < sealed.length; position++) {
        for (const bit of [0x01, 0x80]) {
          const tampered = Uint8Array.from(sealed);
          tampered[position]! ^= bit;
          expectAuthFailed(() => cipher.open(tampered, aad));
        }
      }
    }
  });

  it("detects truncation, extension, wrong key and wrong or missing AAD", () => {
    const key = rnd(KEY_BYTES);
    const aad = new TextEncoder().encode("pack 1");
    for (const impl of ["node", "noble"] as const) {
      const cipher = createAeadCipher(key, impl);
      const sealed = cipher.seal(rnd(40), aad);
      for (let length = 0; length < sealed.length; length++) {
        expectAuthFailed(() => cipher.open(sealed.subarray(0, length), aad));
      }
      const extended = new Uint8Array(sealed.length + 1);
      extended.set(sealed);
      expectAuthFailed(() => cipher.open(extended, aad));
      expectAuthFailed(() => createAeadCipher(rnd(KEY_BYTES), impl).open(sealed, aad));
      expectAuthFailed(() => cipher.open(sealed, new TextEncoder().encode("pack 2")));
      expectAuthFailed(() => cipher.open(sealed));
    }
  });

  it("keeps its own copy of the key", () => {
    const key = rnd(KEY_BYTES);
    const cipher = createAeadCipher(key);
    const sealed = cipher.seal(fromHex("00ff"));
    key.fill(0);
    expect(hex(cipher.open(sealed))).toBe("00ff");
  });

  it("rejects programmer mistakes with TypeError", () => {
    expect(() => createAeadCipher(new Uint8Array(16))).toThrow(TypeError);
    expect(() => createAeadCipher(rnd(32), "webcrypto" as never)).toThrow(TypeError);
    expect(() => sealWithNonce(rnd(32), new Uint8Array(8), new Uint8Array(1))).toThrow(TypeError);
  });
});
