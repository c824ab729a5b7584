// Password slots: the master key wrapped under scrypt(password). Adding, opening and replacing
// them; the builder is deterministic when salt, nonce and keyId are given (golden tests pin it).

import { randomBytes, scrypt as scryptCallback } from "node:crypto";
import { hostname as osHostname } from "node:os";
import type { Destination } from "@ewsvault/destination";
import { KEY_BYTES, NONCE_BYTES } from "../crypto/aead.js";
import { checkScryptParams, scryptMemoryBytes, toBase64 } from "./key-file.js";
import {
  checkMasterKey,
  newKeyId,
  nowIso,
  SALT_BYTES,
  sealCheckedSlot,
  type UnlockedKey,
} from "./slot-crypto.js";
import { keyName, loadSlot, openFirstSlot, writeSlot } from "./slot-store.js";

/** scrypt cost parameters; N a power of two. Stored in every password slot. */
export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** N=2^17, r=8, p=1: 128 MiB and about 0.43 CPU-seconds per attempt on the reference machine (docs). */
export const DEFAULT_KDF_PARAMS: KdfParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

export function checkPassword(password: string): void {
  if (typeof password !== "string" || password.length === 0) {
    throw new TypeError("password must be a non-empty string");
  }
}

function checkKdf(kdf: KdfParams): void {
  const problem = checkScryptParams(kdf.N, kdf.r, kdf.p);
  if (problem !== null) throw new TypeError(problem);
}

/** Password bytes: Unicode NFC, then UTF-8, so the same password typed on any OS derives the same key. */
function passwordBytes(password: string): Uint8Array {
  return new TextEncoder().encode(password.normalize("NFC"));
}

function scryptKek(password: string, salt: Uint8Array, kdf: KdfParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scryptCallback(
      passwordBytes(password),
      salt,
      KEY_BYTES,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: scryptMemoryBytes(kdf.N, kdf.r) + 32 * 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(new Uint8Array(key))),
    );
  });
}

export interface PasswordSlotInput {
  masterKey: Uint8Array;
  password: string;
  kdf: KdfParams;
  keyId: string;
  createdAt: string;
  hostname?: string;
  salt?: Uint8Array;
  nonce?: Uint8Array;
}

/** Builds the bytes of a password key file. Internal; golden tests pin its output. */
export async function buildPasswordKeyFile(input: PasswordSlotInput): Promise<Uint8Array> {
  checkMasterKey(input.masterKey);
  checkPassword(input.password);
  checkKdf(input.kdf);
  const salt = input.salt ?? new Uint8Array(randomBytes(SALT_BYTES));
  if (salt.length !== SALT_BYTES) throw new TypeError("salt must be 32 bytes");
  if (input.nonce !== undefined && input.nonce.length !== NONCE_BYTES)
    throw new TypeError("nonce must be 12 bytes");
  const material = await scryptKek(input.password, salt, input.kdf);
  try {
    return sealCheckedSlot(
      material,
      input.keyId,
      (check) => ({
        version: 1,
        kind: "password",
        createdAt: input.createdAt,
        ...(input.hostname === undefined ? {} : { hostname: input.hostname }),
        kdf: { name: "scrypt", N: input.kdf.N, r: input.kdf.r, p: input.kdf.p, salt: toBase64(salt), check },
      }),
      input.masterKey,
      input.nonce,
    );
  } finally {
    material.fill(0);
  }
}

export async function addPasswordSlot(
  destination: Destination,
  masterKey: Uint8Array,
  password: string,
  kdf: KdfParams = DEFAULT_KDF_PARAMS,
  hostname: string = osHostname(),
): Promise<string> {
  const keyId = newKeyId();
  const bytes = await buildPasswordKeyFile({
    masterKey,
    password,
    kdf,
    keyId,
    createdAt: nowIso(),
    hostname,
  });
  await writeSlot(destination, keyId, bytes);
  return keyId;
}

/**
 * Tries every password slot. MUST throw CRYPTO_WRONG_PASSWORD when no slot accepts the password,
 * CRYPTO_AUTH_FAILED when one accepts it (its check value matches) but its sealed key does not
 * authenticate (the slot was altered; altering the salt or cost parameters instead looks like a
 * wrong password), REPO_CORRUPT when no slot opens and a key file is malformed with no
 * well-formed password slot to try, REPO_NOT_FOUND when there are no key files at all. Never
 * writes to the destination.
 */
export async function unlockWithPassword(destination: Destination, password: string): Promise<UnlockedKey> {
  checkPassword(password);
  return openFirstSlot(destination, "password", "password", async (parsed) => {
    const { kdf } = parsed.header;
    if (kdf?.name !== "scrypt" || parsed.salt === undefined) return undefined;
    return scryptKek(password, parsed.salt, kdf);
  });
}

/** Adds a password slot for an already unlocked master key; returns its keyId. */
export async function addPassword(
  destination: Destination,
  masterKey: Uint8Array,
  newPassword: string,
  options: { kdf?: KdfParams; hostname?: string } = {},
): Promise<string> {
  checkMasterKey(masterKey);
  checkPassword(newPassword);
  if (options.kdf !== undefined) checkKdf(options.kdf);
  return addPasswordSlot(destination, masterKey, newPassword, options.kdf, options.hostname);
}

/**
 * Replaces the slot that was unlocked by a new password slot with the same scrypt parameters
 * (or options.kdf). The new slot is durable before the old one is removed, so a crash leaves
 * both, never neither. When the repository was unlocked through escrow or a recovery code, that
 * slot stays and a password slot is added (default parameters). Returns the new keyId.
 */
export async function changePassword(
  destination: Destination,
  unlocked: UnlockedKey,
  newPassword: string,
  options: { kdf?: KdfParams; hostname?: string } = {},
): Promise<string> {
  if (options.kdf !== undefined) checkKdf(options.kdf);
  checkMasterKey(unlocked.masterKey);
  checkPassword(newPassword);
  const old = await loadSlot(destination, unlocked.keyId);
  const oldKdf =
    old.header.kind === "password" && old.header.kdf?.name === "scrypt" ? old.header.kdf : undefined;
  const kdf = options.kdf ?? (oldKdf ? { N: oldKdf.N, r: oldKdf.r, p: oldKdf.p } : DEFAULT_KDF_PARAMS);
  const keyId = await addPasswordSlot(destination, unlocked.masterKey, newPassword, kdf, options.hostname);
  if (old.header.kind === "password") await destination.remove(keyName(unlocked.keyId));
  return keyId;
}
