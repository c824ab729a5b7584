// ResolveNames over the address book (the directory): Exchange's ambiguous name resolution, at
// most 100 resolutions per answer (ArrayOfResolutionType's limit) with TotalItemsInView and
// IncludesLastItemInRange telling whether more matched, Success for exactly one match and a
// Warning ErrorNameResolutionMultipleResults for more. Full contact data adds the directory's
// contact fields (ContactSource ActiveDirectory); distribution lists never carry a contact.
import { EwsResponseError } from "../errors.js";
import { directoryOf } from "../store/directory.js";
import { attr, boolAttr, esc, text } from "../xml.js";
import { contactXml, mailboxXml } from "./directory-xml.js";
import { type Operation, successMessage } from "./common.js";

const MAX_RESOLUTIONS = 100;
const SCOPES = new Set(["ActiveDirectory", "ActiveDirectoryContacts", "Contacts", "ContactsActiveDirectory"]);

export const resolveNames: Operation = {
  messageName: "ResolveNamesResponseMessage",
  run(request, ctx) {
    const full = boolAttr(request, "ReturnFullContactData") ?? false;
    const scope = attr(request, "SearchScope") ?? "ActiveDirectoryContacts";
    if (!SCOPES.has(scope))
      throw new EwsResponseError("ErrorInvalidArgument", `SearchScope ${scope} is invalid.`);
    const raw = (text(request, "UnresolvedEntry") ?? "").trim();
    if (raw === "") throw new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
    // The mock's contacts folders hold no resolvable entries: a Contacts-only scope finds nothing.
    const directory = directoryOf(ctx.store);
    const hits = scope === "Contacts" ? [] : directory.search(raw);
    const address = raw.replace(/^smtp:/i, "").toLowerCase();
    const exact = hits.filter((e) => e.smtpAddress.toLowerCase() === address);
    const list = exact.length > 0 ? exact : hits;
    if (list.length === 0)
      throw new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
    const resolutions = list
      .slice(0, MAX_RESOLUTIONS)
      .map((entry) => {
        const contact =
          full && entry.kind !== "DistributionList" && entry.kind !== "RoomList" ? contactXml(entry) : "";
        return `<t:Resolution>${mailboxXml(entry)}${contact}</t:Resolution>`;
      })
      .join("");
    const last = list.length <= MAX_RESOLUTIONS;
    const set = `<m:ResolutionSet TotalItemsInView="${list.length}" IncludesLastItemInRange="${last}">${resolutions}</m:ResolutionSet>`;
    if (list.length === 1) return successMessage(this.messageName, set);
    return `<m:${this.messageName} ResponseClass="Warning"><m:MessageText>${esc("Multiple results were found.")}</m:MessageText><m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${set}</m:${this.messageName}>`;
  },
};
