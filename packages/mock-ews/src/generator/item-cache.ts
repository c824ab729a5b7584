// A bounded LRU of generated items. The server regenerates an item for every request that reads
// it (unread counts, SyncFolderItems views, ExportItems), and making the prose of a body is most
// of the cost; a real Exchange reads items from its store. Attachment bytes are not kept: they
// belong to the shared attachment pool (which has its own bounded cache), so an entry holds the
// pool index instead and takes the bytes from the pool again when it is read.
import type { MockAttachment, MockItemData } from "../model.js";
import type { AttachmentPool } from "./attachment-pool.js";

interface Entry {
  /** The item with every attachment's content replaced by an empty array. */
  readonly data: MockItemData;
  /** Per attachment: its pool index, or its own bytes when it is not a pool file. */
  readonly contents: readonly (number | Uint8Array)[];
  readonly cost: number;
}

const EMPTY = new Uint8Array(0);

/** An upper estimate of the bytes an entry keeps alive (strings as UTF-16, small objects). */
function costOf(data: MockItemData, ownBytes: number): number {
  const people =
    data.toRecipients.length +
    data.ccRecipients.length +
    data.bccRecipients.length +
    (data.calendar ? data.calendar.requiredAttendees.length + data.calendar.optionalAttendees.length : 0);
  return 1024 + 2 * (data.body.content.length + data.subject.length) + 160 * people + ownBytes;
}

export class ItemCache {
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;
  #used = 0;

  constructor(
    limitBytes: number,
    private readonly pool: AttachmentPool,
  ) {
    this.#limit = limitBytes;
  }

  /** A fresh top-level object each time; nested values are shared and MUST NOT be modified. */
  get(key: string): MockItemData | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    const attachments = entry.data.attachments.map((attachment, index): MockAttachment => {
      const content = entry.contents[index]!;
      return { ...attachment, content: typeof content === "number" ? this.pool.content(content) : content };
    });
    return { ...entry.data, attachments };
  }

  set(key: string, data: MockItemData): void {
    if (this.#limit <= 0) return;
    let ownBytes = 0;
    const contents = data.attachments.map((attachment) => {
      const index = this.pool.indexOf(attachment.content);
      if (index !== undefined) return index;
      ownBytes += attachment.content.length;
      return attachment.content;
    });
    const cost = costOf(data, ownBytes);
    // One item may not take more than an eighth of the cache (a 40 MB body would flush it).
    if (cost > this.#limit / 8) return;
    const stripped: MockItemData = {
      ...data,
      attachments: data.attachments.map((attachment) => ({ ...attachment, content: EMPTY })),
    };
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#used -= previous.cost;
    }
    this.#entries.set(key, { data: stripped, contents, cost });
    this.#used += cost;
    for (const [oldKey, old] of this.#entries) {
      if (this.#used <= this.#limit) break;
      this.#entries.delete(oldKey);
      this.#used -= old.cost;
    }
  }
}
