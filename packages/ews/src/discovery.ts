// Mailbox discovery through the address book: every mailbox the account can see in the global
// address list, for `backup --all-mailboxes`. FindPeople over the "directory" folder, paged
// with IndexedPageItemView (Exchange 2013+); when the server refuses FindPeople (Exchange 2010,
// or a policy), ResolveNames, which answers at most 100 entries per query, is asked for SMTP
// address prefixes that are refined until no answer is truncated. Rooms are also taken from
// GetRoomLists/GetRooms, which name them reliably; entries that are not mailboxes (lists,
// contacts, groups) are left out. Whether the account may *open* a mailbox is the backup's
// business (impersonation rights), not discovery's.
import type { EwsAuth } from "./auth.js";
import { ewsError } from "./errors.js";
import { fieldUris, idOnlyShape } from "./requests.js";
import { type RetryOptions, resolveRetryOptions } from "./retry.js";
import { isSuccess, operation, responseMessages } from "./soap.js";
import { EwsTransport } from "./transport.js";
import type { CallResult, EwsLogger } from "./transport-types.js";
import { child, childrenNamed, childText, type XmlElement } from "./xml-parser.js";
import { el } from "./xml-writer.js";

/** What a discovered mailbox is. "user" also covers shared mailboxes the server cannot tell apart. */
export type MailboxKind = "user" | "shared" | "room" | "equipment";

export interface DiscoveredMailbox {
  readonly smtpAddress: string;
  readonly displayName: string;
  readonly kind: MailboxKind;
}

export interface DiscoveryOptions {
  readonly url: string | URL;
  readonly auth: EwsAuth;
  readonly allowInsecureTls?: boolean;
  /** Send Basic credentials or a bearer token over plain http (as for createEwsClient). */
  readonly allowInsecureAuth?: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** RequestServerVersion; default Exchange2013_SP1 (FindPeople needs 2013 or later). */
  readonly serverVersion?: string;
  /** Entries per FindPeople page; default 500 (Exchange's usual cap is 1000). */
  readonly pageSize?: number;
  readonly retry?: RetryOptions;
  readonly logger?: EwsLogger;
  readonly requestTimeoutMs?: number;
}

export interface DiscoveryResult {
  /** Mailboxes, sorted by SMTP address, each once. */
  readonly mailboxes: readonly DiscoveredMailbox[];
  /** How the list was obtained. */
  readonly method: "FindPeople" | "ResolveNames";
  /** Why FindPeople was not used, when it was refused. */
  readonly fallbackReason?: string;
  /** Requests sent. */
  readonly requests: number;
}

/** Largest answer of one ResolveNames (Exchange's fixed limit). */
export const RESOLVE_NAMES_LIMIT = 100;
/** Characters an SMTP local part starts with, in the order prefixes are tried. */
const PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789._-+";
/** Deepest prefix refinement: 40^6 possible queries is already far beyond any real address book. */
const MAX_PREFIX_LENGTH = 6;

/** Errors that no other operation would get past either: fail, do not fall back. */
const FATAL = new Set(["EWS_AUTH_FAILED", "EWS_UNREACHABLE", "EWS_TLS", "EWS_ABORTED", "EWS_TIMEOUT"]);

/**
 * Lists the mailboxes of the address book. MUST reject with the transport's code
 * (EWS_AUTH_FAILED, EWS_UNREACHABLE, ...) when the server cannot be used at all, and with
 * EWS_SERVER_ERROR when neither FindPeople nor ResolveNames answers.
 */
export async function discoverMailboxes(
  options: DiscoveryOptions,
  signal?: AbortSignal,
): Promise<DiscoveryResult> {
  const transport = new EwsTransport({
    url: new URL(options.url),
    auth: options.auth,
    maxConcurrency: 2,
    allowInsecureTls: options.allowInsecureTls === true,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    connectTimeoutMs: 10_000,
    userAgent: "ewsvault/0.1",
    serverVersion: options.serverVersion ?? "Exchange2013_SP1",
    retry: resolveRetryOptions(options.retry),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.allowInsecureAuth === undefined ? {} : { allowInsecureAuth: options.allowInsecureAuth }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  let requests = 0;
  const call = (name: string, body: ReturnType<typeof el>): Promise<CallResult> => {
    requests++;
    return transport.call(name, body, { impersonate: false, ...(signal ? { signal } : {}) });
  };
  try {
    const rooms = await roomAddresses(call);
    let method: DiscoveryResult["method"] = "FindPeople";
    let fallbackReason: string | undefined;
    let entries: DiscoveredMailbox[];
    try {
      entries = await findPeople(call, options.pageSize ?? 500);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (FATAL.has(code)) throw error;
      method = "ResolveNames";
      fallbackReason = (error as Error).message;
      options.logger?.info?.("FindPeople refused; discovering mailboxes with ResolveNames", {
        reason: fallbackReason,
      });
      entries = await resolveNamesByPrefix(call);
    }
    const byAddress = new Map<string, DiscoveredMailbox>();
    for (const entry of entries) {
      const key = entry.smtpAddress.toLowerCase();
      const kind = rooms.has(key) && entry.kind === "user" ? "room" : entry.kind;
      byAddress.set(key, { ...entry, kind });
    }
    const mailboxes = [...byAddress.values()].sort((a, b) =>
      a.smtpAddress.toLowerCase() < b.smtpAddress.toLowerCase() ? -1 : 1,
    );
    return { mailboxes, method, ...(fallbackReason ? { fallbackReason } : {}), requests };
  } finally {
    await transport.close();
  }
}

type Call = (name: string, body: ReturnType<typeof el>) => Promise<CallResult>;

/**
 * FindPeople answers with one FindPeopleResponse (not a ResponseMessages list); its
 * PersonaType says Person, DistributionList, Room, Equipment, ... (Exchange does not tell a
 * shared mailbox from a user here, so both are "user" unless the server says "Shared").
 */
async function findPeople(call: Call, pageSize: number): Promise<DiscoveredMailbox[]> {
  const found: DiscoveredMailbox[] = [];
  for (let offset = 0; ; ) {
    const { soap } = await call(
      "FindPeople",
      operation(
        "FindPeople",
        {},
        idOnlyShape(
          "m:PersonaShape",
          ...fieldUris("persona:DisplayName", "persona:EmailAddress", "persona:PersonaType"),
        ),
        el("m:IndexedPageItemView", { BasePoint: "Beginning", MaxEntriesReturned: pageSize, Offset: offset }),
        el("m:ParentFolderId", undefined, el("t:DistinguishedFolderId", { Id: "directory" })),
      ),
    );
    const response = soap.body;
    const responseClass = response.attributes.ResponseClass;
    const responseCode = childText(response, "ResponseCode") ?? "";
    if (responseClass === "Error" || (responseCode !== "" && responseCode !== "NoError")) {
      throw ewsError("EWS_SERVER_ERROR", `FindPeople failed: ${responseCode}`, {
        details: { responseCode, operation: "FindPeople" },
      });
    }
    const people = childrenNamed(child(response, "People"), "Persona");
    for (const persona of people) {
      const entry = fromPersona(persona);
      if (entry !== undefined) found.push(entry);
    }
    const total = Number(childText(response, "TotalNumberOfPeopleInView") ?? Number.NaN);
    offset += people.length;
    if (people.length === 0 || !(offset < total)) return found;
  }
}

function kindOfPersona(personaType: string): MailboxKind | undefined {
  const type = personaType.toLowerCase();
  if (type === "" || type === "person") return "user";
  if (type.includes("room")) return type.includes("list") ? undefined : "room";
  if (type.includes("equipment")) return "equipment";
  if (type.includes("shared")) return "shared";
  return undefined; // DistributionList, ModernGroup, UnifiedGroup, Contact, ...
}

function fromPersona(persona: XmlElement): DiscoveredMailbox | undefined {
  const email = child(persona, "EmailAddress");
  const address = childText(email, "EmailAddress");
  const routing = childText(email, "RoutingType") ?? "SMTP";
  const mailboxType = childText(email, "MailboxType") ?? "Mailbox";
  if (address === undefined || routing.toUpperCase() !== "SMTP" || mailboxType !== "Mailbox")
    return undefined;
  const kind = kindOfPersona(childText(persona, "PersonaType") ?? "");
  if (kind === undefined) return undefined;
  return { smtpAddress: address, displayName: childText(persona, "DisplayName") ?? address, kind };
}

/**
 * The address book through ResolveNames: "SMTP:<prefix>" for every first character, and for a
 * truncated answer (IncludesLastItemInRange false, or the 100-entry limit reached) every
 * one-character-longer prefix, breadth first. Entries are merged by address.
 */
async function resolveNamesByPrefix(call: Call): Promise<DiscoveredMailbox[]> {
  const found = new Map<string, DiscoveredMailbox>();
  let answered = 0;
  let queue = [...PREFIX_ALPHABET];
  while (queue.length > 0) {
    const next: string[] = [];
    for (const prefix of queue) {
      const { entries, truncated, failed } = await resolveNames(call, `SMTP:${prefix}`);
      if (!failed) answered++;
      for (const entry of entries) found.set(entry.smtpAddress.toLowerCase(), entry);
      if (truncated && prefix.length < MAX_PREFIX_LENGTH)
        next.push(...[...PREFIX_ALPHABET].map((c) => prefix + c));
    }
    queue = next;
  }
  if (answered === 0)
    throw ewsError("EWS_SERVER_ERROR", "neither FindPeople nor ResolveNames answered", {
      details: { operation: "ResolveNames" },
    });
  return [...found.values()];
}

async function resolveNames(
  call: Call,
  query: string,
): Promise<{ entries: DiscoveredMailbox[]; truncated: boolean; failed: boolean }> {
  const { soap } = await call(
    "ResolveNames",
    operation(
      "ResolveNames",
      { ReturnFullContactData: "false", SearchScope: "ActiveDirectory" },
      el("m:UnresolvedEntry", undefined, query),
    ),
  );
  const message = responseMessages(soap.body)[0];
  if (message === undefined) return { entries: [], truncated: false, failed: true };
  // Several matches come as a Warning (ErrorNameResolutionMultipleResults) with the set.
  if (!isSuccess(message) && message.responseCode !== "ErrorNameResolutionMultipleResults") {
    return {
      entries: [],
      truncated: false,
      failed: message.responseCode !== "ErrorNameResolutionNoResults",
    };
  }
  const set = child(message.element, "ResolutionSet");
  const resolutions = childrenNamed(set, "Resolution");
  const entries: DiscoveredMailbox[] = [];
  for (const resolution of resolutions) {
    const mailbox = child(resolution, "Mailbox");
    const address = childText(mailbox, "EmailAddress");
    const type = childText(mailbox, "MailboxType") ?? "Mailbox";
    const routing = childText(mailbox, "RoutingType") ?? "SMTP";
    if (address === undefined || type !== "Mailbox" || routing.toUpperCase() !== "SMTP") continue;
    entries.push({ smtpAddress: address, displayName: childText(mailbox, "Name") ?? address, kind: "user" });
  }
  const last = set?.attributes.IncludesLastItemInRange;
  const truncated = last === "false" || resolutions.length >= RESOLVE_NAMES_LIMIT;
  return { entries, truncated, failed: false };
}

/** Room addresses from every room list (GetRoomLists, then GetRooms per list); empty when refused. */
async function roomAddresses(call: Call): Promise<Set<string>> {
  const rooms = new Set<string>();
  let lists: string[];
  try {
    const { soap } = await call("GetRoomLists", operation("GetRoomLists", {}));
    const body = soap.body;
    if ((childText(body, "ResponseCode") ?? "NoError") !== "NoError") return rooms;
    lists = childrenNamed(child(body, "RoomLists"), "Address")
      .map((address) => childText(address, "EmailAddress"))
      .filter((a): a is string => a !== undefined);
  } catch (error) {
    if (FATAL.has((error as { code?: string }).code ?? "")) throw error;
    return rooms; // Not served (or not allowed): FindPeople's PersonaType still names rooms.
  }
  for (const list of lists) {
    try {
      const { soap } = await call(
        "GetRooms",
        operation("GetRooms", {}, el("m:RoomList", undefined, el("t:EmailAddress", undefined, list))),
      );
      for (const room of childrenNamed(child(soap.body, "Rooms"), "Room")) {
        const address = childText(child(room, "Id"), "EmailAddress");
        if (address !== undefined) rooms.add(address.toLowerCase());
      }
    } catch (error) {
      if (FATAL.has((error as { code?: string }).code ?? "")) throw error;
    }
  }
  return rooms;
}
