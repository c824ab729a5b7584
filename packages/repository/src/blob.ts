// Blobs are the unit of deduplication: a data chunk or a tree (canonical JSON). Stored form is
// seal(compress(plaintext)) with the blob's type and id as associated data; reading re-derives
// the keyed id from the plaintext, so neither a flipped bit nor a swapped blob is ever returned.

import { isEwsVaultError } from "@ewsvault/mailbox";
import {
  type CompressionMethod,
  compressBlob,
  DEFAULT_COMPRESSION,
  decompressBlob,
} from "./compress/index.js";
import { keyedBlobId } from "./crypto/index.js";
import { type BlobType, blobAd, corrupt, TREE_ID_DOMAIN } from "./format.js";
import { openObject, type Sealer } from "./sealer.js";

/** Keyed content id of a blob's plaintext (trees are domain-separated from data). */
export function blobId(idKey: Uint8Array, type: BlobType, plaintext: Uint8Array): string {
  if (type === "data") return keyedBlobId(idKey, plaintext);
  const input = new Uint8Array(TREE_ID_DOMAIN.length + plaintext.length);
  input.set(TREE_ID_DOMAIN, 0);
  input.set(plaintext, TREE_ID_DOMAIN.length);
  return keyedBlobId(idKey, input);
}

/** `compression` is the repository's codec (blobCompression(config)); zstd unless given. */
export function sealBlob(
  sealer: Sealer,
  type: BlobType,
  id: string,
  plaintext: Uint8Array,
  compression: CompressionMethod = DEFAULT_COMPRESSION,
): Uint8Array {
  return sealer.seal(compressBlob(plaintext, compression), blobAd(type, id));
}

/**
 * Opens a stored blob and proves it is the one asked for. MUST throw REPO_CORRUPT when
 * authentication, decompression, the expected length or the re-derived id does not match.
 */
export function openBlob(
  sealer: Sealer,
  idKey: Uint8Array,
  type: BlobType,
  id: string,
  sealed: Uint8Array,
  rawLength: number,
  where: Record<string, unknown>,
): Uint8Array {
  const details = { ...where, blob: id, type };
  const compressed = openObject(sealer, sealed, blobAd(type, id), details);
  let plain: Uint8Array;
  try {
    plain = decompressBlob(compressed, rawLength);
  } catch (error) {
    if (isEwsVaultError(error, "REPO_CORRUPT"))
      throw corrupt(`blob ${id} does not decompress`, details, error);
    throw error;
  }
  if (plain.length !== rawLength) throw corrupt(`blob ${id} has the wrong length`, details);
  if (blobId(idKey, type, plain) !== id) throw corrupt(`blob ${id} does not hash to its id`, details);
  return plain;
}
