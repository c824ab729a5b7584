// ConvertId: an item or folder id from one format to another (EwsId, EwsLegacyId, EntryId,
// HexEntryId, StoreId, OwaId; see store/id-formats.ts). As in Exchange the conversion is of the
// id alone: the object need not exist any more. An id that is not of its stated format is
// ErrorInvalidIdMalformed; a Mailbox that is no mailbox of the server ErrorNonExistentMailbox;
// an id of another mailbox than the Mailbox attribute names ErrorInvalidIdMalformed.
import { EwsResponseError } from "../errors.js";
import { decodeAlternateId, encodeAlternateId, ID_FORMATS, type IdFormat } from "../store/id-formats.js";
import type { MailboxState } from "../store/records.js";
import { attr, child, children, esc, type XmlNode } from "../xml.js";
import { type Operation, type OperationContext, perEntry, successMessage } from "./common.js";

function format(value: string | undefined, what: string): IdFormat {
  if (value === undefined || !(ID_FORMATS as readonly string[]).includes(value))
    throw new EwsResponseError("ErrorInvalidRequest", `${what} must be one of ${ID_FORMATS.join(", ")}.`);
  return value as IdFormat;
}

function malformed(): EwsResponseError {
  return new EwsResponseError("ErrorInvalidIdMalformed", "Id is malformed.");
}

interface SourceId {
  readonly element: "AlternateId" | "AlternatePublicFolderId" | "AlternatePublicFolderItemId";
  readonly node: XmlNode;
}

function convert(ctx: OperationContext, source: SourceId, destination: IdFormat): string {
  const from = format(attr(source.node, "Format"), "Format");
  if (source.element === "AlternateId") {
    const address = attr(source.node, "Mailbox")?.trim() ?? "";
    const mailbox: MailboxState | undefined = ctx.store.mailboxBySmtp(address);
    if (mailbox === undefined)
      throw new EwsResponseError(
        "ErrorNonExistentMailbox",
        "The SMTP address has no mailbox associated with it.",
      );
    const decoded = decodeAlternateId(attr(source.node, "Id") ?? "", from);
    if (decoded === undefined || decoded.mailboxGuid !== mailbox.guid) throw malformed();
    const id = encodeAlternateId(decoded, destination, mailbox.smtpAddress);
    const archive = attr(source.node, "IsArchive");
    return `<m:AlternateId xsi:type="t:AlternateIdType" Format="${destination}" Id="${esc(id)}" Mailbox="${esc(mailbox.smtpAddress)}"${archive === undefined ? "" : ` IsArchive="${esc(archive)}"`}/>`;
  }
  // Public folders: the ids name the shared public folder tree.
  const pub = ctx.store.publicFolders;
  const folder = decodeAlternateId(attr(source.node, "FolderId") ?? "", from);
  if (folder === undefined || folder.kind !== "folder" || folder.mailboxGuid !== pub.guid) throw malformed();
  const folderOut = esc(encodeAlternateId(folder, destination, pub.smtpAddress));
  if (source.element === "AlternatePublicFolderId")
    return `<m:AlternateId xsi:type="t:AlternatePublicFolderIdType" Format="${destination}" FolderId="${folderOut}"/>`;
  const item = decodeAlternateId(attr(source.node, "ItemId") ?? "", from);
  if (item === undefined || item.kind !== "item" || item.mailboxGuid !== pub.guid) throw malformed();
  return `<m:AlternateId xsi:type="t:AlternatePublicFolderItemIdType" Format="${destination}" FolderId="${folderOut}" ItemId="${esc(encodeAlternateId(item, destination, pub.smtpAddress))}"/>`;
}

export const convertId: Operation = {
  messageName: "ConvertIdResponseMessage",
  entries: {
    container: "SourceIds",
    names: ["AlternateId", "AlternatePublicFolderId", "AlternatePublicFolderItemId"],
  },
  run(request, ctx) {
    const destination = format(attr(request, "DestinationFormat"), "DestinationFormat");
    const container = child(request, "SourceIds");
    const sources: SourceId[] = [];
    for (const element of [
      "AlternateId",
      "AlternatePublicFolderId",
      "AlternatePublicFolderItemId",
    ] as const) {
      for (const node of children(container, element)) sources.push({ element, node });
    }
    return perEntry(this, sources, (source) =>
      successMessage(this.messageName, convert(ctx, source, destination)),
    );
  },
};
