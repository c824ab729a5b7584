// Folder permissions: read with GetFolder asking for folder:PermissionSet (a t:PermissionSet
// with t:Permissions, or on calendar folders t:CalendarPermissions), many folders per request;
// written with UpdateFolder SetFolderField folder:PermissionSet, which replaces the folder's
// whole set, Default and Anonymous entries included. Each folder answers on its own, so one
// folder gone or refused is an entry failure, not the kind's.
import type {
  ApplySettingsOptions,
  FolderPermission,
  FolderPermissionSet,
  SettingsEntryReport,
  SettingsFailure,
  SettingsKindReport,
} from "@ewsvault/mailbox";
import { callContext, callEach, isMailboxFatal, messageError, type OperationScope } from "../../call.js";
import { fieldUris, folderId as folderIdXml, idOnlyShape } from "../../requests.js";
import { folderElements } from "../../responses.js";
import { isSuccess, operation } from "../../soap.js";
import { child, childrenNamed, childText, type XmlElement } from "../../xml-parser.js";
import { el, type XmlFragment } from "../../xml-writer.js";
import {
  mapFolder,
  parseBoolean,
  parsePrincipal,
  principalName,
  principalXml,
  responseFailure,
} from "./settings-call.js";

/** Folders per GetFolder / UpdateFolder request. */
export const PERMISSION_BATCH_FOLDERS = 50;

function parsePermission(element: XmlElement, calendar: boolean): FolderPermission {
  const flag = (name: string) => parseBoolean(childText(element, name));
  const text = (name: string) => childText(element, name)?.trim();
  const rights: Record<string, unknown> = {
    canCreateItems: flag("CanCreateItems"),
    canCreateSubFolders: flag("CanCreateSubFolders"),
    isFolderOwner: flag("IsFolderOwner"),
    isFolderVisible: flag("IsFolderVisible"),
    isFolderContact: flag("IsFolderContact"),
    editItems: text("EditItems"),
    deleteItems: text("DeleteItems"),
    readItems: text("ReadItems"),
  };
  for (const key of Object.keys(rights)) if (rights[key] === undefined) delete rights[key];
  return {
    user: parsePrincipal(child(element, "UserId")),
    level: text(calendar ? "CalendarPermissionLevel" : "PermissionLevel") ?? "None",
    ...(rights as Partial<FolderPermission>),
  };
}

export function parsePermissionSet(folderId: string, folder: XmlElement): FolderPermissionSet {
  const set = child(folder, "PermissionSet");
  const calendarList = child(set, "CalendarPermissions");
  const calendar = calendarList !== undefined || folder.name === "CalendarFolder";
  const permissions = calendar
    ? childrenNamed(calendarList, "CalendarPermission").map((p) => parsePermission(p, true))
    : childrenNamed(child(set, "Permissions"), "Permission").map((p) => parsePermission(p, false));
  const unknown = childrenNamed(child(set, "UnknownEntries"), "UnknownEntry").map((e) => e.text);
  return { folderId, calendar, permissions, ...(unknown.length > 0 ? { unknownEntries: unknown } : {}) };
}

export async function getFolderPermissions(
  scope: OperationScope,
  mailbox: string,
  folderIds: readonly string[],
  signal?: AbortSignal,
): Promise<{ sets: FolderPermissionSet[]; failures: (SettingsFailure & { entry: string })[] }> {
  const access = scope.access(mailbox);
  const sets: FolderPermissionSet[] = [];
  const failures: (SettingsFailure & { entry: string })[] = [];
  for (let i = 0; i < folderIds.length; i += PERMISSION_BATCH_FOLDERS) {
    const batch = folderIds.slice(i, i + PERMISSION_BATCH_FOLDERS);
    const request = operation(
      "GetFolder",
      {},
      idOnlyShape("m:FolderShape", ...fieldUris("folder:PermissionSet")),
      el("m:FolderIds", undefined, ...batch.map((id) => folderIdXml(id, access.delegate))),
    );
    const { messages } = await callEach(scope.transport, "GetFolder", request, callContext(access, signal), {
      count: batch.length,
      noun: "folders",
      requestLevelErrors: true,
    });
    messages.forEach((message, index) => {
      const id = batch[index] as string;
      const folder = folderElements(child(message.element, "Folders"))[0];
      if (isSuccess(message) && folder !== undefined) sets.push(parsePermissionSet(id, folder));
      else if (isMailboxFatal(message) && message.responseCode !== "ErrorAccessDenied")
        throw messageError(message, "GetFolder", mailbox);
      else failures.push({ entry: id, ...responseFailure(message.responseCode, message.messageText) });
    });
  }
  return { sets, failures };
}

function permissionXml(p: FolderPermission, calendar: boolean, options: ApplySettingsOptions): XmlFragment {
  // A role fixes the rights; only Custom carries them (Exchange refuses rights that contradict a role).
  const custom = p.level === "Custom";
  const flag = (tag: string, value: boolean | undefined) =>
    custom && value !== undefined ? el(tag, undefined, String(value)) : undefined;
  const text = (tag: string, value: string | undefined) =>
    custom && value !== undefined ? el(tag, undefined, value) : undefined;
  return el(
    calendar ? "t:CalendarPermission" : "t:Permission",
    undefined,
    principalXml(p.user, options.principalMap),
    flag("t:CanCreateItems", p.canCreateItems),
    flag("t:CanCreateSubFolders", p.canCreateSubFolders),
    flag("t:IsFolderOwner", p.isFolderOwner),
    flag("t:IsFolderVisible", p.isFolderVisible),
    flag("t:IsFolderContact", p.isFolderContact),
    text("t:EditItems", p.editItems),
    text("t:DeleteItems", p.deleteItems),
    text("t:ReadItems", p.readItems),
    el(calendar ? "t:CalendarPermissionLevel" : "t:PermissionLevel", undefined, p.level),
  );
}

function folderChangeXml(
  targetId: string,
  set: FolderPermissionSet,
  options: ApplySettingsOptions,
  delegate?: string,
) {
  const entries = set.permissions.map((p) => permissionXml(p, set.calendar, options));
  const permissionSet = el(
    "t:PermissionSet",
    undefined,
    set.calendar
      ? el("t:CalendarPermissions", undefined, ...entries)
      : el("t:Permissions", undefined, ...entries),
  );
  return el(
    "t:FolderChange",
    undefined,
    folderIdXml(targetId, delegate),
    el(
      "t:Updates",
      undefined,
      el(
        "t:SetFolderField",
        undefined,
        ...fieldUris("folder:PermissionSet"),
        el(set.calendar ? "t:CalendarFolder" : "t:Folder", undefined, permissionSet),
      ),
    ),
  );
}

/** Replaces each folder's permission set; folders mapped through folderIdMap when one is given. */
export async function applyFolderPermissions(
  scope: OperationScope,
  mailbox: string,
  sets: readonly FolderPermissionSet[],
  options: ApplySettingsOptions,
): Promise<SettingsKindReport> {
  const access = scope.access(mailbox);
  const entries: SettingsEntryReport[] = [];
  const changes: { entry: string; xml: XmlFragment }[] = [];
  for (const set of sets) {
    const target = mapFolder(set.folderId, options.folderIdMap);
    if (target === undefined) {
      const message = `folder ${set.folderId} was not restored`;
      entries.push({ entry: set.folderId, ok: false, failure: { code: "EWS_FOLDER_NOT_FOUND", message } });
      continue;
    }
    try {
      changes.push({ entry: set.folderId, xml: folderChangeXml(target, set, options, access.delegate) });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      const who = set.permissions.map((p) => principalName(p.user)).join(", ");
      entries.push({
        entry: set.folderId,
        ok: false,
        failure: { code: "EWS_SERVER_ERROR", message: `${error.message} (${who})` },
      });
    }
  }
  for (let i = 0; i < changes.length; i += PERMISSION_BATCH_FOLDERS) {
    const batch = changes.slice(i, i + PERMISSION_BATCH_FOLDERS);
    const request = operation(
      "UpdateFolder",
      {},
      el("m:FolderChanges", undefined, ...batch.map((c) => c.xml)),
    );
    const { messages } = await callEach(
      scope.transport,
      "UpdateFolder",
      request,
      callContext(access, options.signal),
      {
        count: batch.length,
        noun: "folders",
        requestLevelErrors: true,
      },
    );
    messages.forEach((message, index) => {
      const entry = (batch[index] as { entry: string }).entry;
      if (isSuccess(message)) entries.push({ entry, ok: true });
      else if (isMailboxFatal(message) && message.responseCode !== "ErrorAccessDenied")
        throw messageError(message, "UpdateFolder", mailbox);
      else
        entries.push({
          entry,
          ok: false,
          failure: responseFailure(message.responseCode, message.messageText),
        });
    });
  }
  return { ok: true, entries };
}
