// Recovery-code slots: the master key wrapped under HKDF of a one-time printed code's 128
// random bits (recovery-code.ts is the code's text form); they need no password stretching.

import { randomBytes } from "node:crypto";
import type { Destination } from "@ewsvault/destination";
import { hkdfSha256 } from "../crypto/keys.js";
import { toBase64 } from "./key-file.js";
import { formatRecoveryCode, newRecoveryEntropy, parseRecoveryCode } from "./recovery-code.js";
import {
  checkMasterKey,
  newKeyId,
  nowIso,
  SALT_BYTES,
  sealCheckedSlot,
  type UnlockedKey,
  WRAP_INFO,
} from "./slot-crypto.js";
import { openFirstSlot, writeSlot } from "./slot-store.js";

function recoveryMaterial(entropy: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdfSha256(entropy, salt, WRAP_INFO.recoveryCode);
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
  return sealCheckedSlot(
    recoveryMaterial(input.entropy, salt),
    input.keyId,
    (check) => ({
      version: 1,
      kind: "recovery-code",
      createdAt: input.createdAt,
      kdf: { name: "hkdf-sha256", salt: toBase64(salt), check },
    }),
    input.masterKey,
    input.nonce,
  );
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
  return openFirstSlot(destination, "recovery-code", "recovery code", async (parsed) =>
    parsed.salt === undefined ? undefined : recoveryMaterial(entropy, parsed.salt),
  );
}
