// Every item key of an open mailbox index, held in memory and grouped by folder, so that "is
// this item indexed?" and "which items does this folder hold?" are answered without a database
// read. Loaded (and checked against the header) once per open index by item-set.ts; every
// commit brings it up to date after the database has the commit.

/** The folder part of an item key "i!<folder tag>!<item tag>": "i!<folder tag>!". */
export function itemKeyFolderPrefix(key: string): string {
  return key.slice(0, key.lastIndexOf("!") + 1);
}

export class ItemKeys implements Iterable<string> {
  readonly #byFolder = new Map<string, Set<string>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(key: string): boolean {
    return this.#byFolder.get(itemKeyFolderPrefix(key))?.has(key) ?? false;
  }

  add(key: string): void {
    const prefix = itemKeyFolderPrefix(key);
    let keys = this.#byFolder.get(prefix);
    if (keys === undefined) {
      keys = new Set();
      this.#byFolder.set(prefix, keys);
    }
    if (keys.has(key)) return;
    keys.add(key);
    this.#size++;
  }

  delete(key: string): void {
    const prefix = itemKeyFolderPrefix(key);
    const keys = this.#byFolder.get(prefix);
    if (keys === undefined || !keys.delete(key)) return;
    this.#size--;
    if (keys.size === 0) this.#byFolder.delete(prefix);
  }

  /** The keys under one folder prefix ("i!<folder tag>!"); do not change them while iterating. */
  inFolder(prefix: string): ReadonlySet<string> {
    return this.#byFolder.get(prefix) ?? EMPTY;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const keys of this.#byFolder.values()) yield* keys;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
