// ResolveNames over the address book (the directory) and the mailbox's contacts: Exchange's
// ambiguous name resolution, at most 100 resolutions per answer (ArrayOfResolutionType's limit)
// with TotalItemsInView and IncludesLastItemInRange telling whether more matched, Success for
// exactly one match and a Warning ErrorNameResolutionMultipleResults for more. SearchScope picks
// the sources and their order (ActiveDirectory, Contacts, ActiveDirectoryContacts — the default —
// or ContactsActiveDirectory); contacts come from ParentFolderIds, else the Contacts folder.
// Full contact data adds a t:Contact (ContactSource ActiveDirectory or Store); distribution
// lists never carry one.
import { EwsResponseError } from "../errors.js";
import type { MockContactFields } from "../model.js";
import { directoryOf, isList } from "../store/directory.js";
import { changeKey } from "../store/ids.js";
import { attr, boolAttr, child, el, esc, text } from "../xml.js";
import {
  folderIdsIn,
  type Operation,
  type OperationContext,
  resolveFolderNode,
  successMessage,
} from "./common.js";
import { contactXml, mailboxXml } from "./directory-xml.js";

const MAX_RESOLUTIONS = 100;
const SCOPES = new Set(["ActiveDirectory", "ActiveDirectoryContacts", "Contacts", "ContactsActiveDirectory"]);

interface Resolution {
  readonly address: string;
  readonly xml: string;
}

/** Ambiguous name resolution on a contact: the query prefixes a name or one of its words, or the address's local part, or is the address. */
function matches(names: readonly string[], address: string, q: string): boolean {
  const lower = address.toLowerCase();
  if (lower === q || lower.split("@")[0]!.startsWith(q)) return true;
  return names.some((name) => {
    const n = name.toLowerCase();
    return n.startsWith(q) || n.split(/\s+/).some((word) => word.startsWith(q));
  });
}

function storeContactXml(name: string, contact: MockContactFields, email: string): string {
  return (
    `<t:Contact>${el("t:DisplayName", name)}${contact.givenName === "" ? "" : el("t:GivenName", contact.givenName)}` +
    `${contact.companyName === "" ? "" : el("t:CompanyName", contact.companyName)}` +
    `<t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:${esc(email)}</t:Entry></t:EmailAddresses>` +
    `<t:ContactSource>Store</t:ContactSource>${contact.jobTitle === "" ? "" : el("t:JobTitle", contact.jobTitle)}` +
    `${contact.surname === "" ? "" : el("t:Surname", contact.surname)}</t:Contact>`
  );
}

/** Contacts of the request's folders (or the Contacts folder) that the query matches. */
function contactResolutions(ctx: OperationContext, request: object, q: string, full: boolean): Resolution[] {
  const ids = folderIdsIn(child(request, "ParentFolderIds"));
  const folders =
    ids.length > 0
      ? ids.map(({ kind, node }) => resolveFolderNode(ctx, kind, node))
      : [ctx.store.distinguishedFolder(ctx.mailbox, "contacts")];
  const out: Resolution[] = [];
  for (const folder of folders) {
    for (const record of ctx.store.folderItems(folder)) {
      if (record.isAssociated) continue;
      const data = ctx.store.itemData(record);
      const contact = data.contact;
      const email = contact?.emailAddresses[0];
      if (contact === undefined || email === undefined) continue;
      const name = `${contact.givenName} ${contact.surname}`.trim() || data.subject;
      if (!matches([name, contact.givenName, contact.surname], email, q)) continue;
      const itemId = `<t:ItemId Id="${esc(ctx.store.itemIdOf(record))}" ChangeKey="${esc(changeKey("item", record.folder.mailbox.guid, record.lastSeq))}"/>`;
      const mailbox = `<t:Mailbox>${el("t:Name", name)}${el("t:EmailAddress", email)}<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Contact</t:MailboxType>${itemId}</t:Mailbox>`;
      out.push({
        address: email,
        xml: `<t:Resolution>${mailbox}${full ? storeContactXml(name, contact, email) : ""}</t:Resolution>`,
      });
    }
  }
  return out;
}

export const resolveNames: Operation = {
  messageName: "ResolveNamesResponseMessage",
  run(request, ctx) {
    const full = boolAttr(request, "ReturnFullContactData") ?? false;
    const scope = attr(request, "SearchScope") ?? "ActiveDirectoryContacts";
    if (!SCOPES.has(scope))
      throw new EwsResponseError("ErrorInvalidArgument", `SearchScope ${scope} is invalid.`);
    const raw = (text(request, "UnresolvedEntry") ?? "").trim();
    if (raw === "") throw new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
    const q = raw.replace(/^smtp:/i, "").toLowerCase();
    const directory: Resolution[] =
      scope === "Contacts"
        ? []
        : directoryOf(ctx.store)
            .search(raw)
            .map((entry) => ({
              address: entry.smtpAddress,
              xml: `<t:Resolution>${mailboxXml(entry)}${full && !isList(entry) ? contactXml(entry) : ""}</t:Resolution>`,
            }));
    const contacts = scope === "ActiveDirectory" ? [] : contactResolutions(ctx, request, q, full);
    const hits =
      scope === "ContactsActiveDirectory" ? [...contacts, ...directory] : [...directory, ...contacts];
    const exact = hits.filter((r) => r.address.toLowerCase() === q);
    const list = exact.length > 0 ? exact : hits;
    if (list.length === 0)
      throw new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
    const resolutions = list
      .slice(0, MAX_RESOLUTIONS)
      .map((r) => r.xml)
      .join("");
    const last = list.length <= MAX_RESOLUTIONS;
    const set = `<m:ResolutionSet TotalItemsInView="${list.length}" IncludesLastItemInRange="${last}">${resolutions}</m:ResolutionSet>`;
    if (list.length === 1) return successMessage(this.messageName, set);
    return `<m:${this.messageName} ResponseClass="Warning"><m:MessageText>${esc("Multiple results were found.")}</m:MessageText><m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${set}</m:${this.messageName}>`;
  },
};
