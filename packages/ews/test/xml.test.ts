// The XML writer's escaping and the parser's safety: no DTDs or entity expansion, truncated
// bodies refused, base64 payloads cut out of the raw bytes and decoded (or refused) exactly.
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { decodeEntities, extractBase64Elements, parseXml, rejectDtd } from "../src/xml-parser.js";
import { base64, el, escapeAttribute, escapeText, seq } from "../src/xml-writer.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isEwsVaultError(error) ? error.code : `non-EwsVaultError: ${String(error)}`;
  }
  return undefined;
}

/**
 * True when a Data element holding `text` comes out as an invalid-payload marker (no payload
 * decoded, the element kept with invalid="base64") while the payload after it still decodes.
 */
function refusedPayload(text: string): boolean {
  const body = Buffer.from(`<r><m:Data>${text}</m:Data><m:Data>QUJD</m:Data></r>`, "latin1");
  const { xml, payloads } = extractBase64Elements(body, "Data");
  const [first, second] = parseXml(xml).children;
  return (
    payloads.length === 1 &&
    Buffer.from(payloads[0] as Uint8Array).toString() === "ABC" &&
    first?.attributes.invalid === "base64" &&
    first.attributes.payload === undefined &&
    second?.attributes.payload === "0"
  );
}

describe("XML writer", () => {
  it("escapes text and attribute values so values cannot change the document shape", () => {
    expect(escapeText(`a & b < c > d "q" 'a'`)).toBe(`a &amp; b &lt; c &gt; d "q" 'a'`);
    expect(escapeAttribute(`"x" & 'y' <z>\n\t\r`)).toBe(
      "&quot;x&quot; &amp; &apos;y&apos; &lt;z&gt;&#10;&#9;&#13;",
    );
    const hostile = `</t:DisplayName><t:Evil/><t:DisplayName>`;
    const xml = el("t:Folder", { Id: `a"b` }, el("t:DisplayName", undefined, hostile)).xml;
    expect(xml).toBe(
      `<t:Folder Id="a&quot;b"><t:DisplayName>&lt;/t:DisplayName&gt;&lt;t:Evil/&gt;&lt;t:DisplayName&gt;</t:DisplayName></t:Folder>`,
    );
    // And the parser reads back exactly what went in.
    const root = parseXml(`<r xmlns:t="urn:x">${xml}</r>`);
    expect(root.children[0]?.attributes.Id).toBe(`a"b`);
    expect(root.children[0]?.children[0]?.text).toBe(hostile);
  });

  it("skips null/undefined/false children and omits undefined attributes", () => {
    expect(el("a", { x: undefined, y: 1 }, null, undefined, false, "t", 2, true).xml).toBe(
      `<a y="1">t2true</a>`,
    );
    expect(el("a").xml).toBe("<a/>");
    expect(seq(el("a"), "b&").xml).toBe("<a/>b&amp;");
  });

  it("refuses invalid names and characters XML cannot carry", () => {
    expect(() => el("a b")).toThrow(TypeError);
    expect(() => el("a", { "x y": "1" })).toThrow(TypeError);
    expect(() => el("a", undefined, "bell\u0007")).toThrow(TypeError);
    expect(() => escapeAttribute("\uD800")).toThrow(TypeError);
  });

  it("writes binary data as base64", () => {
    expect(base64(new Uint8Array([0, 1, 2, 250, 251, 252])).xml).toBe("AAEC+vv8");
  });
});

describe("XML parser safety", () => {
  it("rejects DOCTYPE and ENTITY declarations with EWS_MALFORMED_RESPONSE before parsing", () => {
    const billionLaughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
    expect(codeOf(() => parseXml(billionLaughs))).toBe("EWS_MALFORMED_RESPONSE");
    const xxe = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`;
    expect(codeOf(() => parseXml(xxe))).toBe("EWS_MALFORMED_RESPONSE");
    expect(codeOf(() => rejectDtd(Buffer.from("<a><!doctype x></a>")))).toBe("EWS_MALFORMED_RESPONSE");
    expect(codeOf(() => rejectDtd("<a><! EnTiTy x></a>"))).toBe("EWS_MALFORMED_RESPONSE");
    expect(codeOf(() => rejectDtd("<a>fine</a>"))).toBeUndefined();
  });

  it("never expands undeclared entities; decodes only the predefined ones and character references", () => {
    expect(decodeEntities("&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;")).toBe(`<>&"'AB😀`);
    expect(codeOf(() => parseXml("<a>&foo;</a>"))).toBe("EWS_MALFORMED_RESPONSE");
    expect(codeOf(() => decodeEntities("&#0;"))).toBe("EWS_MALFORMED_RESPONSE");
    // CDATA is literal.
    expect(parseXml("<a><![CDATA[&amp;<b>]]></a>").text).toBe("&amp;<b>");
  });

  it("refuses truncated and non-XML bodies", () => {
    expect(codeOf(() => parseXml("<s:Envelope xmlns:s='x'><s:Body><m:Resp"))).toBe("EWS_MALFORMED_RESPONSE");
    expect(codeOf(() => parseXml("<a><b></a>"))).toBe("EWS_MALFORMED_RESPONSE");
    expect(codeOf(() => parseXml("Service Unavailable"))).toBe("EWS_MALFORMED_RESPONSE");
  });

  it("cuts base64 payloads out of the raw bytes and decodes them", () => {
    const first = Buffer.from("first item payload");
    const second = Buffer.alloc(100_000, 7);
    const body = Buffer.from(
      `<r xmlns:m="urn:m"><m:Msg><m:Data>${first.toString("base64")}</m:Data></m:Msg><m:Msg><m:Data>\n${second.toString("base64")}\n</m:Data></m:Msg><m:Msg><m:Data/></m:Msg><m:DataX>keep</m:DataX></r>`,
    );
    const { xml, payloads } = extractBase64Elements(body, "Data");
    expect(payloads).toHaveLength(2);
    expect(Buffer.from(payloads[0] as Uint8Array).equals(first)).toBe(true);
    expect(Buffer.from(payloads[1] as Uint8Array).equals(second)).toBe(true);
    expect(xml.length).toBeLessThan(400);
    const root = parseXml(xml);
    expect(root.children.map((m) => m.children[0]?.attributes.payload)).toEqual([
      "0",
      "1",
      undefined,
      undefined,
    ]);
    expect(root.children[3]?.text).toBe("keep");
    expect(codeOf(() => extractBase64Elements(Buffer.from("<r><m:Data>abc"), "Data"))).toBe(
      "EWS_MALFORMED_RESPONSE",
    );
    // Not base64 is one bad payload, marked for the caller, not a bad response.
    expect(refusedPayload("a<b/>c")).toBe(true);
  });

  it("refuses every payload that is not base64, whatever its length, and accepts folded base64", () => {
    const payloadOf = (text: string) =>
      extractBase64Elements(Buffer.from(`<r><m:Data>${text}</m:Data></r>`, "latin1"), "Data").payloads[0];
    // Node's decoder accepts base64url's "-" and "_" and skips anything else; each of these
    // decodes to a plausible length and must still be refused.
    for (const bad of [
      "QUJD-_-_",
      "QUJD_UJD",
      "QUJ-",
      "QUJD!QUJ",
      "QU\u00c0D",
      "QUJD\u0000QUI=",
      "QUJDQ*==",
      "QUJD;",
    ]) {
      expect(refusedPayload(bad), bad).toBe(true);
    }
    expect(Buffer.from(payloadOf("QUJD\r\nRUZH\n SUo=\t") as Uint8Array).toString()).toBe("ABCEFGIJ");
    // "=" anywhere was always accepted; the decoder stops at the first inner one.
    expect(Buffer.from(payloadOf("QQ==QUJD") as Uint8Array).toString()).toBe("A");
    expect(payloadOf("")?.length).toBe(0);
  });

  it("decodes long payloads piece by piece with the same result and the same refusals", () => {
    const reference = /^[A-Za-z0-9+/=\r\n\t ]*$/;
    const bytes = Buffer.from(Array.from({ length: 200_003 }, (_, i) => (i * 131 + (i >> 8)) & 0xff));
    const text = bytes.toString("base64");
    const cases: Record<string, string> = {
      valid: text,
      "one stray character in the second piece": `${text.slice(0, 70_000)}!${text.slice(70_001)}`,
      "base64url character in the third piece": `${text.slice(0, 140_000)}-${text.slice(140_001)}`,
      "non-ASCII byte in the last piece": `${text.slice(0, -10)}\u00e9${text.slice(-9)}`,
      "padding at a piece boundary": `${text.slice(0, 65_534)}==${text.slice(65_536)}`,
      "padding inside a piece": `${text.slice(0, 100_000)}=${text.slice(100_001)}`,
      "folded every 76 characters": text.replace(/.{76}/g, "$&\r\n"),
      "one extra padding character": `${text}=`,
      "a piece and one padding character": `${text.slice(0, 65_536)}=`,
    };
    let refused = 0;
    for (const [name, payload] of Object.entries(cases)) {
      const body = Buffer.from(`<r><m:Data>${payload}</m:Data></r>`, "latin1");
      if (reference.test(payload)) {
        const decoded = extractBase64Elements(body, "Data").payloads[0] as Uint8Array;
        expect(Buffer.from(decoded).equals(Buffer.from(payload, "base64")), name).toBe(true);
      } else {
        expect(refusedPayload(payload), name).toBe(true);
        refused++;
      }
    }
    expect(refused).toBe(3);
    const whole = extractBase64Elements(Buffer.from(`<r><m:Data>${text}</m:Data></r>`), "Data").payloads[0];
    expect(Buffer.from(whole as Uint8Array).equals(bytes)).toBe(true);
  });

  it("accepts and decodes exactly what the full base64 character check accepts (random texts)", () => {
    const reference = /^[A-Za-z0-9+/=\r\n\t ]*$/;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const strays = ["=", "-", "_", "!", " ", "\n", "\r", "\t", "\u00e9", "\u0000", "."];
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let accepted = 0;
    let refused = 0;
    for (let round = 0; round < 4000; round++) {
      let text = "";
      const length = next(24);
      const strayCount = next(4) === 0 ? next(3) : 0;
      for (let i = 0; i < length; i++) text += alphabet[next(alphabet.length)];
      for (let i = 0; i < strayCount; i++) {
        const at = next(text.length + 1);
        text = text.slice(0, at) + strays[next(strays.length)] + text.slice(at);
      }
      if (next(3) === 0) text += "=".repeat(next(3));
      const body = Buffer.from(`<r><m:Data>${text}</m:Data></r>`, "latin1");
      if (reference.test(text)) {
        const { payloads } = extractBase64Elements(body, "Data");
        const expected = Buffer.from(text, "base64");
        if (text === "") expect(payloads).toHaveLength(1);
        expect(Buffer.from(payloads[0] as Uint8Array).equals(expected), JSON.stringify(text)).toBe(true);
        accepted++;
      } else {
        expect(refusedPayload(text), JSON.stringify(text)).toBe(true);
        refused++;
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(200);
  });
});
