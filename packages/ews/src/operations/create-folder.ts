// createFolder: CreateFolder of one t:Folder (with FolderClass) under a parent, for restore.
import type { FolderInfo } from "@ewsvault/mailbox";
import { callContext, callSingle, type OperationScope } from "../call.js";
import { ewsError } from "../errors.js";
import { createFolderRequest } from "../requests.js";
import { folderElements } from "../responses.js";
import { child } from "../xml-parser.js";
import type { DistinguishedFolders } from "./mailbox-info.js";

export async function createFolder(
  scope: OperationScope,
  folders: DistinguishedFolders,
  mailbox: string,
  parentFolderId: string,
  displayName: string,
  folderClass?: string,
  signal?: AbortSignal,
): Promise<FolderInfo> {
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
  const folder = folderElements(child(message.element, "Folders"))[0];
  const id = child(folder, "FolderId");
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
