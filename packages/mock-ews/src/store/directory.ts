// The address book (Exchange's global address list): every mailbox of the store as a user, plus
// shared, room and equipment mailboxes, distribution lists (with members, nested lists) and
// room lists. Seeded deterministically from the store's mailboxes and domain; tests and other
// code add, reclassify and remove entries through the in-process API. FindPeople, ResolveNames,
// ExpandDL, GetRoomLists/GetRooms, GetMailTips and GetSearchableMailboxes read it.
import { MockEwsError } from "../errors.js";
import type { MailboxState } from "./records.js";

/** What an address book entry is (Exchange's RecipientTypeDetails, reduced to what EWS shows). */
export type DirectoryKind = "User" | "Shared" | "Room" | "Equipment" | "DistributionList" | "RoomList";

export const DIRECTORY_KINDS: readonly DirectoryKind[] = [
  "User",
  "Shared",
  "Room",
  "Equipment",
  "DistributionList",
  "RoomList",
];

export interface DirectoryEntryInput {
  readonly smtpAddress: string;
  readonly displayName: string;
  readonly kind: DirectoryKind;
  /** Member SMTP addresses (DistributionList, RoomList); members may be lists themselves. */
  readonly members?: readonly string[];
  readonly givenName?: string;
  readonly surname?: string;
  readonly title?: string;
  readonly department?: string;
  readonly office?: string;
  /** Room capacity (GetRooms does not show it; FindPeople does not either; kept for tests). */
  readonly capacity?: number;
  /** Hidden from address lists: FindPeople and ResolveNames skip it, ExpandDL still lists it. */
  readonly hidden?: boolean;
}

export interface DirectoryEntry extends DirectoryEntryInput {
  readonly members: readonly string[];
  /** The entry is backed by a mailbox of the store (its content can be opened). */
  readonly hasMailbox: boolean;
}

export class Directory {
  readonly #entries = new Map<string, DirectoryEntry>();
  readonly #mailboxes: (smtp: string) => MailboxState | undefined;
  readonly domain: string;

  constructor(mailboxes: readonly MailboxState[], lookup: (smtp: string) => MailboxState | undefined) {
    this.#mailboxes = lookup;
    this.domain = mailboxes[0]?.smtpAddress.split("@")[1] ?? "contoso.test";
    for (const mailbox of mailboxes) {
      const [given, ...rest] = mailbox.displayName.split(" ");
      this.add({
        smtpAddress: mailbox.smtpAddress,
        displayName: mailbox.displayName,
        kind: "User",
        givenName: given ?? mailbox.displayName,
        surname: rest.join(" "),
        title: "Employee",
        department: "Operations",
        office: "HQ",
      });
    }
    this.#seedResources(mailboxes);
  }

  // Fixed, deterministic extras: what a small organisation's GAL holds besides its users.
  #seedResources(mailboxes: readonly MailboxState[]): void {
    const at = (local: string) => `${local}@${this.domain}`;
    const users = mailboxes.map((m) => m.smtpAddress);
    this.add({ smtpAddress: at("support"), displayName: "Support", kind: "Shared", department: "Support" });
    this.add({
      smtpAddress: at("info"),
      displayName: "Info Desk",
      kind: "Shared",
      department: "Front Office",
    });
    this.add({
      smtpAddress: at("room-orion"),
      displayName: "Room Orion",
      kind: "Room",
      capacity: 12,
      office: "HQ",
    });
    this.add({
      smtpAddress: at("room-lyra"),
      displayName: "Room Lyra",
      kind: "Room",
      capacity: 6,
      office: "HQ",
    });
    this.add({
      smtpAddress: at("room-vega"),
      displayName: "Room Vega",
      kind: "Room",
      capacity: 20,
      office: "Annex",
    });
    this.add({ smtpAddress: at("projector-1"), displayName: "Projector 1", kind: "Equipment", office: "HQ" });
    this.add({ smtpAddress: at("pool-car"), displayName: "Pool Car", kind: "Equipment", office: "Annex" });
    this.add({
      smtpAddress: at("rooms-hq"),
      displayName: "HQ Rooms",
      kind: "RoomList",
      members: [at("room-orion"), at("room-lyra")],
    });
    this.add({
      smtpAddress: at("rooms-annex"),
      displayName: "Annex Rooms",
      kind: "RoomList",
      members: [at("room-vega")],
    });
    this.add({
      smtpAddress: at("team-leads"),
      displayName: "Team Leads",
      kind: "DistributionList",
      members: users.slice(0, 1),
    });
    this.add({
      smtpAddress: at("all-staff"),
      displayName: "All Staff",
      kind: "DistributionList",
      members: [...users, at("team-leads"), at("support")],
    });
  }

  /** Adds or replaces an entry. MUST throw MockEwsError INVALID_DIRECTORY_ENTRY for a bad one. */
  add(input: DirectoryEntryInput): DirectoryEntry {
    if (!/^[^@\s]+@[^@\s]+$/.test(input.smtpAddress))
      throw new MockEwsError("INVALID_DIRECTORY_ENTRY", `not an SMTP address: ${input.smtpAddress}`);
    if (!DIRECTORY_KINDS.includes(input.kind))
      throw new MockEwsError("INVALID_DIRECTORY_ENTRY", `unknown directory kind: ${String(input.kind)}`);
    if (input.displayName.trim() === "")
      throw new MockEwsError("INVALID_DIRECTORY_ENTRY", "displayName must not be empty");
    const isList = input.kind === "DistributionList" || input.kind === "RoomList";
    if (!isList && input.members !== undefined && input.members.length > 0)
      throw new MockEwsError("INVALID_DIRECTORY_ENTRY", `a ${input.kind} has no members`);
    const entry: DirectoryEntry = {
      ...input,
      members: [...(input.members ?? [])],
      hasMailbox: this.#mailboxes(input.smtpAddress) !== undefined,
    };
    this.#entries.set(input.smtpAddress.toLowerCase(), entry);
    return entry;
  }

  /** Changes what an entry is (e.g. a generated mailbox becomes a shared or room mailbox). */
  setKind(smtpAddress: string, kind: DirectoryKind): DirectoryEntry {
    const entry = this.get(smtpAddress);
    if (entry === undefined) throw new MockEwsError("NOT_FOUND", `no directory entry ${smtpAddress}`);
    return this.add({ ...entry, kind });
  }

  remove(smtpAddress: string): boolean {
    return this.#entries.delete(smtpAddress.toLowerCase());
  }

  get(smtpAddress: string): DirectoryEntry | undefined {
    return this.#entries.get(
      smtpAddress
        .trim()
        .replace(/^smtp:/i, "")
        .toLowerCase(),
    );
  }

  /** Every entry, sorted by display name then address (the order of Exchange's address lists). */
  entries(): DirectoryEntry[] {
    return [...this.#entries.values()].sort(
      (a, b) =>
        a.displayName.localeCompare(b.displayName, "en") || a.smtpAddress.localeCompare(b.smtpAddress, "en"),
    );
  }

  /** Direct members of a list, in list order (unknown member addresses are skipped). */
  members(list: DirectoryEntry): DirectoryEntry[] {
    return list.members.map((smtp) => this.get(smtp)).filter((e): e is DirectoryEntry => e !== undefined);
  }

  /** Every non-list member reachable from a list, nested lists expanded once each. */
  expandDeep(list: DirectoryEntry): DirectoryEntry[] {
    const seen = new Set<string>([list.smtpAddress.toLowerCase()]);
    const out: DirectoryEntry[] = [];
    const visit = (entry: DirectoryEntry) => {
      for (const member of this.members(entry)) {
        const key = member.smtpAddress.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        if (isList(member)) visit(member);
        else out.push(member);
      }
    };
    visit(list);
    return out;
  }

  /**
   * Ambiguous name resolution, as Exchange's ANR: the query (case-insensitive) is a prefix of
   * the display name, of one of its words, of the given name or surname, or of the address's
   * local part; or it is the whole address. Hidden entries are left out.
   */
  search(query: string): DirectoryEntry[] {
    const q = query
      .trim()
      .replace(/^smtp:/i, "")
      .toLowerCase();
    if (q === "") return this.entries().filter((e) => e.hidden !== true);
    return this.entries().filter((e) => e.hidden !== true && matches(e, q));
  }
}

export function isList(entry: DirectoryEntry): boolean {
  return entry.kind === "DistributionList" || entry.kind === "RoomList";
}

function matches(entry: DirectoryEntry, q: string): boolean {
  const smtp = entry.smtpAddress.toLowerCase();
  if (smtp === q || smtp.split("@")[0]!.startsWith(q)) return true;
  const name = entry.displayName.toLowerCase();
  if (name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q))) return true;
  return [entry.givenName, entry.surname].some((n) => n?.toLowerCase().startsWith(q) === true);
}

const directories = new WeakMap<object, Directory>();

/**
 * The directory of a store, made on first use from the store's mailboxes (one per server; kept
 * beside the store so that operations reach it through their context's store).
 */
export function directoryOf(store: {
  readonly mailboxes: readonly MailboxState[];
  mailboxBySmtp(smtp: string): MailboxState | undefined;
}): Directory {
  let directory = directories.get(store);
  if (directory === undefined) {
    directory = new Directory(store.mailboxes, (smtp) => store.mailboxBySmtp(smtp));
    directories.set(store, directory);
  }
  return directory;
}
