// Content of generated items that nothing modified yet: the store keeps only where the
// generator made such an item (ItemOrigin) and regenerates it on demand. Regenerating is cheap
// but not free, so a small cache serves paging loops that touch the same items; it counts the
// body characters it regenerated so the server can trigger a collection after a large burst.
import type { MailboxGenerator, MockItemData } from "../model.js";
import { type ItemOrigin, PUBLIC_MAILBOX_INDEX } from "./records.js";

const CACHE_ITEMS = 16;
// Keep only small items: a few multi-MB bodies held here would dominate the server's memory.
const CACHE_MAX_BODY_CHARS = 128 * 1024;

export class GeneratedItems {
  readonly #generator: MailboxGenerator;
  readonly #cache = new Map<string, MockItemData>();
  /** Body characters regenerated since the server last reset it (drives collectSoon). */
  generatedChars = 0;

  constructor(generator: MailboxGenerator) {
    this.#generator = generator;
  }

  /** The generator's item at `origin`, the same object while it stays in the cache. */
  item(origin: ItemOrigin): MockItemData {
    const key = `${origin.mailbox}/${origin.folderIndex}/${origin.itemIndex}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const data =
      origin.mailbox === PUBLIC_MAILBOX_INDEX
        ? this.#generator.publicItem(origin.folderIndex, origin.itemIndex)
        : this.#generator.item(origin.mailbox, origin.folderIndex, origin.itemIndex);
    this.generatedChars += data.body.content.length;
    if (data.body.content.length <= CACHE_MAX_BODY_CHARS) {
      this.#cache.set(key, data);
      if (this.#cache.size > CACHE_ITEMS) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    return data;
  }
}
