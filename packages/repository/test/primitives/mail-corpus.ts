// A synthetic, seeded mailbox corpus shaped like the mock EWS export stream (TLV property
// records, attachment bytes in place, a checksum at the end), used to measure deduplication
// and compression of chunker parameters without depending on another package. Shape taken
// from the mock generator's model: log-normal item sizes (median 30 KiB, sigma 1.45), about a
// third of items with attachments drawn from a shared pool of 48 files, reply chains quoting
// earlier bodies, and "one property changed" re-exports (flag, read state, category).

import { crc32 } from "node:zlib";

/** mulberry32: tiny, seedable, good enough for test data (not for crypto). */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the of and to in is for on that with as this by be are from at we it your have will please meeting " +
  "project report attached quarter review budget thanks regards team update customer contract invoice " +
  "schedule deadline draft version comments feedback approval office call tomorrow monday friday next " +
  "week month sales numbers figures forecast risk issue status action items agenda notes minutes hi " +
  "hello dear best kind let me know if you any questions would like discuss proposal offer delivery " +
  "order shipment payment account support ticket request change server migration exchange mailbox"
).split(" ");

function text(rand: () => number, bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  let sentence = 0;
  while (length < bytes) {
    let word = WORDS[Math.floor(rand() * WORDS.length)]!;
    if (sentence === 0) word = word[0]!.toUpperCase() + word.slice(1);
    sentence++;
    if (sentence > 6 + rand() * 14) {
      word += rand() < 0.15 ? ".\r\n\r\n" : ". ";
      sentence = 0;
    } else word += " ";
    parts.push(word);
    length += word.length;
  }
  return parts.join("").slice(0, bytes);
}

function logNormal(rand: () => number, median: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * z);
}

export interface CorpusItem {
  readonly id: number;
  readonly subject: string;
  readonly flag: number;
  readonly isRead: boolean;
  readonly categories: readonly string[];
  readonly body: string;
  readonly attachments: readonly Uint8Array[];
}

export interface MailCorpus {
  readonly items: CorpusItem[];
  /** Attachment pool (shared between items). */
  readonly pool: readonly Uint8Array[];
}

/** A pool file: half compressible (text, CSV, logs), half not (JPEG, ZIP, PDF streams). */
function poolFile(rand: () => number, index: number): Uint8Array {
  const size = Math.min(Math.round(logNormal(rand, 180 * 1024, 1.2)), 6 * 1024 * 1024);
  if (index % 2 === 0) return new TextEncoder().encode(text(rand, size));
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = (rand() * 4294967296) >>> 0;
    out[i] = v & 0xff;
    out[i + 1] = (v >>> 8) & 0xff;
    out[i + 2] = (v >>> 16) & 0xff;
    out[i + 3] = v >>> 24;
  }
  return out;
}

export function createMailCorpus(seed: number, itemCount: number, poolSize = 48): MailCorpus {
  const rand = createPrng(seed);
  const pool = Array.from({ length: poolSize }, (_, i) => poolFile(rand, i));
  const items: CorpusItem[] = [];
  for (let id = 0; id < itemCount; id++) {
    const size = Math.min(Math.max(Math.round(logNormal(rand, 30 * 1024, 1.45)), 1024), 8 * 1024 * 1024);
    const attachments: Uint8Array[] = [];
    let bodyBytes = size;
    if (rand() < 0.3) {
      const count = 1 + Math.floor(rand() * 3);
      for (let a = 0; a < count; a++) {
        const file = pool[Math.floor(rand() * pool.length)]!;
        attachments.push(file);
        bodyBytes -= file.length;
      }
    }
    bodyBytes = Math.max(bodyBytes, 800);
    let body = text(rand, bodyBytes);
    // Reply chains: a quarter of the items quote an earlier body at a new offset.
    const earlier = items.length > 0 ? items[Math.floor(rand() * items.length)] : undefined;
    if (earlier !== undefined && rand() < 0.25) {
      body = `${text(rand, 200 + Math.floor(rand() * 2000))}\r\n\r\n-----Original Message-----\r\n${earlier.body}`;
    }
    items.push({
      id,
      subject: text(rand, 20 + Math.floor(rand() * 60)),
      flag: 0,
      isRead: false,
      categories: [],
      body,
      attachments,
    });
  }
  return { items, pool };
}

function record(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + value.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag);
  view.setUint32(2, value.length);
  out.set(value, 6);
  return out;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The item as an export stream: properties first, body, attachments in place, CRC-32 last. */
export function encodeItem(item: CorpusItem): Uint8Array {
  const records: Uint8Array[] = [utf8("MEXS\u0001\u0000")];
  records.push(record(1, utf8("IPM.Note")));
  records.push(record(2, utf8(item.subject)));
  records.push(record(5, Uint8Array.of(item.isRead ? 1 : 0)));
  records.push(record(6, Uint8Array.of(item.flag)));
  for (const category of item.categories) records.push(record(7, utf8(category)));
  records.push(record(8, utf8(new Date(Date.UTC(2024, 0, 1) + item.id * 3_600_000).toISOString())));
  records.push(record(12, utf8(`sender${item.id % 97}@contoso.test`)));
  records.push(record(13, utf8(`user${item.id % 13}@contoso.test`)));
  records.push(record(21, utf8(item.body)));
  for (const [index, attachment] of item.attachments.entries()) {
    const name = record(1, utf8(`attachment-${index}.bin`));
    const content = record(7, attachment);
    const group = new Uint8Array(name.length + content.length);
    group.set(name, 0);
    group.set(content, name.length);
    records.push(record(22, group));
  }
  const length = records.reduce((sum, r) => sum + r.length, 0);
  const out = new Uint8Array(length + 10);
  let offset = 0;
  for (const r of records) {
    out.set(r, offset);
    offset += r.length;
  }
  const end = record(0xffff, new Uint8Array(4));
  new DataView(end.buffer).setUint32(6, crc32(out.subarray(0, offset)) >>> 0);
  out.set(end, offset);
  return out;
}

/** "One property changed": the kinds of edits a user makes to mail that is already backed up. */
export function modifyItem(item: CorpusItem, rand: () => number): CorpusItem {
  const r = rand();
  if (r < 0.4) return { ...item, isRead: !item.isRead };
  if (r < 0.7) return { ...item, flag: item.flag === 0 ? 2 : 0 };
  return { ...item, categories: [...item.categories, rand() < 0.5 ? "Red category" : "Follow up"] };
}

/** The synthetic corpus as exports, plus re-exports of every tenth item after one edit. */
export function syntheticExports(
  seed: number,
  itemCount: number,
): { exports: Uint8Array[]; modifiedExports: Uint8Array[] } {
  const corpus = createMailCorpus(seed, itemCount);
  const rand = createPrng(seed ^ 0x5eed);
  return {
    exports: corpus.items.map(encodeItem),
    modifiedExports: corpus.items
      .filter((_, i) => i % 10 === 0)
      .map((item) => encodeItem(modifyItem(item, rand))),
  };
}
