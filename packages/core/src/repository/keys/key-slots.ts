// Key slot operations behind keys/index.ts. The slot builders (deterministic when salt, nonce and
// keyId are given) are exported from here for golden tests only; keys/index.ts exports the
// public API.

import { hostname as osHostname } from "node:os";
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import type { Destination } from "@ewsvault/destination";
import { isDestinationError } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { KEY_BYTES, createAeadCipher, sealWithNonce, NONCE_BYTES } from "../crypto/aead.js";
import { hkdfSha256, randomKey } from "../crypto/keys.js";
import {
  CHECK_BYTES,
  KEYS_PREFIX,
  KEY_ID_PATTERN,
  MAX_KEY_FILE_BYTES,
  checkScryptParams,
  corrupt,
  keyFileAad,
  parseKeyFile,
  scryptMemoryBytes,
  serializeKeyFile,
  toBase64,
} from "./key-file.js";
import type { KeyFileHeader, KeySlotKind, ParsedKeyFile } from "./key-file.js";
import { formatRecoveryCode, newRecoveryEntropy, parseRecoveryCode } from "./recovery-code.js";

export interface UnlockedKey {
  readonly masterKey: Uint8Array;
  /** The slot that was opened; removeKey refuses to remove it. */
  readonly keyId: string;
}

/** scrypt cost parameters; N a power of two. Stored in every password slot. */
export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** N=2^17, r=8, p=1: 128 MiB and about 0.43 CPU-seconds per attempt on the reference machine (docs). */
export const DEFAULT_KDF_PARAMS: KdfParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

export interface KeySlotInfo {
  keyId: string;
  kind: KeySlotKind;
  createdAt: string;
  hostname?: string;
}

const SALT_BYTES = 32;
/** HKDF info strings of the key-wrapping keys; part of the format. */
export const WRAP_INFO = Object.freeze({
  escrow: "ewsvault/v1/escrow-wrap",
  recoveryCode: "ewsvault/v1/recovery-code-wrap",
  /** From a password or recovery-code slot's KDF output: the key that seals the master key ... */
  slotWrapKey: "ewsvault/v1/slot-wrap-key",
  /** ... and the check value stored in the slot. */
  slotCheck: "ewsvault/v1/slot-check",
});

// ---------------------------------------------------------------------------------------------
// helpers

function checkMasterKey(masterKey: Uint8Array): void {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== KEY_BYTES) {
    throw new TypeError(`master key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
}

function checkPassword(password: string): void {
  if (typeof password !== "string" || password.length === 0) {
    throw new TypeError("password must be a non-empty string");
  }
}

function checkKdf(kdf: KdfParams): void {
  const problem = checkScryptParams(kdf.N, kdf.r, kdf.p);
  if (problem !== null) throw new TypeError(problem);
}

function newKeyId(): string {
  return randomBytes(16).toString("hex");
}

function keyName(keyId: string): string {
  return `${KEYS_PREFIX}${keyId}`;
}

/** Password bytes: Unicode NFC, then UTF-8, so the same password typed on any OS derives the same key. */
function passwordBytes(password: string): Uint8Array {
  return new TextEncoder().encode(password.normalize("NFC"));
}

export function scryptKek(password: string, salt: Uint8Array, kdf: KdfParams): Promise<Uint8Array> {
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

function escrowKek(sharedSecret: Uint8Array, ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array) {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPublicKey, 0);
  salt.set(recipientPublicKey, 32);
  return hkdfSha256(sharedSecret, salt, WRAP_INFO.escrow);
}

function recoveryMaterial(entropy: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdfSha256(entropy, salt, WRAP_INFO.recoveryCode);
}

/**
 * Splits a credential's KDF output into the wrapping key and the stored check value. The check
 * lets unlock tell "wrong password" from "right password, altered slot"; it helps a guesser no
 * more than the wrapped key itself does (both cost one KDF run per guess).
 */
function splitMaterial(material: Uint8Array): { wrapKey: Uint8Array; check: Uint8Array } {
  return {
    wrapKey: hkdfSha256(material, new Uint8Array(0), WRAP_INFO.slotWrapKey),
    check: hkdfSha256(material, new Uint8Array(0), WRAP_INFO.slotCheck, CHECK_BYTES),
  };
}

type OpenOutcome = { masterKey: Uint8Array } | "wrong-credential" | "tampered";

/** Opens a password or recovery-code slot with its credential's KDF output. */
function openChecked(material: Uint8Array, keyId: string, parsed: ParsedKeyFile): OpenOutcome {
  const { wrapKey, check } = splitMaterial(material);
  try {
    if (parsed.check === undefined || !timingSafeEqual(check, parsed.check)) return "wrong-credential";
    const masterKey = tryUnwrap(wrapKey, keyId, parsed);
    return masterKey === null ? "tampered" : { masterKey };
  } finally {
    wrapKey.fill(0);
  }
}

function tamperedSlot(keyId: string): EwsVaultError {
  return new EwsVaultError(
    "CRYPTO_AUTH_FAILED",
    "the credential is right but its key slot was altered; it does not authenticate",
    { details: { keyId } },
  );
}

function seal(
  kek: Uint8Array,
  keyId: string,
  header: KeyFileHeader,
  masterKey: Uint8Array,
  nonce?: Uint8Array,
) {
  const aad = keyFileAad(keyId, header);
  const wrapped = nonce
    ? sealWithNonce(kek, nonce, masterKey, aad)
    : createAeadCipher(kek).seal(masterKey, aad);
  return serializeKeyFile(header, wrapped);
}

/** Opens a slot's wrapped key; null when the KEK is wrong or the slot was tampered with. */
function tryUnwrap(kek: Uint8Array, keyId: string, parsed: ParsedKeyFile): Uint8Array | null {
  try {
    const key = createAeadCipher(kek).open(parsed.wrappedKey, keyFileAad(keyId, parsed.header));
    return key.length === KEY_BYTES ? key : null;
  } catch {
    return null;
  }
}

async function writeSlot(destination: Destination, keyId: string, bytes: Uint8Array): Promise<void> {
  // exclusive: a keyId collision (or a concurrent writer) must never overwrite a slot.
  await destination.save(keyName(keyId), bytes, { exclusive: true });
}

/** Key ids under keys/, sorted; `stray` are other names there (not key files we wrote). */
async function scanKeys(destination: Destination): Promise<{ ids: string[]; stray: string[] }> {
  const ids: string[] = [];
  const stray: string[] = [];
  for await (const info of destination.list(KEYS_PREFIX)) {
    const id = info.name.slice(KEYS_PREFIX.length);
    if (KEY_ID_PATTERN.test(id)) ids.push(id);
    else stray.push(info.name);
  }
  return { ids: ids.sort(), stray: stray.sort() };
}

/** Strict listing: a stray object under keys/ is REPO_CORRUPT. */
async function listKeyIds(destination: Destination): Promise<string[]> {
  const { ids, stray } = await scanKeys(destination);
  if (stray.length > 0) throw corrupt(`unexpected object ${stray[0]}`, { name: stray[0] });
  return ids;
}

async function loadSlot(destination: Destination, keyId: string): Promise<ParsedKeyFile> {
  let bytes: Uint8Array;
  try {
    bytes = await destination.load(keyName(keyId));
  } catch (error) {
    if (isDestinationError(error, "DEST_NOT_FOUND")) {
      throw new EwsVaultError("KEY_NOT_FOUND", `no key slot ${keyId}`, { cause: error, details: { keyId } });
    }
    throw error;
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) throw corrupt("too large", { keyId });
  try {
    return parseKeyFile(bytes);
  } catch (error) {
    if (error instanceof EwsVaultError) {
      throw new EwsVaultError(error.code, error.message, { cause: error, details: { keyId } });
    }
    throw error;
  }
}

type SlotResult = { keyId: string; parsed: ParsedKeyFile } | { keyId: string; error: EwsVaultError };

/** Every slot, parsed; malformed ones are reported, not thrown, so one bad file cannot lock a repository. */
async function loadAllSlots(destination: Destination): Promise<SlotResult[]> {
  const { ids, stray } = await scanKeys(destination);
  if (ids.length === 0 && stray.length === 0) {
    throw new EwsVaultError("REPO_NOT_FOUND", `no key files in ${destination.description}`);
  }
  const results: SlotResult[] = stray.map((name) => ({
    keyId: name,
    error: corrupt(`unexpected object ${name}`, { name }),
  }));
  for (const keyId of ids) {
    try {
      results.push({ keyId, parsed: await loadSlot(destination, keyId) });
    } catch (error) {
      if (error instanceof EwsVaultError && error.code === "REPO_CORRUPT") results.push({ keyId, error });
      // A slot removed between list and load (concurrent removeKey) is simply gone.
      else if (!(error instanceof EwsVaultError && error.code === "KEY_NOT_FOUND")) throw error;
    }
  }
  return results;
}

function noSlotOpened(results: SlotResult[], kind: KeySlotKind, what: string): EwsVaultError {
  const bad = results.find((r): r is { keyId: string; error: EwsVaultError } => "error" in r);
  if (bad !== undefined && !results.some((r) => "parsed" in r && r.parsed.header.kind === kind)) {
    return bad.error;
  }
  return new EwsVaultError("CRYPTO_WRONG_PASSWORD", `no ${kind} key slot opens with this ${what}`);
}

// ---------------------------------------------------------------------------------------------
// slot builders (exported for golden tests: deterministic when salt, nonce, keyId are given)

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
  const { wrapKey, check } = splitMaterial(material);
  material.fill(0);
  const header: KeyFileHeader = {
    version: 1,
    kind: "password",
    createdAt: input.createdAt,
    ...(input.hostname === undefined ? {} : { hostname: input.hostname }),
    kdf: {
      name: "scrypt",
      N: input.kdf.N,
      r: input.kdf.r,
      p: input.kdf.p,
      salt: toBase64(salt),
      check: toBase64(check),
    },
  };
  try {
    return seal(wrapKey, input.keyId, header, input.masterKey, input.nonce);
  } finally {
    wrapKey.fill(0);
  }
}

function nowIso(): string {
  return new Date().toISOString();
}

// ---------------------------------------------------------------------------------------------
// public API

/**
 * Creates a new master key and its first password slot. MUST throw REPO_ALREADY_EXISTS when the
 * destination already has key files (it never adds a second, unrelated master key).
 */
export async function initKeys(
  destination: Destination,
  password: string,
  options: { kdf?: KdfParams; hostname?: string } = {},
): Promise<UnlockedKey> {
  checkPassword(password);
  const existing = await scanKeys(destination);
  if (existing.ids.length + existing.stray.length > 0) {
    throw new EwsVaultError("REPO_ALREADY_EXISTS", `${destination.description} already has key files`);
  }
  const masterKey = randomKey();
  const keyId = await addPasswordSlot(destination, masterKey, password, options.kdf, options.hostname);
  return { masterKey, keyId };
}

async function addPasswordSlot(
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
  const results = await loadAllSlots(destination);
  let tampered: string | undefined;
  for (const result of results) {
    if (!("parsed" in result) || result.parsed.header.kind !== "password") continue;
    const { kdf } = result.parsed.header;
    if (kdf?.name !== "scrypt" || result.parsed.salt === undefined) continue;
    const material = await scryptKek(password, result.parsed.salt, kdf);
    const outcome = openChecked(material, result.keyId, result.parsed);
    material.fill(0);
    if (typeof outcome === "object") return { masterKey: outcome.masterKey, keyId: result.keyId };
    if (outcome === "tampered") tampered ??= result.keyId;
  }
  if (tampered !== undefined) throw tamperedSlot(tampered);
  throw noSlotOpened(results, "password", "password");
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

/**
 * Removes one slot. MUST throw KEY_LAST_SLOT (details.reason "slot-in-use" or
 * "last-password-slot") when keyId is the slot `unlocked` came from or the only password slot
 * left, and KEY_NOT_FOUND when there is no such slot.
 */
export async function removeKey(
  destination: Destination,
  keyId: string,
  unlocked: UnlockedKey,
): Promise<void> {
  if (typeof keyId !== "string" || !KEY_ID_PATTERN.test(keyId))
    throw new TypeError("keyId must be 32 hex digits");
  checkMasterKey(unlocked.masterKey);
  if (keyId === unlocked.keyId) {
    throw new EwsVaultError("KEY_LAST_SLOT", "refusing to remove the key slot in use", {
      details: { keyId, reason: "slot-in-use" },
    });
  }
  const target = await loadSlot(destination, keyId);
  if (target.header.kind === "password") {
    const slots = await listKeys(destination);
    const passwords = slots.filter((s) => s.kind === "password" && s.keyId !== keyId);
    if (passwords.length === 0) {
      throw new EwsVaultError("KEY_LAST_SLOT", "refusing to remove the last password slot", {
        details: { keyId, reason: "last-password-slot" },
      });
    }
  }
  await destination.remove(keyName(keyId));
}

/** Every slot's public facts, sorted by keyId. MUST throw REPO_CORRUPT for a malformed key file. */
export async function listKeys(destination: Destination): Promise<KeySlotInfo[]> {
  const out: KeySlotInfo[] = [];
  for (const keyId of await listKeyIds(destination)) {
    let parsed: ParsedKeyFile;
    try {
      parsed = await loadSlot(destination, keyId);
    } catch (error) {
      if (error instanceof EwsVaultError && error.code === "KEY_NOT_FOUND") continue;
      throw error;
    }
    const { kind, createdAt, hostname } = parsed.header;
    out.push({ keyId, kind, createdAt, ...(hostname === undefined ? {} : { hostname }) });
  }
  return out;
}

/** A fresh X25519 key pair for the escrow holder; the private key never goes near the repository. */
export function generateEscrowKeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const { secretKey, publicKey } = x25519.keygen();
  return { publicKey, privateKey: secretKey };
}

function sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(privateKey, publicKey);
  } catch (error) {
    throw new TypeError("X25519 key rejected (low-order or malformed public key)", { cause: error });
  }
  // A low-order public key gives an all-zero secret; refuse it rather than wrap under a known KEK.
  if (shared.every((b) => b === 0)) throw new TypeError("X25519 public key is of low order");
  return shared;
}

export interface EscrowSlotInput {
  masterKey: Uint8Array;
  recipientPublicKey: Uint8Array;
  keyId: string;
  createdAt: string;
  ephemeralPrivateKey?: Uint8Array;
  nonce?: Uint8Array;
}

/** Builds the bytes of an escrow key file (sealed box). Internal; golden tests pin it. */
export function buildEscrowKeyFile(input: EscrowSlotInput): Uint8Array {
  checkMasterKey(input.masterKey);
  if (!(input.recipientPublicKey instanceof Uint8Array) || input.recipientPublicKey.length !== 32) {
    throw new TypeError("escrow public key must be 32 bytes (X25519)");
  }
  const ephemeralPrivateKey = input.ephemeralPrivateKey ?? x25519.utils.randomSecretKey();
  const ephemeralPublicKey = x25519.getPublicKey(ephemeralPrivateKey);
  const shared = sharedSecret(ephemeralPrivateKey, input.recipientPublicKey);
  const kek = escrowKek(shared, ephemeralPublicKey, input.recipientPublicKey);
  const header: KeyFileHeader = {
    version: 1,
    kind: "escrow",
    createdAt: input.createdAt,
    escrow: {
      ephemeralPublicKey: toBase64(ephemeralPublicKey),
      recipientPublicKey: toBase64(input.recipientPublicKey),
    },
  };
  return seal(kek, input.keyId, header, input.masterKey, input.nonce);
}

/** Wraps the master key to the escrow holder's X25519 public key; returns the new keyId. */
export async function addEscrow(
  destination: Destination,
  masterKey: Uint8Array,
  escrowPublicKey: Uint8Array,
): Promise<string> {
  const keyId = newKeyId();
  const bytes = buildEscrowKeyFile({
    masterKey,
    recipientPublicKey: escrowPublicKey,
    keyId,
    createdAt: nowIso(),
  });
  await writeSlot(destination, keyId, bytes);
  return keyId;
}

/**
 * Opens the escrow slot addressed to this private key's public key. MUST throw
 * CRYPTO_WRONG_PASSWORD when no escrow slot is addressed to it, CRYPTO_AUTH_FAILED when one is
 * but does not open (it was tampered with), REPO_NOT_FOUND when there are no key files.
 */
export async function recoverWithEscrow(
  destination: Destination,
  escrowPrivateKey: Uint8Array,
): Promise<UnlockedKey> {
  if (!(escrowPrivateKey instanceof Uint8Array) || escrowPrivateKey.length !== 32) {
    throw new TypeError("escrow private key must be 32 bytes (X25519)");
  }
  const publicKey = x25519.getPublicKey(escrowPrivateKey);
  const results = await loadAllSlots(destination);
  let addressed = 0;
  for (const result of results) {
    if (!("parsed" in result) || result.parsed.header.kind !== "escrow") continue;
    const { ephemeralPublicKey, recipientPublicKey } = result.parsed;
    if (ephemeralPublicKey === undefined || recipientPublicKey === undefined) continue;
    if (!Buffer.from(recipientPublicKey).equals(Buffer.from(publicKey))) continue;
    addressed++;
    let kek: Uint8Array;
    try {
      kek = escrowKek(
        sharedSecret(escrowPrivateKey, ephemeralPublicKey),
        ephemeralPublicKey,
        recipientPublicKey,
      );
    } catch {
      continue;
    }
    const masterKey = tryUnwrap(kek, result.keyId, result.parsed);
    if (masterKey !== null) return { masterKey, keyId: result.keyId };
  }
  if (addressed > 0) {
    throw new EwsVaultError("CRYPTO_AUTH_FAILED", "the escrow key slot for this key does not authenticate");
  }
  throw noSlotOpened(results, "escrow", "escrow key");
}

export interface RecoverySlotInput {
  masterKey: Uint8Array;
  entropy: Uint8Array;
  keyId: string;
  createdAt: string;
  salt?: Uint8Array;
  nonce?: Uint8Array;
}

/** Builds the bytes of a recovery-code key file. Internal; golden tests pin it. */
export function buildRecoveryKeyFile(input: RecoverySlotInput): Uint8Array {
  checkMasterKey(input.masterKey);
  const salt = input.salt ?? new Uint8Array(randomBytes(SALT_BYTES));
  const { wrapKey, check } = splitMaterial(recoveryMaterial(input.entropy, salt));
  const header: KeyFileHeader = {
    version: 1,
    kind: "recovery-code",
    createdAt: input.createdAt,
    kdf: { name: "hkdf-sha256", salt: toBase64(salt), check: toBase64(check) },
  };
  try {
    return seal(wrapKey, input.keyId, header, input.masterKey, input.nonce);
  } finally {
    wrapKey.fill(0);
  }
}

/**
 * Creates a recovery-code slot and returns the code, which exists nowhere else: show it once
 * and have it printed. 128 random bits need no password stretching, so the KEK is HKDF-SHA256.
 */
export async function createRecoveryCode(
  destination: Destination,
  masterKey: Uint8Array,
): Promise<{ code: string; keyId: string }> {
  const entropy = newRecoveryEntropy();
  const keyId = newKeyId();
  await writeSlot(
    destination,
    keyId,
    buildRecoveryKeyFile({ masterKey, entropy, keyId, createdAt: nowIso() }),
  );
  return { code: formatRecoveryCode(entropy), keyId };
}

/**
 * MUST throw RECOVERY_CODE_INVALID when the code is mistyped (checksum, length, alphabet) —
 * before touching the destination — CRYPTO_WRONG_PASSWORD when it is well formed but no
 * recovery-code slot accepts it, and CRYPTO_AUTH_FAILED when a slot accepts it but was altered.
 */
export async function recoverWithCode(destination: Destination, code: string): Promise<UnlockedKey> {
  const entropy = parseRecoveryCode(code);
  const results = await loadAllSlots(destination);
  let tampered: string | undefined;
  for (const result of results) {
    if (!("parsed" in result) || result.parsed.header.kind !== "recovery-code") continue;
    if (result.parsed.salt === undefined) continue;
    const outcome = openChecked(recoveryMaterial(entropy, result.parsed.salt), result.keyId, result.parsed);
    if (typeof outcome === "object") return { masterKey: outcome.masterKey, keyId: result.keyId };
    if (outcome === "tampered") tampered ??= result.keyId;
  }
  if (tampered !== undefined) throw tamperedSlot(tampered);
  throw noSlotOpened(results, "recovery-code", "recovery code");
}
