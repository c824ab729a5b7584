// The key slots' life cycle across credential kinds: the first slot of a new repository, and
// removing one (never the one in use, never the last password slot). Each credential kind adds
// and opens its own slots: password-slots.ts, escrow-slots.ts, recovery-code-slots.ts.

import type { Destination } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import { randomKey } from "../crypto/keys.js";
import { KEY_ID_PATTERN } from "./key-file.js";
import { addPasswordSlot, checkPassword, type KdfParams } from "./password-slots.js";
import { checkMasterKey, type UnlockedKey } from "./slot-crypto.js";
import { keyName, listKeys, loadSlot, scanKeys } from "./slot-store.js";

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
