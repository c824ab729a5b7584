// getMailboxInfo and what hangs off it: the ids of every distinguished folder of a mailbox,
// fetched in one GetFolder and cached per mailbox, so that "inbox" can be resolved to its real
// id (uploads, CreateFolder) and hierarchy results can say which folder is the inbox even when
// the server does not return DistinguishedFolderId.
import type { DistinguishedFolderName, MailboxInfo } from "@ewsvault/mailbox";
import { type OperationScope, requireMailbox } from "../call.js";
import { ewsError } from "../errors.js";
import { DISTINGUISHED_FOLDER_NAMES, getFolderRequest, isDistinguishedFolderName } from "../requests.js";
import { child } from "../xml-parser.js";
import { getFolders } from "./get-folder.js";

/** What the other operations need of the distinguished folders of a mailbox. */
export interface DistinguishedFolders {
  /** Real id of a distinguished folder name; any other id as given. EWS_FOLDER_NOT_FOUND if the mailbox lacks it. */
  resolveFolderId(mailbox: string, folderId: string, signal?: AbortSignal): Promise<string>;
  /** Folder id -> distinguished name. */
  namesById(mailbox: string, signal?: AbortSignal): Promise<Map<string, DistinguishedFolderName>>;
}

/** The mailbox info of each mailbox, asked for once per client (a failed answer is forgotten). */
export class MailboxInfoCache implements DistinguishedFolders {
  private readonly cache = new Map<string, Promise<MailboxInfo>>();

  constructor(private readonly scope: OperationScope) {}

  get(mailbox: string, signal?: AbortSignal): Promise<MailboxInfo> {
    requireMailbox(mailbox);
    // A cached answer needs no request, but an aborted caller still gets EWS_ABORTED (the port's contract).
    if (signal?.aborted === true)
      return Promise.reject(ewsError("EWS_ABORTED", "aborted", { cause: signal.reason }));
    const key = mailbox.toLowerCase();
    let cached = this.cache.get(key);
    if (cached === undefined) {
      cached = fetchMailboxInfo(this.scope, mailbox, signal);
      this.cache.set(key, cached);
      cached.catch(() => this.cache.delete(key));
    }
    return cached;
  }

  async resolveFolderId(mailbox: string, folderId: string, signal?: AbortSignal): Promise<string> {
    if (!isDistinguishedFolderName(folderId)) return folderId;
    const info = await this.get(mailbox, signal);
    const id = info.distinguishedFolders[folderId];
    if (id === undefined) {
      throw ewsError("EWS_FOLDER_NOT_FOUND", `${mailbox} has no ${folderId} folder`, {
        details: { mailbox, folderId },
      });
    }
    return id;
  }

  async namesById(mailbox: string, signal?: AbortSignal): Promise<Map<string, DistinguishedFolderName>> {
    const info = await this.get(mailbox, signal);
    const names = new Map<string, DistinguishedFolderName>();
    for (const [name, id] of Object.entries(info.distinguishedFolders)) {
      if (id !== undefined) names.set(id, name as DistinguishedFolderName);
    }
    return names;
  }
}

/**
 * GetFolder of every distinguished folder in one request. Archive, public and recoverable-items
 * folders are optional (they may simply not exist); a failure of msgfolderroot or a
 * mailbox-level code fails the call.
 */
async function fetchMailboxInfo(
  scope: OperationScope,
  mailbox: string,
  signal?: AbortSignal,
): Promise<MailboxInfo> {
  const access = scope.access(mailbox);
  const names = DISTINGUISHED_FOLDER_NAMES;
  const required = (index: number) => names[index] === "msgfolderroot";
  const request = getFolderRequest(names, access.delegate);
  const elements = await getFolders(scope, access, request, names.length, signal, required);
  const folders: Partial<Record<DistinguishedFolderName, string>> = {};
  elements.forEach((folder, index) => {
    const id = child(folder, "FolderId")?.attributes.Id;
    if (id !== undefined) folders[names[index] as DistinguishedFolderName] = id;
  });
  return { smtpAddress: mailbox, distinguishedFolders: folders };
}
