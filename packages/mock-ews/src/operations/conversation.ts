// ConversationId (item:ConversationId) of messages and posts, shaped like Exchange's: base64 of
// 00 04 (a mailbox-GUID-based conversation id), the mailbox GUID as 36 characters (length 0x24
// little-endian), 00, then the 16-byte conversation GUID with its length (0x10 little-endian).
// Without a PidTagConversationIndex (the mock keeps none), Exchange derives the conversation
// from the topic, the subject without its RE:/FW: prefix: here the MD5 of the upper-cased topic
// in UTF-16LE, so a reply or forward joins the conversation of its original.
import { createHash } from "node:crypto";
import type { MockItemData } from "../model.js";

/** The normalized subject (PidTagConversationTopic). */
export function conversationTopic(data: MockItemData): string {
  return data.subject.replace(/^(re|fw|fwd):\s*/i, "");
}

/** Messages and posts have a conversation; other items have none. */
export function conversationId(mailboxGuid: string, data: MockItemData): string | undefined {
  if (!data.itemClass.startsWith("IPM.Note") && !data.itemClass.startsWith("IPM.Post")) return undefined;
  const index = createHash("md5")
    .update(Buffer.from(conversationTopic(data).toUpperCase(), "utf16le"))
    .digest();
  const header = Buffer.from([0x00, 0x04, 0x24, 0x00]);
  const tail = Buffer.from([0x00, 0x10, 0x00]);
  return Buffer.concat([header, Buffer.from(mailboxGuid, "latin1"), tail, index]).toString("base64");
}
