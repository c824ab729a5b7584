// Header fields of the MIME codec, both ways: RFC 2047 encoded words, folding, addresses,
// dates and RFC 2231 parameters. mime-write.ts writes headers with these, mime-parse.ts reads them.
import type { MockMailAddress } from "../model.js";
import { base64, bytesOf, CRLF, decodeCharset, utf8 } from "./mime-encoding.js";

export function isPlainAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** RFC 2047 B-encoded words of at most 75 characters, never splitting a character. */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  const flush = () => {
    if (chunk.length > 0) words.push(`=?UTF-8?B?${base64(Uint8Array.from(chunk))}?=`);
    chunk = [];
  };
  for (const char of text) {
    const bytes = utf8.encode(char);
    if (chunk.length + bytes.length > 45) flush();
    chunk.push(...bytes);
  }
  flush();
  return words;
}

/** Unstructured header text: ASCII as is, anything else (or anything ambiguous) encoded. */
export function headerText(text: string): string[] {
  if (isPlainAscii(text) && !text.includes("=?") && text.trim() === text && !/ {2}/.test(text)) {
    return text === "" ? [] : text.split(" ");
  }
  return encodedWords(text);
}

/**
 * Joins tokens with the separator and folds (CRLF + space, before any space of the result) so
 * lines stay within 78 characters; unfolding gives back exactly the joined text.
 */
export function foldHeader(name: string, tokens: readonly string[], separator = " "): string {
  const lines: string[] = [];
  let line = `${name}:`;
  const sepHead = separator.trimEnd();
  tokens.forEach((token, tokenIndex) => {
    token.split(" ").forEach((word, wordIndex) => {
      const joiner = tokenIndex > 0 && wordIndex === 0 ? sepHead : "";
      const piece = `${joiner} ${word}`;
      // Folding right after "Name:" is legal too (the value then starts on the next line).
      if (line.length + piece.length > 76) {
        lines.push(line + joiner);
        line = ` ${word}`;
      } else {
        line += piece;
      }
    });
  });
  lines.push(line);
  return lines.join(CRLF);
}

export function formatAddress(address: MockMailAddress): string {
  if (address.name === "") return `<${address.email}>`;
  if (isPlainAscii(address.name) && !address.name.includes("=?") && address.name.trim() === address.name) {
    const name = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(address.name)
      ? address.name
      : `"${address.name.replace(/[\\"]/g, "\\$&")}"`;
    return `${name} <${address.email}>`;
  }
  return `${encodedWords(address.name).join(" ")} <${address.email}>`;
}

export function rfc5322Date(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

export function quoteParam(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * A filename parameter: quoted when short ASCII, otherwise RFC 2231 (UTF-8, percent-encoded),
 * split into numbered continuations so no header line passes 78 characters.
 */
export function fileParam(param: string, value: string): string {
  if (isPlainAscii(value) && value.length <= 60) return `${param}=${quoteParam(value)}`;
  const pieces: string[] = [];
  let current = "";
  for (const byte of utf8.encode(value)) {
    const char = String.fromCharCode(byte);
    const piece = /[A-Za-z0-9!#$&+\-.^_`|~]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (current.length + piece.length > 56) {
      pieces.push(current);
      current = "";
    }
    current += piece;
  }
  pieces.push(current);
  if (pieces.length === 1) return `${param}*=utf-8''${pieces[0]}`;
  return pieces
    .map((piece, index) => `${param}*${index}*=${index === 0 ? "utf-8''" : ""}${piece}`)
    .join(`;${CRLF}\t`);
}

/** Decodes RFC 2047 encoded-words (adjacent ones joined, as the RFC requires). */
export function decodeWords(value: string): string {
  const pattern = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  let out = "";
  let last = 0;
  let pending: { charset: string; bytes: number[] } | undefined;
  const flush = () => {
    if (pending) out += decodeCharset(Uint8Array.from(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const between = value.slice(last, match.index);
    if (!(pending && /^[ \t\r\n]*$/.test(between))) {
      flush();
      out += between;
    }
    const charset = match[1]!.split("*")[0]!.toLowerCase();
    const text = match[3]!;
    const bytes =
      match[2]!.toUpperCase() === "B"
        ? [...Buffer.from(text, "base64")]
        : [
            ...bytesOf(
              text
                .replace(/_/g, " ")
                .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
            ),
          ];
    if (pending && pending.charset !== charset) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(...bytes);
    last = match.index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}

export interface ParsedValue {
  readonly value: string;
  readonly params: ReadonlyMap<string, string>;
}

/** "type/subtype; a=b; c*=utf-8''x" with RFC 2231 continuations and charsets. */
export function parseParams(raw: string): ParsedValue {
  const tokens: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (quoted && char === "\\" && i + 1 < raw.length) {
      current += raw[++i];
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === ";" && !quoted) {
      tokens.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  tokens.push(current);
  const value = tokens.shift()!.trim();
  const pieces = new Map<string, { parts: Map<number, { text: string; encoded: boolean }> }>();
  for (const token of tokens) {
    const eq = token.indexOf("=");
    if (eq < 0) continue;
    const key = token.slice(0, eq).trim().toLowerCase();
    const text = token.slice(eq + 1).trim();
    const match = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(key);
    if (!match) continue;
    const name = match[1]!;
    const entry = pieces.get(name) ?? { parts: new Map() };
    entry.parts.set(match[2] === undefined ? 0 : Number(match[2]), { text, encoded: match[3] === "*" });
    pieces.set(name, entry);
  }
  const params = new Map<string, string>();
  for (const [name, { parts }] of pieces) {
    const ordered = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    const first = ordered[0];
    if (first?.encoded) {
      const quote = first.text.indexOf("'");
      const second = first.text.indexOf("'", quote + 1);
      const charset = quote > 0 ? first.text.slice(0, quote) : "utf-8";
      const joined = ordered
        .map((p, index) => (index === 0 && second >= 0 ? p.text.slice(second + 1) : p.text))
        .join("");
      const binary = joined.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
        String.fromCharCode(parseInt(h, 16)),
      );
      params.set(name, decodeCharset(bytesOf(binary), charset));
    } else {
      params.set(name, decodeWords(ordered.map((p) => p.text).join("")));
    }
  }
  return { value, params };
}

export function parseAddressList(value: string | undefined): MockMailAddress[] {
  if (!value) return [];
  const entries: string[] = [];
  let current = "";
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (quoted && char === "\\") {
      current += char + (value[++i] ?? "");
      continue;
    }
    if (char === '"' && comment === 0) quoted = !quoted;
    else if (!quoted && char === "(") comment++;
    else if (!quoted && char === ")" && comment > 0) comment--;
    else if (!quoted && comment === 0 && char === "<") angle++;
    else if (!quoted && comment === 0 && char === ">" && angle > 0) angle--;
    if ((char === "," || char === ";") && !quoted && angle === 0 && comment === 0) {
      entries.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  entries.push(current);
  const addresses: MockMailAddress[] = [];
  for (let entry of entries) {
    // A group ("Team: a@x, b@y;") contributes its members.
    const group = /^[^"<]*:/.exec(entry);
    if (group && !/^[^"<]*:\/\//.test(entry)) entry = entry.slice(group[0].length);
    entry = entry.trim();
    if (entry === "") continue;
    const angled = /<([^>]*)>\s*$/.exec(entry);
    let name: string;
    let email: string;
    if (angled) {
      email = angled[1]!.trim();
      name = entry.slice(0, angled.index).trim();
    } else {
      const comment = /\(([^)]*)\)/.exec(entry);
      email = entry.replace(/\([^)]*\)/g, "").trim();
      name = comment ? comment[1]!.trim() : "";
    }
    if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) {
      name = name.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    addresses.push({ name: decodeWords(name), email });
  }
  return addresses;
}

export function isoFromHeaderDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ""));
  if (Number.isNaN(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
