// EWS operations the mock server implements, by SOAP body element name. Each handler parses
// its request element and returns its response messages; the server frames them.
import { createAttachment, deleteAttachment, getAttachment } from "./attachments.js";
import { exportItems, uploadItems } from "./bulk.js";
import type { Operation } from "./common.js";
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

export type { Codecs, ItemFault, Operation, OperationContext } from "./common.js";

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  GetFolder: getFolder,
  FindFolder: findFolder,
  CreateFolder: createFolder,
  DeleteFolder: deleteFolder,
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
  CreateAttachment: createAttachment,
  DeleteAttachment: deleteAttachment,
};
