// Folders as EWS XML: the typed folder element in BaseFolderType then subtype order, with the
// folder change markers (PidTagLocalCommitTimeMax, PidTagDeletedCountTotal) and the extended
// properties a client set, when asked for.
import { folderExtendedValue, propertyTagNumber } from "../store/folder-extended.js";
import { changeKey } from "../store/ids.js";
import type { Store } from "../store/mailbox-store.js";
import type { FolderRecord } from "../store/records.js";
import { el, esc } from "../xml.js";
import { permissionSetXml } from "./render-permissions.js";

export interface ExtendedFieldRequest {
  readonly propertyTag: string;
  readonly propertyType: string;
}

export interface FolderShape {
  readonly base: "IdOnly" | "Default" | "AllProperties";
  readonly additional: ReadonlySet<string>;
  /** ExtendedFieldURI requests; only the folder properties the store keeps are answered. */
  readonly extended?: readonly ExtendedFieldRequest[];
  /** Render the folder's PermissionSet (GetFolder asked for it; FindFolder never returns it). */
  readonly permissionSet?: boolean;
}

/** PidTagLocalCommitTimeMax and PidTagDeletedCountTotal: how a client sees that a folder's contents changed. */
const LOCAL_COMMIT_TIME_MAX = 0x670a;
const DELETED_COUNT_TOTAL = 0x670b;

/** Requested folder extended properties the folder has, as ExtendedProperty elements; unset ones are left out, as Exchange does. */
function folderExtendedProperties(folder: FolderRecord, requests: readonly ExtendedFieldRequest[]): string {
  let out = "";
  for (const request of requests) {
    const tag = propertyTagNumber(request.propertyTag);
    let value: string;
    if (tag === LOCAL_COMMIT_TIME_MAX && request.propertyType === "SystemTime") {
      value = new Date(folder.commitTimeMax).toISOString();
    } else if (tag === DELETED_COUNT_TOTAL && request.propertyType === "Integer") {
      value = String(folder.deletedCountTotal);
    } else {
      // Properties a client set with UpdateFolder.
      const set = folderExtendedValue(folder, tag, request.propertyType);
      if (set === undefined) continue;
      value = set;
    }
    out += `<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="${esc(request.propertyTag)}" PropertyType="${esc(request.propertyType)}"/>${el("t:Value", value)}</t:ExtendedProperty>`;
  }
  return out;
}

export function folderElementName(folderClass: string | undefined): string {
  if (folderClass === undefined) return "Folder";
  if (folderClass.startsWith("IPF.Appointment")) return "CalendarFolder";
  if (folderClass.startsWith("IPF.Contact")) return "ContactsFolder";
  if (folderClass.startsWith("IPF.Task")) return "TasksFolder";
  return "Folder";
}

export function folderIdXml(store: Store, folder: FolderRecord): string {
  return `<t:FolderId Id="${esc(store.folderIdOf(folder))}" ChangeKey="${esc(changeKey("folder", folder.mailbox.guid, folder.lastSeq))}"/>`;
}

/** One folder as its typed element, in BaseFolderType then subtype order. */
export function renderFolder(store: Store, folder: FolderRecord, shape: FolderShape): string {
  const element = folderElementName(folder.folderClass);
  const want = (uri: string, def: boolean) =>
    shape.additional.has(uri) || shape.base === "AllProperties" || (shape.base === "Default" && def);
  let out = `<t:${element}>${folderIdXml(store, folder)}`;
  if (want("folder:parentfolderid", false) && folder.parent !== undefined) {
    out += `<t:ParentFolderId Id="${esc(store.folderIdOf(folder.parent))}" ChangeKey="${esc(changeKey("folder", folder.parent.mailbox.guid, folder.parent.lastSeq))}"/>`;
  }
  if (want("folder:folderclass", false) && folder.folderClass !== undefined)
    out += el("t:FolderClass", folder.folderClass);
  if (want("folder:displayname", true)) out += el("t:DisplayName", folder.displayName);
  if (want("folder:totalcount", true)) out += el("t:TotalCount", store.itemCount(folder));
  if (want("folder:childfoldercount", true))
    out += el("t:ChildFolderCount", folder.children.filter((c) => !c.deleted).length);
  if (shape.extended !== undefined) out += folderExtendedProperties(folder, shape.extended);
  if (want("folder:effectiverights", false)) {
    out +=
      "<t:EffectiveRights><t:CreateAssociated>true</t:CreateAssociated><t:CreateContents>true</t:CreateContents><t:CreateHierarchy>true</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify><t:Read>true</t:Read></t:EffectiveRights>";
  }
  if (want("folder:distinguishedfolderid", false) && folder.distinguishedName !== undefined) {
    out += el("t:DistinguishedFolderId", folder.distinguishedName);
  }
  // PermissionSet comes after the base folder properties in every folder subtype.
  if (shape.permissionSet === true) out += permissionSetXml(folder);
  if (element === "Folder" || element === "TasksFolder") {
    if (want("folder:unreadcount", true)) out += el("t:UnreadCount", store.unreadCount(folder));
  }
  return `${out}</t:${element}>`;
}
