// Key derivation from the repository master key, and keyed blob ids. One master key, several
// purpose-bound subkeys (HKDF-SHA256 with distinct info strings), so no key is ever used for
// two jobs and the chunker's gear table cannot leak anything about the encryption key.

import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { KEY_BYTES } from "./aead.js";

export interface RepositoryKeys {
  /** AES-256-GCM key for every blob, pack header, index file and snapshot. */
  readonly dataKey: Uint8Array;
  /** HMAC-SHA256 key for content ids (keyedBlobId). */
  readonly idKey: Uint8Array;
  /** Seeds the chunker's gear table (createChunker's chunkerKey). */
  readonly chunkerKey: Uint8Array;
  /**
   * Root of the keys of local caches on the backup host (the mailbox indexes seal their entries
   * and name their directories with keys derived from it; docs/mailbox-index.md). Never used
   * for anything stored in the repository.
   */
  readonly cacheKey: Uint8Array;
  /** HMAC-SHA256 key binding a list of blob ids to their owner (contentBinding). */
  readonly bindingKey: Uint8Array;
}

/** HKDF "info" strings; part of the on-disk format (docs/repository-crypto.md), never change them. */
export const HKDF_INFO = {
  dataKey: "ewsvault/v1/data-key",
  idKey: "ewsvault/v1/id-key",
  chunkerKey: "ewsvault/v1/chunker-key",
  cacheKey: "ewsvault/v1/cache-key",
  bindingKey: "ewsvault/v1/binding-key",
} as const;

/** HKDF salt for subkey derivation: fixed, because the master key is already uniformly random. */
export const HKDF_SALT = "ewsvault/v1/repository-keys";

function hkdf(
  ikm: Uint8Array,
  salt: string | Uint8Array,
  info: string | Uint8Array,
  length = KEY_BYTES,
): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
}

export function randomKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_BYTES));
}

/** MUST be given a 32-byte master key (TypeError otherwise); deterministic for a given key. */
export function deriveRepositoryKeys(masterKey: Uint8Array): RepositoryKeys {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== KEY_BYTES) {
    throw new TypeError(`master key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
  return {
    dataKey: hkdf(masterKey, HKDF_SALT, HKDF_INFO.dataKey),
    idKey: hkdf(masterKey, HKDF_SALT, HKDF_INFO.idKey),
    chunkerKey: hkdf(masterKey, HKDF_SALT, HKDF_INFO.chunkerKey),
    cacheKey: hkdf(masterKey, HKDF_SALT, HKDF_INFO.cacheKey),
    bindingKey: hkdf(masterKey, HKDF_SALT, HKDF_INFO.bindingKey),
  };
}

/**
 * Content id of a plaintext blob: HMAC-SHA256(idKey, data) as 64 lowercase hex characters.
 * Keyed so that someone holding the repository but not the key cannot confirm that a known
 * file (a well-known attachment) is stored in it.
 */
export function keyedBlobId(idKey: Uint8Array, data: Uint8Array): string {
  if (!(idKey instanceof Uint8Array) || idKey.length !== KEY_BYTES) {
    throw new TypeError(`id key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
  return createHmac("sha256", idKey).update(data).digest("hex");
}

/** Hex characters of a content binding (128 bits: a forgery, not a collision, is the threat). */
const BINDING_HEX = 32;

/**
 * A keyed MAC that binds the content recorded for an owner (a list of blob ids and their total
 * plaintext size) to that owner: HMAC-SHA256(bindingKey, "ewsvault/v1/content-binding" LF owner
 * LF size LF id,id,...) as the first 32 lowercase hex characters. Blob ids already commit to the
 * bytes (keyedBlobId), so a matching binding plus blobs that match their ids prove that the bytes
 * are those stored for this owner; content moved to another owner, or another owner's blob list
 * put in its place, does not match, and without the key no one can make it match.
 */
export function contentBinding(
  bindingKey: Uint8Array,
  owner: string,
  blobIds: readonly string[],
  size: number,
): string {
  if (!(bindingKey instanceof Uint8Array) || bindingKey.length !== KEY_BYTES) {
    throw new TypeError(`binding key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
  return createHmac("sha256", bindingKey)
    .update(`ewsvault/v1/content-binding\n${owner}\n${size}\n${blobIds.join(",")}`, "utf8")
    .digest("hex")
    .slice(0, BINDING_HEX);
}

export { hkdf as hkdfSha256 };
