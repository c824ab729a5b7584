import { createMemoryDestination, type Destination } from "@ewsvault/destination";
import { type ErrorCode, isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import {
  addEscrow,
  addPassword,
  changePassword,
  createRecoveryCode,
  generateEscrowKeyPair,
  initKeys,
  type KdfParams,
  listKeys,
  recoverWithCode,
  recoverWithEscrow,
  removeKey,
  unlockWithPassword,
} from "../../src/keys/index.js";
import { parseRecoveryCode } from "../../src/keys/recovery-code.js";

/** Small scrypt cost so the suite stays fast; the default is measured in the benchmark. */
const kdf: KdfParams = { N: 1024, r: 8, p: 1 };
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<unknown> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(isEwsVaultError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
  return thrown;
}

async function keyFiles(
  destination: ReturnType<typeof createMemoryDestination>,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const info of destination.list("keys/")) {
    files.set(info.name, new TextDecoder().decode(await destination.load(info.name)));
  }
  return files;
}

describe("key slots", () => {
  it("init creates a random master key that the password unlocks; nothing is stored unwrapped", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "correct horse", { kdf, hostname: "backup-01" });
    expect(unlocked.masterKey).toHaveLength(32);
    expect(unlocked.keyId).toMatch(/^[0-9a-f]{32}$/);
    const again = await unlockWithPassword(destination, "correct horse");
    expect(hex(again.masterKey)).toBe(hex(unlocked.masterKey));
    expect(again.keyId).toBe(unlocked.keyId);
    const files = await keyFiles(destination);
    expect([...files.keys()]).toEqual([`keys/${unlocked.keyId}`]);
    const text = [...files.values()][0]!;
    const file = JSON.parse(text);
    expect(file).toMatchObject({
      version: 1,
      kind: "password",
      hostname: "backup-01",
      kdf: { name: "scrypt", ...kdf },
    });
    // The master key appears nowhere in the clear, neither as hex nor base64.
    expect(text).not.toContain(hex(unlocked.masterKey));
    expect(text).not.toContain(Buffer.from(unlocked.masterKey).toString("base64").slice(0, 20));
    const second = await initKeys(createMemoryDestination(), "correct horse", { kdf });
    expect(hex(second.masterKey)).not.toBe(hex(unlocked.masterKey));
  });

  it("init refuses a destination that already has keys (REPO_ALREADY_EXISTS)", async () => {
    const destination = createMemoryDestination();
    await initKeys(destination, "one", { kdf });
    await expectCode(initKeys(destination, "two", { kdf }), "REPO_ALREADY_EXISTS");
  });

  it("a wrong password throws CRYPTO_WRONG_PASSWORD and writes nothing", async () => {
    const destination = createMemoryDestination();
    await initKeys(destination, "right", { kdf });
    const before = destination.stats.calls;
    await expectCode(unlockWithPassword(destination, "wrong"), "CRYPTO_WRONG_PASSWORD");
    await expectCode(unlockWithPassword(destination, "Right"), "CRYPTO_WRONG_PASSWORD");
    const after = destination.stats.calls;
    expect(after.save).toBe(before.save);
    expect(after.remove).toBe(before.remove);
  });

  it("unlock throws REPO_NOT_FOUND without key files and REPO_CORRUPT for a malformed one", async () => {
    await expectCode(unlockWithPassword(createMemoryDestination(), "pw"), "REPO_NOT_FOUND");
    const destination = createMemoryDestination();
    await destination.save(`keys/${"ab".repeat(16)}`, new TextEncoder().encode("{not json"));
    await expectCode(unlockWithPassword(destination, "pw"), "REPO_CORRUPT");
    await expectCode(listKeys(destination), "REPO_CORRUPT");
    const stray = createMemoryDestination();
    await stray.save("keys/not-a-key-id", new Uint8Array(1));
    await expectCode(unlockWithPassword(stray, "pw"), "REPO_CORRUPT");
  });

  it("a malformed extra key file does not lock out a valid password slot", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "pw", { kdf });
    await destination.save(`keys/${"00".repeat(16)}`, new TextEncoder().encode('{"version":2}'));
    await destination.save("keys/stray.tmp", new Uint8Array(3));
    expect(hex((await unlockWithPassword(destination, "pw")).masterKey)).toBe(hex(unlocked.masterKey));
    await expectCode(listKeys(destination), "REPO_CORRUPT");
    await expectCode(unlockWithPassword(destination, "other"), "CRYPTO_WRONG_PASSWORD");
  });

  it("detects tampering with every field of a password slot", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "pw", { kdf, hostname: "h1" });
    const name = `keys/${unlocked.keyId}`;
    const original = JSON.parse(new TextDecoder().decode(await destination.load(name)));
    interface SlotJson {
      version: number;
      kind: string;
      createdAt: string;
      hostname: string;
      note?: string;
      kdf: { name: string; N: number; salt: string; check: string };
      wrappedKey: string;
    }
    // Altering what the password does not determine (date, host, sealed key) is detected as
    // tampering; altering salt, cost or check changes what the password derives, so it reads
    // as a wrong password. Either way nothing opens.
    const tampers: Array<[string, (f: SlotJson) => void, ErrorCode]> = [
      ["createdAt", (f) => (f.createdAt = "2001-01-01T00:00:00.000Z"), "CRYPTO_AUTH_FAILED"],
      ["hostname", (f) => (f.hostname = "h2"), "CRYPTO_AUTH_FAILED"],
      ["wrapped key", (f) => (f.wrappedKey = `A${f.wrappedKey.slice(1)}`), "CRYPTO_AUTH_FAILED"],
      ["kdf N", (f) => (f.kdf.N = 2048), "CRYPTO_WRONG_PASSWORD"],
      ["salt", (f) => (f.kdf.salt = Buffer.alloc(32, 1).toString("base64")), "CRYPTO_WRONG_PASSWORD"],
      ["check", (f) => (f.kdf.check = Buffer.alloc(8, 1).toString("base64")), "CRYPTO_WRONG_PASSWORD"],
      ["kind", (f) => (f.kind = "recovery-code"), "REPO_CORRUPT"],
      ["version", (f) => (f.version = 2), "REPO_CORRUPT"],
      ["extra field", (f) => (f.note = "x"), "REPO_CORRUPT"],
      ["kdf name", (f) => (f.kdf.name = "pbkdf2"), "REPO_CORRUPT"],
      ["extra kdf field", (f) => Object.assign(f.kdf, { iterations: 1 }), "REPO_CORRUPT"],
      ["huge N", (f) => (f.kdf.N = 2 ** 30), "REPO_CORRUPT"],
      ["short wrapped key", (f) => (f.wrappedKey = f.wrappedKey.slice(4)), "REPO_CORRUPT"],
      ["short check", (f) => (f.kdf.check = "AAAA"), "REPO_CORRUPT"],
    ];
    for (const [what, tamper, code] of tampers) {
      const file = structuredClone(original) as SlotJson;
      tamper(file);
      await destination.save(name, new TextEncoder().encode(JSON.stringify(file)));
      const error = await expectCode(unlockWithPassword(destination, "pw"), code);
      expect(error, what).toBeDefined();
      // A wrong password never reports tampering.
      if (code === "CRYPTO_AUTH_FAILED")
        await expectCode(unlockWithPassword(destination, "nope"), "CRYPTO_WRONG_PASSWORD");
    }
    // Renaming a valid slot breaks it too: the keyId is bound into the associated data.
    await destination.save(name, new TextEncoder().encode(JSON.stringify(original)));
    expect(hex((await unlockWithPassword(destination, "pw")).masterKey)).toBe(hex(unlocked.masterKey));
    const bytes = await destination.load(name);
    await destination.remove(name);
    await destination.save(`keys/${"cd".repeat(16)}`, bytes);
    await expectCode(unlockWithPassword(destination, "pw"), "CRYPTO_AUTH_FAILED");
  });

  it("adds, changes and removes passwords; each live password opens the same master key", async () => {
    const destination = createMemoryDestination();
    const first = await initKeys(destination, "first", { kdf });
    const secondId = await addPassword(destination, first.masterKey, "second", { kdf });
    expect(secondId).not.toBe(first.keyId);
    const viaSecond = await unlockWithPassword(destination, "second");
    expect(viaSecond.keyId).toBe(secondId);
    expect(hex(viaSecond.masterKey)).toBe(hex(first.masterKey));

    const saves: string[] = [];
    const removes: string[] = [];
    const spy: Destination = {
      description: destination.description,
      capabilities: destination.capabilities,
      save: async (name, data, options) => {
        saves.push(name);
        await destination.save(name, data, options);
      },
      load: (name, options) => destination.load(name, options),
      stat: (name) => destination.stat(name),
      list: (prefix) => destination.list(prefix),
      remove: async (name) => {
        removes.push(name);
        await destination.remove(name);
      },
      close: () => destination.close(),
    };
    const changedId = await changePassword(spy, viaSecond, "third");
    expect(saves).toEqual([`keys/${changedId}`]);
    expect(removes).toEqual([`keys/${secondId}`]);
    await expectCode(unlockWithPassword(destination, "second"), "CRYPTO_WRONG_PASSWORD");
    expect(hex((await unlockWithPassword(destination, "third")).masterKey)).toBe(hex(first.masterKey));
    // The new slot keeps the old slot's cost parameters.
    const slot = JSON.parse(new TextDecoder().decode(await destination.load(`keys/${changedId}`)));
    expect(slot.kdf).toMatchObject(kdf);

    await removeKey(destination, changedId, first);
    await expectCode(unlockWithPassword(destination, "third"), "CRYPTO_WRONG_PASSWORD");
    expect((await listKeys(destination)).map((k) => k.keyId)).toEqual([first.keyId]);
  });

  it("removeKey refuses the slot in use and the last password slot (KEY_LAST_SLOT), and unknown ids", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "pw", { kdf });
    const inUse = (await expectCode(removeKey(destination, unlocked.keyId, unlocked), "KEY_LAST_SLOT")) as {
      details: { reason: string };
    };
    expect(inUse.details.reason).toBe("slot-in-use");

    const escrow = generateEscrowKeyPair();
    const escrowId = await addEscrow(destination, unlocked.masterKey, escrow.publicKey);
    const viaEscrow = await recoverWithEscrow(destination, escrow.privateKey);
    const last = (await expectCode(removeKey(destination, unlocked.keyId, viaEscrow), "KEY_LAST_SLOT")) as {
      details: { reason: string };
    };
    expect(last.details.reason).toBe("last-password-slot");
    await expectCode(removeKey(destination, "ff".repeat(16), unlocked), "KEY_NOT_FOUND");
    await expect(removeKey(destination, "../x", unlocked)).rejects.toThrow(TypeError);
    expect((await listKeys(destination)).length).toBe(2);
    // Escrow slots are removable while a password slot remains.
    await removeKey(destination, escrowId, unlocked);
    expect((await listKeys(destination)).map((k) => k.kind)).toEqual(["password"]);
  });

  it("escrow to an X25519 key recovers the master key when every password is lost", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "forgotten", { kdf });
    const provider = generateEscrowKeyPair();
    expect(provider.publicKey).toHaveLength(32);
    expect(provider.privateKey).toHaveLength(32);
    const escrowId = await addEscrow(destination, unlocked.masterKey, provider.publicKey);
    const recovered = await recoverWithEscrow(destination, provider.privateKey);
    expect(recovered.keyId).toBe(escrowId);
    expect(hex(recovered.masterKey)).toBe(hex(unlocked.masterKey));
    // Recovery then sets a new password, keeping the escrow slot.
    const newId = await changePassword(destination, recovered, "new password", { kdf });
    expect(hex((await unlockWithPassword(destination, "new password")).masterKey)).toBe(
      hex(unlocked.masterKey),
    );
    const kinds = (await listKeys(destination)).map((k) => `${k.kind}:${k.keyId === newId}`).sort();
    expect(kinds).toEqual(["escrow:false", "password:false", "password:true"]);

    await expectCode(
      recoverWithEscrow(destination, generateEscrowKeyPair().privateKey),
      "CRYPTO_WRONG_PASSWORD",
    );
    // A tampered escrow slot addressed to the right key is an authentication failure.
    const name = `keys/${escrowId}`;
    const file = JSON.parse(new TextDecoder().decode(await destination.load(name)));
    file.createdAt = "2020-02-02T00:00:00.000Z";
    await destination.save(name, new TextEncoder().encode(JSON.stringify(file)));
    await expectCode(recoverWithEscrow(destination, provider.privateKey), "CRYPTO_AUTH_FAILED");
  });

  it("a recovery code recovers the master key; typos are caught by its checksum", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "lost", { kdf });
    const { code, keyId } = await createRecoveryCode(destination, unlocked.masterKey);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$/);
    const recovered = await recoverWithCode(destination, code);
    expect(recovered.keyId).toBe(keyId);
    expect(hex(recovered.masterKey)).toBe(hex(unlocked.masterKey));
    // Lower case, spaces instead of hyphens and O/I/L misreadings are accepted.
    const sloppy = code.toLowerCase().replace(/-/g, " ").replace(/0/g, "o").replace(/1/g, "l");
    expect(hex((await recoverWithCode(destination, sloppy)).masterKey)).toBe(hex(unlocked.masterKey));

    // Every single-character substitution is caught before the destination is read.
    const before = destination.stats.calls.load;
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const plain = code.replace(/-/g, "");
    for (let i = 0; i < plain.length; i += 3) {
      const replacement = alphabet[(alphabet.indexOf(plain[i]!) + 7) % 32]!;
      const typo = plain.slice(0, i) + replacement + plain.slice(i + 1);
      await expectCode(recoverWithCode(destination, typo), "RECOVERY_CODE_INVALID");
    }
    await expectCode(recoverWithCode(destination, plain.slice(1)), "RECOVERY_CODE_INVALID");
    await expectCode(recoverWithCode(destination, `${plain.slice(1)}U`), "RECOVERY_CODE_INVALID");
    expect(destination.stats.calls.load).toBe(before);

    // A tampered recovery slot is reported as such to the holder of the right code.
    const slotName = `keys/${keyId}`;
    const slotBytes = await destination.load(slotName);
    const slot = JSON.parse(new TextDecoder().decode(slotBytes));
    slot.createdAt = "2019-09-09T09:09:09.000Z";
    await destination.save(slotName, new TextEncoder().encode(JSON.stringify(slot)));
    await expectCode(recoverWithCode(destination, code), "CRYPTO_AUTH_FAILED");
    await destination.save(slotName, slotBytes);

    // A well-formed code of another repository opens nothing here.
    const other = createMemoryDestination();
    const otherCode = (await createRecoveryCode(other, (await initKeys(other, "x", { kdf })).masterKey)).code;
    await expectCode(recoverWithCode(destination, otherCode), "CRYPTO_WRONG_PASSWORD");
    expect(parseRecoveryCode(otherCode)).toHaveLength(16);
  });

  it("lists every slot with kind, creation time and hostname", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "pw", { kdf, hostname: "srv-7" });
    await addEscrow(destination, unlocked.masterKey, generateEscrowKeyPair().publicKey);
    await createRecoveryCode(destination, unlocked.masterKey);
    const slots = await listKeys(destination);
    expect(slots.map((s) => s.kind).sort()).toEqual(["escrow", "password", "recovery-code"]);
    const password = slots.find((s) => s.kind === "password")!;
    expect(password).toEqual({
      keyId: unlocked.keyId,
      kind: "password",
      createdAt: password.createdAt,
      hostname: "srv-7",
    });
    expect(Date.parse(password.createdAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("rejects programmer mistakes with TypeError", async () => {
    const destination = createMemoryDestination();
    await expect(initKeys(destination, "", { kdf })).rejects.toThrow(TypeError);
    await expect(initKeys(destination, "pw", { kdf: { N: 1000, r: 8, p: 1 } })).rejects.toThrow(TypeError);
    await expect(addPassword(destination, new Uint8Array(16), "pw", { kdf })).rejects.toThrow(TypeError);
    await expect(addEscrow(destination, new Uint8Array(32), new Uint8Array(31))).rejects.toThrow(TypeError);
    await expect(addEscrow(destination, new Uint8Array(32), new Uint8Array(32))).rejects.toThrow(TypeError);
    expect((await keyFiles(destination)).size).toBe(0);
  });
});

describe("default key derivation cost", () => {
  it("uses scrypt N=2^17, r=8, p=1 unless told otherwise, and unlocks with it", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "default cost");
    const file = JSON.parse(new TextDecoder().decode(await destination.load(`keys/${unlocked.keyId}`)));
    expect(file.kdf).toMatchObject({ name: "scrypt", N: 131072, r: 8, p: 1 });
    expect(Buffer.from(file.kdf.salt, "base64")).toHaveLength(32);
    expect(hex((await unlockWithPassword(destination, "default cost")).masterKey)).toBe(
      hex(unlocked.masterKey),
    );
  });
});

describe("key file robustness", () => {
  it("random corruption of a key file only ever yields a stable error code, never a crash or a wrong key", async () => {
    const destination = createMemoryDestination();
    const unlocked = await initKeys(destination, "pw", { kdf: { N: 16, r: 1, p: 1 }, hostname: "h" });
    const name = `keys/${unlocked.keyId}`;
    const original = await destination.load(name);
    const text = new TextDecoder().decode(original);
    let seed = 12345;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const seen = new Set<string>();
    const mutations: Array<() => Uint8Array> = [
      () => {
        const b = Uint8Array.from(original);
        b[next(b.length)]! ^= 1 << next(8);
        return b;
      },
      () => original.subarray(0, next(original.length)),
      () => new TextEncoder().encode(text.replace(/"[^"]*"/, () => `${next(1000)}`)),
      () => new TextEncoder().encode(text.replace(/\d+/, () => `"${next(1000)}"`)),
      () =>
        new TextEncoder().encode(
          text.replace(/: [^,\n]+/, () => [": null", ": []", ": {}", ": true"][next(4)]!),
        ),
    ];
    for (let i = 0; i < 300; i++) {
      await destination.save(name, mutations[next(mutations.length)]!());
      const outcome = await unlockWithPassword(destination, "pw").then(
        (u) => (hex(u.masterKey) === hex(unlocked.masterKey) ? "OPENED" : "WRONG KEY"),
        (error: unknown) => (isEwsVaultError(error) ? error.code : `crash: ${String(error)}`),
      );
      seen.add(outcome);
      expect(["OPENED", "REPO_CORRUPT", "CRYPTO_WRONG_PASSWORD", "CRYPTO_AUTH_FAILED"]).toContain(outcome);
    }
    // The mutations reach every outcome class: the parser, the check value and the AEAD.
    expect(seen).toContain("REPO_CORRUPT");
    expect(seen.has("CRYPTO_WRONG_PASSWORD") || seen.has("CRYPTO_AUTH_FAILED")).toBe(true);
  });
});
