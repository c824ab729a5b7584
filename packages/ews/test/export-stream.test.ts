// The streaming ExportItems parser (export-response/) against the tree parser it replaces:
// on the real Exchange recordings and on a few hundred generated responses (namespace
// prefixes, white space, errors mixed in, damaged bodies) it must give the same tree and
// payloads, or fail with the same error code; DTDs, entities and truncated bodies are refused.
import { randomBytes } from "node:crypto";
import { isEwsVaultError } from "@ewsvault/mailbox";
import { describe, expect, it } from "vitest";
import { readPlainElement } from "../src/export-response/element-reader.js";
import {
  parsePayloadResponse,
  readResponse,
  scanPayloadResponse,
} from "../src/export-response/parse-export-response.js";
import { extractBase64Elements, parseXml } from "../src/xml-parser.js";
import { recordings } from "./shared-spec.js";

type Outcome = { ok: true; root: unknown; payloads: string[] } | { ok: false; code: string };

function outcome(run: () => { root: unknown; payloads: Uint8Array[] }): Outcome {
  try {
    const { root, payloads } = run();
    return { ok: true, root, payloads: payloads.map((p) => Buffer.from(p).toString("hex")) };
  } catch (error) {
    if (!isEwsVaultError(error)) throw error;
    return { ok: false, code: error.code };
  }
}

const viaTree = (body: Buffer) =>
  outcome(() => {
    const extracted = extractBase64Elements(body, "Data");
    return { root: parseXml(extracted.xml), payloads: extracted.payloads };
  });
const viaStream = (body: Buffer) => outcome(() => parsePayloadResponse(body, "Data"));
const wholeViaTree = (body: Buffer) => outcome(() => ({ root: parseXml(body), payloads: [] }));
const wholeViaReader = (body: Buffer) => outcome(() => ({ root: readResponse(body), payloads: [] }));

/** A small deterministic PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function generatedResponse(seed: number): { xml: string; expectedPayloads: Buffer[] } {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const ws = () => pick(["", "", " ", "\n", "\r\n  ", "\t", "\r"]);
  const s = pick(["s", "soap", "S"]);
  const m = pick(["m", "", "msg"]);
  const t = pick(["t", "types", ""]);
  const q = (prefix: string, name: string) => (prefix === "" ? name : `${prefix}:${name}`);
  const nsDecl = (prefix: string, uri: string) =>
    prefix === "" ? ` xmlns="${uri}"` : ` xmlns:${prefix}="${uri}"`;
  const M = "http://schemas.microsoft.com/exchange/services/2006/messages";
  const T = "http://schemas.microsoft.com/exchange/services/2006/types";
  const expectedPayloads: Buffer[] = [];
  const messages: string[] = [];
  const count = 1 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) {
    const kind = random();
    const name = q(m, "ExportItemsResponseMessage");
    const itemId = `<${q(t, "ItemId")}${nsDecl(t, T)} Id="AAMk${i}/+=&amp;" ChangeKey='CQAA${i}'${ws()}/>`;
    if (kind < 0.65) {
      const data = randomBytes(Math.floor(random() * 300));
      expectedPayloads.push(data);
      let b64 = data.toString("base64");
      if (random() < 0.2) b64 = b64.replace(/(.{76})/g, "$1\r\n");
      const dataEl = `<${q(m, "Data")}>${b64}</${q(m, "Data")}>`;
      messages.push(
        `<${name} ResponseClass="Success"${ws()}>${ws()}<${q(m, "ResponseCode")}>NoError</${q(m, "ResponseCode")}>${ws()}${itemId}${ws()}${dataEl}${ws()}</${name}>`,
      );
    } else if (kind < 0.8) {
      messages.push(
        `<${name} ResponseClass="Error"><${q(m, "MessageText")}>The item &lt;x&gt; wasn&apos;t found &#233;</${q(m, "MessageText")}><${q(m, "ResponseCode")}>ErrorItemNotFound</${q(m, "ResponseCode")}><${q(m, "DescriptiveLinkKey")}>0</${q(m, "DescriptiveLinkKey")}></${name}>`,
      );
    } else if (kind < 0.9) {
      messages.push(
        `<${name} ResponseClass="Error"><${q(m, "MessageText")}>busy</${q(m, "MessageText")}><${q(m, "ResponseCode")}>ErrorServerBusy</${q(m, "ResponseCode")}><${q(m, "DescriptiveLinkKey")}>0</${q(m, "DescriptiveLinkKey")}><${q(m, "MessageXml")}><${q(t, "Value")}${nsDecl(t, T)} Name="BackOffMilliseconds">${Math.floor(random() * 900)}</${q(t, "Value")}></${q(m, "MessageXml")}></${name}>`,
      );
    } else {
      // Data that is not base64 (a "<" inside too): a per-item failure, not a bad response.
      messages.push(
        `<${name} ResponseClass="Success"><${q(m, "ResponseCode")}>NoError</${q(m, "ResponseCode")}>${itemId}<${q(m, "Data")}>QUJD<x>!!</${q(m, "Data")}></${name}>`,
      );
    }
  }
  const xml = `<?xml version="1.0" encoding="utf-8"?>${ws()}<${q(s, "Envelope")}${nsDecl(s, "http://schemas.xmlsoap.org/soap/envelope/")}>${ws()}<${q(s, "Header")}><h:ServerVersionInfo MajorVersion="15" Version="V2017_07_11" xmlns:h="${T}"/></${q(s, "Header")}>${ws()}<${q(s, "Body")}>${ws()}<${q(m, "ExportItemsResponse")}${nsDecl(m, M)}${m === "" ? "" : ""}>${ws()}<${q(m, "ResponseMessages")}>${ws()}${messages.join(ws())}${ws()}</${q(m, "ResponseMessages")}>${ws()}</${q(m, "ExportItemsResponse")}>${ws()}</${q(s, "Body")}>${ws()}</${q(s, "Envelope")}>`;
  return { xml, expectedPayloads };
}

/** Damages a body the way transit or a hostile server might. */
function damaged(xml: string, seed: number): string {
  const random = prng(seed ^ 0x5bd1e995);
  const at = Math.floor(random() * xml.length);
  switch (Math.floor(random() * 9)) {
    case 6:
      return xml.replace('"Success"', '"Success');
    case 7:
      return `${xml}trailing`;
    case 8:
      return xml.replace("<s:Body>", "<s:Body a=1>").replace("<soap:Body>", "<soap:Body a>");
    case 0:
      return xml.slice(0, at);
    case 1:
      return `${xml.slice(0, at)}<${xml.slice(at)}`;
    case 2:
      return `${xml.slice(0, at)}&bogus;${xml.slice(at)}`;
    case 3:
      return xml.replace(/<\/([A-Za-z:]*)ResponseCode>/, "</$1Responsecode>");
    case 4:
      return `${xml.slice(0, at)}<!-- c -->${xml.slice(at)}`;
    default:
      return xml.replace('ResponseClass="Success"', 'ResponseClass="Success" ResponseClass="Error"');
  }
}

describe("streaming ExportItems parser and the plain-XML response reader", () => {
  it("equals the tree parser on every recorded Exchange response", () => {
    let compared = 0;
    let fast = 0;
    let plain = 0;
    for (const recording of recordings()) {
      if (!recording.body.includes("Envelope")) continue;
      const body = Buffer.from(recording.body);
      expect(viaStream(body), `${recording.file}#${recording.index}`).toEqual(viaTree(body));
      expect(wholeViaReader(body), `${recording.file}#${recording.index}`).toEqual(wholeViaTree(body));
      compared++;
      if (scanPayloadResponse(body, "Data") !== undefined) fast++;
      if (readPlainElement(recording.body.replace(/^<\?xml[^>]*\?>/, "")) !== undefined) plain++;
    }
    expect(compared).toBeGreaterThan(100);
    // The reader takes whole recorded responses itself, not only by falling back to the parser.
    expect(plain).toBe(compared);
    // Most recordings (GetFolder, GetItem, ... answers) have the plain shape the scanner reads.
    expect(fast).toBeGreaterThan(compared / 2);
  });

  it("equals the tree parser on generated responses, whole and damaged", () => {
    let fast = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { xml, expectedPayloads } = generatedResponse(seed);
      const body = Buffer.from(xml);
      const stream = viaStream(body);
      expect(stream, `seed ${seed}`).toEqual(viaTree(body));
      expect(stream.ok && stream.payloads, `seed ${seed}`).toEqual(
        expectedPayloads.map((p) => p.toString("hex")),
      );
      expect(wholeViaReader(body), `seed ${seed}`).toEqual(wholeViaTree(body));
      const broken = Buffer.from(damaged(xml, seed));
      expect(viaStream(broken), `damaged seed ${seed}`).toEqual(viaTree(broken));
      expect(wholeViaReader(broken), `damaged seed ${seed}`).toEqual(wholeViaTree(broken));
      if (scanPayloadResponse(body, "Data") !== undefined) fast++;
    }
    // Every undamaged generated response takes the fast path (no comments or CDATA in them).
    expect(fast).toBe(300);
  });

  it("refuses DTD and entity declarations anywhere, including inside a response message", () => {
    const { xml } = generatedResponse(7);
    for (const declaration of [
      '<!DOCTYPE x [<!ENTITY e "x">]>',
      '<! ENTITY e SYSTEM "file:///etc/passwd">',
    ]) {
      const inMessage = xml.replace(/(<[A-Za-z:]*ResponseCode>)/, `${declaration}$1`);
      const atStart = xml.replace("?>", `?>${declaration}`);
      for (const body of [inMessage, atStart]) {
        expect(() => parsePayloadResponse(Buffer.from(body), "Data")).toThrowError(/DTD/);
        expect(viaStream(Buffer.from(body))).toEqual({ ok: false, code: "EWS_MALFORMED_RESPONSE" });
        expect(() => readResponse(Buffer.from(body))).toThrowError(/DTD/);
      }
    }
  });

  it("leaves deep nesting to the XML parser, which refuses it", () => {
    const deep = Buffer.from(
      `<s:Envelope xmlns:s="S"><s:Body>${"<a>".repeat(5000)}${"</a>".repeat(5000)}</s:Body></s:Envelope>`,
    );
    expect(wholeViaTree(deep)).toEqual({ ok: false, code: "EWS_MALFORMED_RESPONSE" });
    expect(wholeViaReader(deep)).toEqual({ ok: false, code: "EWS_MALFORMED_RESPONSE" });
    expect(viaStream(deep)).toEqual({ ok: false, code: "EWS_MALFORMED_RESPONSE" });
  });

  it("refuses a body cut short anywhere", () => {
    const { xml } = generatedResponse(11);
    for (let cut = 1; cut < xml.length; cut += 17) {
      const body = Buffer.from(xml.slice(0, cut));
      expect(viaStream(body), `cut at ${cut}`).toEqual({ ok: false, code: "EWS_MALFORMED_RESPONSE" });
      expect(wholeViaReader(body), `cut at ${cut}`).toEqual({ ok: false, code: "EWS_MALFORMED_RESPONSE" });
    }
  });

  it("reports Data containing '<' as that item's damaged payload, the rest of the batch intact", () => {
    const good = Buffer.from("hello").toString("base64");
    const body = Buffer.from(
      `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:ExportItemsResponse xmlns:m="M"><m:ResponseMessages><m:ExportItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Data>QU<b>JD</m:Data></m:ExportItemsResponseMessage><m:ExportItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Data>${good}</m:Data></m:ExportItemsResponseMessage></m:ResponseMessages></m:ExportItemsResponse></s:Body></s:Envelope>`,
    );
    const { root, payloads } = parsePayloadResponse(body, "Data");
    expect(viaStream(body)).toEqual(viaTree(body));
    expect(payloads.map((p) => Buffer.from(p).toString())).toEqual(["hello"]);
    const messages = (root.children[0]?.children[0]?.children[0]?.children ?? []).map(
      (message) => message.children.find((c) => c.name === "Data")?.attributes,
    );
    expect(messages).toEqual([{ invalid: "base64" }, { payload: "0" }]);
  });
});
