import type { MockItemData } from "../model.js";
import { MimeParseError } from "./errors.js";

export function itemToMime(item: MockItemData): string {
  return `Subject: ${item.subject}\r\nMIME-Version: 1.0\r\n\r\n${item.body.content}`;
}

export function mimeToItem(mime: string | Uint8Array): MockItemData {
  const text = typeof mime === "string" ? mime : new TextDecoder().decode(mime);
  const split = text.indexOf("\r\n\r\n");
  if (split < 0) throw new MimeParseError("no header/body separator");
  const subject = /^Subject: (.*)$/m.exec(text.slice(0, split))?.[1] ?? "";
  return {
    itemClass: "IPM.Note",
    subject,
    body: { bodyType: "Text", content: text.slice(split + 4) },
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: "1970-01-01T00:00:00Z",
    dateTimeSent: "1970-01-01T00:00:00Z",
    dateTimeCreated: "1970-01-01T00:00:00Z",
    importance: "Normal",
    sensitivity: "Normal",
    categories: [],
    isRead: false,
    flagStatus: "NotFlagged",
    attachments: [],
  };
}
