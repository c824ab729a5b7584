// GetDelegate, AddDelegate, UpdateDelegate and RemoveDelegate. The response element is itself a
// response message (overall Success) carrying one DelegateUserResponseMessageType per user, each
// with its own error (ErrorDelegateNoUser, ErrorDelegateAlreadyExists, ErrorNotDelegate,
// ErrorDelegateCannotAddOwner, ErrorInvalidDelegatePermission), as Exchange answers.
// The delegates' folder levels are also written into the folders' ACLs (store/delegate-permissions.ts).
import { EwsResponseError } from "../errors.js";
import { mirrorDelegate } from "../store/delegate-permissions.js";
import { userSid } from "../store/folder-permissions.js";
import { settingsOf } from "../store/mailbox-settings.js";
import type { MailboxState } from "../store/records.js";
import {
  DELEGATE_FOLDERS,
  type Delegate,
  type DelegateLevel,
  type DeliverMeetingRequests,
  type MailboxSettings,
} from "../store/settings.js";
import { attr, boolText, child, children, esc, text, type XmlNode, xsBoolean } from "../xml.js";
import { errorMessage, type Operation, type OperationContext } from "./common.js";
import { directoryUserOf } from "./permission-xml.js";

const SETTABLE_LEVELS: ReadonlySet<string> = new Set(["None", "Reviewer", "Author", "Editor"]);
const DELIVERY: ReadonlySet<string> = new Set([
  "DelegatesOnly",
  "DelegatesAndMe",
  "DelegatesAndSendInformationToMe",
  "NoForward",
]);

function ownerOf(request: XmlNode, ctx: OperationContext): MailboxState {
  const smtp = text(child(request, "Mailbox"), "EmailAddress")?.trim();
  if (smtp === undefined || smtp === "")
    throw new EwsResponseError("ErrorInvalidIdMalformed", "The Mailbox element has no EmailAddress.");
  return ctx.mailboxFor(smtp);
}

export function delegateUserXml(delegate: Delegate, withPermissions: boolean): string {
  const permissions = withPermissions
    ? `<t:DelegatePermissions>${DELEGATE_FOLDERS.map((f) => `<t:${f}FolderPermissionLevel>${delegate.permissions[f]}</t:${f}FolderPermissionLevel>`).join("")}</t:DelegatePermissions>`
    : "";
  return `<m:DelegateUser><t:UserId><t:SID>${userSid(delegate.smtpAddress)}</t:SID><t:PrimarySmtpAddress>${esc(delegate.smtpAddress)}</t:PrimarySmtpAddress><t:DisplayName>${esc(delegate.displayName)}</t:DisplayName></t:UserId>${permissions}<t:ReceiveCopiesOfMeetingMessages>${delegate.receiveCopiesOfMeetingMessages}</t:ReceiveCopiesOfMeetingMessages><t:ViewPrivateItems>${delegate.viewPrivateItems}</t:ViewPrivateItems></m:DelegateUser>`;
}

const USER_MESSAGE = "DelegateUserResponseMessageType";

function userMessages(parts: readonly string[]): string {
  return parts.length === 0 ? "" : `<m:ResponseMessages>${parts.join("")}</m:ResponseMessages>`;
}

function success(body: string): string {
  return `<m:${USER_MESSAGE} ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${body}</m:${USER_MESSAGE}>`;
}

/** One user message per entry; EwsResponseErrors become that entry's error message. */
function perUser<T>(entries: readonly T[], fn: (entry: T) => string): string[] {
  return entries.map((entry) => {
    try {
      return fn(entry);
    } catch (error) {
      if (!(error instanceof EwsResponseError)) throw error;
      return errorMessage(USER_MESSAGE, error);
    }
  });
}

/** The directory user a t:UserId names (by PrimarySmtpAddress or SID). MUST throw ErrorDelegateNoUser. */
function userOf(
  ctx: OperationContext,
  node: XmlNode | undefined,
): { smtpAddress: string; displayName: string } {
  const entry = directoryUserOf(ctx.store, node);
  if (entry === undefined)
    throw new EwsResponseError("ErrorDelegateNoUser", "The delegate user could not be found.");
  return { smtpAddress: entry.smtpAddress, displayName: entry.displayName };
}

function findDelegate(settings: MailboxSettings, smtp: string): Delegate | undefined {
  return settings.delegates.find((d) => d.smtpAddress.toLowerCase() === smtp.toLowerCase());
}

function flag(node: XmlNode, name: string, fallback: boolean): boolean {
  try {
    return boolText(node, name) ?? fallback;
  } catch {
    throw new EwsResponseError("ErrorDelegateValidationFailed", `${name} is not a boolean.`);
  }
}

/** A DelegateUser element over `base` (absent parts keep their values). */
function parseDelegate(node: XmlNode, base: Delegate): Delegate {
  const permissionsNode = child(node, "DelegatePermissions");
  const permissions = { ...base.permissions };
  for (const folder of DELEGATE_FOLDERS) {
    const level = text(permissionsNode, `${folder}FolderPermissionLevel`)?.trim();
    if (level === undefined) continue;
    if (!SETTABLE_LEVELS.has(level))
      throw new EwsResponseError(
        "ErrorInvalidDelegatePermission",
        `${folder} permission level ${level} cannot be set.`,
      );
    permissions[folder] = level as DelegateLevel;
  }
  return {
    ...base,
    permissions,
    receiveCopiesOfMeetingMessages: flag(
      node,
      "ReceiveCopiesOfMeetingMessages",
      base.receiveCopiesOfMeetingMessages,
    ),
    viewPrivateItems: flag(node, "ViewPrivateItems", base.viewPrivateItems),
  };
}

function deliveryOf(request: XmlNode, settings: MailboxSettings): DeliverMeetingRequests {
  const value = text(request, "DeliverMeetingRequests")?.trim();
  if (value === undefined) return settings.deliverMeetingRequests;
  if (!DELIVERY.has(value))
    throw new EwsResponseError("ErrorDelegateValidationFailed", `Unknown DeliverMeetingRequests '${value}'.`);
  return value as DeliverMeetingRequests;
}

/** The delegate of `smtp`; MUST throw ErrorNotDelegate when the user is none. */
function existingDelegate(settings: MailboxSettings, smtp: string): Delegate {
  const delegate = findDelegate(settings, smtp);
  if (delegate === undefined)
    throw new EwsResponseError("ErrorNotDelegate", "The user is not a delegate for the mailbox.");
  return delegate;
}

/**
 * A delegate operation: its self-framed response `<m:{name}Response>` (overall Success) around
 * what `run` answers for the owner mailbox named in the request (the per-user messages, then
 * whatever follows them).
 */
function delegateOperation(
  name: string,
  run: (request: XmlNode, ctx: OperationContext, owner: MailboxState, settings: MailboxSettings) => string,
): Operation {
  const messageName = `${name}Response`;
  return {
    messageName,
    framing: "self",
    renderRequestError: (error) => errorMessage(messageName, error),
    run(request, ctx) {
      const owner = ownerOf(request, ctx);
      const body = run(request, ctx, owner, settingsOf(ctx.store, owner));
      return `<m:${messageName} ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>${body}</m:${messageName}>`;
    },
  };
}

export const getDelegate = delegateOperation("GetDelegate", (request, ctx, _owner, settings) => {
  const withPermissions = xsBoolean(attr(request, "IncludePermissions")) ?? false;
  const asked = children(child(request, "UserIds"), "UserId");
  const parts =
    asked.length === 0
      ? settings.delegates.map((d) => success(delegateUserXml(d, withPermissions)))
      : perUser(asked, (node) =>
          success(
            delegateUserXml(existingDelegate(settings, userOf(ctx, node).smtpAddress), withPermissions),
          ),
        );
  return `${userMessages(parts)}<m:DeliverMeetingRequests>${settings.deliverMeetingRequests}</m:DeliverMeetingRequests>`;
});

export const addDelegate = delegateOperation("AddDelegate", (request, ctx, owner, settings) => {
  const delivery = deliveryOf(request, settings);
  const parts = perUser(children(child(request, "DelegateUsers"), "DelegateUser"), (node) => {
    const user = userOf(ctx, child(node, "UserId"));
    if (user.smtpAddress.toLowerCase() === owner.smtpAddress.toLowerCase())
      throw new EwsResponseError(
        "ErrorDelegateCannotAddOwner",
        "The mailbox owner cannot be added as a delegate.",
      );
    if (findDelegate(settings, user.smtpAddress) !== undefined)
      throw new EwsResponseError(
        "ErrorDelegateAlreadyExists",
        "The user is already a delegate for the mailbox.",
      );
    const none = Object.fromEntries(DELEGATE_FOLDERS.map((f) => [f, "None"])) as Delegate["permissions"];
    const delegate = parseDelegate(node, {
      ...user,
      permissions: none,
      receiveCopiesOfMeetingMessages: false,
      viewPrivateItems: false,
    });
    settings.delegates.push(delegate);
    mirrorDelegate(owner, delegate.smtpAddress, delegate);
    return success(delegateUserXml(delegate, true));
  });
  settings.deliverMeetingRequests = delivery;
  return userMessages(parts);
});

export const updateDelegate = delegateOperation("UpdateDelegate", (request, ctx, owner, settings) => {
  const delivery = deliveryOf(request, settings);
  const parts = perUser(children(child(request, "DelegateUsers"), "DelegateUser"), (node) => {
    const current = existingDelegate(settings, userOf(ctx, child(node, "UserId")).smtpAddress);
    const updated = parseDelegate(node, current);
    settings.delegates = settings.delegates.map((d) => (d === current ? updated : d));
    mirrorDelegate(owner, updated.smtpAddress, updated);
    return success(delegateUserXml(updated, true));
  });
  settings.deliverMeetingRequests = delivery;
  return userMessages(parts);
});

export const removeDelegate = delegateOperation("RemoveDelegate", (request, ctx, owner, settings) => {
  const parts = perUser(children(child(request, "UserIds"), "UserId"), (node) => {
    const current = existingDelegate(settings, userOf(ctx, node).smtpAddress);
    settings.delegates = settings.delegates.filter((d) => d !== current);
    mirrorDelegate(owner, current.smtpAddress, undefined);
    return success("");
  });
  return userMessages(parts);
});
