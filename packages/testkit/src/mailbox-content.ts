// A mailbox's content as comparable data, for tests that restore a mailbox and check the copy
// holds what the original held (the CLI's and the service's end-to-end tests). It reads the
// folder tree and item ids over EWS and the item data from the mock's own store, so the
// comparison covers every stored property, not only what the EWS client asks for. The reader
// and the store are small structural interfaces, so testkit depends on no workspace package:
// an @ewsvault/ews EwsClient and a @ewsvault/mock-ews server fit them as they are.

/** The EWS reads the comparison needs; an @ewsvault/ews EwsClient has them. */
export interface MailboxReader {
  getMailboxInfo(
    mailbox: string,
  ): Promise<{ readonly distinguishedFolders: { readonly msgfolderroot?: string } }>;
  findFolders(
    mailbox: string,
    rootFolderId: string,
  ): Promise<readonly { folderId: string; parentFolderId: string; displayName: string }[]>;
  findItems(mailbox: string, folderId: string): Promise<readonly { itemId: string }[]>;
}

/** Where an item's stored data comes from; a @ewsvault/mock-ews server has it. */
export interface ItemStore {
  getItem(itemId: string): unknown;
}

export interface MailboxContentOptions {
  /** Only this top folder's subtree, with paths relative to it (where a restore put its copy). */
  readonly under?: string;
  /** Leave out these top folders (e.g. an earlier restore's target folder). */
  readonly skipTop?: readonly string[];
}

/**
 * Canonical text of an item: keys sorted, undefined properties left out, bytes as base64. Two
 * items with the same properties give the same text whatever order they were built in.
 */
export function canonicalItem(item: unknown): string {
  const normalise = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
    if (Array.isArray(value)) return value.map(normalise);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
          .map((key) => [key, normalise((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return JSON.stringify(normalise(item));
}

/**
 * The items of a mailbox by folder path ('/'-joined display names below msgfolderroot), each
 * folder's items as sorted canonical texts; folders without items are left out.
 */
export async function mailboxContent(
  reader: MailboxReader,
  store: ItemStore,
  mailbox: string,
  options: MailboxContentOptions = {},
): Promise<Map<string, string[]>> {
  const info = await reader.getMailboxInfo(mailbox);
  const root = info.distinguishedFolders.msgfolderroot!;
  const folders = await reader.findFolders(mailbox, root);
  const byId = new Map(folders.map((f) => [f.folderId, f]));
  const pathOf = (folderId: string): string[] => {
    const folder = byId.get(folderId);
    if (folder === undefined || folderId === root) return [];
    return [...pathOf(folder.parentFolderId), folder.displayName];
  };
  const result = new Map<string, string[]>();
  for (const folder of folders) {
    let path = pathOf(folder.folderId);
    if (options.under !== undefined) {
      if (path[0] !== options.under || path.length < 2) continue;
      path = path.slice(1);
    } else if (options.skipTop?.includes(path[0]!)) {
      continue;
    }
    const items = await reader.findItems(mailbox, folder.folderId);
    if (items.length === 0) continue;
    result.set(path.join("/"), items.map((i) => canonicalItem(store.getItem(i.itemId))).sort());
  }
  return result;
}
