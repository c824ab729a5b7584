// Pins the exact bytes the mock serves: digests of generated mailboxes' export streams (the
// generator and the export-stream codec together), of their MIME, and of whole ExportItems
// responses (the bulk operation's framing and base64). Taken before the CPU work of issue 6 so
// every speed-up can prove it changed no output byte; a digest change here is a format change.
import { createHash } from "node:crypto";
import { startMockEwsServer } from "@ewsvault/mock-ews";
import { describe, expect, it } from "vitest";
import { decodeExportStream, encodeExportStream, itemToMime } from "../../src/codec/index.js";
import { createMailboxGenerator, type GeneratorOptions } from "../../src/generator/index.js";
import { esc } from "../../src/xml.js";
import { ids, soap } from "../helpers.js";

function digestMailboxes(
  options: GeneratorOptions,
  withMime: boolean,
  gen = createMailboxGenerator(options),
): { streams: string; mime: string } {
  const streams = createHash("sha256");
  const mime = createHash("sha256");
  let key = 0;
  const add = (item: Parameters<typeof encodeExportStream>[0]) => {
    // Every other item carries a search key, so the optional record is covered too.
    const searchKey = key % 2 === 0 ? Uint8Array.of(key & 0xff, 1, 2, 3) : undefined;
    key++;
    const bytes = encodeExportStream(item, searchKey === undefined ? {} : { searchKey });
    streams.update(String(bytes.length)).update(bytes);
    if (withMime) mime.update(itemToMime(item));
  };
  for (let m = 0; m < options.mailboxes; m++) {
    gen.folders(m).forEach((_, f) => {
      for (let i = 0; i < gen.itemCount(m, f); i++) add(gen.item(m, f, i));
    });
  }
  gen.publicFolders().forEach((_, f) => {
    for (let i = 0; i < gen.publicItemCount(f); i++) add(gen.publicItem(f, i));
  });
  return { streams: streams.digest("hex"), mime: mime.digest("hex") };
}

describe("byte identity of what the mock serves", () => {
  it("generates the same export streams and MIME, byte for byte, as when this test was written", () => {
    const full = digestMailboxes({ seed: 4242, mailboxes: 3, itemsPerMailbox: 150 }, true);
    expect(full.streams).toBe("b8eb4bb3a0292b1250418fe94be81cb53c7a902feb7817ba4a7d8e5801aa1ee1");
    expect(full.mime).toBe("e343810711fe3e3944d4716e2f2e35ab6371537535e666834b9301b42068fab2");
    const small = digestMailboxes(
      { seed: 7, mailboxes: 2, itemsPerMailbox: 200, maxItemBytes: 16 * 1024, publicFolderItems: 5 },
      false,
    );
    expect(small.streams).toBe("272cae300d44aa36b43fafd1e6c16bd289c7d3485a53731dd397790459f3d778");
  });

  it("reads the same items back the second time (a cache must not hand out different data)", () => {
    const options = { seed: 4242, mailboxes: 2, itemsPerMailbox: 120 };
    const cached = { ...options, cacheBytes: 64 * 1024 * 1024 };
    const fresh = digestMailboxes(options, false).streams;
    const gen = createMailboxGenerator(cached);
    // The first pass fills the cache, the second is served from it.
    expect(digestMailboxes(cached, false, gen).streams).toBe(fresh);
    expect(digestMailboxes(cached, false, gen).streams).toBe(fresh);
    const first = encodeExportStream(gen.item(1, 0, 3));
    for (let i = 0; i < gen.itemCount(1, 0); i++) gen.item(1, 0, i);
    expect(Buffer.from(encodeExportStream(gen.item(1, 0, 3))).equals(Buffer.from(first))).toBe(true);
  });

  it("serves the same ExportItems responses", { timeout: 60_000 }, async () => {
    const server = await startMockEwsServer({ seed: 4242, mailboxes: 2, itemsPerMailbox: 80 });
    try {
      const digest = createHash("sha256");
      for (const mailbox of server.mailboxes) {
        for (const folder of ["inbox", "sentitems", "calendar", "contacts", "tasks", "notes"]) {
          const itemIds = server.listItems(mailbox, folder);
          for (let at = 0; at < itemIds.length; at += 16) {
            const batch = itemIds.slice(at, at + 16);
            const result = await soap(
              server,
              `<m:ExportItems><m:ItemIds>${batch.map((id) => `<t:ItemId Id="${id}"/>`).join("")}</m:ItemIds></m:ExportItems>`,
              { mailbox },
            );
            expect(result.status).toBe(200);
            expect(ids(result.text)).toEqual(batch);
            digest.update(result.text);
          }
        }
      }
      expect(digest.digest("hex")).toBe("a8022ae6f3808755006daa072cc7bbcf0a2f168a44fbb60be36ca6e8b0e41e10");
    } finally {
      await server.stop();
    }
  });

  it("checksums large attachments right when their CRC comes from the cache", () => {
    const base = createMailboxGenerator({ seed: 5, mailboxes: 1, itemsPerMailbox: 10 }).item(0, 0, 0);
    for (const size of [64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 1024 * 1024 + 3]) {
      const content = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      for (const name of ["a", "a longer name.pdf", "ünïcödé ✈.bin"]) {
        const item = {
          ...base,
          attachments: [
            {
              name,
              contentType: "application/octet-stream",
              isInline: false,
              lastModifiedTime: "x",
              content,
            },
            { name: "second", contentType: "text/plain", isInline: true, lastModifiedTime: "y", content },
          ],
        };
        // First call computes the CRC of `content`, the second takes it from the cache; the
        // decoder checks every record's CRC over the bytes themselves.
        const first = encodeExportStream(item);
        const second = encodeExportStream(item);
        expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
        const decoded = decodeExportStream(second).item;
        expect(decoded.attachments.map((a) => [a.name, a.content.length])).toEqual([
          [name, size],
          ["second", size],
        ]);
      }
    }
  });

  it("escapes XML text exactly as before", () => {
    expect(esc(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&apos;f");
    expect(esc("bell\u0007tab\tnl\ncr\rff\u000cvt\u000b\uFFFE\uFFFFend")).toBe("belltab\tnl\ncr\rffvtend");
    expect(esc("plain Ünïcödé 😀 text")).toBe("plain Ünïcödé 😀 text");
    expect(esc(42)).toBe("42");
    expect(esc(true)).toBe("true");
    expect(esc("")).toBe("");
  });
});
