// Keys, keyed names and entry sealing of the mailbox index (format 3, docs/mailbox-index.md).
//
// The index sits next to the repository on the backup host, so it must not be the weak side:
// every value is sealed with AES-256-GCM under a key derived from the repository's cache key
// (itself derived from the master key), every database key that would name mailbox data is a
// keyed hash, and the directory of a mailbox is named by a keyed hash of its address. A value's
// associated data is the database key it is stored under, and the entry key is the mailbox's own,
// so an entry moved to another key (another item) or another mailbox fails authentication.
import { createHmac, hkdfSync, randomFillSync } from "node:crypto";
import { EwsVaultError } from "@ewsvault/mailbox";
import {
  type AeadCipher,
  createAeadCipher,
  KEY_BYTES,
  NONCE_BYTES,
  sealWithNonce,
} from "@ewsvault/repository";

/** HKDF salt of every index key; part of format 3, never change it. */
export const INDEX_HKDF_SALT = "ewsvault/v3/mailbox-index";
/** HKDF info strings (a mailbox's are followed by "\n" and its normalised address). */
export const INDEX_HKDF_INFO = {
  directoryName: "directory-name",
  entryKey: "entry-key",
  keyHashKey: "key-hash-key",
} as const;
/** Hex characters of a keyed hash in a database key or directory name (128 bits). */
const TAG_HEX = 32;
/** Directory names of format 3 start with this; older formats used a readable address. */
export const INDEX_DIRECTORY_PREFIX = "v3-";

/** Addresses are case-insensitive: one mailbox, one directory, one key, however it is spelled. */
export function normaliseMailboxAddress(mailbox: string): string {
  return mailbox.trim().toLowerCase();
}

function checkCacheKey(cacheKey: Uint8Array): void {
  if (!(cacheKey instanceof Uint8Array) || cacheKey.length !== KEY_BYTES) {
    throw new TypeError(`cache key must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
}

function derive(cacheKey: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", cacheKey, INDEX_HKDF_SALT, info, KEY_BYTES));
}

function tag(key: Uint8Array, text: string): string {
  return createHmac("sha256", key).update(text, "utf8").digest("hex").slice(0, TAG_HEX);
}

/** Name of a mailbox's index directory: reveals neither the address nor its domain. */
export function indexDirectoryName(cacheKey: Uint8Array, mailbox: string): string {
  checkCacheKey(cacheKey);
  const nameKey = derive(cacheKey, INDEX_HKDF_INFO.directoryName);
  return `${INDEX_DIRECTORY_PREFIX}${tag(nameKey, normaliseMailboxAddress(mailbox))}`;
}

/** The two keys of one mailbox's index (exported for the golden vectors of the format). */
export function deriveIndexEntryKeys(
  cacheKey: Uint8Array,
  mailbox: string,
): { readonly entryKey: Uint8Array; readonly keyHashKey: Uint8Array } {
  checkCacheKey(cacheKey);
  const address = normaliseMailboxAddress(mailbox);
  return {
    entryKey: derive(cacheKey, `${INDEX_HKDF_INFO.entryKey}\n${address}`),
    keyHashKey: derive(cacheKey, `${INDEX_HKDF_INFO.keyHashKey}\n${address}`),
  };
}

/**
 * Random nonces drawn from the CSPRNG 512 at a time: one randomBytes(12) call costs about as
 * much as sealing a small index value, and a commit seals a thousand of them. Each nonce is
 * handed out once (the offset only moves forward; the pool is refilled, never reread).
 */
class NoncePool {
  readonly #pool = new Uint8Array(NONCE_BYTES * 512);
  #offset = this.#pool.length;

  next(): Uint8Array {
    if (this.#offset === this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const nonce = this.#pool.slice(this.#offset, this.#offset + NONCE_BYTES);
    this.#offset += NONCE_BYTES;
    return nonce;
  }
}

/** Item tags memoised per index (about 250 bytes each). */
const ITEM_TAG_MEMO = 16_384;

/**
 * The keys of one mailbox's index: keyed hashes for database keys and sealing of values.
 * Folder tags are memoised: an incremental run asks for the same few folders many times.
 */
export class IndexEntryCipher {
  readonly #aead: AeadCipher;
  readonly #entryKey: Uint8Array;
  readonly #keyHashKey: Uint8Array;
  readonly #nonces = new NoncePool();
  readonly #folderTags = new Map<string, string>();
  readonly #itemTags = new Map<string, string>();

  constructor(cacheKey: Uint8Array, mailbox: string) {
    const { entryKey, keyHashKey } = deriveIndexEntryKeys(cacheKey, mailbox);
    this.#aead = createAeadCipher(entryKey);
    this.#entryKey = entryKey;
    this.#keyHashKey = keyHashKey;
  }

  /** Keyed hash of a folder id ("f" domain), 32 hex. */
  folderTag(folderId: string): string {
    let value = this.#folderTags.get(folderId);
    if (value === undefined) {
      value = tag(this.#keyHashKey, `f\n${folderId}`);
      this.#folderTags.set(folderId, value);
    }
    return value;
  }

  /**
   * Keyed hash of an item id ("i" domain), 32 hex. The recent ones are memoised: a backup asks
   * for an item's tag when it looks the item up, when it records it and when it checks which
   * items a sync did not report, each one an HMAC otherwise.
   */
  itemTag(itemId: string): string {
    let value = this.#itemTags.get(itemId);
    if (value === undefined) {
      value = tag(this.#keyHashKey, `i\n${itemId}`);
      // Bounded (item ids are ~150 characters): dropped wholesale when full, refilled as used.
      if (this.#itemTags.size >= ITEM_TAG_MEMO) this.#itemTags.clear();
      this.#itemTags.set(itemId, value);
    }
    return value;
  }

  /** Keyed hash of a database key ("k" domain), 16 bytes: the item set digest XORs these. */
  keyDigest(databaseKey: string): Buffer {
    return createHmac("sha256", this.#keyHashKey)
      .update(`k\n${databaseKey}`, "utf8")
      .digest()
      .subarray(0, 16);
  }

  /** Seals a JSON value bound to the database key it is stored under. */
  seal(databaseKey: string, value: unknown): Uint8Array {
    // The same seal as AeadCipher.seal() (node implementation), with a pooled random nonce.
    return sealWithNonce(
      this.#entryKey,
      this.#nonces.next(),
      Buffer.from(JSON.stringify(value), "utf8"),
      Buffer.from(databaseKey, "utf8"),
    );
  }

  /**
   * Opens a value stored under databaseKey. MUST throw INDEX_AUTH_FAILED when the bytes were
   * changed, truncated, sealed for another key (a swapped or moved entry) or another mailbox.
   */
  open(databaseKey: string, sealed: Uint8Array): unknown {
    let plain: Uint8Array;
    try {
      plain = this.#aead.open(sealed, Buffer.from(databaseKey, "utf8"));
    } catch (cause) {
      throw new EwsVaultError("INDEX_AUTH_FAILED", "a mailbox index entry failed authentication", {
        cause,
        details: { key: databaseKey },
      });
    }
    return JSON.parse(Buffer.from(plain.buffer, plain.byteOffset, plain.length).toString("utf8"));
  }
}
