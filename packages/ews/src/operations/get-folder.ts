// GetFolder about several folders at once, as getMailboxInfo and probeFolders ask it: each
// folder may fail on its own (deleted meanwhile, no rights, an optional folder the mailbox
// lacks) without failing the others, but a mailbox-level code fails the call.
import {
  callContext,
  callEach,
  isMailboxFatal,
  type MailboxAccess,
  messageError,
  type OperationScope,
} from "../call.js";
import { folderElements } from "../responses.js";
import { isSuccess } from "../soap.js";
import { child, type XmlElement } from "../xml-parser.js";
import type { XmlFragment } from "../xml-writer.js";

/**
 * Sends a GetFolder `request` about `count` folders and resolves with each folder's element, in
 * request order (undefined for a folder the server could not read). Rejects, in message order,
 * on a mailbox-level code or on a failed folder for which `required(index)` is true.
 */
export async function getFolders(
  scope: OperationScope,
  access: MailboxAccess,
  request: XmlFragment,
  count: number,
  signal?: AbortSignal,
  required: (index: number) => boolean = () => false,
): Promise<(XmlElement | undefined)[]> {
  const { messages } = await callEach(scope.transport, "GetFolder", request, callContext(access, signal), {
    count,
    noun: "folders",
  });
  return messages.map((message, index) => {
    if (isSuccess(message)) return folderElements(child(message.element, "Folders"))[0];
    if (isMailboxFatal(message) || required(index)) throw messageError(message, "GetFolder", access.mailbox);
    return undefined;
  });
}
