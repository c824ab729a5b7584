// A folder's permissions as EWS XML: PermissionSet (ArrayOfPermissionsType) on mail, contacts and
// tasks folders, PermissionSet with CalendarPermissions on calendar folders, elements in the order
// of BasePermissionType then PermissionType / CalendarPermissionType in types.xsd.
import {
  type FolderPermission,
  folderPermissions,
  isCalendarFolder,
  userSid,
} from "../store/folder-permissions.js";
import type { FolderRecord } from "../store/records.js";
import { el } from "../xml.js";

function userIdXml(permission: FolderPermission): string {
  const user = permission.user;
  if (user.distinguished !== undefined)
    return `<t:UserId>${el("t:DistinguishedUser", user.distinguished)}</t:UserId>`;
  const smtp = user.smtpAddress ?? "";
  return `<t:UserId>${el("t:SID", userSid(smtp))}${el("t:PrimarySmtpAddress", smtp)}${el("t:DisplayName", user.displayName ?? smtp)}</t:UserId>`;
}

function permissionXml(permission: FolderPermission, calendar: boolean): string {
  const tag = calendar ? "CalendarPermission" : "Permission";
  const level = calendar ? "CalendarPermissionLevel" : "PermissionLevel";
  return (
    `<t:${tag}>${userIdXml(permission)}` +
    el("t:CanCreateItems", permission.canCreateItems) +
    el("t:CanCreateSubFolders", permission.canCreateSubFolders) +
    el("t:IsFolderOwner", permission.isFolderOwner) +
    el("t:IsFolderVisible", permission.isFolderVisible) +
    el("t:IsFolderContact", permission.isFolderContact) +
    el("t:EditItems", permission.editItems) +
    el("t:DeleteItems", permission.deleteItems) +
    el("t:ReadItems", permission.readItems) +
    `${el(`t:${level}`, permission.level)}</t:${tag}>`
  );
}

/** `<t:PermissionSet>` of a folder (calendar folders: CalendarPermissions). */
export function permissionSetXml(folder: FolderRecord): string {
  const calendar = isCalendarFolder(folder);
  const list = folderPermissions(folder)
    .map((p) => permissionXml(p, calendar))
    .join("");
  return calendar
    ? `<t:PermissionSet><t:CalendarPermissions>${list}</t:CalendarPermissions></t:PermissionSet>`
    : `<t:PermissionSet><t:Permissions>${list}</t:Permissions></t:PermissionSet>`;
}
