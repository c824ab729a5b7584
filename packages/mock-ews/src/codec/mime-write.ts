// RFC 5322 / MIME for the mock's MimeContent (GetItem IncludeMimeContent, CreateItem with
// MimeContent): writing an item as a message; mime-parse.ts reads one back. Written here rather
// than taken from npm because both directions must be synchronous and deterministic; the
// well-kept parsers (postal-mime, mailparser) are async.
//
// What MIME carries, both ways: subject, from, to, cc, bcc, Date (dateTimeSent), Message-ID,
// Importance, Sensitivity, Keywords (categories), the body (HTML is sent as multipart/alternative
// with a derived text part; the HTML part wins on parse), attachments (name, content type,
// Content-ID, inline/attachment disposition, modification-date, content) and item attachments,
// as Exchange writes them: a message/rfc822 part (name, disposition, modification-date) holding
// the embedded item's own MIME, which carries and loses what this list says (nested up to 10
// levels on parse, as CreateItem allows; deeper ones, or ones that do not parse, stay file
// attachments so nothing is lost).
// What it loses, and what mimeToItem sets instead:
//   itemClass -> "IPM.Note"; isRead -> false; flagStatus -> "NotFlagged";
//   dateTimeReceived and dateTimeCreated -> the Date header (dateTimeSent);
//   calendar, contact and task fields -> absent (recurrence, exceptions, deleted occurrences,
//   contact indexed entries included); isContactPhoto -> absent;
//   extended MAPI properties (and the reminder / receipt-request flags kept among them) ->
//   absent: MIME has no place for a MAPI property, which is why backups use ExportItems;
//   empty category names -> dropped; a missing Message-ID -> one derived from the content.
import { crc32 } from "node:zlib";
import type { MockAttachment, MockItemAttachment, MockItemData, MockMailAddress } from "../model.js";
import { base64Lines, CRLF, quotedPrintable, utf8 } from "./mime-encoding.js";
import {
  encodedWords,
  fileParam,
  foldHeader,
  formatAddress,
  headerText,
  isPlainAscii,
  quoteParam,
  rfc5322Date,
} from "./mime-headers.js";

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

/** An item attachment: message/rfc822 around the embedded item's MIME (`depth`: for its boundaries). */
function itemAttachmentPart(attachment: MockItemAttachment, depth: number): string {
  let disposition = `Content-Disposition: ${attachment.isInline ? "inline" : "attachment"};${CRLF}\t${fileParam("filename", attachment.name)}`;
  const modified = rfc5322Date(attachment.lastModifiedTime);
  if (modified) disposition += `;${CRLF}\tmodification-date=${quoteParam(modified)}`;
  return `Content-Type: message/rfc822${CRLF}${disposition}${CRLF}${CRLF}${renderMime(attachment.item, depth + 1)}`;
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
  return renderMime(item, 0);
}

/**
 * `depth` > 0 for an embedded item: its boundaries get the depth in their prefix, so they can
 * never equal those of an enclosing message (top-level ones are unchanged, and pinned).
 */
function renderMime(item: MockItemData, depth: number): string {
  const embedded = item.itemAttachments ?? [];
  const boundaryPrefix = depth === 0 ? "----=_" : `----=_E${depth}_`;
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
      ? multipart(`alternative`, `${boundaryPrefix}Alt_${fingerprint}`, [
          textPart("plain", htmlToText(item.body.content)),
          textPart("html", item.body.content),
        ])
      : textPart("plain", item.body.content);
  if (item.attachments.length + embedded.length > 0) {
    body = multipart("mixed", `${boundaryPrefix}Mixed_${fingerprint}`, [
      body,
      ...item.attachments.map(attachmentPart),
      ...embedded.map((attachment) => itemAttachmentPart(attachment, depth)),
    ]);
  }
  return `${headers.join(CRLF)}${CRLF}${body}${CRLF}`;
}
