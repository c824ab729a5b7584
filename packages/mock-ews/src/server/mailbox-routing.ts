// Which mailbox a request works on and which mailboxes a user may reach: ExchangeImpersonation
// first, then the X-AnchorMailbox header, the user's own mailbox, and the first mailbox the user
// may access, as the README's "SOAP headers" section describes.
import type { IncomingMessage } from "node:http";
import type { MailboxStore } from "../store/records.js";
import { type MailboxState, PUBLIC_MAILBOX_INDEX } from "../store/records.js";
import { child, text, type XmlNode } from "../xml.js";
import type { MockEwsUser } from "./options.js";

/** A refusal answered as a SOAP fault before the operation runs (impersonation, anchor mailbox). */
export class RoutingFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

/** True when `user` may work on `mailbox` (the public folders are open to everyone). */
export function mayAccess(user: MockEwsUser, mailbox: MailboxState): boolean {
  return (
    mailbox.index === PUBLIC_MAILBOX_INDEX ||
    user.impersonate === "*" ||
    user.smtpAddress?.toLowerCase() === mailbox.smtpAddress.toLowerCase() ||
    (Array.isArray(user.impersonate) &&
      user.impersonate.some((s) => s.toLowerCase() === mailbox.smtpAddress.toLowerCase()))
  );
}

/** The mailbox of a request; MUST throw RoutingFault when the user may not reach the one it names. */
export function targetMailbox(
  store: MailboxStore,
  req: IncomingMessage,
  header: XmlNode | undefined,
  user: MockEwsUser,
): MailboxState {
  const impersonation = child(header, "ExchangeImpersonation");
  if (impersonation !== undefined) {
    const sid = child(impersonation, "ConnectingSID");
    const address =
      text(sid ?? {}, "PrimarySmtpAddress") ??
      text(sid ?? {}, "SmtpAddress") ??
      text(sid ?? {}, "PrincipalName");
    if (address === undefined) {
      throw new RoutingFault("ErrorNonExistentMailbox", "The impersonation principal name is invalid.");
    }
    const mailbox = store.mailboxBySmtp(address.trim());
    if (mailbox === undefined) {
      throw new RoutingFault(
        "ErrorNonExistentMailbox",
        `The SMTP address has no mailbox associated with it.`,
      );
    }
    if (!mayAccess(user, mailbox)) {
      throw new RoutingFault(
        "ErrorImpersonateUserDenied",
        "The account does not have permission to impersonate the requested user.",
      );
    }
    return mailbox;
  }
  const anchor = req.headers["x-anchormailbox"];
  const anchored = typeof anchor === "string" ? store.mailboxBySmtp(anchor.trim()) : undefined;
  if (anchored !== undefined && mayAccess(user, anchored)) return anchored;
  const own = user.smtpAddress === undefined ? undefined : store.mailboxBySmtp(user.smtpAddress);
  if (own !== undefined) return own;
  if (anchored !== undefined) {
    throw new RoutingFault("ErrorAccessDenied", "The account does not have access to the anchor mailbox.");
  }
  const first = store.mailboxes.find((m) => mayAccess(user, m));
  if (first === undefined) throw new RoutingFault("ErrorNonExistentMailbox", "The account has no mailbox.");
  return first;
}
