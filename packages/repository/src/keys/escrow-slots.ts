// Escrow slots: the master key wrapped to an escrow holder's X25519 public key (a sealed box:
// one-off sender key pair, HKDF of the shared secret), so a service provider can open a
// repository without any password while its private key never comes near the repository.

import type { Destination } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdfSha256 } from "../crypto/keys.js";
import { type KeyFileHeader, toBase64 } from "./key-file.js";
import {
  checkMasterKey,
  newKeyId,
  nowIso,
  sealSlot,
  tryUnwrap,
  type UnlockedKey,
  WRAP_INFO,
} from "./slot-crypto.js";
import { loadAllSlots, noSlotOpened, writeSlot } from "./slot-store.js";

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

function escrowKek(sharedSecret: Uint8Array, ephemeralPublicKey: Uint8Array, recipientPublicKey: Uint8Array) {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPublicKey, 0);
  salt.set(recipientPublicKey, 32);
  return hkdfSha256(sharedSecret, salt, WRAP_INFO.escrow);
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
  return sealSlot(kek, input.keyId, header, input.masterKey, input.nonce);
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
