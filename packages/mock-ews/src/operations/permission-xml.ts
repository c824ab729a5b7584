// Parsing of a PermissionSet a client sends (UpdateFolder SetFolderField folder:PermissionSet).
import { EwsResponseError } from "../errors.js";
import { type DirectoryEntry, directoryOf } from "../store/directory.js";
import {
  CALENDAR_ONLY_LEVELS,
  type FolderPermission,
  isCalendarFolder,
  LEVEL_RIGHTS,
  type PermissionAction,
  type PermissionUser,
  userSid,
} from "../store/folder-permissions.js";
import type { Store } from "../store/mailbox-store.js";
import type { FolderRecord } from "../store/records.js";
import { boolText, child, children, text, type XmlNode } from "../xml.js";

const ACTIONS: ReadonlySet<string> = new Set(["None", "Owned", "All"]);

function invalid(message: string): EwsResponseError {
  return new EwsResponseError("ErrorInvalidPermissionSettings", message);
}

/** The address book entry a t:UserId names: by PrimarySmtpAddress, else by SID; undefined when none. */
export function directoryUserOf(store: Store, node: XmlNode | undefined): DirectoryEntry | undefined {
  const smtp = text(node, "PrimarySmtpAddress")?.trim();
  const sid = text(node, "SID")?.trim();
  const directory = directoryOf(store);
  return smtp !== undefined && smtp !== ""
    ? directory.get(smtp)
    : sid !== undefined && sid !== ""
      ? directory.entries().find((e) => userSid(e.smtpAddress) === sid)
      : undefined;
}

function parseUser(store: Store, node: XmlNode | undefined): PermissionUser {
  const distinguished = text(node, "DistinguishedUser")?.trim();
  if (distinguished === "Default" || distinguished === "Anonymous") return { distinguished };
  if (distinguished !== undefined && distinguished !== "")
    throw invalid(`Unknown distinguished user ${distinguished}.`);
  const entry = directoryUserOf(store, node);
  if (entry === undefined)
    throw new EwsResponseError(
      "ErrorInvalidUserInfo",
      "The user in the permission entry could not be found.",
    );
  return { smtpAddress: entry.smtpAddress, displayName: entry.displayName };
}

function action(node: XmlNode, name: string): PermissionAction {
  const value = text(node, name)?.trim() ?? "None";
  if (!ACTIONS.has(value)) throw invalid(`${name} must be None, Owned or All.`);
  return value as PermissionAction;
}

/**
 * The entries of a PermissionSet element for `folder`. MUST throw
 * ErrorCannotSetNonCalendarPermissionOnCalendarFolder / ErrorCannotSetCalendarPermissionOnNonCalendarFolder
 * for the wrong kind of set, ErrorSchemaValidation for a set with neither, ErrorInvalidPermissionSettings for bad levels or rights,
 * ErrorDuplicateUserIdsSpecified for a user named twice, ErrorInvalidUserInfo for an unknown user.
 */
export function parsePermissionSet(store: Store, folder: FolderRecord, set: XmlNode): FolderPermission[] {
  const calendar = isCalendarFolder(folder);
  // Exchange validates the request against its schema: a set without its entry array (e.g. a
  // PermissionSet nested in a PermissionSet, as exchangelib 4.x writes) is refused, not emptied.
  if (child(set, "Permissions") === undefined && child(set, "CalendarPermissions") === undefined)
    throw new EwsResponseError(
      "ErrorSchemaValidation",
      "The request failed schema validation: PermissionSet has no Permissions or CalendarPermissions element.",
    );
  const plain = children(child(set, "Permissions"), "Permission");
  const calendarEntries = children(child(set, "CalendarPermissions"), "CalendarPermission");
  if (calendar && plain.length > 0)
    throw new EwsResponseError(
      "ErrorCannotSetNonCalendarPermissionOnCalendarFolder",
      "A calendar folder takes CalendarPermissions.",
    );
  if (!calendar && calendarEntries.length > 0)
    throw new EwsResponseError(
      "ErrorCannotSetCalendarPermissionOnNonCalendarFolder",
      "Only calendar folders take CalendarPermissions.",
    );
  const seen = new Set<string>();
  return (calendar ? calendarEntries : plain).map((node) => {
    const user = parseUser(store, child(node, "UserId"));
    const key = (user.distinguished ?? user.smtpAddress ?? "").toLowerCase();
    if (seen.has(key))
      throw new EwsResponseError(
        "ErrorDuplicateUserIdsSpecified",
        "A user is named twice in the permission set.",
      );
    seen.add(key);
    const level = text(node, calendar ? "CalendarPermissionLevel" : "PermissionLevel")?.trim();
    if (level === undefined || level === "") throw invalid("The permission level is missing.");
    if (level !== "Custom") {
      const rights = LEVEL_RIGHTS[level];
      if (rights === undefined || (!calendar && CALENDAR_ONLY_LEVELS.has(level)))
        throw invalid(`${level} is not a permission level of this folder.`);
      return { user, level, ...rights };
    }
    const read = text(node, "ReadItems")?.trim() ?? "None";
    const reads = calendar
      ? ["None", "TimeOnly", "TimeAndSubjectAndLocation", "FullDetails"]
      : ["None", "FullDetails"];
    if (!reads.includes(read)) throw invalid(`ReadItems ${read} is not valid for this folder.`);
    return {
      user,
      level,
      canCreateItems: boolText(node, "CanCreateItems") ?? false,
      canCreateSubFolders: boolText(node, "CanCreateSubFolders") ?? false,
      isFolderOwner: boolText(node, "IsFolderOwner") ?? false,
      isFolderVisible: boolText(node, "IsFolderVisible") ?? false,
      isFolderContact: boolText(node, "IsFolderContact") ?? false,
      editItems: action(node, "EditItems"),
      deleteItems: action(node, "DeleteItems"),
      readItems: read,
    };
  });
}
