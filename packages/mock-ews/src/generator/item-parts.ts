// The building blocks of a generated item: the context the generator hands to the item makers
// (item-kinds.ts), the size model, people and addresses, dates, body content with quoted
// history and pool attachments, and the flags every item kind shares.
import type {
  MockAssociatedItemClass,
  MockAttachment,
  MockFolderSpec,
  MockItemClass,
  MockItemData,
  MockMailAddress,
  MockMailboxSpec,
} from "../model.js";
import { type AttachmentPool, isoSeconds } from "./attachment-pool.js";
import type { Prng } from "./prng.js";
import {
  CATEGORIES,
  COMPANIES,
  displayName,
  EXTERNAL_DOMAINS,
  htmlBody,
  JOB_TITLES,
  type Person,
  pickPerson,
  prose,
  type QuotedMessage,
  type Signature,
  type SizedText,
  textBody,
} from "./text.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;
/**
 * Median and spread (sigma of ln size) of the log-normal size model of mail. Contacts, tasks and
 * notes are smaller, which brings a whole mailbox's median export size to about 30 KB.
 */
export const MEDIAN_ITEM_BYTES = 44 * KiB;
export const SIZE_SIGMA = 1.45;
/** Export-stream bytes of an item's fixed properties, and of one recipient (upper estimates). */
export const FIXED_BYTES = 800;
export const RECIPIENT_BYTES = 96;
/** Newest timestamp the generator produces; everything is dated before it. */
export const EPOCH_END = Date.UTC(2025, 5, 30, 17, 0, 0);
export const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface MailboxOwner {
  readonly spec: MockMailboxSpec;
  readonly person: Person;
  readonly signature: Signature;
}

export interface ItemContext {
  readonly seed: number;
  readonly domain: string;
  readonly pool: AttachmentPool;
  readonly maxItemBytes: number;
  readonly owner: (mailboxIndex: number) => MailboxOwner;
  readonly mailboxCount: number;
}

/** The class of a generated normal item (associated items are seeded apart, associated-items.ts). */
export function itemClassFor(
  folder: MockFolderSpec,
  rng: Prng,
): Exclude<MockItemClass, MockAssociatedItemClass> {
  switch (folder.folderClass) {
    case "IPF.Appointment":
      return "IPM.Appointment";
    case "IPF.Contact":
      return "IPM.Contact";
    case "IPF.Task":
      return "IPM.Task";
    case "IPF.StickyNote":
      return "IPM.StickyNote";
    case "IPF.Post":
      return "IPM.Post";
    case "IPF.Note": {
      if (folder.distinguishedName !== "deleteditems") return "IPM.Note";
      // Deleted Items collects whatever the user deleted.
      const roll = rng.float();
      if (roll < 0.7) return "IPM.Note";
      if (roll < 0.82) return "IPM.Appointment";
      if (roll < 0.9) return "IPM.Contact";
      if (roll < 0.96) return "IPM.Task";
      return "IPM.StickyNote";
    }
  }
}

/**
 * Target export size of an item: log-normal around the median, capped. The cap keeps 8% of
 * headroom because sizes are planned from estimates (markup, record headers), not measured.
 */
export function targetSize(ctx: ItemContext, rng: Prng): number {
  const size = Math.exp(Math.log(MEDIAN_ITEM_BYTES) + SIZE_SIGMA * rng.normal());
  return Math.max(1200, Math.min(Math.floor(ctx.maxItemBytes * 0.92), Math.round(size)));
}

export function hex(rng: Prng, words: number): string {
  let out = "";
  for (let i = 0; i < words; i++) out += rng.u32().toString(16).padStart(8, "0");
  return out.toUpperCase();
}

export function address(person: Person, domain: string): MockMailAddress {
  return { name: displayName(person), email: `${person.asciiGiven}.${person.asciiSurname}@${domain}` };
}

/** A colleague (another generated mailbox) or an external correspondent. */
export function correspondent(ctx: ItemContext, rng: Prng, self: number): MockMailAddress {
  if (ctx.mailboxCount > 1 && rng.chance(0.5)) {
    let other = rng.int(0, ctx.mailboxCount - 1);
    if (other === self) other = (other + 1) % ctx.mailboxCount;
    const o = ctx.owner(other).spec;
    return { name: o.displayName, email: o.smtpAddress };
  }
  return address(pickPerson(rng), rng.pick(EXTERNAL_DOMAINS));
}

export function recipients(ctx: ItemContext, rng: Prng, self: number, count: number): MockMailAddress[] {
  const list: MockMailAddress[] = [];
  // A small maxItemBytes must hold the recipient lists too: each list gets at most 8% of it.
  const limit = Math.min(count, Math.floor((ctx.maxItemBytes * 0.08) / RECIPIENT_BYTES));
  for (let i = 0; i < limit; i++) list.push(correspondent(ctx, rng, self));
  return list;
}

export function ownerAddress(ctx: ItemContext, mailboxIndex: number, rng: Prng): MockMailAddress {
  if (mailboxIndex < 0) return correspondent(ctx, rng, -1);
  const spec = ctx.owner(mailboxIndex).spec;
  return { name: spec.displayName, email: spec.smtpAddress };
}

export function signatureFor(ctx: ItemContext, sender: MockMailAddress, rng: Prng): Signature {
  return {
    name: sender.name,
    title: rng.pick(JOB_TITLES),
    company: sender.email.endsWith(`@${ctx.domain}`) ? "Contoso Ltd." : rng.pick(COMPANIES),
    phone: `+${rng.int(1, 98)} ${rng.int(100, 999)} ${rng.int(100000, 9999999)}`,
    email: sender.email,
  };
}

export interface Dates {
  readonly created: string;
  readonly sent: string;
  readonly received: string;
}

export function itemDates(rng: Prng, sentByOwner: boolean): Dates {
  const received = EPOCH_END - Math.floor(rng.float() * 3 * YEAR_MS);
  const sent = received - rng.int(1, 900) * 1000;
  return {
    received: isoSeconds(received),
    sent: isoSeconds(sent),
    created: isoSeconds(sentByOwner ? sent : received),
  };
}

export interface Content {
  readonly body: MockItemData["body"];
  readonly attachments: MockAttachment[];
}

/** Export-stream bytes an attachment adds besides its content (record headers, name, type). */
export const ATTACHMENT_OVERHEAD = 256;

/**
 * Body and attachments sized to about `size` bytes: small items are all body; bigger ones keep a
 * mail-sized body and fill the rest with pool files (which is where real mailboxes' bytes are).
 * The body is made first and measured, so the total never passes `size` by more than the body's
 * last sentence.
 */
export function content(
  ctx: ItemContext,
  rng: Prng,
  size: number,
  sender: MockMailAddress,
  subject: string,
  options: { html: boolean; allowAttachments: boolean; quote: boolean },
): Content {
  const attachments: MockAttachment[] = [];
  const bigItem = options.allowAttachments && size > 56 * KiB && rng.chance(0.9);
  const smallAttachment = !bigItem && options.allowAttachments && rng.chance(0.08);
  const bodyBudget = bigItem ? Math.min(size, Math.round(4 * KiB + rng.float() * 24 * KiB)) : size;

  const sig = signatureFor(ctx, sender, rng);
  // An inline picture is part of the item's budget; it is left out when it would take over half.
  let inline: MockAttachment | undefined;
  if (options.html && ctx.pool.smallImages.length > 0 && rng.chance(0.15)) {
    const index = rng.pick(ctx.pool.smallImages);
    const entry = ctx.pool.entries[index]!;
    const contentId = `${entry.name}@01DA${hex(rng, 1)}.${hex(rng, 1)}`;
    if (entry.size + ATTACHMENT_OVERHEAD <= size / 2)
      inline = { ...poolAttachment(ctx, index, true), contentId };
  }
  let quoted: QuotedMessage | undefined;
  const overhead = options.html ? 2600 : 300;
  // HTML markup adds roughly 15% around the prose (paragraph tags), on top of the fixed head.
  const inlineBytes = inline && !bigItem ? inline.content.length + ATTACHMENT_OVERHEAD : 0;
  let proseBytes = Math.max(
    40,
    Math.round((bodyBudget - inlineBytes - overhead) * (options.html ? 0.86 : 1)),
  );
  if (smallAttachment) proseBytes = Math.max(40, Math.round(proseBytes * 0.6));
  if (options.quote && proseBytes > 2000) {
    const quotedBytes = Math.floor(proseBytes * 0.4);
    proseBytes -= quotedBytes;
    quoted = {
      fromName: `${rng.pick(["Anna", "Jürgen", "محمد", "דוד", "Émilie"])} ${rng.pick(["Smith", "Müller", "العلي", "כהן"])}`,
      fromEmail: `sender${rng.int(1, 999)}@${rng.pick(EXTERNAL_DOMAINS)}`,
      sent: new Date(EPOCH_END - rng.int(0, 3 * 365) * 86400000).toUTCString(),
      subject: subject.replace(/^(RE|FW): /, ""),
      prose: prose(rng, quotedBytes),
    };
  }
  const paras = prose(rng, proseBytes);
  let body: MockItemData["body"];
  let sized: SizedText;
  if (options.html) {
    const inlineImageCid = inline?.contentId;
    const rtl = /[\u0590-\u06ff]/.test(subject);
    const bodyOptions = {
      ...(quoted ? { quoted } : {}),
      ...(inlineImageCid ? { inlineImageCid } : {}),
      rtl,
    };
    sized = htmlBody(paras, sig, bodyOptions);
    body = { bodyType: "HTML", content: sized.text };
  } else {
    sized = textBody(paras, sig, quoted);
    body = { bodyType: "Text", content: sized.text };
  }

  let remaining = size - sized.bytes;
  if (inline) {
    attachments.push(inline);
    remaining -= inline.content.length + ATTACHMENT_OVERHEAD;
  }
  if (bigItem) {
    for (let i = 0; i < 6 && remaining > 4 * KiB; i++) {
      const fitting = ctx.pool.fitting(remaining - ATTACHMENT_OVERHEAD);
      if (fitting.length === 0) break;
      // Prefer the larger fitting files so the size tail is made of attachments, as in life.
      const entry = fitting[Math.floor(fitting.length * Math.sqrt(rng.float()))]!;
      attachments.push(poolAttachment(ctx, entry.index, false));
      remaining -= entry.size + ATTACHMENT_OVERHEAD;
    }
  } else if (smallAttachment) {
    const small = ctx.pool.fitting(Math.max(0, remaining - ATTACHMENT_OVERHEAD));
    if (small.length > 0) attachments.push(poolAttachment(ctx, rng.pick(small).index, false));
  }
  return { body, attachments };
}

export function poolAttachment(ctx: ItemContext, index: number, isInline: boolean): MockAttachment {
  const entry = ctx.pool.entries[index]!;
  return {
    name: entry.name,
    contentType: entry.contentType,
    isInline,
    lastModifiedTime: entry.lastModifiedTime,
    content: ctx.pool.content(index),
  };
}

export function commonFlags(
  rng: Prng,
): Pick<MockItemData, "importance" | "sensitivity" | "categories" | "isRead" | "flagStatus"> {
  const importanceRoll = rng.float();
  const sensitivityRoll = rng.float();
  const flagRoll = rng.float();
  const categories: string[] = [];
  if (rng.chance(0.2)) {
    categories.push(rng.pick(CATEGORIES));
    if (rng.chance(0.3)) {
      const second = rng.pick(CATEGORIES);
      if (second !== categories[0]) categories.push(second);
    }
  }
  return {
    importance: importanceRoll < 0.85 ? "Normal" : importanceRoll < 0.95 ? "High" : "Low",
    sensitivity:
      sensitivityRoll < 0.93
        ? "Normal"
        : sensitivityRoll < 0.96
          ? "Personal"
          : sensitivityRoll < 0.98
            ? "Private"
            : "Confidential",
    categories,
    isRead: rng.chance(0.85),
    flagStatus: flagRoll < 0.9 ? "NotFlagged" : flagRoll < 0.97 ? "Flagged" : "Complete",
  };
}
