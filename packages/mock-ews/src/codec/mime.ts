// RFC 5322 / MIME for the mock's MimeContent (GetItem IncludeMimeContent, CreateItem with
// MimeContent). Written here rather than taken from npm because both directions must be
// synchronous and deterministic; the well-kept parsers (postal-mime, mailparser) are async.
//
// What MIME carries, both ways: subject, from, to, cc, bcc, Date (dateTimeSent), Message-ID,
// Importance, Sensitivity, Keywords (categories), the body (HTML is sent as multipart/alternative
// with a derived text part; the HTML part wins on parse) and attachments (name, content type,
// Content-ID, inline/attachment disposition, modification-date, content).
// What it loses, and what mimeToItem sets instead:
//   itemClass -> "IPM.Note"; isRead -> false; flagStatus -> "NotFlagged";
//   dateTimeReceived and dateTimeCreated -> the Date header (dateTimeSent);
//   calendar, contact and task fields -> absent; isContactPhoto -> absent;
//   empty category names -> dropped; a missing Message-ID -> one derived from the content.
import { crc32 } from "node:zlib";
import type { MockAttachment, MockItemData, MockMailAddress } from "../model.js";
import { MimeParseError } from "./errors.js";

const CRLF = "\r\n";
const utf8 = new TextEncoder();
const EPOCH = "1970-01-01T00:00:00Z";

// ---------------------------------------------------------------------------------------------
// Writing

function isPlainAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** RFC 2047 B-encoded words of at most 75 characters, never splitting a character. */
function encodedWords(text: string): string[] {
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
function headerText(text: string): string[] {
  if (isPlainAscii(text) && !text.includes("=?") && text.trim() === text && !/ {2}/.test(text)) {
    return text === "" ? [] : text.split(" ");
  }
  return encodedWords(text);
}

/**
 * Joins tokens with the separator and folds (CRLF + space, before any space of the result) so
 * lines stay within 78 characters; unfolding gives back exactly the joined text.
 */
function foldHeader(name: string, tokens: readonly string[], separator = " "): string {
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

function formatAddress(address: MockMailAddress): string {
  if (address.name === "") return `<${address.email}>`;
  if (isPlainAscii(address.name) && !address.name.includes("=?") && address.name.trim() === address.name) {
    const name = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(address.name)
      ? address.name
      : `"${address.name.replace(/[\\"]/g, "\\$&")}"`;
    return `${name} <${address.email}>`;
  }
  return `${encodedWords(address.name).join(" ")} <${address.email}>`;
}

function rfc5322Date(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

const HEX = "0123456789ABCDEF";

/**
 * Quoted-printable of UTF-8 text; "\n" becomes a hard line break, a bare "\r" is escaped.
 * Works on bytes into a byte buffer: bodies are large and string-per-byte building is slow.
 */
function quotedPrintable(text: string): string {
  const input = utf8.encode(text);
  // Worst case: every byte escaped (3x) plus a soft break (3 bytes) every 25 input bytes.
  const out = new Uint8Array(input.length * 4 + 16);
  let o = 0;
  let column = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      column = 0;
      continue;
    }
    // Bounds-checked look-ahead: reading past a typed array's end deoptimises the loop.
    const endOfLine = i + 1 === input.length || input[i + 1] === 0x0a;
    const literal =
      (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 0x20 || byte === 0x09) && !endOfLine);
    const width = literal ? 1 : 3;
    if (column + width > 75) {
      out[o++] = 61;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      column = 0;
    }
    if (literal) {
      out[o++] = byte;
    } else {
      out[o++] = 61;
      out[o++] = HEX.charCodeAt(byte >> 4);
      out[o++] = HEX.charCodeAt(byte & 15);
    }
    column += width;
  }
  return Buffer.from(out.buffer, 0, o).toString("latin1");
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

function decodeQuotedPrintable(binary: string): Uint8Array {
  const input = Buffer.from(binary, "latin1");
  const out = new Uint8Array(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte !== 61) {
      out[o++] = byte;
      continue;
    }
    // Soft line break ("=" then optional trailing blanks, then CRLF or LF).
    // Every look-ahead is bounds-checked: reading past a typed array's end deoptimises the loop.
    const length = input.length;
    let j = i + 1;
    while (j < length && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (j + 1 < length && input[j] === 0x0d && input[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (j < length && input[j] === 0x0a) {
      i = j;
      continue;
    }
    const high = i + 1 < length ? hexValue(input[i + 1]!) : -1;
    const low = i + 2 < length ? hexValue(input[i + 2]!) : -1;
    if (high >= 0 && low >= 0) {
      out[o++] = (high << 4) | low;
      i += 2;
    } else {
      out[o++] = byte;
    }
  }
  return out.slice(0, o);
}

function base64Lines(bytes: Uint8Array): string {
  const encoded = base64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join(CRLF);
}

function quoteParam(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * A filename parameter: quoted when short ASCII, otherwise RFC 2231 (UTF-8, percent-encoded),
 * split into numbered continuations so no header line passes 78 characters.
 */
function fileParam(param: string, value: string): string {
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

function htmlToText(html: string): string {
  return html
    .replace(/<(style|head|script)[^>]*>[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|blockquote|tr|h[1-6])>/gi, "\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function textPart(subtype: "plain" | "html", content: string): string {
  return (
    `Content-Type: text/${subtype}; charset="utf-8"${CRLF}` +
    `Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}` +
    quotedPrintable(content)
  );
}

function multipart(subtype: string, boundary: string, parts: readonly string[]): string {
  return (
    `Content-Type: multipart/${subtype};${CRLF}\tboundary="${boundary}"${CRLF}${CRLF}` +
    parts.map((part) => `--${boundary}${CRLF}${part}${CRLF}`).join("") +
    `--${boundary}--`
  );
}

function attachmentPart(attachment: MockAttachment): string {
  const headers = [
    `Content-Type: ${attachment.contentType};${CRLF}\t${fileParam("name", attachment.name)}`,
    `Content-Disposition: ${attachment.isInline ? "inline" : "attachment"};${CRLF}\t${fileParam("filename", attachment.name)}`,
  ];
  const modified = rfc5322Date(attachment.lastModifiedTime);
  if (modified) headers[1] += `;${CRLF}\tmodification-date=${quoteParam(modified)}`;
  if (attachment.contentId !== undefined) headers.push(`Content-ID: <${attachment.contentId}>`);
  headers.push("Content-Transfer-Encoding: base64");
  return `${headers.join(CRLF)}${CRLF}${CRLF}${base64Lines(attachment.content)}`;
}

/**
 * zlib's crc32(data, value) across Node versions: for empty data Node 22 and older answer 0, newer
 * ones `value` (the mathematically right answer). The mock's output is pinned byte for byte
 * (test/codec/byte-identity.test.ts) and was first generated on the older behaviour, so that is
 * the one kept, on every Node.
 */
function crc32Continued(data: Uint8Array, value: number): number {
  return data.length === 0 ? 0 : crc32(data, value);
}

/**
 * Renders an item as an RFC 5322 message. Deterministic: boundaries and a missing Message-ID are
 * derived from the content. Fields MIME cannot carry are listed at the top of this file.
 */
export function itemToMime(item: MockItemData): string {
  const fingerprint = crc32(
    utf8.encode(`${item.subject}\u0000${item.internetMessageId ?? ""}\u0000${item.body.content.length}`),
    item.attachments.length,
  )
    .toString(16)
    .padStart(8, "0");
  const messageId =
    item.internetMessageId ??
    `<${crc32Continued(utf8.encode(item.body.content), crc32(utf8.encode(item.subject)))
      .toString(16)
      .padStart(8, "0")}.${fingerprint}@mock-ews.invalid>`;

  const headers: string[] = [];
  if (item.from) headers.push(foldHeader("From", [formatAddress(item.from)]));
  const list = (name: string, addresses: readonly MockMailAddress[]) => {
    if (addresses.length > 0) headers.push(foldHeader(name, addresses.map(formatAddress), ", "));
  };
  list("To", item.toRecipients);
  list("Cc", item.ccRecipients);
  list("Bcc", item.bccRecipients);
  headers.push(foldHeader("Subject", headerText(item.subject)));
  const date = rfc5322Date(item.dateTimeSent);
  if (date) headers.push(`Date: ${date}`);
  headers.push(`Message-ID: ${messageId}`);
  if (item.importance !== "Normal") headers.push(`Importance: ${item.importance.toLowerCase()}`);
  if (item.sensitivity !== "Normal") {
    headers.push(
      `Sensitivity: ${item.sensitivity === "Confidential" ? "Company-Confidential" : item.sensitivity}`,
    );
  }
  const categories = item.categories.filter((c) => c !== "");
  if (categories.length > 0) {
    const tokens = categories.map((c) =>
      isPlainAscii(c) && !/[,"]|=\?/.test(c) && c.trim() === c ? c : encodedWords(c).join(" "),
    );
    headers.push(foldHeader("Keywords", tokens, ", "));
  }
  headers.push("MIME-Version: 1.0");

  let body =
    item.body.bodyType === "HTML"
      ? multipart(`alternative`, `----=_Alt_${fingerprint}`, [
          textPart("plain", htmlToText(item.body.content)),
          textPart("html", item.body.content),
        ])
      : textPart("plain", item.body.content);
  if (item.attachments.length > 0) {
    body = multipart("mixed", `----=_Mixed_${fingerprint}`, [body, ...item.attachments.map(attachmentPart)]);
  }
  return `${headers.join(CRLF)}${CRLF}${body}${CRLF}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface Header {
  readonly name: string;
  readonly value: string;
}

interface Part {
  readonly headers: readonly Header[];
  /** Body as a binary string (one char per byte). */
  readonly body: string;
}

function splitHeaderBody(raw: string): Part {
  // A part may have no headers at all: its body then starts right after the boundary line.
  const bare = /^\r?\n/.exec(raw);
  if (bare) return { headers: [], body: raw.slice(bare[0].length) };
  const match = /\r?\n\r?\n/.exec(raw);
  const headerText = match ? raw.slice(0, match.index) : raw;
  const body = match ? raw.slice(match.index + match[0].length) : "";
  const headers: Header[] = [];
  for (const line of headerText.split(/\r?\n/)) {
    if (line === "") continue;
    if (/^[ \t]/.test(line)) {
      const last = headers.pop();
      if (!last) throw new MimeParseError("message starts with a continuation line");
      headers.push({ name: last.name, value: last.value + line });
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trimEnd())) {
      throw new MimeParseError(`not a header line: ${JSON.stringify(line.slice(0, 40))}`);
    }
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1) });
  }
  // Trim after unfolding: a value may start on a continuation line.
  return { headers: headers.map((h) => ({ name: h.name, value: h.value.trim() })), body };
}

function header(part: Part, name: string): string | undefined {
  return part.headers.find((h) => h.name === name)?.value;
}

function bytesOf(binary: string): Uint8Array {
  return new Uint8Array(Buffer.from(binary, "latin1"));
}

function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "utf-8").trim().toLowerCase();
  try {
    return new TextDecoder(label === "us-ascii" || label === "ascii" ? "windows-1252" : label).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

/** Decodes RFC 2047 encoded-words (adjacent ones joined, as the RFC requires). */
function decodeWords(value: string): string {
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

interface ParsedValue {
  readonly value: string;
  readonly params: ReadonlyMap<string, string>;
}

/** "type/subtype; a=b; c*=utf-8''x" with RFC 2231 continuations and charsets. */
function parseParams(raw: string): ParsedValue {
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

function decodeTransfer(part: Part): Uint8Array {
  const encoding = (header(part, "content-transfer-encoding") ?? "7bit").toLowerCase();
  if (encoding === "base64")
    return new Uint8Array(Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64"));
  if (encoding === "quoted-printable") return decodeQuotedPrintable(part.body);
  return bytesOf(part.body);
}

/** Body parts between "--boundary" delimiter lines; preamble and epilogue are dropped. */
function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let start: number | undefined;
  let from = 0;
  while (from <= body.length) {
    const at = body.indexOf(delimiter, from);
    if (at < 0) break;
    const lineStart = at === 0 || body[at - 1] === "\n";
    const lineEnd = body.indexOf("\n", at);
    const rest = body.slice(at + delimiter.length, lineEnd < 0 ? body.length : lineEnd).trimEnd();
    if (!lineStart || (rest !== "" && rest !== "--")) {
      from = at + delimiter.length;
      continue;
    }
    if (start !== undefined) {
      // The line break before a delimiter belongs to the delimiter.
      const end = at >= 2 && body[at - 2] === "\r" ? at - 2 : at === 0 ? 0 : at - 1;
      parts.push(body.slice(start, Math.max(start, end)));
    }
    if (rest === "--" || lineEnd < 0) {
      start = undefined;
      break;
    }
    start = lineEnd + 1;
    from = start;
  }
  if (start !== undefined) parts.push(body.slice(start));
  return parts;
}

function parseAddressList(value: string | undefined): MockMailAddress[] {
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

function isoFromHeaderDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ""));
  if (Number.isNaN(ms)) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

interface Collected {
  text?: string;
  html?: string;
  attachments: MockAttachment[];
}

function collect(part: Part, collected: Collected, fallbackDate: string, depth: number): void {
  if (depth > 20) throw new MimeParseError("MIME nesting is too deep");
  const type = parseParams(header(part, "content-type") ?? "text/plain; charset=us-ascii");
  const mediaType = type.value.toLowerCase();
  if (mediaType.startsWith("multipart/")) {
    const boundary = type.params.get("boundary");
    if (!boundary) throw new MimeParseError(`${mediaType} without a boundary`);
    for (const raw of splitMultipart(part.body, boundary)) {
      collect(splitHeaderBody(raw), collected, fallbackDate, depth + 1);
    }
    return;
  }
  const disposition = parseParams(header(part, "content-disposition") ?? "");
  const dispositionType = disposition.value.toLowerCase();
  const name = disposition.params.get("filename") ?? type.params.get("name");
  const contentIdHeader = header(part, "content-id");
  const isText = mediaType === "text/plain" || mediaType === "text/html";
  const isBody = isText && dispositionType !== "attachment" && name === undefined;
  const bytes = decodeTransfer(part);
  if (isBody) {
    const text = decodeCharset(bytes, type.params.get("charset")).replace(/\r\n/g, "\n");
    if (mediaType === "text/html") collected.html ??= text;
    else collected.text ??= text;
    return;
  }
  const modified = isoFromHeaderDate(disposition.params.get("modification-date"));
  const attachment: MockAttachment = {
    name:
      name ??
      (mediaType === "message/rfc822" ? "message.eml" : `attachment${collected.attachments.length + 1}`),
    contentType: type.value,
    ...(contentIdHeader ? { contentId: contentIdHeader.replace(/^\s*<|>\s*$/g, "") } : {}),
    isInline: dispositionType === "inline",
    lastModifiedTime: modified ?? fallbackDate,
    content: bytes,
  };
  collected.attachments.push(attachment);
}

/**
 * Parses an RFC 5322 message (what itemToMime writes, and ordinary messages from other
 * mailers) into an item. MUST throw MimeParseError (code INVALID_MIME) when the input has no
 * valid header section; fields MIME cannot carry get the defaults listed at the top of this file.
 */
export function mimeToItem(mime: string | Uint8Array): MockItemData {
  if (typeof mime !== "string" && !(mime instanceof Uint8Array)) {
    throw new TypeError("mimeToItem expects a string or a Uint8Array");
  }
  // Work on a binary string (one char per byte) so 8-bit bodies decode with their own charset.
  const binary =
    typeof mime === "string"
      ? /^[\x00-\xff]*$/.test(mime)
        ? mime
        : Buffer.from(mime, "utf8").toString("latin1")
      : Buffer.from(mime.buffer, mime.byteOffset, mime.byteLength).toString("latin1");
  if (binary.trim() === "") throw new MimeParseError("empty message");
  // Leading blank lines and an mbox "From " separator line are not part of the message.
  const parsed = splitHeaderBody(binary.replace(/^(\r?\n)+/, "").replace(/^From [^\n]*\n/, ""));
  if (parsed.headers.length === 0) throw new MimeParseError("message has no headers");
  // The line break ending a single-part message belongs to the message, not to its body.
  const message = { headers: parsed.headers, body: parsed.body.replace(/\r?\n$/, "") };

  // Header values are ASCII by the RFC, but raw UTF-8 is common in practice.
  const text = (name: string) => {
    const value = header(message, name);
    return value === undefined ? undefined : decodeWords(decodeCharset(bytesOf(value), "utf-8"));
  };
  const raw = (name: string) => {
    const value = header(message, name);
    return value === undefined ? undefined : decodeCharset(bytesOf(value), "utf-8");
  };
  const sent = isoFromHeaderDate(header(message, "date")) ?? EPOCH;
  const collected: Collected = { attachments: [] };
  collect(message, collected, sent, 0);

  const from = parseAddressList(raw("from"))[0];
  const importance = (header(message, "importance") ?? "").toLowerCase();
  const priority = header(message, "x-priority") ?? "";
  const sensitivity = (header(message, "sensitivity") ?? "").toLowerCase();
  const messageId = header(message, "message-id")?.trim();
  const keywords = raw("keywords");
  return {
    itemClass: "IPM.Note",
    subject: text("subject") ?? "",
    body:
      collected.html !== undefined
        ? { bodyType: "HTML", content: collected.html }
        : { bodyType: "Text", content: collected.text ?? "" },
    ...(from ? { from } : {}),
    toRecipients: parseAddressList(raw("to")),
    ccRecipients: parseAddressList(raw("cc")),
    bccRecipients: parseAddressList(raw("bcc")),
    dateTimeReceived: sent,
    dateTimeSent: sent,
    dateTimeCreated: sent,
    importance:
      importance === "high" || /^[12]\b/.test(priority)
        ? "High"
        : importance === "low" || /^[45]\b/.test(priority)
          ? "Low"
          : "Normal",
    sensitivity:
      sensitivity === "personal"
        ? "Personal"
        : sensitivity === "private"
          ? "Private"
          : sensitivity === "company-confidential"
            ? "Confidential"
            : "Normal",
    categories: keywords
      ? keywords
          .split(",")
          .map((k) => decodeWords(k.trim()))
          .filter((k) => k !== "")
      : [],
    isRead: false,
    flagStatus: "NotFlagged",
    ...(messageId ? { internetMessageId: messageId } : {}),
    attachments: collected.attachments,
  };
}
