// EWS operations the mock server implements, by SOAP body element name (the element of the
// operation's input message in services.wsdl). Each handler parses its request element and
// returns its response messages; the server frames them. README.md's operation table lists
// what is served and what not; test/operation-table.test.ts keeps it true.
import { createAttachment, deleteAttachment, getAttachment } from "./attachments.js";
import { getUserAvailability } from "./availability.js";
import { exportItems, uploadItems } from "./bulk.js";
import type { Operation } from "./common.js";
import { convertId } from "./convert-id.js";
import { addDelegate, getDelegate, removeDelegate, updateDelegate } from "./delegates.js";
import {
  expandDL,
  findPeople,
  getMailTips,
  getPersona,
  getRoomLists,
  getRooms,
  getSearchableMailboxes,
} from "./directory-ops.js";
import {
  copyFolder,
  emptyFolderOperation,
  markAllItemsAsRead,
  moveFolder,
  updateFolder,
} from "./folder-changes.js";
import { createFolder, deleteFolder, findFolder, getFolder, syncFolderHierarchy } from "./folders.js";
import { getInboxRules, updateInboxRules } from "./inbox-rules.js";
import {
  copyItem,
  createItem,
  deleteItem,
  findItem,
  getItem,
  moveItem,
  syncFolderItems,
  updateItem,
} from "./items.js";
import { markAsJunk } from "./junk.js";
import { getUserOofSettings, setUserOofSettings } from "./oof.js";
import { resolveNames } from "./resolve-names.js";
import { sendItem } from "./send.js";
import { getServerTimeZones } from "./time-zones.js";
import {
  createUserConfiguration,
  deleteUserConfiguration,
  getUserConfiguration,
  updateUserConfiguration,
} from "./user-configuration.js";

export type { Codecs, ItemFault, Operation, OperationContext } from "./common.js";

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  GetFolder: getFolder,
  FindFolder: findFolder,
  CreateFolder: createFolder,
  DeleteFolder: deleteFolder,
  UpdateFolder: updateFolder,
  MoveFolder: moveFolder,
  CopyFolder: copyFolder,
  EmptyFolder: emptyFolderOperation,
  MarkAllItemsAsRead: markAllItemsAsRead,
  MarkAsJunk: markAsJunk,
  SyncFolderHierarchy: syncFolderHierarchy,
  SyncFolderItems: syncFolderItems,
  FindItem: findItem,
  GetItem: getItem,
  CreateItem: createItem,
  SendItem: sendItem,
  UpdateItem: updateItem,
  DeleteItem: deleteItem,
  MoveItem: moveItem,
  CopyItem: copyItem,
  ExportItems: exportItems,
  UploadItems: uploadItems,
  ResolveNames: resolveNames,
  GetAttachment: getAttachment,
  ConvertId: convertId,
  FindPeople: findPeople,
  GetPersona: getPersona,
  ExpandDL: expandDL,
  GetRoomLists: getRoomLists,
  GetRooms: getRooms,
  GetMailTips: getMailTips,
  GetSearchableMailboxes: getSearchableMailboxes,
  GetServerTimeZones: getServerTimeZones,
  // The availability service's request element carries a Request suffix (services.wsdl).
  GetUserAvailabilityRequest: getUserAvailability,
  CreateAttachment: createAttachment,
  DeleteAttachment: deleteAttachment,
  GetInboxRules: getInboxRules,
  UpdateInboxRules: updateInboxRules,
  // Like the availability service's, the OOF request elements carry a Request suffix.
  GetUserOofSettingsRequest: getUserOofSettings,
  SetUserOofSettingsRequest: setUserOofSettings,
  GetDelegate: getDelegate,
  AddDelegate: addDelegate,
  UpdateDelegate: updateDelegate,
  RemoveDelegate: removeDelegate,
  GetUserConfiguration: getUserConfiguration,
  CreateUserConfiguration: createUserConfiguration,
  UpdateUserConfiguration: updateUserConfiguration,
  DeleteUserConfiguration: deleteUserConfiguration,
};
