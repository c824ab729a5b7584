import type {
  MailboxGenerator,
  MockAttachment,
  MockCalendarFields,
  MockContactFields,
  MockFolderClass,
  MockFolderSpec,
  MockItemClass,
  MockItemData,
  MockMailAddress,
  MockMailboxSpec,
  MockRecurrence,
  MockTaskFields,
} from "../model.js";
import { AttachmentPool, isoSeconds } from "./attachment-pool.js";
import { ItemCache } from "./item-cache.js";
import { Prng, mixSeed } from "./prng.js";
import {
  CATEGORIES,
  COMPANIES,
  EXTERNAL_DOMAINS,
  JOB_TITLES,
  LOCATIONS,
  MEETING_SUBJECTS,
  MONTHS,
  type Person,
  type QuotedMessage,
  type Signature,
  TASK_SUBJECTS,
  displayName,
  htmlBody,
  mailSubject,
  paragraphs,
  pickPerson,
  prose,
  type SizedText,
  templateText,
  textBody,
} from "./text.js";

export interface GeneratorOptions {
  /** Any 32-bit integer; the same seed and options give the same mailboxes, byte for byte. */
  seed: number;
  /** Number of mailboxes (>= 0). */
  mailboxes: number;
  /** Items per mailbox, spread over its folders (>= 0). */
  itemsPerMailbox: number;
  /** SMTP domain of the generated mailboxes; default "contoso.test". */
  domain?: string;
  /** Items in the shared public folder tree; default 20. */
  publicFolderItems?: number;
  /** Distinct files attachments are drawn from; default 48. */
  attachmentPoolSize?: number;
  /** Cap of the item size tail (export-stream bytes, >= 16 KiB); default 40 MiB. */
  maxItemBytes?: number;
  /**
   * Estimated bytes of recently generated items kept for reuse (bodies count two bytes a
   * character; attachment bytes stay in the shared pool and do not count). Default 0: every
   * call recomputes its item, so memory stays flat however large the mailboxes; a server whose
   * CPU matters more (a benchmark's mock process) keeps its mailboxes here instead.
   */
  cacheBytes?: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * Median and spread (sigma of ln size) of the log-normal size model of mail. Contacts, tasks and
 * notes are smaller, which brings a whole mailbox's median export size to about 30 KB.
 */
const MEDIAN_ITEM_BYTES = 44 * KiB;
const SIZE_SIGMA = 1.45;
/** Export-stream bytes of an item's fixed properties, and of one recipient (upper estimates). */
const FIXED_BYTES = 800;
const RECIPIENT_BYTES = 96;
/** Newest timestamp the generator produces; everything is dated before it. */
const EPOCH_END = Date.UTC(2025, 5, 30, 17, 0, 0);
const YEAR_MS = 365 * 24 * 3600 * 1000;

// Salts that keep the random streams of different purposes independent.
const SALT_MAILBOXES = 0x4d424f58;
const SALT_FOLDERS = 0x464f4c44;
const SALT_ITEM = 0x4954454d;
const SALT_PUBLIC_ITEM = 0x50554249;

interface FolderTemplate {
  readonly path: readonly string[];
  readonly folderClass: MockFolderClass;
  readonly distinguishedName?: string;
  /** Relative share of the mailbox's items. */
  readonly weight: number;
}

// EWS DistinguishedFolderIdNameType values under msgfolderroot, with their usual English names.
const DISTINGUISHED: readonly FolderTemplate[] = [
  { path: ["Inbox"], folderClass: "IPF.Note", distinguishedName: "inbox", weight: 30 },
  { path: ["Sent Items"], folderClass: "IPF.Note", distinguishedName: "sentitems", weight: 12 },
  { path: ["Deleted Items"], folderClass: "IPF.Note", distinguishedName: "deleteditems", weight: 6 },
  { path: ["Drafts"], folderClass: "IPF.Note", distinguishedName: "drafts", weight: 1 },
  { path: ["Outbox"], folderClass: "IPF.Note", distinguishedName: "outbox", weight: 0 },
  { path: ["Junk Email"], folderClass: "IPF.Note", distinguishedName: "junkemail", weight: 2 },
  { path: ["Calendar"], folderClass: "IPF.Appointment", distinguishedName: "calendar", weight: 9 },
  { path: ["Contacts"], folderClass: "IPF.Contact", distinguishedName: "contacts", weight: 5 },
  { path: ["Tasks"], folderClass: "IPF.Task", distinguishedName: "tasks", weight: 2 },
  { path: ["Notes"], folderClass: "IPF.StickyNote", distinguishedName: "notes", weight: 1 },
  {
    path: ["Conversation History"],
    folderClass: "IPF.Note",
    distinguishedName: "conversationhistory",
    weight: 0.5,
  },
  { path: ["Archive"], folderClass: "IPF.Note", distinguishedName: "archive", weight: 3 },
  { path: ["Sync Issues"], folderClass: "IPF.Note", distinguishedName: "syncissues", weight: 0 },
  { path: ["Sync Issues", "Conflicts"], folderClass: "IPF.Note", distinguishedName: "conflicts", weight: 0 },
  {
    path: ["Sync Issues", "Local Failures"],
    folderClass: "IPF.Note",
    distinguishedName: "localfailures",
    weight: 0,
  },
  {
    path: ["Sync Issues", "Server Failures"],
    folderClass: "IPF.Note",
    distinguishedName: "serverfailures",
    weight: 0,
  },
];

// User folders some mailboxes have (each mailbox picks a subset; ancestors come along).
const USER_FOLDERS: readonly FolderTemplate[] = [
  { path: ["Inbox", "Projects"], folderClass: "IPF.Note", weight: 3 },
  { path: ["Inbox", "Projects", "Projekt Zürich"], folderClass: "IPF.Note", weight: 3 },
  { path: ["Inbox", "Projects", "Проект Москва"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Inbox", "Projects", "مشروع دبي"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Inbox", "Projects", "Projekt Zürich", "Verträge 2024"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Inbox", "Clients"], folderClass: "IPF.Note", weight: 3 },
  { path: ["Inbox", "Clients", "Société Générale"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Inbox", "Clients", "לקוחות ישראל"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Inbox", "Newsletters 📰"], folderClass: "IPF.Note", weight: 4 },
  { path: ["Inbox", "受信トレイ整理"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Inbox", "Reports", "2023", "Q4"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Archiv 2022"], folderClass: "IPF.Note", weight: 5 },
  { path: ["Personal", "Family ❤️"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Receipts 🧾"], folderClass: "IPF.Note", weight: 2 },
  { path: ["Calendar", "Team Events"], folderClass: "IPF.Appointment", weight: 2 },
  { path: ["Calendar", "Feiertage"], folderClass: "IPF.Appointment", weight: 1 },
  { path: ["Contacts", "Lieferanten"], folderClass: "IPF.Contact", weight: 1 },
  { path: ["Contacts", "عملاء"], folderClass: "IPF.Contact", weight: 1 },
  { path: ["Tasks", "Projekt-Aufgaben"], folderClass: "IPF.Task", weight: 1 },
  { path: ["Shared Calendar ✈"], folderClass: "IPF.Appointment", weight: 1 },
];

const PUBLIC_FOLDERS: readonly FolderTemplate[] = [
  { path: ["All Company"], folderClass: "IPF.Post", weight: 4 },
  { path: ["All Company", "Announcements 📣"], folderClass: "IPF.Post", weight: 3 },
  { path: ["Marketing"], folderClass: "IPF.Post", weight: 2 },
  { path: ["Marketing", "Kampagnen 2024"], folderClass: "IPF.Post", weight: 2 },
  { path: ["نشرة الشركة"], folderClass: "IPF.Post", weight: 1 },
  { path: ["Team Calendar"], folderClass: "IPF.Appointment", weight: 2 },
  { path: ["Company Contacts"], folderClass: "IPF.Contact", weight: 2 },
];

function checkCount(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer`);
  }
  return value;
}

/** Splits total over weights exactly (largest remainder), deterministically. */
function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let rest = total - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, index) => ({ index, fraction: value - Math.floor(value) }))
    .sort((a, b) => b.fraction - a.fraction || a.index - b.index);
  for (const { index } of order) {
    if (rest-- <= 0) break;
    counts[index]!++;
  }
  return counts;
}

interface MailboxState {
  readonly folders: readonly MockFolderSpec[];
  readonly counts: readonly number[];
}

interface MailboxOwner {
  readonly spec: MockMailboxSpec;
  readonly person: Person;
  readonly signature: Signature;
}

/**
 * Creates a lazy, deterministic mailbox generator. MUST throw TypeError for invalid options.
 * Items are computed from (seed, mailbox, folder, index) alone; besides the mailbox list and
 * folder trees only bounded caches are kept (attachment-pool contents, and recent items when
 * cacheBytes allows), so a call returns the same item whether it was cached or recomputed.
 */
export function createMailboxGenerator(options: GeneratorOptions): MailboxGenerator {
  if (typeof options !== "object" || options === null) throw new TypeError("options are required");
  if (typeof options.seed !== "number" || !Number.isInteger(options.seed)) {
    throw new TypeError("seed must be an integer");
  }
  const mailboxCount = checkCount("mailboxes", options.mailboxes);
  const itemsPerMailbox = checkCount("itemsPerMailbox", options.itemsPerMailbox);
  const publicFolderItems = checkCount("publicFolderItems", options.publicFolderItems ?? 20);
  const domain = options.domain ?? "contoso.test";
  if (typeof domain !== "string" || !/^[a-z0-9.-]+$/i.test(domain)) throw new TypeError("domain is invalid");
  const maxItemBytes = options.maxItemBytes ?? 40 * MiB;
  if (typeof maxItemBytes !== "number" || !(maxItemBytes >= 16 * KiB)) {
    throw new TypeError("maxItemBytes must be a number >= 16384");
  }
  const cacheBytes = options.cacheBytes ?? 0;
  if (typeof cacheBytes !== "number" || !(cacheBytes >= 0)) {
    throw new TypeError("cacheBytes must be a number >= 0");
  }
  const seed = options.seed >>> 0;
  const pool = new AttachmentPool(seed, options.attachmentPoolSize ?? 48);
  const cache = new ItemCache(cacheBytes, pool);

  let owners: MailboxOwner[] | undefined;
  const getOwners = (): MailboxOwner[] => {
    if (owners) return owners;
    const taken = new Set<string>();
    owners = [];
    for (let i = 0; i < mailboxCount; i++) {
      const rng = new Prng(mixSeed(seed, SALT_MAILBOXES, i));
      const person = pickPerson(rng);
      const base = `${person.asciiGiven}.${person.asciiSurname}`;
      let local = base;
      for (let n = 2; taken.has(local); n++) local = `${base}${n}`;
      taken.add(local);
      const smtpAddress = `${local}@${domain}`;
      const name = displayName(person);
      owners.push({
        spec: { smtpAddress, displayName: name, hasArchive: i === 1 || rng.chance(0.3) },
        person,
        signature: {
          name,
          title: rng.pick(JOB_TITLES),
          company: "Contoso Ltd.",
          phone: `+1 425 555 ${String(rng.int(0, 9999)).padStart(4, "0")}`,
          email: smtpAddress,
        },
      });
    }
    return owners;
  };
  const owner = (mailboxIndex: number): MailboxOwner => {
    const found = getOwners()[mailboxIndex];
    if (!found) throw new TypeError(`no mailbox ${mailboxIndex}`);
    return found;
  };

  const states = new Map<number, MailboxState>();
  const mailboxState = (mailboxIndex: number): MailboxState => {
    owner(mailboxIndex);
    const cached = states.get(mailboxIndex);
    if (cached) return cached;
    const rng = new Prng(mixSeed(seed, SALT_FOLDERS, mailboxIndex));
    const chosen = new Map<string, FolderTemplate>();
    for (const template of DISTINGUISHED) chosen.set(template.path.join("/"), template);
    for (const template of USER_FOLDERS) {
      if (!rng.chance(0.55)) continue;
      for (let depth = 1; depth <= template.path.length; depth++) {
        const key = template.path.slice(0, depth).join("/");
        if (!chosen.has(key)) {
          chosen.set(
            key,
            depth === template.path.length ? template : { ...template, path: template.path.slice(0, depth) },
          );
        }
      }
    }
    // Parents before children: a stable sort by depth keeps distinguished folders first.
    const templates = [...chosen.values()].sort((a, b) => a.path.length - b.path.length);
    const folders = templates.map(toSpec);
    const counts = allocate(
      itemsPerMailbox,
      templates.map((t) => t.weight * (0.5 + rng.float())),
    );
    const state = { folders, counts };
    if (states.size >= 256) states.delete(states.keys().next().value!);
    states.set(mailboxIndex, state);
    return state;
  };

  const publicFolders = PUBLIC_FOLDERS.map(toSpec);
  const publicCounts = allocate(
    publicFolderItems,
    PUBLIC_FOLDERS.map((t) => t.weight),
  );

  const context: ItemContext = { seed, domain, pool, maxItemBytes, owner, mailboxCount };

  return {
    seed,
    mailboxes: () => getOwners().map((o) => o.spec),
    folders: (mailboxIndex) => mailboxState(mailboxIndex).folders,
    itemCount: (mailboxIndex, folderIndex) => {
      const count = mailboxState(mailboxIndex).counts[folderIndex];
      if (count === undefined) throw new TypeError(`mailbox ${mailboxIndex} has no folder ${folderIndex}`);
      return count;
    },
    item: (mailboxIndex, folderIndex, itemIndex) => {
      const state = mailboxState(mailboxIndex);
      const folder = state.folders[folderIndex];
      const count = state.counts[folderIndex];
      if (!folder || count === undefined)
        throw new TypeError(`mailbox ${mailboxIndex} has no folder ${folderIndex}`);
      checkIndex(itemIndex, count);
      const key = `${mailboxIndex}/${folderIndex}/${itemIndex}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const rng = new Prng(mixSeed(seed, SALT_ITEM, mailboxIndex, folderIndex, itemIndex));
      const item = makeItem(context, rng, folder, mailboxIndex);
      cache.set(key, item);
      return item;
    },
    publicFolders: () => publicFolders,
    publicItemCount: (folderIndex) => {
      const count = publicCounts[folderIndex];
      if (count === undefined) throw new TypeError(`no public folder ${folderIndex}`);
      return count;
    },
    publicItem: (folderIndex, itemIndex) => {
      const folder = publicFolders[folderIndex];
      const count = publicCounts[folderIndex];
      if (!folder || count === undefined) throw new TypeError(`no public folder ${folderIndex}`);
      checkIndex(itemIndex, count);
      const key = `p/${folderIndex}/${itemIndex}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const rng = new Prng(mixSeed(seed, SALT_PUBLIC_ITEM, folderIndex, itemIndex));
      const item = makeItem(context, rng, folder, -1);
      cache.set(key, item);
      return item;
    },
  };
}

function checkIndex(itemIndex: number, count: number): void {
  if (!Number.isInteger(itemIndex) || itemIndex < 0 || itemIndex >= count) {
    throw new TypeError(`item index ${itemIndex} is out of range (0..${count - 1})`);
  }
}

function toSpec(template: FolderTemplate): MockFolderSpec {
  return template.distinguishedName
    ? {
        path: template.path,
        folderClass: template.folderClass,
        distinguishedName: template.distinguishedName,
      }
    : { path: template.path, folderClass: template.folderClass };
}

// ---------------------------------------------------------------------------------------------
// Items

interface ItemContext {
  readonly seed: number;
  readonly domain: string;
  readonly pool: AttachmentPool;
  readonly maxItemBytes: number;
  readonly owner: (mailboxIndex: number) => MailboxOwner;
  readonly mailboxCount: number;
}

function itemClassFor(folder: MockFolderSpec, rng: Prng): MockItemClass {
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
function targetSize(ctx: ItemContext, rng: Prng): number {
  const size = Math.exp(Math.log(MEDIAN_ITEM_BYTES) + SIZE_SIGMA * rng.normal());
  return Math.max(1200, Math.min(Math.floor(ctx.maxItemBytes * 0.92), Math.round(size)));
}

function hex(rng: Prng, words: number): string {
  let out = "";
  for (let i = 0; i < words; i++) out += rng.u32().toString(16).padStart(8, "0");
  return out.toUpperCase();
}

function address(person: Person, domain: string): MockMailAddress {
  return { name: displayName(person), email: `${person.asciiGiven}.${person.asciiSurname}@${domain}` };
}

/** A colleague (another generated mailbox) or an external correspondent. */
function correspondent(ctx: ItemContext, rng: Prng, self: number): MockMailAddress {
  if (ctx.mailboxCount > 1 && rng.chance(0.5)) {
    let other = rng.int(0, ctx.mailboxCount - 1);
    if (other === self) other = (other + 1) % ctx.mailboxCount;
    const o = ctx.owner(other).spec;
    return { name: o.displayName, email: o.smtpAddress };
  }
  return address(pickPerson(rng), rng.pick(EXTERNAL_DOMAINS));
}

function recipients(ctx: ItemContext, rng: Prng, self: number, count: number): MockMailAddress[] {
  const list: MockMailAddress[] = [];
  // A small maxItemBytes must hold the recipient lists too: each list gets at most 8% of it.
  const limit = Math.min(count, Math.floor((ctx.maxItemBytes * 0.08) / RECIPIENT_BYTES));
  for (let i = 0; i < limit; i++) list.push(correspondent(ctx, rng, self));
  return list;
}

function ownerAddress(ctx: ItemContext, mailboxIndex: number, rng: Prng): MockMailAddress {
  if (mailboxIndex < 0) return correspondent(ctx, rng, -1);
  const spec = ctx.owner(mailboxIndex).spec;
  return { name: spec.displayName, email: spec.smtpAddress };
}

function signatureFor(ctx: ItemContext, sender: MockMailAddress, rng: Prng): Signature {
  return {
    name: sender.name,
    title: rng.pick(JOB_TITLES),
    company: sender.email.endsWith(`@${ctx.domain}`) ? "Contoso Ltd." : rng.pick(COMPANIES),
    phone: `+${rng.int(1, 98)} ${rng.int(100, 999)} ${rng.int(100000, 9999999)}`,
    email: sender.email,
  };
}

interface Dates {
  readonly created: string;
  readonly sent: string;
  readonly received: string;
}

function itemDates(rng: Prng, sentByOwner: boolean): Dates {
  const received = EPOCH_END - Math.floor(rng.float() * 3 * YEAR_MS);
  const sent = received - rng.int(1, 900) * 1000;
  return {
    received: isoSeconds(received),
    sent: isoSeconds(sent),
    created: isoSeconds(sentByOwner ? sent : received),
  };
}

interface Content {
  readonly body: MockItemData["body"];
  readonly attachments: MockAttachment[];
}

/** Export-stream bytes an attachment adds besides its content (record headers, name, type). */
const ATTACHMENT_OVERHEAD = 256;

/**
 * Body and attachments sized to about `size` bytes: small items are all body; bigger ones keep a
 * mail-sized body and fill the rest with pool files (which is where real mailboxes' bytes are).
 * The body is made first and measured, so the total never passes `size` by more than the body's
 * last sentence.
 */
function content(
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

function poolAttachment(ctx: ItemContext, index: number, isInline: boolean): MockAttachment {
  const entry = ctx.pool.entries[index]!;
  return {
    name: entry.name,
    contentType: entry.contentType,
    isInline,
    lastModifiedTime: entry.lastModifiedTime,
    content: ctx.pool.content(index),
  };
}

function commonFlags(
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

function makeItem(ctx: ItemContext, rng: Prng, folder: MockFolderSpec, mailboxIndex: number): MockItemData {
  const itemClass = itemClassFor(folder, rng);
  switch (itemClass) {
    case "IPM.Note":
    case "IPM.Post":
      return makeMessage(ctx, rng, folder, mailboxIndex, itemClass);
    case "IPM.Appointment":
      return makeAppointment(ctx, rng, mailboxIndex);
    case "IPM.Contact":
      return makeContact(ctx, rng);
    case "IPM.Task":
      return makeTask(ctx, rng, mailboxIndex);
    case "IPM.StickyNote":
      return makeStickyNote(rng);
  }
}

function makeMessage(
  ctx: ItemContext,
  rng: Prng,
  folder: MockFolderSpec,
  mailboxIndex: number,
  itemClass: "IPM.Note" | "IPM.Post",
): MockItemData {
  const me = ownerAddress(ctx, mailboxIndex, rng);
  const outgoing =
    folder.distinguishedName === "sentitems" ||
    folder.distinguishedName === "drafts" ||
    folder.distinguishedName === "outbox";
  const from = itemClass === "IPM.Post" || !outgoing ? correspondent(ctx, rng, mailboxIndex) : me;
  let size = targetSize(ctx, rng);
  const flags = commonFlags(rng);
  const replyRoll = rng.float();
  const prefix = replyRoll < 0.3 ? "RE: " : replyRoll < 0.4 ? "FW: " : "";
  const subject = prefix + mailSubject(rng);

  let toRecipients: MockMailAddress[] = [];
  let ccRecipients: MockMailAddress[] = [];
  let bccRecipients: MockMailAddress[] = [];
  if (itemClass === "IPM.Note") {
    if (rng.chance(0.02)) {
      // An expanded distribution list: hundreds of recipients in To and Cc.
      toRecipients = recipients(ctx, rng, mailboxIndex, rng.int(50, 400));
      ccRecipients = recipients(ctx, rng, mailboxIndex, rng.int(0, 100));
    } else {
      toRecipients = outgoing ? recipients(ctx, rng, mailboxIndex, rng.int(1, 4)) : [me];
      if (!outgoing && rng.chance(0.3))
        toRecipients.push(...recipients(ctx, rng, mailboxIndex, rng.int(1, 5)));
      if (rng.chance(0.3)) ccRecipients = recipients(ctx, rng, mailboxIndex, rng.int(1, 6));
    }
    if (outgoing && rng.chance(0.1)) bccRecipients = recipients(ctx, rng, mailboxIndex, rng.int(1, 3));
  }
  const headerBytes =
    FIXED_BYTES + RECIPIENT_BYTES * (toRecipients.length + ccRecipients.length + bccRecipients.length);
  size = Math.max(400, size - headerBytes);

  const { body, attachments } = content(ctx, rng, size, from, subject, {
    html: rng.chance(0.7),
    allowAttachments: true,
    quote: prefix !== "",
  });
  const dates = itemDates(rng, outgoing);
  const senderDomain = from.email.slice(from.email.indexOf("@") + 1);
  return {
    itemClass,
    subject,
    body,
    from,
    toRecipients,
    ccRecipients,
    bccRecipients,
    dateTimeReceived: dates.received,
    dateTimeSent: dates.sent,
    dateTimeCreated: dates.created,
    ...flags,
    isRead: outgoing ? true : flags.isRead,
    internetMessageId: `<${hex(rng, 2)}.${hex(rng, 1)}@${senderDomain}>`,
    attachments,
  };
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

function recurrence(rng: Prng, start: Date): MockRecurrence {
  const startDate = start.toISOString().slice(0, 10);
  const patternRoll = rng.float();
  const end: { numberOfOccurrences?: number; endDate?: string } = {};
  const endRoll = rng.float();
  if (endRoll < 0.4) end.numberOfOccurrences = rng.int(2, 52);
  else if (endRoll < 0.8)
    end.endDate = new Date(start.getTime() + rng.int(30, 730) * 86400000).toISOString().slice(0, 10);
  if (patternRoll < 0.2) return { pattern: "Daily", interval: rng.int(1, 3), startDate, ...end };
  if (patternRoll < 0.7) {
    const days = new Set<string>([WEEKDAYS[start.getUTCDay()]!]);
    if (rng.chance(0.3)) days.add(rng.pick(WEEKDAYS.slice(1, 6)));
    const daysOfWeek = WEEKDAYS.filter((d) => days.has(d));
    return { pattern: "Weekly", interval: rng.int(1, 2), daysOfWeek, startDate, ...end };
  }
  if (patternRoll < 0.9) {
    return {
      pattern: "AbsoluteMonthly",
      interval: rng.int(1, 3),
      dayOfMonth: start.getUTCDate(),
      startDate,
      ...end,
    };
  }
  return {
    pattern: "AbsoluteYearly",
    interval: 1,
    dayOfMonth: start.getUTCDate(),
    month: MONTHS[start.getUTCMonth()]!,
    startDate,
    ...end,
  };
}

function makeAppointment(ctx: ItemContext, rng: Prng, mailboxIndex: number): MockItemData {
  const me = ownerAddress(ctx, mailboxIndex, rng);
  const organizer = rng.chance(0.5) ? me : correspondent(ctx, rng, mailboxIndex);
  const allDay = rng.chance(0.1);
  const day = Math.floor((EPOCH_END - YEAR_MS * 2 + rng.float() * YEAR_MS * 2.5) / 86400000) * 86400000;
  const startMs = allDay ? day : day + rng.int(14, 36) * 30 * 60 * 1000;
  const endMs = allDay ? startMs + 86400000 : startMs + rng.pick([30, 30, 60, 60, 90, 120]) * 60 * 1000;
  const allHands = rng.chance(0.03);
  const requiredAttendees = recipients(ctx, rng, mailboxIndex, allHands ? rng.int(100, 300) : rng.int(0, 8));
  const optionalAttendees = recipients(ctx, rng, mailboxIndex, rng.chance(0.3) ? rng.int(1, 4) : 0);
  const start = new Date(startMs);
  const calendar: MockCalendarFields = {
    start: isoSeconds(startMs),
    end: isoSeconds(endMs),
    isAllDayEvent: allDay,
    location: rng.pick(LOCATIONS),
    organizer,
    requiredAttendees,
    optionalAttendees,
    ...(rng.chance(0.35) ? { recurrence: recurrence(rng, start) } : {}),
    legacyFreeBusyStatus: allDay ? "Free" : rng.pick(["Busy", "Busy", "Busy", "Tentative", "OOF"] as const),
  };
  const subject = templateText(MEETING_SUBJECTS, rng);
  const attendeeBytes = RECIPIENT_BYTES * 2 * (requiredAttendees.length + optionalAttendees.length);
  const size = Math.max(400, Math.round(targetSize(ctx, rng) * 0.6) - FIXED_BYTES - attendeeBytes);
  const { body, attachments } = content(ctx, rng, size, organizer, subject, {
    html: rng.chance(0.6),
    allowAttachments: true,
    quote: false,
  });
  const created = isoSeconds(Math.min(startMs, EPOCH_END) - rng.int(1, 60) * 86400000);
  return {
    itemClass: "IPM.Appointment",
    subject,
    body,
    from: organizer,
    toRecipients: requiredAttendees,
    ccRecipients: optionalAttendees,
    bccRecipients: [],
    dateTimeReceived: created,
    dateTimeSent: created,
    dateTimeCreated: created,
    ...commonFlags(rng),
    attachments,
    calendar,
  };
}

function makeContact(ctx: ItemContext, rng: Prng): MockItemData {
  const person = pickPerson(rng);
  const domain = rng.chance(0.3) ? ctx.domain : rng.pick(EXTERNAL_DOMAINS);
  const primary = `${person.asciiGiven}.${person.asciiSurname}@${domain}`;
  const emailAddresses = [primary];
  if (rng.chance(0.3)) emailAddresses.push(`${person.asciiGiven}${rng.int(1, 99)}@example.net`);
  const contact: MockContactFields = {
    givenName: person.givenName,
    surname: person.surname,
    companyName: rng.pick(COMPANIES),
    jobTitle: rng.pick(JOB_TITLES),
    emailAddresses,
    ...(rng.chance(0.8)
      ? { businessPhone: `+${rng.int(1, 98)} ${rng.int(10, 99)} ${rng.int(1000000, 9999999)}` }
      : {}),
    ...(rng.chance(0.6)
      ? { mobilePhone: `+${rng.int(1, 98)} ${rng.int(100, 999)} ${rng.int(100000, 999999)}` }
      : {}),
  };
  const attachments: MockAttachment[] = [];
  if (ctx.pool.smallImages.length > 0 && rng.chance(0.4)) {
    const index = rng.pick(ctx.pool.smallImages);
    if (ctx.pool.entries[index]!.size <= ctx.maxItemBytes / 2) {
      const photo = poolAttachment(ctx, index, false);
      attachments.push({ ...photo, name: "ContactPicture.jpg", isContactPhoto: true });
    }
  }
  const notes = rng.chance(0.5) ? paragraphs(rng, rng.int(100, 3000)).join("\n\n") : "";
  const created = isoSeconds(EPOCH_END - Math.floor(rng.float() * 4 * YEAR_MS));
  return {
    itemClass: "IPM.Contact",
    subject: displayName(person),
    body: { bodyType: "Text", content: notes },
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: created,
    dateTimeSent: created,
    dateTimeCreated: created,
    ...commonFlags(rng),
    attachments,
    contact,
  };
}

function makeTask(ctx: ItemContext, rng: Prng, mailboxIndex: number): MockItemData {
  const status = rng.pick([
    "NotStarted",
    "InProgress",
    "InProgress",
    "Completed",
    "WaitingOnOthers",
    "Deferred",
  ] as const);
  const percentComplete = status === "Completed" ? 100 : status === "NotStarted" ? 0 : rng.int(1, 19) * 5;
  const createdMs = EPOCH_END - Math.floor(rng.float() * 2 * YEAR_MS);
  const startMs = Math.floor(createdMs / 86400000) * 86400000;
  const task: MockTaskFields = {
    status,
    percentComplete,
    ...(rng.chance(0.7) ? { startDate: isoSeconds(startMs) } : {}),
    ...(rng.chance(0.7) ? { dueDate: isoSeconds(startMs + rng.int(1, 60) * 86400000) } : {}),
  };
  const subject = templateText(TASK_SUBJECTS, rng);
  const me = ownerAddress(ctx, mailboxIndex, rng);
  const size = Math.round(targetSize(ctx, rng) * 0.3);
  const { body, attachments } = content(ctx, rng, size, me, subject, {
    html: false,
    allowAttachments: rng.chance(0.3),
    quote: false,
  });
  const created = isoSeconds(createdMs);
  return {
    itemClass: "IPM.Task",
    subject,
    body,
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: created,
    dateTimeSent: created,
    dateTimeCreated: created,
    ...commonFlags(rng),
    attachments,
    task,
  };
}

function makeStickyNote(rng: Prng): MockItemData {
  const lines = paragraphs(rng, rng.int(20, 600));
  const text = lines.join("\n");
  const firstLine = (lines[0] ?? "").slice(0, 80);
  const created = isoSeconds(EPOCH_END - Math.floor(rng.float() * 3 * YEAR_MS));
  return {
    itemClass: "IPM.StickyNote",
    subject: firstLine,
    body: { bodyType: "Text", content: text },
    toRecipients: [],
    ccRecipients: [],
    bccRecipients: [],
    dateTimeReceived: created,
    dateTimeSent: created,
    dateTimeCreated: created,
    ...commonFlags(rng),
    attachments: [],
  };
}
