// The item set of a mailbox index: how many item entries it holds and the XOR of a keyed hash of
// each one's database key, kept in the sealed header and brought up to date by every commit.
// Sealing proves each entry is one the engine wrote under its key; only this proves none was
// deleted (or, from an older copy, added back) outside ewsvault. Checking it means reading every
// item key, so the engine does it only before it writes a snapshot tree from the index.

import { EwsVaultError } from "@ewsvault/mailbox";
import type { Level } from "level";
import type { IndexEntryCipher } from "./index-crypto.js";
import { ItemKeys } from "./item-keys.js";

export interface ItemSet {
  readonly count: number;
  /** 32 hex: XOR of keyDigest(key) over every item key. */
  readonly digest: string;
}

export const EMPTY_ITEM_SET: ItemSet = { count: 0, digest: "0".repeat(32) };

const isItemKey = (key: string) => key.startsWith("i!");

function xorInto(target: Buffer, digest: Buffer): void {
  for (let i = 0; i < target.length; i++) target[i]! ^= digest[i]!;
}

type Operation = { readonly type: "put" | "del"; readonly key: string };

/**
 * The item set after `operations` (applied in order) on top of `current`, given `deleted` (the
 * keys a folder deletion removes first) and `keys`, every item key the database holds now (see
 * loadItemKeys). A put of an existing key or a delete of a missing one changes nothing. `keys` is
 * left alone: call the returned `apply()` once the commit is durable.
 */
export function nextItemSet(
  cipher: IndexEntryCipher,
  current: ItemSet,
  keys: ItemKeys,
  deleted: readonly string[],
  operations: readonly Operation[],
): { readonly itemSet: ItemSet; apply(): void } {
  const changed = new Map<string, boolean>();
  const present = (key: string) => changed.get(key) ?? keys.has(key);
  const digest = Buffer.from(current.digest, "hex");
  let count = current.count;
  const toggle = (key: string, now: boolean) => {
    if (present(key) === now) return;
    changed.set(key, now);
    xorInto(digest, cipher.keyDigest(key));
    count += now ? 1 : -1;
  };
  for (const key of deleted) toggle(key, false);
  for (const operation of operations)
    if (isItemKey(operation.key)) toggle(operation.key, operation.type === "put");
  return {
    itemSet: { count, digest: digest.toString("hex") },
    apply() {
      for (const [key, now] of changed) {
        if (now) keys.add(key);
        else keys.delete(key);
      }
    },
  };
}

/**
 * Every item key of the database, read once per open index before its first commit that touches
 * items (a run that changes nothing never reads them), and checked against `expected` on the way.
 * MUST throw INDEX_AUTH_FAILED when they differ (see checkItemSet).
 */
export async function loadItemKeys(
  db: Level<string, Uint8Array>,
  cipher: IndexEntryCipher,
  expected: ItemSet,
): Promise<ItemKeys> {
  const keys = new ItemKeys();
  for await (const key of db.keys({ gte: "i!", lt: 'i"' })) keys.add(key);
  compare(cipher, keys, expected);
  return keys;
}

function compare(cipher: IndexEntryCipher, keys: Iterable<string>, expected: ItemSet): void {
  const digest = Buffer.alloc(16);
  let count = 0;
  for (const key of keys) {
    xorInto(digest, cipher.keyDigest(key));
    count++;
  }
  if (count !== expected.count || digest.toString("hex") !== expected.digest) {
    throw new EwsVaultError(
      "INDEX_AUTH_FAILED",
      "the mailbox index's items do not match its header (entries removed or put back outside ewsvault)",
      { details: { expected: expected.count, found: count } },
    );
  }
}

/**
 * Reads every item key and compares with `expected`. MUST throw INDEX_AUTH_FAILED when they
 * differ: an entry was removed, or an entry of an older copy put back, outside ewsvault.
 */
export async function checkItemSet(
  db: Level<string, Uint8Array>,
  cipher: IndexEntryCipher,
  expected: ItemSet,
): Promise<void> {
  await loadItemKeys(db, cipher, expected);
}
