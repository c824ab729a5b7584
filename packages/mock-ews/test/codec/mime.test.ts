import { describe, expect, it } from "vitest";
import { itemToMime, MimeParseError, mimeToItem } from "../../src/codec/index.js";
import { createMailboxGenerator } from "../../src/generator/index.js";
import type { MockItemData } from "../../src/model.js";

/**
 * What MIME can carry of an item: the documented projection mimeToItem(itemToMime(x)) returns.
 * An item without a Message-ID gets a derived one, which is checked separately.
 */
function mimeProjection(item: MockItemData, parsed?: MockItemData): MockItemData {
  const { calendar: _c, contact: _k, task: _t, ...rest } = item;
  if (item.internetMessageId === undefined) {
    expect(parsed?.internetMessageId).toMatch(/^<[0-9a-f]{8}\.[0-9a-f]{8}@mock-ews\.invalid>$/);
  }
  return {
    ...rest,
    ...(parsed?.internetMessageId
      ? { internetMessageId: item.internetMessageId ?? parsed.internetMessageId }
      : {}),
    itemClass: "IPM.Note",
    isRead: false,
    flagStatus: "NotFlagged",
    dateTimeReceived: item.dateTimeSent,
    dateTimeCreated: item.dateTimeSent,
    categories: item.categories.filter((c) => c !== ""),
    attachments: item.attachments.map(({ isContactPhoto: _p, ...a }) => a),
  };
}

function expectSameItem(actual: MockItemData, expected: MockItemData): void {
  const strip = (item: MockItemData) => ({
    ...item,
    attachments: item.attachments.map((a) => ({ ...a, content: Buffer.from(a.content).toString("base64") })),
  });
  expect(strip(actual)).toStrictEqual(strip(expected));
  for (const attachment of actual.attachments) expect(attachment.content).toBeInstanceOf(Uint8Array);
}

function sample(): MockItemData {
  return {
    itemClass: "IPM.Note",
    subject: "RE: مراجعة العقد – Contract review #42 🚀 with a rather long subject line that must fold",
    body: {
      bodyType: "HTML",
      content: '<html><body dir="rtl"><p>שלום &amp; hello</p>\n<img src="cid:img1@x"></body></html>\n',
    },
    from: { name: "Jürgen Müller", email: "juergen.mueller@contoso.test" },
    toRecipients: [
      { name: "O'Brien, Siobhán", email: "siobhan.obrien@contoso.test" },
      { name: "Plain Name", email: "plain@fabrikam.test" },
      { name: "Dr. John Q. Public", email: "jqp@example.org" },
      { name: "", email: "bare@example.org" },
    ],
    ccRecipients: [{ name: "山田 太郎", email: "taro.yamada@contoso.test" }],
    bccRecipients: [{ name: "Secret", email: "secret@contoso.test" }],
    dateTimeReceived: "2024-03-01T10:00:00Z",
    dateTimeSent: "2024-03-01T09:59:00Z",
    dateTimeCreated: "2024-03-01T09:58:00Z",
    importance: "High",
    sensitivity: "Confidential",
    categories: ["Red Category", "Urgent ⚡", "a, b"],
    isRead: true,
    flagStatus: "Flagged",
    internetMessageId: "<abc.123@contoso.test>",
    attachments: [
      {
        name: "image001.png",
        contentType: "image/png",
        contentId: "img1@x",
        isInline: true,
        lastModifiedTime: "2024-02-28T08:00:00Z",
        content: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]),
      },
      {
        name: "Vertrag für Zürich – عقد.pdf",
        contentType: "application/pdf",
        isInline: false,
        lastModifiedTime: "2023-12-31T23:59:59Z",
        content: new Uint8Array(1000).map((_, i) => (i * 7) & 0xff),
      },
      {
        name: "empty.txt",
        contentType: "text/plain",
        isInline: false,
        lastModifiedTime: "2023-12-31T23:59:59Z",
        content: new Uint8Array(0),
      },
    ],
  };
}

describe("itemToMime", () => {
  it("writes an RFC 5322 message with MIME structure, encoded words and base64 attachments", () => {
    const mime = itemToMime(sample());
    expect(mime).toMatch(/^From: =\?UTF-8\?B\?[^\r\n]+ <juergen\.mueller@contoso\.test>\r\n/);
    expect(mime).toContain("\r\nMIME-Version: 1.0\r\n");
    expect(mime).toContain("\r\nDate: Fri, 01 Mar 2024 09:59:00 +0000\r\n");
    expect(mime).toContain("\r\nMessage-ID: <abc.123@contoso.test>\r\n");
    expect(mime).toContain('"Dr. John Q. Public" <jqp@example.org>');
    expect(mime).toContain("<bare@example.org>");
    expect(mime).toMatch(/\r\nSubject:\r\n =\?UTF-8\?B\?/);
    expect(mime).toContain("Content-Type: multipart/mixed;");
    expect(mime).toContain("Content-Type: multipart/alternative;");
    expect(mime).toContain("Content-ID: <img1@x>");
    expect(mime).toContain("Content-Disposition: inline;");
    expect(mime).toContain("filename*0*=utf-8''Vertrag%20f%C3%BCr");
    expect(mime).toContain("Content-Transfer-Encoding: base64");
    // 7-bit clean and no line longer than 998 octets (ours stay within 78 except long tokens).
    expect(/^[\x00-\x7f]*$/.test(mime)).toBe(true);
    for (const line of mime.split("\r\n")) expect(line.length).toBeLessThanOrEqual(998);
    expect(mime.split("\r\n").filter((line) => line.length > 78).length).toBe(0);
  });

  it("is deterministic, with boundaries derived from the content", () => {
    const a = itemToMime(sample());
    expect(itemToMime(sample())).toBe(a);
    const other = itemToMime({ ...sample(), subject: "different" });
    const boundary = (mime: string) => /boundary="([^"]+)"/.exec(mime)?.[1];
    expect(boundary(a)).toBeDefined();
    expect(boundary(other)).not.toBe(boundary(a));
  });
});

describe("mimeToItem", () => {
  it("round-trips everything MIME carries of a hand-written item", () => {
    const item = sample();
    expectSameItem(mimeToItem(itemToMime(item)), mimeProjection(item));
    expectSameItem(mimeToItem(new TextEncoder().encode(itemToMime(item))), mimeProjection(item));
  });

  it("round-trips text bodies exactly, including trailing newlines, CR and spaces", () => {
    for (const content of [
      "",
      "a",
      "line\n",
      "x \n\ty\t\n\n",
      "crlf\r\nbare\rcr ",
      "=3D= =\n".repeat(40),
      "ü".repeat(200),
    ]) {
      const item: MockItemData = { ...sample(), body: { bodyType: "Text", content }, attachments: [] };
      expect(mimeToItem(itemToMime(item)).body).toStrictEqual({ bodyType: "Text", content });
    }
  });

  it("round-trips generated items of every mail-like class", () => {
    const gen = createMailboxGenerator({
      seed: 21,
      mailboxes: 2,
      itemsPerMailbox: 80,
      maxItemBytes: 512 * 1024,
    });
    let checked = 0;
    for (let m = 0; m < 2; m++) {
      gen.folders(m).forEach((_, f) => {
        for (let i = 0; i < gen.itemCount(m, f); i++) {
          const item = gen.item(m, f, i);
          const parsed = mimeToItem(itemToMime(item));
          expectSameItem(parsed, mimeProjection(item, parsed));
          checked++;
        }
      });
    }
    gen.publicFolders().forEach((_, f) => {
      for (let i = 0; i < gen.publicItemCount(f); i++) {
        const item = gen.publicItem(f, i);
        const parsed = mimeToItem(itemToMime(item));
        expectSameItem(parsed, mimeProjection(item, parsed));
      }
    });
    expect(checked).toBe(160);
  });

  it("parses an ordinary simple message from another mailer", () => {
    const raw = [
      "Return-Path: <alice@example.org>",
      "From: Alice Example <alice@example.org>",
      'To: bob@contoso.test, "Carol, C." <carol@contoso.test>,',
      " =?iso-8859-1?Q?J=FCrgen?= <j@contoso.test>, Team: dave@contoso.test, erin@contoso.test;",
      "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?b?IGF1cyBCZXJsaW4=?=",
      "Date: Tue, 5 Mar 2024 14:03:27 +0100 (CET)",
      "Message-ID: <1@example.org>",
      "X-Priority: 1 (Highest)",
      "Content-Type: text/plain; charset=ISO-8859-1",
      "Content-Transfer-Encoding: 8bit",
      "",
      "Hallo Bj\xf6rn,",
      "",
      "bis bald.",
      "",
    ].join("\n");
    const item = mimeToItem(Buffer.from(raw, "latin1"));
    expect(item.from).toStrictEqual({ name: "Alice Example", email: "alice@example.org" });
    expect(item.toRecipients).toStrictEqual([
      { name: "", email: "bob@contoso.test" },
      { name: "Carol, C.", email: "carol@contoso.test" },
      { name: "Jürgen", email: "j@contoso.test" },
      { name: "", email: "dave@contoso.test" },
      { name: "", email: "erin@contoso.test" },
    ]);
    expect(item.subject).toBe("Grüße aus Berlin");
    expect(item.dateTimeSent).toBe("2024-03-05T13:03:27Z");
    expect(item.importance).toBe("High");
    expect(item.internetMessageId).toBe("<1@example.org>");
    expect(item.body).toStrictEqual({ bodyType: "Text", content: "Hallo Björn,\n\nbis bald." });
    expect(item.attachments).toEqual([]);
  });

  it("parses multipart messages with base64 text, nested parts and attachments without a disposition", () => {
    const raw = [
      "From: x@example.org",
      "Subject: parts",
      'Content-Type: multipart/mixed; boundary="b1"',
      "",
      "preamble",
      "--b1",
      'Content-Type: multipart/alternative; boundary="b2"',
      "",
      "--b2",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("plain ✓").toString("base64"),
      "--b2",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>html</p>",
      "--b2--",
      "--b1",
      'Content-Type: application/octet-stream; name="data.bin"',
      "Content-Transfer-Encoding: base64",
      "",
      "AAEC",
      "--b1--",
      "epilogue",
    ].join("\r\n");
    const item = mimeToItem(raw);
    expect(item.body).toStrictEqual({ bodyType: "HTML", content: "<p>html</p>" });
    expect(item.attachments).toHaveLength(1);
    expect(item.attachments[0]!.name).toBe("data.bin");
    expect(item.attachments[0]!.isInline).toBe(false);
    expect([...item.attachments[0]!.content]).toEqual([0, 1, 2]);
    expect(item.dateTimeSent).toBe("1970-01-01T00:00:00Z");
  });

  it("MUST throw MimeParseError for input that is not a message", () => {
    for (const bad of [
      "",
      "\r\n\r\n",
      "this is not a header\r\n\r\nbody",
      " continuation first: x\r\n\r\n",
    ]) {
      let error: unknown;
      try {
        mimeToItem(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MimeParseError);
      expect((error as MimeParseError).code).toBe("INVALID_MIME");
    }
    expect(() => mimeToItem("Content-Type: multipart/mixed\r\n\r\nx")).toThrow(MimeParseError);
    expect(() => mimeToItem(42 as unknown as string)).toThrow(TypeError);
  });
});
