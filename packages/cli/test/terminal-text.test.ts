// The escaping of untrusted text (terminal-text.ts) and the strict date reader: properties over
// arbitrary strings, and the exact spellings users see.

import { InvalidArgumentError } from "commander";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseStrictDate } from "../src/option-validation.js";
import { shown, terminalLine } from "../src/output.js";
import { escapeTerminalText, terminalSafeJson } from "../src/terminal-text.js";

const UNSAFE_RAW =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({
    unit: fc.constantFrom(
      "\u001b",
      "\u0007",
      "\r",
      "\n",
      "\u202e",
      "\u2066",
      "\u009b",
      "a",
      "\\",
      "é",
      "\ud800",
    ),
    maxLength: 20,
  }),
);

describe("escapeTerminalText", () => {
  it("leaves no unsafe character, and keeps everything else", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const escaped = escapeTerminalText(text);
        expect(escaped).not.toMatch(UNSAFE_RAW);
        // Safe characters survive in order: removing the escapes' targets from the input gives
        // the same characters as removing the escapes from the output.
        expect(escaped.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])/g, "")).toBe(
          text.replace(new RegExp(UNSAFE_RAW, "g"), "").replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])/g, ""),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("spells the characters visibly", () => {
    expect(shown("a\u001b[2Jb\u0007c\rd\ne\u202ef\u0000g\u009bh\ud800")).toBe(
      "a\\x1b[2Jb\\x07c\\rd\\ne\\u202ef\\x00g\\x9bh\\ud800",
    );
    expect(shown("Projekt Zürich 🚀 ‍👩‍💻 עברית")).toBe("Projekt Zürich 🚀 ‍👩‍💻 עברית");
    expect(terminalLine("one\ntwo\u001b")).toBe("one\ntwo\\x1b");
  });
});

describe("terminalSafeJson", () => {
  it("is exact JSON for any value and prints no unsafe character", () => {
    fc.assert(
      fc.property(fc.dictionary(anyText, anyText, { maxKeys: 4 }), anyText, (record, text) => {
        const value = { record, text, list: [text, 1, null] };
        const json = terminalSafeJson(value);
        expect(json).not.toMatch(UNSAFE_RAW);
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("parseStrictDate", () => {
  it("reads ISO 8601 dates and times with every field in range", () => {
    expect(parseStrictDate("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseStrictDate("2024-05-01T08:30:00Z")).toBe(Date.UTC(2024, 4, 1, 8, 30));
    expect(parseStrictDate("2024-05-01T08:30+02:00")).toBe(Date.UTC(2024, 4, 1, 6, 30));
    expect(parseStrictDate("2024-05-01 08:30:15.123456-0130")).toBe(Date.UTC(2024, 4, 1, 10, 0, 15, 123));
    expect(parseStrictDate("2024-05-01T08:30")).toBe(new Date(2024, 4, 1, 8, 30).getTime());
  });

  it.each([
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "2024-05-01T24:00",
    "2024-05-01T10:60",
    "2024-05-01T10:00+15:00",
    "1",
    "May 1 2024",
    "2024-5-1",
    "",
    "tomorrow",
  ])("refuses %j", (text) => {
    expect(() => parseStrictDate(text)).toThrow(InvalidArgumentError);
  });
});
