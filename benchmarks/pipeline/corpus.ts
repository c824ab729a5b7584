// The benchmark corpus: mock-generated mailboxes written out as one file per item export, so our
// pipeline and restic read exactly the same bytes from the same files.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MockItemData } from "@ewsvault/mock-ews";
import * as mockEws from "@ewsvault/mock-ews";
import { createMailboxGenerator } from "@ewsvault/mock-ews";

type Encoder = (item: MockItemData) => Uint8Array;

const encoder = new TextEncoder();

/** Fallback when mock-ews does not export its export-stream codec: headers, body, raw attachments. */
function simpleExport(item: MockItemData): Uint8Array {
  const { attachments, ...fields } = item;
  const head = encoder.encode(
    `${JSON.stringify({ ...fields, body: undefined, attachments: attachments.map((a) => ({ ...a, content: a.content.length })) })}\n`,
  );
  const body = encoder.encode(item.body.content);
  const parts = [head, body, ...attachments.map((a) => a.content)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function exportEncoder(): { encode: Encoder; name: string } {
  const real = (mockEws as Record<string, unknown>).encodeExportStream;
  if (typeof real === "function") return { encode: real as Encoder, name: "encodeExportStream" };
  return { encode: simpleExport, name: "json+body+attachments" };
}

export interface CorpusFile {
  readonly path: string;
  readonly mailbox: string;
  readonly size: number;
}

/** Writes items round-robin over `mailboxes` until `targetBytes` are on disk. */
export async function writeCorpus(
  dir: string,
  targetBytes: number,
  mailboxes = 4,
  seed = 20_260_101,
): Promise<CorpusFile[]> {
  const { encode } = exportEncoder();
  const generator = createMailboxGenerator({
    seed,
    mailboxes,
    itemsPerMailbox: 1_000_000,
    maxItemBytes: 24 * 1024 * 1024,
  });
  const specs = generator.mailboxes();
  const files: CorpusFile[] = [];
  let total = 0;
  const cursors = specs.map((_, m) => ({ m, folder: 0, index: 0 }));
  while (total < targetBytes) {
    for (const cursor of cursors) {
      if (total >= targetBytes) break;
      const folders = generator.folders(cursor.m);
      while (cursor.index >= generator.itemCount(cursor.m, cursor.folder)) {
        cursor.folder = (cursor.folder + 1) % folders.length;
        cursor.index = 0;
      }
      const bytes = encode(generator.item(cursor.m, cursor.folder, cursor.index));
      const mailbox = specs[cursor.m]!.smtpAddress;
      const folderDir = join(dir, mailbox, String(cursor.folder));
      await mkdir(folderDir, { recursive: true });
      const path = join(folderDir, `${cursor.index}.bin`);
      await writeFile(path, bytes);
      files.push({ path, mailbox, size: bytes.length });
      total += bytes.length;
      cursor.index++;
    }
  }
  return files;
}
