// The shared attachment pool: entry i is the same file (name, type, bytes, timestamp) wherever it
// appears, so the same PDF recurs across items and mailboxes the way forwarded files do in real
// organisations, which is what makes cross-mailbox deduplication measurable. Binary kinds carry a
// plausible file header around pseudo-random (incompressible) bytes; text and CSV kinds compress.
// Content is made on first use and kept in a small LRU bounded by bytes.
import { mixSeed, Prng } from "./prng.js";
import { CITIES, MONTHS } from "./text.js";

export type PoolKind = "jpeg" | "png" | "pdf" | "docx" | "xlsx" | "pptx" | "zip" | "txt" | "csv";

export interface PoolEntry {
  readonly index: number;
  readonly kind: PoolKind;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly lastModifiedTime: string;
}

const CONTENT_TYPES: Record<PoolKind, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  zip: "application/zip",
  txt: "text/plain",
  csv: "text/csv",
};

const BASE_NAMES: Record<PoolKind, readonly string[]> = {
  jpeg: ["IMG_", "photo-", "Scan_", "Whiteboard_"],
  png: ["image", "screenshot-", "diagram_", "logo-"],
  pdf: ["Invoice_", "Contract_", "Report Q", "Angebot_", "Facture_", "عقد_", "חוזה_"],
  docx: ["Proposal_", "Meeting minutes ", "Protokoll_", "Compte-rendu_"],
  xlsx: ["Budget_", "Forecast_", "Kalkulation_", "Inventory_"],
  pptx: ["Kickoff_", "Roadmap_", "Präsentation_"],
  zip: ["Archive_", "logs_", "Export_"],
  txt: ["notes_", "README_", "server-log_"],
  csv: ["sales_", "export_", "contacts_"],
};

// Kinds cycle so every pool, however small, has images first (inline pictures, contact photos).
const KIND_CYCLE: readonly PoolKind[] = [
  "jpeg",
  "png",
  "pdf",
  "docx",
  "csv",
  "xlsx",
  "pdf",
  "txt",
  "zip",
  "jpeg",
  "pptx",
  "pdf",
  "png",
  "csv",
];

const KiB = 1024;
const MiB = 1024 * KiB;

export const SMALL_IMAGE_MAX = 64 * KiB;

export class AttachmentPool {
  readonly entries: readonly PoolEntry[];
  /** Indices of image entries no larger than SMALL_IMAGE_MAX (inline images, contact photos). */
  readonly smallImages: readonly number[];
  private readonly bySize: readonly PoolEntry[];

  constructor(
    private readonly seed: number,
    size: number,
  ) {
    if (!Number.isInteger(size) || size < 4)
      throw new TypeError("attachmentPoolSize must be an integer >= 4");
    const entries: PoolEntry[] = [];
    for (let i = 0; i < size; i++) entries.push(this.describe(i));
    this.entries = entries;
    this.smallImages = entries
      .filter((e) => (e.kind === "jpeg" || e.kind === "png") && e.size <= SMALL_IMAGE_MAX)
      .map((e) => e.index);
    this.bySize = [...entries].sort((a, b) => a.size - b.size || a.index - b.index);
  }

  private describe(index: number): PoolEntry {
    const rng = new Prng(mixSeed(this.seed, 0x504f4f4c, index));
    const kind = KIND_CYCLE[index % KIND_CYCLE.length]!;
    let size: number;
    if (index < 2) {
      size = rng.int(6 * KiB, 48 * KiB);
    } else if (kind === "txt" || kind === "csv") {
      size = Math.round(Math.exp(Math.log(2 * KiB) + rng.float() * Math.log(512)));
    } else {
      // Log-uniform between 8 KiB and 16 MiB; the big ones make the size tail of items.
      size = Math.round(Math.exp(Math.log(8 * KiB) + rng.float() * Math.log(2048)));
    }
    const extension = kind === "jpeg" ? "jpg" : kind;
    const name = `${rng.pick(BASE_NAMES[kind])}${1000 + index}.${extension}`;
    const modified = Date.UTC(2021, 0, 1) + rng.int(0, 4 * 365 * 24 * 3600) * 1000;
    return {
      index,
      kind,
      name,
      contentType: CONTENT_TYPES[kind],
      size,
      lastModifiedTime: isoSeconds(modified),
    };
  }

  /** Entries no larger than maxBytes, smallest first. */
  fitting(maxBytes: number): readonly PoolEntry[] {
    let lo = 0;
    let hi = this.bySize.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bySize[mid]!.size <= maxBytes) lo = mid + 1;
      else hi = mid;
    }
    return this.bySize.slice(0, lo);
  }

  /** The pool index of bytes this pool (or another with the same seed) handed out, if any. */
  indexOf(content: Uint8Array): number | undefined {
    const found = contentIndex.get(content);
    return found !== undefined && found.seed === this.seed ? found.index : undefined;
  }

  /** The bytes of entry i; identical on every call and in every generator with the same seed. */
  content(index: number): Uint8Array {
    const key = `${this.seed}:${index}`;
    const cached = contentCache.get(key);
    if (cached) {
      contentCache.delete(key);
      contentCache.set(key, cached);
      return cached;
    }
    const entry = this.entries[index];
    if (!entry) throw new TypeError(`attachment pool has no entry ${index}`);
    const bytes = makeContent(entry, new Prng(mixSeed(this.seed, 0x44415441, index)));
    contentIndex.set(bytes, { seed: this.seed, index });
    contentCache.set(key, bytes);
    cachedBytes += bytes.length;
    for (const [oldKey, value] of contentCache) {
      if (cachedBytes <= CACHE_LIMIT_BYTES || oldKey === key) break;
      contentCache.delete(oldKey);
      cachedBytes -= value.length;
    }
    return bytes;
  }
}

// One LRU for every pool in the process: entry i of seed s is the same file in every generator
// (a server and its tests often build several generators with one seed), so it is made once.
// Callers receive the cached array itself and must not modify it.
const CACHE_LIMIT_BYTES = 96 * MiB;
const contentCache = new Map<string, Uint8Array>();
const contentIndex = new WeakMap<Uint8Array, { readonly seed: number; readonly index: number }>();
let cachedBytes = 0;

export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

const ascii = new TextEncoder();

function framed(size: number, head: string | Uint8Array, tail: string | Uint8Array, rng: Prng): Uint8Array {
  const headBytes = typeof head === "string" ? ascii.encode(head) : head;
  const tailBytes = typeof tail === "string" ? ascii.encode(tail) : tail;
  const total = Math.max(size, headBytes.length + tailBytes.length + 16);
  const bytes = new Uint8Array(total);
  bytes.set(headBytes, 0);
  rng.fill(bytes.subarray(headBytes.length, total - tailBytes.length));
  bytes.set(tailBytes, total - tailBytes.length);
  return bytes;
}

function makeContent(entry: PoolEntry, rng: Prng): Uint8Array {
  const size = entry.size;
  switch (entry.kind) {
    case "jpeg":
      return framed(
        size,
        Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0),
        Uint8Array.of(0xff, 0xd9),
        rng,
      );
    case "png":
      return framed(
        size,
        Uint8Array.of(
          0x89,
          0x50,
          0x4e,
          0x47,
          0x0d,
          0x0a,
          0x1a,
          0x0a,
          0,
          0,
          0,
          13,
          0x49,
          0x48,
          0x44,
          0x52,
          0,
          0,
          2,
          0x80,
          0,
          0,
          1,
          0xe0,
          8,
          6,
          0,
          0,
          0,
        ),
        Uint8Array.of(0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82),
        rng,
      );
    case "pdf":
      return framed(
        size,
        "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
          "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
          `4 0 obj\n<< /Length ${size} /Filter /FlateDecode >>\nstream\n`,
        "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        rng,
      );
    case "docx":
    case "xlsx":
    case "pptx":
    case "zip": {
      const inner =
        entry.kind === "docx" ? "word/document.xml" : entry.kind === "xlsx" ? "xl/workbook.xml" : "data.bin";
      const head = new Uint8Array(30 + inner.length);
      head.set([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0]);
      head[26] = inner.length;
      head.set(ascii.encode(inner), 30);
      return framed(size, head, Uint8Array.of(0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0), rng);
    }
    case "csv":
      return compressibleText(size, rng, true);
    case "txt":
      return compressibleText(size, rng, false);
  }
}

const PRODUCTS = ["Widget-12", "Gadget Pro", "Sprocket", "Überkabel", "Café Blend", "Лампа", "ランプ"];
const REGIONS = ["EMEA", "APAC", "AMER", "DACH", "LATAM"];
const LOG_LEVELS = ["INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"];

function compressibleText(size: number, rng: Prng, csv: boolean): Uint8Array {
  const lines: string[] = [csv ? "date,region,city,product,units,revenue,month" : "# exported log"];
  let length = lines[0]!.length + 1;
  const day0 = Date.UTC(2023, 0, 1);
  while (length < size) {
    const date = new Date(day0 + rng.int(0, 700) * 86400000).toISOString().slice(0, 10);
    const line = csv
      ? `${date},${rng.pick(REGIONS)},${rng.pick(CITIES)},${rng.pick(PRODUCTS)},${rng.int(1, 500)},${rng.int(10, 99999)}.${rng.int(10, 99)},${rng.pick(MONTHS)}`
      : `${date}T${String(rng.int(0, 23)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}:00Z ${rng.pick(LOG_LEVELS)} worker-${rng.int(1, 16)} processed batch ${rng.int(1, 99999)} for ${rng.pick(CITIES)} in ${rng.int(1, 900)} ms`;
    lines.push(line);
    length += line.length + 1;
  }
  const bytes = ascii.encode(`${lines.join("\n")}\n`);
  return bytes.length > size ? bytes.slice(0, size) : bytes;
}
