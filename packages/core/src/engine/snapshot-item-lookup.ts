// The snapshot's item lookup: which folder holds an item id, without reading every folder's item
// pages. A single-item restore from a 100,000-item mailbox otherwise loads ~1,600 pages to find
// one entry. docs/snapshot-tree.md specifies its trees as the "Item index" (tree kinds
// "item-index" and "item-index-bucket", the mailbox tree's `itemIndex`): those on-disk names stay;
// the code says "lookup" so that "index" keeps meaning the per-mailbox LevelDB index.
//
// Entries are sorted by the SHA-256 of the item id and cut into buckets where that hash says so
// (like item pages), and the lookup root lists each bucket with the hash key of its first entry.
// A lookup hashes the id, picks the one bucket whose range holds it and reads only that bucket.
// Ordering by hash, not by id, spreads new items evenly; cutting by content, not by count, keeps
// every bucket an item did not enter or leave byte-identical, so an unchanged mailbox writes the
// same trees (deduplicated, nothing new stored) and a few new mails rewrite a few buckets.
import { createHash } from "node:crypto";
import { EwsVaultError } from "@ewsvault/mailbox";
import type { EngineRepository, EngineWriter } from "./repository-port.js";

export const ITEM_LOOKUP_VERSION = 1;
/** Average entries per bucket: one bucket plus the root stay small for any mailbox size. */
const BUCKET_DIVISOR = 256;
/** Hard cap so a run of unlucky hashes cannot make one huge bucket. */
const MAX_BUCKET_ENTRIES = 4096;
/** Hex digits of the hash that order entries and key the buckets (64 bits). */
const KEY_HEX_LENGTH = 16;

/** One bucket as the lookup root lists it: the key of its first entry and its tree id. */
export interface ItemLookupBucketRef {
  readonly first: string;
  readonly subtree: string;
}

export interface ItemLookupTree {
  readonly kind: "item-index";
  readonly v: number;
  /** Number of entries over all buckets. */
  readonly items: number;
  /** In key order; a bucket covers keys from its `first` up to the next bucket's `first`. */
  readonly buckets: readonly ItemLookupBucketRef[];
}

/** `[itemId, position of the folder id in the bucket's folders]`. */
export type ItemLookupEntry = readonly [itemId: string, folder: number];

export interface ItemLookupBucketTree {
  readonly kind: "item-index-bucket";
  readonly v: number;
  /**
   * The distinct folder ids of the entries, sorted. Naming each once keeps a bucket about a third
   * smaller and serialising it about twice as fast as repeating them; a per-bucket list (not one
   * for the whole lookup) keeps a new folder from changing every bucket.
   */
  readonly folders: readonly string[];
  /** In (key, item id, folder id) order. */
  readonly entries: readonly ItemLookupEntry[];
}

/** SHA-256 of the item id's UTF-8 bytes: item page boundaries and the lookup both use it. */
export function itemIdHash(itemId: string): Buffer {
  return createHash("sha256").update(itemId, "utf8").digest();
}

/** The lookup key of an item: the first 64 bits of its id hash, as lower-case hex. */
export function itemLookupKey(itemId: string): string {
  return itemIdHash(itemId).toString("hex", 0, KEY_HEX_LENGTH / 2);
}

interface PendingEntry {
  /** Hash bits 0..31 and 32..63: the key, as numbers so sorting 100,000 entries stays cheap. */
  readonly high: number;
  readonly low: number;
  /** Bits 64..95 of the hash: whether a bucket may end after this entry. */
  readonly cut: number;
  readonly itemId: string;
  readonly folderId: string;
}

const hex32 = (value: number): string => value.toString(16).padStart(8, "0");

const compareEntries = (a: PendingEntry, b: PendingEntry): number =>
  a.high !== b.high
    ? a.high - b.high
    : a.low !== b.low
      ? a.low - b.low
      : a.itemId < b.itemId
        ? -1
        : a.itemId > b.itemId
          ? 1
          : a.folderId < b.folderId
            ? -1
            : a.folderId > b.folderId
              ? 1
              : 0;

/**
 * Collects a snapshot's (item id, folder id) pairs while its folders are written, then writes
 * the lookup trees. Memory: one small record per item (the id strings are shared with the caller).
 */
export class ItemLookupBuilder {
  readonly #entries: PendingEntry[] = [];

  /** `hash` is itemIdHash(itemId) when the caller has it already (it must be that exactly). */
  add(itemId: string, folderId: string, hash: Buffer = itemIdHash(itemId)): void {
    this.#entries.push({
      high: hash.readUInt32BE(0),
      low: hash.readUInt32BE(4),
      cut: hash.readUInt32BE(KEY_HEX_LENGTH / 2),
      itemId,
      folderId,
    });
  }

  /** Saves the buckets and the lookup root; returns the root's tree id. */
  async write(writer: EngineWriter): Promise<string> {
    const entries = this.#entries.sort(compareEntries);
    const buckets: ItemLookupBucketRef[] = [];
    let start = 0;
    const flush = async (end: number) => {
      const slice = entries.slice(start, end);
      const folders = [...new Set(slice.map((e) => e.folderId))].sort();
      const position = new Map(folders.map((folderId, index) => [folderId, index]));
      const bucket: ItemLookupBucketTree = {
        kind: "item-index-bucket",
        v: ITEM_LOOKUP_VERSION,
        folders,
        entries: slice.map((e) => [e.itemId, position.get(e.folderId)!] as const),
      };
      const first = entries[start]!;
      buckets.push({ first: hex32(first.high) + hex32(first.low), subtree: await writer.saveTree(bucket) });
      start = end;
    };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const next = entries[i + 1];
      // Never between equal keys: a lookup then finds every entry of a key in one bucket.
      if (next === undefined || (next.high === entry.high && next.low === entry.low)) continue;
      if (entry.cut % BUCKET_DIVISOR === 0 || i + 1 - start >= MAX_BUCKET_ENTRIES) await flush(i + 1);
    }
    if (start < entries.length) await flush(entries.length);
    const root: ItemLookupTree = {
      kind: "item-index",
      v: ITEM_LOOKUP_VERSION,
      items: entries.length,
      buckets,
    };
    return writer.saveTree(root);
  }
}

function invalid(what: string): EwsVaultError {
  return new EwsVaultError("SNAPSHOT_TREE_INVALID", `snapshot item index is malformed: ${what}`);
}

/**
 * Position of the last of `sorted` whose `first` is <= key, or -1 when key sorts before all of them
 * (binary search; `sorted` ascending by `first`). Shared by bucket and item-page lookups.
 */
export function lastAtOrBefore(sorted: readonly { readonly first?: string }[], key: string): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle]!.first ?? "") <= key) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/**
 * Where each of `itemIds` is in the snapshot: item id -> the ids of the folders holding it
 * (ids not in the snapshot are absent). Reads the lookup root and one bucket per distinct bucket
 * the ids fall in. Returns undefined when the lookup has a version this reader does not know:
 * the caller then walks the folders, which every version keeps readable.
 * MUST throw SNAPSHOT_TREE_INVALID for a malformed lookup root or bucket.
 */
export async function lookupItemFolders(
  repository: Pick<EngineRepository, "loadTree">,
  lookupTreeId: string,
  itemIds: Iterable<string>,
): Promise<Map<string, string[]> | undefined> {
  const root = (await repository.loadTree(lookupTreeId)) as ItemLookupTree;
  if (root?.kind !== "item-index") throw invalid("root is not an item index");
  if (root.v !== ITEM_LOOKUP_VERSION) return undefined;
  if (!Array.isArray(root.buckets)) throw invalid("root has no bucket list");
  const wantedByBucket = new Map<number, Set<string>>();
  for (const itemId of itemIds) {
    const bucket = lastAtOrBefore(root.buckets, itemLookupKey(itemId));
    if (bucket < 0) continue;
    const wanted = wantedByBucket.get(bucket) ?? new Set<string>();
    wanted.add(itemId);
    wantedByBucket.set(bucket, wanted);
  }
  const found = new Map<string, string[]>();
  await Promise.all(
    [...wantedByBucket].map(async ([bucket, wanted]) => {
      const ref = root.buckets[bucket]!;
      const tree = (await repository.loadTree(ref.subtree)) as ItemLookupBucketTree;
      if (tree?.kind !== "item-index-bucket" || !Array.isArray(tree.entries) || !Array.isArray(tree.folders))
        throw invalid("bucket");
      if (tree.v !== ITEM_LOOKUP_VERSION) throw invalid(`bucket version ${String(tree.v)}`);
      for (const entry of tree.entries) {
        const valid = Array.isArray(entry) && typeof entry[0] === "string" && Number.isInteger(entry[1]);
        const folderId = valid ? tree.folders[entry[1]] : undefined;
        if (typeof folderId !== "string") throw invalid("bucket entry");
        if (!wanted.has(entry[0])) continue;
        const folders = found.get(entry[0]) ?? [];
        folders.push(folderId);
        found.set(entry[0], folders);
      }
    }),
  );
  return found;
}
