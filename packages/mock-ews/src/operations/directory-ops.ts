// Address book operations: FindPeople (paged over the directory), ExpandDL, GetRoomLists,
// GetRooms, GetMailTips and GetSearchableMailboxes. All read the directory (store/directory.ts).
import { EwsResponseError } from "../errors.js";
import { type DirectoryEntry, directoryOf, isList } from "../store/directory.js";
import { deterministicGuid } from "../store/ids.js";
import { attr, boolText, child, children, el, text, type XmlNode } from "../xml.js";
import {
  type Operation,
  type OperationContext,
  parseIntAttr,
  singleFolder,
  successMessage,
} from "./common.js";
import {
  contactPersonaId,
  contactPersonaXml,
  emailAddressContent,
  legacyDn,
  mailboxXml,
  personaId,
  personaXml,
} from "./directory-xml.js";

/** The address in a t:EmailAddressType node, without an "smtp:" prefix. */
function addressOf(node: XmlNode | undefined): string {
  return (text(node, "EmailAddress") ?? "").trim().replace(/^smtp:/i, "");
}

function noResults(): EwsResponseError {
  return new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
}

/** Whether a FindPeople ParentFolderId names the address book rather than a mailbox folder. */
function isAddressBook(parent: XmlNode | undefined): boolean {
  if (parent === undefined || child(parent, "AddressListId") !== undefined) return true;
  return attr(child(parent, "DistinguishedFolderId"), "Id")?.toLowerCase() === "directory";
}

/** The personas of a mailbox folder: its contacts, those QueryString matches when given. */
function folderPersonas(ctx: OperationContext, parent: XmlNode, query: string | undefined): string[] {
  const folder = singleFolder(ctx, parent);
  const q = query?.trim().toLowerCase() ?? "";
  const out: { name: string; xml: string }[] = [];
  for (const record of ctx.store.folderItems(folder)) {
    if (record.isAssociated) continue;
    const data = ctx.store.itemData(record);
    const contact = data.contact;
    if (contact === undefined) continue;
    const name = `${contact.givenName} ${contact.surname}`.trim() || data.subject;
    const email = contact.emailAddresses[0];
    const words = [name, contact.givenName, contact.surname, email ?? "", ...name.split(/\s+/)];
    if (q !== "" && !words.some((w) => w.toLowerCase().startsWith(q))) continue;
    out.push({ name, xml: contactPersonaXml(ctx.store.itemIdOf(record), name, contact, email) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name, "en")).map((p) => p.xml);
}

/**
 * FindPeople: over the address book (no ParentFolderId, an AddressListId, or the distinguished
 * folder "directory") every visible entry in display-name order, or those QueryString matches by
 * ambiguous name resolution; over a mailbox folder (a contacts folder) the personas of its
 * contacts. Paged with the required IndexedPageItemView. Restriction and SortOrder are ignored.
 */
export const findPeople: Operation = {
  messageName: "FindPeopleResponse",
  framing: "self",
  run(request, ctx) {
    const view = child(request, "IndexedPageItemView");
    if (view === undefined)
      throw new EwsResponseError("ErrorInvalidRequest", "FindPeople requires an IndexedPageItemView.");
    const max = parseIntAttr(view, "MaxEntriesReturned", 100);
    if (max < 1) throw new EwsResponseError("ErrorInvalidArgument", "MaxEntriesReturned must be at least 1.");
    const offset = parseIntAttr(view, "Offset", 0);
    const parent = child(request, "ParentFolderId");
    const query = text(request, "QueryString");
    const all = isAddressBook(parent)
      ? directoryOf(ctx.store)
          .search(query ?? "")
          .map(personaXml)
      : folderPersonas(ctx, parent!, query);
    const start =
      attr(view, "BasePoint") === "End"
        ? Math.max(0, all.length - offset - max)
        : Math.min(offset, all.length);
    const page = all.slice(start, start + max);
    return successMessage(
      this.messageName,
      `<m:People>${page.join("")}</m:People>${el("m:TotalNumberOfPeopleInView", all.length)}${el("m:FirstMatchingRowIndex", 0)}${el("m:FirstLoadedRowIndex", start)}`,
    );
  },
};

/** The persona of a PersonaId: an address book entry, or a contact of the request's mailbox. */
function personaById(ctx: OperationContext, id: string): string | undefined {
  const entry = directoryOf(ctx.store)
    .entries()
    .find((e) => personaId(e) === id);
  if (entry !== undefined) return personaXml(entry);
  for (const folder of ctx.mailbox.folders.values()) {
    if (folder.deleted || folder.folderClass?.startsWith("IPF.Contact") !== true) continue;
    for (const record of ctx.store.folderItems(folder)) {
      const contact = record.isAssociated ? undefined : ctx.store.itemData(record).contact;
      if (contact === undefined) continue;
      const itemId = ctx.store.itemIdOf(record);
      if (contactPersonaId(itemId) !== id) continue;
      const name = `${contact.givenName} ${contact.surname}`.trim() || ctx.store.itemData(record).subject;
      return contactPersonaXml(itemId, name, contact, contact.emailAddresses[0]);
    }
  }
  return undefined;
}

/**
 * GetPersona (Exchange 2013+; exchangelib fetches every FindPeople result with it): the persona of
 * a PersonaId from FindPeople, or of an address book EmailAddress. Unknown: ErrorItemNotFound.
 */
export const getPersona: Operation = {
  messageName: "GetPersonaResponseMessage",
  framing: "self",
  // The schema requires a Persona even in an error answer.
  errorTail: '<m:Persona><t:PersonaId Id=""/></m:Persona>',
  run(request, ctx) {
    const id = attr(child(request, "PersonaId"), "Id");
    const address = addressOf(child(request, "EmailAddress"));
    const entry = address === "" ? undefined : directoryOf(ctx.store).get(address);
    const persona =
      id !== undefined && id !== ""
        ? personaById(ctx, id)
        : entry === undefined
          ? undefined
          : personaXml(entry);
    if (persona === undefined)
      throw new EwsResponseError("ErrorItemNotFound", "The specified object was not found in the store.");
    return successMessage(
      this.messageName,
      persona.replace(/^<t:Persona>/, "<m:Persona>").replace(/<\/t:Persona>$/, "</m:Persona>"),
    );
  },
};

/** Exchange's ExpandDL answers at most this many members. */
const EXPAND_LIMIT = 100;

/**
 * ExpandDL: the direct members of a distribution list or room list (nested lists as PublicDL
 * entries, not expanded, as Exchange does). An address that is no list of the directory is
 * ErrorNameResolutionNoResults.
 */
export const expandDL: Operation = {
  messageName: "ExpandDLResponseMessage",
  run(request, ctx) {
    const directory = directoryOf(ctx.store);
    const list = directory.get(addressOf(child(request, "Mailbox")));
    if (list === undefined || !isList(list)) throw noResults();
    const members = directory.members(list);
    const shown = members.slice(0, EXPAND_LIMIT);
    return successMessage(
      this.messageName,
      `<m:DLExpansion TotalItemsInView="${members.length}" IncludesLastItemInRange="${members.length <= EXPAND_LIMIT}">${shown.map((m) => mailboxXml(m)).join("")}</m:DLExpansion>`,
    );
  },
};

export const getRoomLists: Operation = {
  messageName: "GetRoomListsResponse",
  framing: "self",
  run(_request, ctx) {
    const lists = directoryOf(ctx.store)
      .entries()
      .filter((e) => e.kind === "RoomList");
    return successMessage(
      this.messageName,
      `<m:RoomLists>${lists.map((e) => `<t:Address>${emailAddressContent(e)}</t:Address>`).join("")}</m:RoomLists>`,
    );
  },
};

/** GetRooms: the rooms of a room list (ErrorNameResolutionNoResults for an unknown list). */
export const getRooms: Operation = {
  messageName: "GetRoomsResponse",
  framing: "self",
  run(request, ctx) {
    const directory = directoryOf(ctx.store);
    const list = directory.get(addressOf(child(request, "RoomList")));
    if (list === undefined || list.kind !== "RoomList") throw noResults();
    const rooms = directory.members(list).filter((e) => e.kind === "Room");
    return successMessage(
      this.messageName,
      `<m:Rooms>${rooms.map((e) => `<t:Room><t:Id>${emailAddressContent(e)}</t:Id></t:Room>`).join("")}</m:Rooms>`,
    );
  },
};

/** Exchange 2016's default maximum message size (35 MB), in bytes. */
const MAX_MESSAGE_SIZE = 36_700_160;
const TIP_ORDER = [
  "OutOfOfficeMessage",
  "MailboxFullStatus",
  "CustomMailTip",
  "TotalMemberCount",
  "ExternalMemberCount",
  "MaxMessageSize",
  "DeliveryRestriction",
  "ModerationStatus",
  "InvalidRecipient",
  "Scope",
] as const;

function mailTips(ctx: OperationContext, recipient: XmlNode, wanted: ReadonlySet<string>): string {
  const directory = directoryOf(ctx.store);
  const address = addressOf(recipient);
  const entry = directory.get(address);
  const internal = address.toLowerCase().endsWith(`@${directory.domain.toLowerCase()}`);
  const want = (tip: string) => wanted.has("All") || wanted.has(tip);
  const recipientXml = `<t:RecipientAddress>${
    entry === undefined
      ? `${el("t:EmailAddress", address)}<t:RoutingType>SMTP</t:RoutingType>`
      : emailAddressContent(entry)
  }</t:RecipientAddress>`;
  let tips = "";
  for (const tip of TIP_ORDER) {
    if (!want(tip)) continue;
    switch (tip) {
      case "OutOfOfficeMessage":
        if (entry !== undefined && !isList(entry))
          tips += "<t:OutOfOffice><t:ReplyBody><t:Message/></t:ReplyBody></t:OutOfOffice>";
        break;
      case "MailboxFullStatus":
        if (entry !== undefined && !isList(entry)) tips += el("t:MailboxFull", false);
        break;
      case "TotalMemberCount":
        if (entry !== undefined)
          tips += el("t:TotalMemberCount", isList(entry) ? directory.expandDeep(entry).length : 1);
        break;
      case "ExternalMemberCount":
        if (entry !== undefined) tips += el("t:ExternalMemberCount", 0);
        break;
      case "MaxMessageSize":
        tips += el("t:MaxMessageSize", MAX_MESSAGE_SIZE);
        break;
      case "DeliveryRestriction":
        tips += el("t:DeliveryRestricted", false);
        break;
      case "ModerationStatus":
        tips += el("t:IsModerated", false);
        break;
      case "InvalidRecipient":
        tips += el("t:InvalidRecipient", internal && entry === undefined);
        break;
      case "Scope":
        // 0: the recipient is inside the organisation, 1: outside (Exchange's MailTips scope bits).
        tips += el("t:Scope", internal ? 0 : 1);
        break;
      default:
        break;
    }
  }
  return `<m:MailTips>${recipientXml}<t:PendingMailTips/>${tips}</m:MailTips>`;
}

/**
 * GetMailTips: per recipient, the requested tips the directory can answer (out-of-office with an
 * empty reply — OOF settings are not modelled —, mailbox not full, member counts of lists, the
 * 35 MB size limit, no delivery restriction or moderation, InvalidRecipient for an unknown
 * address of the organisation's domain, the scope).
 */
export const getMailTips: Operation = {
  messageName: "GetMailTipsResponse",
  framing: "self",
  run(request, ctx) {
    // exchangelib 4.x writes the tip list as the request element's own text instead of a
    // MailTipsRequested child; the mock reads either, and all tips when neither names any.
    const listed = text(request, "MailTipsRequested") ?? text(request) ?? "";
    const wanted = new Set(listed.trim().split(/\s+/).filter(Boolean));
    if (wanted.size === 0) wanted.add("All");
    const recipients = children(child(request, "Recipients"), "Mailbox");
    const messages = recipients
      .map((r) => successMessage("MailTipsResponseMessageType", mailTips(ctx, r, wanted)))
      .join("");
    return successMessage(this.messageName, `<m:ResponseMessages>${messages}</m:ResponseMessages>`);
  },
};

function searchableMailboxXml(ctx: OperationContext, entry: DirectoryEntry, group: boolean): string {
  const mailbox = ctx.store.mailboxBySmtp(entry.smtpAddress);
  const guid = mailbox?.guid ?? deterministicGuid("directory", entry.smtpAddress.toLowerCase());
  return `<t:SearchableMailbox>${el("t:Guid", guid)}${el("t:PrimarySmtpAddress", entry.smtpAddress)}${el("t:IsExternalMailbox", false)}<t:ExternalEmailAddress/>${el("t:DisplayName", entry.displayName)}${el("t:IsMembershipGroup", group)}${el("t:ReferenceId", legacyDn(entry))}</t:SearchableMailbox>`;
}

/**
 * GetSearchableMailboxes (eDiscovery): every mailbox of the directory and every distribution
 * list as a membership group, or the lists' members with ExpandGroupMembership; SearchFilter is
 * an ambiguous-name filter. Only a caller that may open every mailbox (the Discovery Management
 * role in Exchange) may ask: others get ErrorAccessDenied.
 */
export const getSearchableMailboxes: Operation = {
  messageName: "GetSearchableMailboxesResponse",
  framing: "self",
  errorTail: "<m:SearchableMailboxes/>",
  run(request, ctx) {
    if (!ctx.store.mailboxes.every((m) => ctx.mayAccess(m)))
      throw new EwsResponseError("ErrorAccessDenied", "The caller has no discovery management rights.");
    const directory = directoryOf(ctx.store);
    const expand = boolText(request, "ExpandGroupMembership") ?? false;
    const filter = text(request, "SearchFilter") ?? "";
    const seen = new Set<string>();
    let out = "";
    for (const entry of directory.search(filter)) {
      const members = isList(entry) && expand ? directory.expandDeep(entry) : [entry];
      for (const member of members) {
        const key = member.smtpAddress.toLowerCase();
        if (seen.has(key) || member.kind === "RoomList") continue;
        seen.add(key);
        out += searchableMailboxXml(ctx, member, isList(member));
      }
    }
    return successMessage(this.messageName, `<m:SearchableMailboxes>${out}</m:SearchableMailboxes>`);
  },
};
