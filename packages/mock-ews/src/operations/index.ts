// EWS operations the mock server implements, by SOAP body element name (the element of the
// operation's input message in services.wsdl). Each handler parses its request element and
// returns its response messages; the server frames them. README.md's operation table lists
// what is served and what not; test/operation-table.test.ts keeps it true.
import { createAttachment, deleteAttachment, getAttachment } from "./attachments.js";
import { exportItems, uploadItems } from "./bulk.js";
import type { Operation } from "./common.js";
import {
  copyFolder,
  emptyFolderOperation,
  markAllItemsAsRead,
  moveFolder,
  updateFolder,
} from "./folder-changes.js";
import { createFolder, deleteFolder, findFolder, getFolder, syncFolderHierarchy } from "./folders.js";
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
import { resolveNames } from "./resolve-names.js";
import { getUserAvailability } from "./availability.js";
import { convertId } from "./convert-id.js";
import {
  expandDL,
  findPeople,
  getMailTips,
  getPersona,
  getRoomLists,
  getRooms,
  getSearchableMailboxes,
} from "./directory-ops.js";
import { getServerTimeZones } from "./time-zones.js";

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
  SyncFolderHierarchy: syncFolderHierarchy,
  SyncFolderItems: syncFolderItems,
  FindItem: findItem,
  GetItem: getItem,
  CreateItem: createItem,
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
};
