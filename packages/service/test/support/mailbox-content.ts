// A mailbox's items by folder path, read through EWS and resolved to the mock's stored data,
// each item as one canonical JSON text, so that two mailboxes compare property by property.
import type { EwsClient } from "@ewsvault/ews";
import type { MockEwsServer } from "@ewsvault/mock-ews";

function canonicalText(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return `base64:${Buffer.from(v).toString("base64")}`;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      return Object.fromEntries(
        entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, walk(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

/** Items per folder path below msgfolderroot (or below its top folder `under`, paths relative to it). */
export async function mailboxContent(
  client: EwsClient,
  server: MockEwsServer,
  mailbox: string,
  under?: string,
): Promise<Map<string, string[]>> {
  const root = (await client.getMailboxInfo(mailbox)).distinguishedFolders.msgfolderroot!;
  const folders = await client.findFolders(mailbox, root);
  const parentOf = new Map(folders.map((f) => [f.folderId, f]));
  const path = (id: string): string[] => {
    const folder = parentOf.get(id);
    return folder === undefined || id === root ? [] : [...path(folder.parentFolderId), folder.displayName];
  };
  const content = new Map<string, string[]>();
  for (const folder of folders) {
    let segments = path(folder.folderId);
    if (under !== undefined) {
      if (segments[0] !== under || segments.length < 2) continue;
      segments = segments.slice(1);
    }
    const items = await client.findItems(mailbox, folder.folderId);
    if (items.length > 0)
      content.set(segments.join("/"), items.map((i) => canonicalText(server.getItem(i.itemId))).sort());
  }
  return content;
}
