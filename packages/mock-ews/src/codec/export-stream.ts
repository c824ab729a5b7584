import type { MockItemData } from "../model.js";
import { ExportStreamError } from "./errors.js";

export { ExportStreamError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

// Placeholder encoding so the server can import the API; replaced by the property stream.
export function encodeExportStream(item: MockItemData, extra?: { searchKey?: Uint8Array }): Uint8Array {
  return encoder.encode(
    JSON.stringify({ item, searchKey: extra?.searchKey ? [...extra.searchKey] : undefined }),
  );
}

export function decodeExportStream(bytes: Uint8Array): { item: MockItemData; searchKey?: Uint8Array } {
  try {
    const parsed = JSON.parse(decoder.decode(bytes)) as { item: MockItemData; searchKey?: number[] };
    return parsed.searchKey
      ? { item: parsed.item, searchKey: Uint8Array.from(parsed.searchKey) }
      : { item: parsed.item };
  } catch (error) {
    throw new ExportStreamError("export stream is not decodable", { cause: error });
  }
}
