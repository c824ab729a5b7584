import { describe, expect, it } from "vitest";
import { ExportStreamError, decodeExportStream, encodeExportStream } from "../../src/codec/index.js";
import { createMailboxGenerator } from "../../src/generator/index.js";

describe("export stream", () => {
  it("round-trips a generated item", () => {
    const gen = createMailboxGenerator({ seed: 1, mailboxes: 1, itemsPerMailbox: 5 });
    const item = gen.item(0, 0, 0);
    expect(decodeExportStream(encodeExportStream(item)).item).toStrictEqual(item);
  });
  it("rejects garbage with CORRUPT_EXPORT_STREAM", () => {
    expect(() => decodeExportStream(new Uint8Array([1, 2, 3]))).toThrow(ExportStreamError);
  });
});
