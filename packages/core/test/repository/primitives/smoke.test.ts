import { describe, expect, it } from "vitest";
import { compressBlob, decompressBlob } from "../../../src/repository/compress/index.js";
import { createChunker } from "../../../src/repository/chunker/index.js";
import {
  createAeadCipher,
  deriveRepositoryKeys,
  keyedBlobId,
  randomKey,
} from "../../../src/repository/crypto/index.js";
import {
  addEscrow,
  createRecoveryCode,
  generateEscrowKeyPair,
  initKeys,
  recoverWithCode,
  recoverWithEscrow,
  unlockWithPassword,
} from "../../../src/repository/keys/index.js";
import { createMapDestination } from "./map-destination.js";

const kdf = { N: 1024, r: 8, p: 1 };

describe("primitives smoke", () => {
  it("seal/open, chunk, compress, keys round trip", async () => {
    const key = randomKey();
    const data = new TextEncoder().encode("hello ".repeat(50000));
    const sealed = createAeadCipher(key).seal(data);
    expect(createAeadCipher(key, "noble").open(sealed)).toEqual(data);
    const chunks = createChunker().split(data);
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
    expect(decompressBlob(compressBlob(data))).toEqual(data);
    const keys = deriveRepositoryKeys(key);
    expect(keyedBlobId(keys.idKey, data)).toMatch(/^[0-9a-f]{64}$/);
    const dest = createMapDestination();
    const unlocked = await initKeys(dest, "pw", { kdf });
    expect((await unlockWithPassword(dest, "pw")).masterKey).toEqual(unlocked.masterKey);
    const pair = generateEscrowKeyPair();
    await addEscrow(dest, unlocked.masterKey, pair.publicKey);
    expect((await recoverWithEscrow(dest, pair.privateKey)).masterKey).toEqual(unlocked.masterKey);
    const { code } = await createRecoveryCode(dest, unlocked.masterKey);
    expect((await recoverWithCode(dest, code.toLowerCase())).masterKey).toEqual(unlocked.masterKey);
  });
});
