// RFC 5322 / MIME for the mock's MimeContent: parsing a message into an item (CreateItem with
// MimeContent, UploadItems). Written here rather than taken from npm because it must be
// synchronous and deterministic; the well-kept parsers (postal-mime, mailparser) are async.
// What MIME carries and what it loses (and the defaults set instead) is listed at the top of
// mime-write.ts.
import type { MockAttachment, MockItemAttachment, MockItemData } from "../model.js";
import { MimeParseError } from "./errors.js";
import { bytesOf, decodeCharset, decodeQuotedPrintable } from "./mime-encoding.js";
import { decodeWords, isoFromHeaderDate, parseAddressList, parseParams } from "./mime-headers.js";

const EPOCH = "1970-01-01T00:00:00Z";

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

interface Collected {
  text?: string;
  html?: string;
  attachments: MockAttachment[];
  itemAttachments: MockItemAttachment[];
  /** How deep the message being collected is embedded (0: the top-level message). */
  embeddedDepth: number;
}

/** As CreateItem: item attachments nest at most this deep. */
const MAX_EMBEDDED_DEPTH = 10;

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
  if (mediaType === "message/rfc822" && collected.embeddedDepth < MAX_EMBEDDED_DEPTH) {
    try {
      const item = parseMime(bytes, collected.embeddedDepth + 1);
      collected.itemAttachments.push({
        name: name ?? item.subject,
        isInline: dispositionType === "inline",
        lastModifiedTime: modified ?? fallbackDate,
        item,
      });
      return;
    } catch (error) {
      // Not a message after all: kept below as the file attachment it claims to be.
      if (!(error instanceof MimeParseError)) throw error;
    }
  }
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
  return parseMime(mime, 0);
}

function parseMime(mime: string | Uint8Array, embeddedDepth: number): MockItemData {
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
  const collected: Collected = { attachments: [], itemAttachments: [], embeddedDepth };
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
    ...(collected.itemAttachments.length > 0 ? { itemAttachments: collected.itemAttachments } : {}),
  };
}
