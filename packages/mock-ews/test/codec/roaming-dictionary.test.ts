// The dictionary stream of configuration objects (PidTagRoamingDictionary): Exchange's
// `<type code>-<text>` entries byte for byte, this mock's documented encodings of StringArray,
// ByteArray and nil, exact round trips of awkward strings, Outlook's own documents read, and
// corrupt streams refused with CORRUPT_ROAMING_DICTIONARY.
import { describe, expect, it } from "vitest";
import {
  decodeRoamingDictionary,
  encodeRoamingDictionary,
  RoamingDictionaryError,
} from "../../src/codec/index.js";
import type { DictionaryEntry } from "../../src/store/settings.js";

const utf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (text: string) => new TextEncoder().encode(text);
const str = (value: string) => ({ type: "String", values: [value] });

describe("roaming dictionary stream", () => {
  it("writes Exchange's format: UTF-8 XML, one e per entry, .NET type codes", () => {
    const entries: DictionaryEntry[] = [
      { key: str("piRemindDefault"), value: { type: "Integer32", values: ["15"] } },
      { key: str("piAutoProcess"), value: { type: "Boolean", values: ["true"] } },
    ];
    expect(utf8(encodeRoamingDictionary(entries))).toBe(
      '<?xml version="1.0" encoding="utf-8"?><UserConfiguration><Info version="Exchange.12"/><Data>' +
        '<e k="18-piRemindDefault" v="9-15"/><e k="18-piAutoProcess" v="3-True"/></Data></UserConfiguration>',
    );
    expect(utf8(encodeRoamingDictionary([]))).toBe(
      '<?xml version="1.0" encoding="utf-8"?><UserConfiguration><Info version="Exchange.12"/><Data></Data></UserConfiguration>',
    );
  });

  it("codes every type; arrays as code[] (JSON strings, base64 bytes), nil as 0-", () => {
    const entries: DictionaryEntry[] = [
      { key: { type: "Byte", values: ["7"] }, value: { type: "UnsignedInteger32", values: ["4294967295"] } },
      { key: { type: "Integer64", values: ["-9"] }, value: { type: "UnsignedInteger64", values: ["18"] } },
      { key: str("when"), value: { type: "DateTime", values: ["2024-05-01T08:00:00Z"] } },
      { key: str("list"), value: { type: "StringArray", values: ["a,b", 'say "hi"', ""] } },
      { key: str("blob"), value: { type: "ByteArray", values: ["AAEC"] } },
      { key: str("nothing"), value: null },
    ];
    const text = utf8(encodeRoamingDictionary(entries));
    expect(text).toContain('<e k="6-7" v="10-4294967295"/>');
    expect(text).toContain('<e k="11--9" v="12-18"/>');
    expect(text).toContain('<e k="18-when" v="16-2024-05-01T08:00:00Z"/>');
    expect(text).toContain(
      '<e k="18-list" v="18[]-[&quot;a,b&quot;,&quot;say \\&quot;hi\\&quot;&quot;,&quot;&quot;]"/>',
    );
    expect(text).toContain('<e k="18-blob" v="6[]-AAEC"/>');
    expect(text).toContain('<e k="18-nothing" v="0-"/>');
    expect(decodeRoamingDictionary(encodeRoamingDictionary(entries))).toEqual(entries);
  });

  it("round-trips strings with markup, quotes and line breaks exactly", () => {
    const awkward = "a & b <c> \"d\" 'e'\n\tf\r\n  g  &amp; &#x41; &nbsp; &quot;";
    const entries: DictionaryEntry[] = [
      { key: str(awkward), value: str(awkward) },
      { key: str(""), value: { type: "StringArray", values: [awkward] } },
    ];
    const text = utf8(encodeRoamingDictionary(entries));
    expect(text).not.toMatch(/[\n\t\r]/);
    expect(decodeRoamingDictionary(encodeRoamingDictionary(entries))).toEqual(entries);
  });

  it("writes canonical values: True/False, decimal integers; reads them back as EWS writes them", () => {
    const entries: DictionaryEntry[] = [
      { key: str("b"), value: { type: "Boolean", values: ["1"] } },
      { key: str("n"), value: { type: "Integer32", values: [" 007 "] } },
    ];
    expect(utf8(encodeRoamingDictionary(entries))).toContain('<e k="18-b" v="3-True"/><e k="18-n" v="9-7"/>');
    expect(decodeRoamingDictionary(encodeRoamingDictionary(entries))).toEqual([
      { key: str("b"), value: { type: "Boolean", values: ["true"] } },
      { key: str("n"), value: { type: "Integer32", values: ["7"] } },
    ]);
    expect(() =>
      encodeRoamingDictionary([{ key: str("x"), value: { type: "Integer32", values: ["x"] } }]),
    ).toThrow(TypeError);
    expect(() =>
      encodeRoamingDictionary([{ key: str("x"), value: { type: "Money", values: ["1"] } }]),
    ).toThrow(TypeError);
  });

  it("reads the documents Outlook writes (declaration, whitespace, another Info version)", () => {
    const outlook =
      '<?xml version="1.0"?>\r\n<UserConfiguration>\r\n<Info version="Outlook.12"/>\r\n<Data> <e k="18-piAutoProcess" v="3-True"/>\r\n' +
      '<e k="18-piRemindDefault" v="9-15"/>\r\n<e k="18-OLPrefsVersion" v="9-1"/>\r\n</Data>\r\n</UserConfiguration>\r\n';
    expect(decodeRoamingDictionary(bytes(outlook))).toEqual([
      { key: str("piAutoProcess"), value: { type: "Boolean", values: ["true"] } },
      { key: str("piRemindDefault"), value: { type: "Integer32", values: ["15"] } },
      { key: str("OLPrefsVersion"), value: { type: "Integer32", values: ["1"] } },
    ]);
  });

  it("refuses a corrupt stream with CORRUPT_ROAMING_DICTIONARY", () => {
    const wrap = (data: string) =>
      `<UserConfiguration><Info version="Exchange.12"/><Data>${data}</Data></UserConfiguration>`;
    const corrupt = [
      new Uint8Array([0xff, 0xfe, 0x00]),
      bytes("<UserConfiguration><Data>"),
      bytes('<!DOCTYPE x [<!ENTITY a "b">]><UserConfiguration/>'),
      bytes('<Other><Data><e k="18-a" v="18-b"/></Data></Other>'),
      bytes(wrap('<e k="18-a"/>')),
      bytes(wrap('<e k="99-a" v="18-b"/>')),
      bytes(wrap('<e k="18-a" v="9-x"/>')),
      bytes(wrap('<e k="18-a" v="3-maybe"/>')),
      bytes(wrap('<e k="18-a" v="18[]-[1]"/>')),
      bytes(wrap('<e k="18-a" v="18[]-not json"/>')),
    ];
    for (const stream of corrupt) {
      let error: unknown;
      try {
        decodeRoamingDictionary(stream);
      } catch (caught) {
        error = caught;
      }
      expect(error, utf8(stream)).toBeInstanceOf(RoamingDictionaryError);
      expect((error as RoamingDictionaryError).code).toBe("CORRUPT_ROAMING_DICTIONARY");
    }
  });
});
