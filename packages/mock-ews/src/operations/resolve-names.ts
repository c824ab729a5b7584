// ResolveNames: enough for clients that probe a mailbox with it (ambiguous name resolution over
// the generated mailboxes' SMTP addresses and display names).
import { EwsResponseError } from "../errors.js";
import { el, esc, text } from "../xml.js";
import { type Operation, successMessage } from "./common.js";

export const resolveNames: Operation = {
  messageName: "ResolveNamesResponseMessage",
  run(request, ctx) {
    const raw = (text(request, "UnresolvedEntry") ?? "")
      .trim()
      .replace(/^smtp:/i, "")
      .toLowerCase();
    if (raw === "") throw new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
    const hits = ctx.store.mailboxes.filter(
      (m) => m.smtpAddress.toLowerCase().includes(raw) || m.displayName.toLowerCase().includes(raw),
    );
    const exact = hits.filter((m) => m.smtpAddress.toLowerCase() === raw);
    const list = exact.length > 0 ? exact : hits;
    if (list.length === 0)
      throw new EwsResponseError("ErrorNameResolutionNoResults", "No results were found.");
    const resolutions = list
      .slice(0, 100)
      .map(
        (m) =>
          `<t:Resolution><t:Mailbox>${el("t:Name", m.displayName)}${el("t:EmailAddress", m.smtpAddress)}<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox></t:Resolution>`,
      )
      .join("");
    const set = `<m:ResolutionSet TotalItemsInView="${list.length}" IncludesLastItemInRange="true">${resolutions}</m:ResolutionSet>`;
    if (list.length === 1) return successMessage(this.messageName, set);
    return `<m:${this.messageName} ResponseClass="Warning"><m:MessageText>${esc("Multiple results were found.")}</m:MessageText><m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>${set}</m:${this.messageName}>`;
  },
};
