// Key slot objects in the destination ("keys/<keyId>"): listing, loading and writing them. A
// slot is written with an exclusive save, so a keyId collision or a concurrent writer never
// overwrites one; a malformed slot is reported, not thrown, where one bad file must not lock a
// whole repository (unlocking tries every slot).

import type { Destination } from "@ewsvault/destination";
import { isDestinationError } from "@ewsvault/destination";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { KeySlotKind, ParsedKeyFile } from "./key-file.js";
import { corrupt, KEY_ID_PATTERN, KEYS_PREFIX, MAX_KEY_FILE_BYTES, parseKeyFile } from "./key-file.js";
import { openChecked, tamperedSlot, type UnlockedKey } from "./slot-crypto.js";

export interface KeySlotInfo {
  keyId: string;
  kind: KeySlotKind;
  createdAt: string;
  hostname?: string;
}

export function keyName(keyId: string): string {
  return `${KEYS_PREFIX}${keyId}`;
}

export async function writeSlot(destination: Destination, keyId: string, bytes: Uint8Array): Promise<void> {
  // exclusive: a keyId collision (or a concurrent writer) must never overwrite a slot.
  await destination.save(keyName(keyId), bytes, { exclusive: true });
}

/** Key ids under keys/, sorted; `stray` are other names there (not key files we wrote). */
export async function scanKeys(
  destination: Pick<Destination, "list">,
): Promise<{ ids: string[]; stray: string[] }> {
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
async function listKeyIds(destination: Pick<Destination, "list">): Promise<string[]> {
  const { ids, stray } = await scanKeys(destination);
  if (stray.length > 0) throw corrupt(`unexpected object ${stray[0]}`, { name: stray[0] });
  return ids;
}

export async function loadSlot(
  destination: Pick<Destination, "load">,
  keyId: string,
): Promise<ParsedKeyFile> {
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

export type SlotResult = { keyId: string; parsed: ParsedKeyFile } | { keyId: string; error: EwsVaultError };

/** Every slot, parsed; malformed ones are reported, not thrown, so one bad file cannot lock a repository. */
export async function loadAllSlots(
  destination: Pick<Destination, "list" | "load" | "description">,
): Promise<SlotResult[]> {
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

export function noSlotOpened(results: SlotResult[], kind: KeySlotKind, what: string): EwsVaultError {
  const bad = results.find((r): r is { keyId: string; error: EwsVaultError } => "error" in r);
  if (bad !== undefined && !results.some((r) => "parsed" in r && r.parsed.header.kind === kind)) {
    return bad.error;
  }
  return new EwsVaultError("CRYPTO_WRONG_PASSWORD", `no ${kind} key slot opens with this ${what}`);
}

/** Every slot's public facts, sorted by keyId. MUST throw REPO_CORRUPT for a malformed key file. */
export async function listKeys(destination: Pick<Destination, "list" | "load">): Promise<KeySlotInfo[]> {
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

/**
 * Unlocks with the first well-formed slot of `kind` that accepts the credential, given as its
 * KDF output per slot (`materialOf`, undefined to skip a slot; zeroed after use). MUST throw
 * CRYPTO_AUTH_FAILED when a slot accepts the credential but was altered, else CRYPTO_WRONG_PASSWORD
 * or a malformed slot's error (noSlotOpened). Never writes to the destination.
 */
export async function openFirstSlot(
  destination: Pick<Destination, "list" | "load" | "description">,
  kind: KeySlotKind,
  what: string,
  materialOf: (parsed: ParsedKeyFile) => Promise<Uint8Array | undefined>,
): Promise<UnlockedKey> {
  const results = await loadAllSlots(destination);
  let tampered: string | undefined;
  for (const result of results) {
    if (!("parsed" in result) || result.parsed.header.kind !== kind) continue;
    const material = await materialOf(result.parsed);
    if (material === undefined) continue;
    const outcome = openChecked(material, result.keyId, result.parsed);
    material.fill(0);
    if (typeof outcome === "object") return { masterKey: outcome.masterKey, keyId: result.keyId };
    if (outcome === "tampered") tampered ??= result.keyId;
  }
  if (tampered !== undefined) throw tamperedSlot(tampered);
  throw noSlotOpened(results, kind, what);
}
