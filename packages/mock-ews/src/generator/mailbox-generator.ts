// The deterministic mailbox generator (the server's default MailboxGenerator): mailboxes and
// their owners, folder trees, item counts per folder, and items computed on demand from (seed,
// mailbox, folder, index) alone. The items themselves are made in item-kinds.ts from the parts in
// item-parts.ts.
import type { MailboxGenerator, MockFolderClass, MockFolderSpec } from "../model.js";
import { AttachmentPool } from "./attachment-pool.js";
import { ItemCache } from "./item-cache.js";
import { makeItem } from "./item-kinds.js";
import { type ItemContext, KiB, type MailboxOwner, MiB } from "./item-parts.js";
import { mixSeed, Prng } from "./prng.js";
import { displayName, JOB_TITLES, pickPerson } from "./text.js";

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
