// MimeContent carries item attachments as message/rfc822 parts (as Exchange writes them) and
// reads them back as item attachments; extended properties have no place in MIME.
import { describe, expect, it } from "vitest";
import { itemToMime, mimeToItem } from "../../src/codec/index.js";
import type { MockItemData } from "../../src/model.js";

function note(subject: string, overrides: Partial<MockItemData> = {}): MockItemData {
  return {
    itemClass: "IPM.Note",
    subject,
    body: { bodyType: "Text", content: `${subject} body` },
    from: { name: "Ann", email: "ann@contoso.test" },
    toRecipients: [{ name: "Bob", email: "bob@contoso.test" }],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: "2024-05-01T10:00:00Z",
    dateTimeSent: "2024-05-01T10:00:00Z",
    dateTimeCreated: "2024-05-01T10:00:00Z",
    importance: "Normal",
    sensitivity: "Normal",
    categories: [],
    isRead: false,
    flagStatus: "NotFlagged",
    internetMessageId: `<${subject.replace(/\W/g, "")}@contoso.test>`,
    attachments: [],
    ...overrides,
  };
}

/** `levels` messages, each embedding the next as its only item attachment. */
function chain(levels: number): MockItemData {
  let item = note(`level ${levels}`);
  for (let level = levels - 1; level >= 1; level--) {
    item = note(`level ${level}`, {
      itemAttachments: [
        { name: `inner ${level + 1}`, isInline: false, lastModifiedTime: "2024-05-02T08:00:00Z", item },
      ],
    });
  }
  return item;
}

describe("MIME item attachments", () => {
  it("round-trips embedded messages, their bodies, attachments and nested item attachments", () => {
    const inner = note("Ünïcode inner 📎", {
      body: { bodyType: "HTML", content: "<p>inner html</p>" },
      attachments: [
        {
          name: "deep.bin",
          contentType: "application/octet-stream",
          isInline: false,
          lastModifiedTime: "2024-05-01T09:00:00Z",
          content: new Uint8Array([0, 1, 2, 255]),
        },
      ],
      itemAttachments: [
        { name: "deepest", isInline: false, lastModifiedTime: "2024-05-01T09:30:00Z", item: note("deepest") },
      ],
    });
    const outer = note("outer", {
      body: { bodyType: "HTML", content: "<p>outer</p>" },
      attachments: [
        {
          name: "a.txt",
          contentType: "text/plain",
          isInline: false,
          lastModifiedTime: "2024-05-01T09:00:00Z",
          content: new TextEncoder().encode("file"),
        },
      ],
      itemAttachments: [
        { name: "forwarded 1", isInline: false, lastModifiedTime: "2024-05-02T08:00:00Z", item: inner },
        {
          name: "inline one",
          isInline: true,
          lastModifiedTime: "2024-05-03T08:00:00Z",
          item: note("second"),
        },
      ],
      extendedProperties: [{ propertyTag: 0x6905, propertyType: "String", values: ["not in MIME"] }],
    });
    const mime = itemToMime(outer);
    expect(mime).toContain("Content-Type: message/rfc822");
    const parsed = mimeToItem(mime);
    // What MIME carries of the parent is what it carried before; the item attachments come back.
    const { itemAttachments: _a, extendedProperties: _e, ...withoutNew } = outer;
    expect({ ...parsed, itemAttachments: undefined }).toStrictEqual({
      ...mimeToItem(itemToMime(withoutNew as MockItemData)),
      itemAttachments: undefined,
    });
    expect(parsed.extendedProperties).toBeUndefined();
    expect(parsed.attachments.map((a) => a.name)).toEqual(["a.txt"]);
    expect(parsed.itemAttachments!.map((a) => [a.name, a.isInline, a.lastModifiedTime])).toEqual([
      ["forwarded 1", false, "2024-05-02T08:00:00Z"],
      ["inline one", true, "2024-05-03T08:00:00Z"],
    ]);
    const first = parsed.itemAttachments![0]!.item;
    expect(first).toStrictEqual(mimeToItem(itemToMime(inner)));
    expect(first.subject).toBe("Ünïcode inner 📎");
    expect(first.body).toStrictEqual({ bodyType: "HTML", content: "<p>inner html</p>" });
    expect([...first.attachments[0]!.content]).toEqual([0, 1, 2, 255]);
    expect(first.itemAttachments![0]!.item.subject).toBe("deepest");
    expect(parsed.itemAttachments![1]!.item.body.content).toBe("second body");
  });

  it("nests boundaries without collisions, and renders items without item attachments as before", () => {
    const twin = note("same");
    const outer = note("same", {
      itemAttachments: [
        { name: "twin", isInline: false, lastModifiedTime: "2024-05-02T08:00:00Z", item: twin },
      ],
    });
    const boundaries = [...itemToMime(chain(4)).matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(boundaries).size).toBe(boundaries.length);
    expect(mimeToItem(itemToMime(outer)).itemAttachments![0]!.item).toStrictEqual(
      mimeToItem(itemToMime(twin)),
    );
    expect(itemToMime({ ...twin, itemAttachments: [] })).toBe(itemToMime(twin));
  });

  it("parses 10 levels as item attachments and keeps an 11th, or a part that is not a message, as a file", () => {
    let item = mimeToItem(itemToMime(chain(12)));
    for (let level = 1; level <= 10; level++) {
      expect(item.subject).toBe(`level ${level}`);
      expect(item.itemAttachments).toHaveLength(1);
      item = item.itemAttachments![0]!.item;
    }
    expect(item.subject).toBe("level 11");
    expect(item.itemAttachments).toBeUndefined();
    expect(item.attachments.map((a) => [a.name, a.contentType])).toEqual([["inner 12", "message/rfc822"]]);

    const broken =
      'From: a@b.test\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' +
      "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
      '--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="x.eml"\r\n\r\n\r\n' +
      "--b--\r\n";
    const parsed = mimeToItem(broken);
    expect(parsed.itemAttachments).toBeUndefined();
    expect(parsed.attachments.map((a) => a.name)).toEqual(["x.eml"]);
  });
});
