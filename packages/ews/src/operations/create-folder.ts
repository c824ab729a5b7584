// createFolder: CreateFolder of one t:Folder (with FolderClass) under a parent, for restore.
import type { FolderInfo } from "@ewsvault/mailbox";
import { callContext, callSingle, type OperationScope } from "../call.js";
import { ewsError } from "../errors.js";
import { createFolderRequest } from "../requests.js";
import { folderElements } from "../responses.js";
import { child } from "../xml-parser.js";
import type { DistinguishedFolders } from "./mailbox-info.js";

/** The folder to create: a parent (id or distinguished name), its name and its class. */
export interface NewFolder {
  readonly parentFolderId: string;
  readonly displayName: string;
  readonly folderClass: string | undefined;
}

export async function createFolder(
  scope: OperationScope,
  folders: DistinguishedFolders,
  mailbox: string,
  folder: NewFolder,
  signal?: AbortSignal,
): Promise<FolderInfo> {
  const { parentFolderId, displayName, folderClass } = folder;
  const access = scope.access(mailbox);
  // A distinguished name the mailbox cannot resolve is sent as DistinguishedFolderId instead.
  const parent = await folders.resolveFolderId(mailbox, parentFolderId, signal).catch(() => parentFolderId);
  const request = createFolderRequest({
    parentFolderId: parent,
    displayName,
    folderClass,
    delegateMailbox: access.delegate,
  });
  const { message } = await callSingle(scope.transport, "CreateFolder", request, callContext(access, signal));
  const created = folderElements(child(message.element, "Folders"))[0];
  const id = child(created, "FolderId");
  if (id?.attributes.Id === undefined)
    throw ewsError("EWS_MALFORMED_RESPONSE", "CreateFolder response lacks FolderId");
  return {
    folderId: id.attributes.Id,
    changeKey: id.attributes.ChangeKey ?? "",
    parentFolderId: parent,
    displayName,
    ...(folderClass !== undefined ? { folderClass } : {}),
  };
}
