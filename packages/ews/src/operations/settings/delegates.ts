// Delegates: GetDelegate (IncludePermissions) reads every delegate with its folder levels,
// meeting-message copies and private-item access, and the mailbox's DeliverMeetingRequests;
// a restore updates the delegates the mailbox already has (UpdateDelegate) and adds the rest
// (AddDelegate), each user answered by its own DelegateUserResponseMessageType, so one user the
// target's directory lacks is reported without failing the others. Delegates the target has
// but the backup does not are left alone: removing access is not a restore's business.
import type {
  ApplySettingsOptions,
  DelegateFolder,
  Delegates,
  DelegateUser,
  SettingsEntryReport,
  SettingsKindReport,
} from "@ewsvault/mailbox";
import type { OperationScope } from "../../call.js";
import { isSuccess, operation, responseMessages } from "../../soap.js";
import { child, childText, type XmlElement } from "../../xml-parser.js";
import { el, type XmlFragment } from "../../xml-writer.js";
import {
  callSelfFramed,
  mappedAddress,
  parseBoolean,
  parsePrincipal,
  principalName,
  principalXml,
  responseFailure,
  settingsFailure,
} from "./settings-call.js";

const FOLDERS: readonly DelegateFolder[] = ["Calendar", "Tasks", "Inbox", "Contacts", "Notes", "Journal"];

function ownerXml(mailbox: string): XmlFragment {
  return el("m:Mailbox", undefined, el("t:EmailAddress", undefined, mailbox));
}

function parseDelegateUser(element: XmlElement): DelegateUser {
  const levels = child(element, "DelegatePermissions");
  const permissions: Partial<Record<DelegateFolder, string>> = {};
  for (const folder of FOLDERS) {
    const level = childText(levels, `${folder}FolderPermissionLevel`)?.trim();
    if (level !== undefined && level !== "None") permissions[folder] = level;
  }
  const copies = parseBoolean(childText(element, "ReceiveCopiesOfMeetingMessages"));
  const privateItems = parseBoolean(childText(element, "ViewPrivateItems"));
  return {
    user: parsePrincipal(child(element, "UserId")),
    permissions,
    ...(copies !== undefined ? { receiveCopiesOfMeetingMessages: copies } : {}),
    ...(privateItems !== undefined ? { viewPrivateItems: privateItems } : {}),
  };
}

export async function getDelegates(
  scope: OperationScope,
  mailbox: string,
  signal?: AbortSignal,
): Promise<Delegates> {
  const request = operation("GetDelegate", { IncludePermissions: "true" }, ownerXml(mailbox));
  const response = await callSelfFramed(scope, mailbox, "GetDelegate", request, signal);
  const users = responseMessages(response)
    .filter(isSuccess)
    .map((m) => child(m.element, "DelegateUser"))
    .filter((e): e is XmlElement => e !== undefined)
    .map(parseDelegateUser);
  const deliver = childText(response, "DeliverMeetingRequests");
  return { ...(deliver !== undefined ? { deliverMeetingRequests: deliver } : {}), users };
}

function delegateUserXml(user: DelegateUser, options: ApplySettingsOptions): XmlFragment {
  return el(
    "t:DelegateUser",
    undefined,
    principalXml(user.user, options.principalMap),
    el(
      "t:DelegatePermissions",
      undefined,
      ...FOLDERS.map((f) => el(`t:${f}FolderPermissionLevel`, undefined, user.permissions[f] ?? "None")),
    ),
    user.receiveCopiesOfMeetingMessages !== undefined
      ? el("t:ReceiveCopiesOfMeetingMessages", undefined, String(user.receiveCopiesOfMeetingMessages))
      : undefined,
    user.viewPrivateItems !== undefined
      ? el("t:ViewPrivateItems", undefined, String(user.viewPrivateItems))
      : undefined,
  );
}

/** AddDelegate or UpdateDelegate of `users`; one entry report per user. */
async function send(
  scope: OperationScope,
  mailbox: string,
  operationName: "AddDelegate" | "UpdateDelegate",
  users: readonly DelegateUser[],
  deliver: string | undefined,
  options: ApplySettingsOptions,
): Promise<SettingsEntryReport[]> {
  const request = operation(
    operationName,
    {},
    ownerXml(mailbox),
    // UpdateDelegate may carry only DeliverMeetingRequests (DelegateUsers is optional there).
    ...(users.length > 0
      ? [el("m:DelegateUsers", undefined, ...users.map((u) => delegateUserXml(u, options)))]
      : []),
    ...(deliver !== undefined ? [el("m:DeliverMeetingRequests", undefined, deliver)] : []),
  );
  const response = await callSelfFramed(scope, mailbox, operationName, request, options.signal);
  const messages = responseMessages(response);
  return users.map((user, index) => {
    const message = messages[index];
    const entry = principalName(user.user);
    if (message === undefined)
      return {
        entry,
        ok: false,
        failure: { code: "EWS_MALFORMED_RESPONSE", message: `${operationName} answered no message` },
      };
    if (isSuccess(message)) return { entry, ok: true };
    return { entry, ok: false, failure: responseFailure(message.responseCode, message.messageText) };
  });
}

export async function applyDelegates(
  scope: OperationScope,
  mailbox: string,
  delegates: Delegates,
  options: ApplySettingsOptions,
): Promise<SettingsKindReport> {
  try {
    const present = new Set(
      (await getDelegates(scope, mailbox, options.signal)).users
        .map((u) => u.user.primarySmtpAddress?.toLowerCase())
        .filter((a): a is string => a !== undefined),
    );
    const isPresent = (u: DelegateUser) =>
      present.has(mappedAddress(u.user, options.principalMap)?.toLowerCase() ?? "");
    const updates = delegates.users.filter(isPresent);
    const adds = delegates.users.filter((u) => !isPresent(u));
    const deliver = delegates.deliverMeetingRequests;
    const entries: SettingsEntryReport[] = [];
    if (updates.length > 0 || (adds.length === 0 && deliver !== undefined))
      entries.push(...(await send(scope, mailbox, "UpdateDelegate", updates, deliver, options)));
    // DeliverMeetingRequests rides on whichever request is sent (UpdateDelegate first).
    const addDeliver = updates.length > 0 || adds.length === 0 ? undefined : deliver;
    if (adds.length > 0)
      entries.push(...(await send(scope, mailbox, "AddDelegate", adds, addDeliver, options)));
    // The kind went through; users the target refused are failed entries.
    return { ok: true, entries };
  } catch (error) {
    return { ok: false, failure: settingsFailure(error), entries: [] };
  }
}
