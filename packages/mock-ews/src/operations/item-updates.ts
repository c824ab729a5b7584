// One UpdateItem change (SetItemField / AppendToItemField / DeleteItemField) applied to an
// item's data, whatever the path names: a first-class field (FieldURI), one entry of a contact's
// indexed collections (IndexedFieldURI) or an extended MAPI property (ExtendedFieldURI).
import { EwsResponseError } from "../errors.js";
import type { MockItemData } from "../model.js";
import { attr, child, children, type XmlNode } from "../xml.js";
import {
  parseExtendedProperty,
  parseExtendedUri,
  sameProperty,
  writeExtended,
} from "./extended-properties.js";
import { isIndexedUri, updateIndexed } from "./indexed-properties.js";
import { applyFieldUpdate, ITEM_ELEMENTS } from "./parse-item.js";

function sourceOf(update: XmlNode): XmlNode {
  const source = ITEM_ELEMENTS.map((e) => child(update, e)).find((n) => n !== undefined);
  if (source === undefined)
    throw new EwsResponseError(
      "ErrorIncorrectUpdatePropertyCount",
      "An object within a change description must contain one and only one property to modify.",
    );
  return source;
}

/** MUST throw an EwsResponseError (ErrorInvalidPropertySet, ...) for a change it cannot make. */
export function applyUpdate(data: MockItemData, update: XmlNode, isDelete: boolean): MockItemData {
  const extended = child(update, "ExtendedFieldURI");
  if (extended !== undefined) {
    const uri = parseExtendedUri(extended);
    if (isDelete) return writeExtended(data, uri, undefined);
    const property = children(sourceOf(update), "ExtendedProperty")
      .map(parseExtendedProperty)
      .find((p) => sameProperty(p, uri));
    if (property === undefined)
      throw new EwsResponseError(
        "ErrorIncorrectUpdatePropertyCount",
        "The item in the change must carry the ExtendedProperty the ExtendedFieldURI names.",
      );
    return writeExtended(data, property, property.values);
  }
  const indexed = child(update, "IndexedFieldURI");
  if (indexed !== undefined) {
    const uri = attr(indexed, "FieldURI") ?? "";
    if (!isIndexedUri(uri) || data.contact === undefined)
      throw new EwsResponseError(
        "ErrorInvalidPropertySet",
        `The property ${uri} cannot be set on this item.`,
      );
    const contact = updateIndexed(
      data.contact,
      uri,
      attr(indexed, "FieldIndex") ?? "",
      isDelete ? undefined : sourceOf(update),
    );
    return { ...data, contact };
  }
  const uri = attr(child(update, "FieldURI"), "FieldURI");
  if (uri === undefined)
    throw new EwsResponseError("ErrorInvalidPropertySet", "The change names no property.");
  const source = isDelete ? undefined : sourceOf(update);
  try {
    return applyFieldUpdate(data, uri, source);
  } catch (error) {
    if (
      !(error instanceof EwsResponseError) ||
      error.code !== "ErrorInvalidPropertySet" ||
      !isIgnorable(data, uri)
    )
      throw error;
    // A writable property of this kind of item that the model does not keep (time zones,
    // a contact's Birthday, ...): accepted, as Exchange accepts it, and not served back.
    return data;
  }
}

/** Properties Exchange computes: setting them is ErrorInvalidPropertySet. */
const READ_ONLY = new Set([
  "item:itemid",
  "item:parentfolderid",
  "item:datetimereceived",
  "item:datetimesent",
  "item:datetimecreated",
  "item:size",
  "item:hasattachments",
  "item:displayto",
  "item:displaycc",
  "item:issubmitted",
  "item:isdraft",
  "item:isfromme",
  "item:isresend",
  "item:isunmodified",
  "item:isassociated",
  "item:lastmodifiedname",
  "item:lastmodifiedtime",
  "item:effectiverights",
  "item:conversationid",
  "item:uniquebody",
  "item:textbody",
  "item:preview",
  "item:webclientreadformquerystring",
  "item:webclienteditformquerystring",
  "item:mimecontent",
  "message:conversationindex",
  "message:conversationtopic",
  "message:internetmessageid",
  "calendar:duration",
  "calendar:isrecurring",
  "calendar:calendaritemtype",
  "calendar:myresponsetype",
  "calendar:ismeeting",
  "calendar:iscancelled",
  "calendar:appointmentstate",
  "calendar:conflictingmeetings",
  "calendar:adjacentmeetings",
  "calendar:conflictingmeetingcount",
  "calendar:adjacentmeetingcount",
  "calendar:firstoccurrence",
  "calendar:lastoccurrence",
  "calendar:modifiedoccurrences",
  "calendar:deletedoccurrences",
  "calendar:originalstart",
  "calendar:recurrenceid",
  "contacts:completename",
  "task:iscomplete",
  "task:isrecurring",
  "task:delegator",
]);

/** The FieldURI prefixes each kind of item has (item: is every item's). */
function prefixesOf(data: MockItemData): string[] {
  switch (data.itemClass) {
    case "IPM.Appointment":
      return ["item:", "calendar:"];
    case "IPM.Contact":
      return ["item:", "contacts:"];
    case "IPM.Task":
      return ["item:", "task:"];
    case "IPM.Post":
      return ["item:", "message:", "postitem:"];
    default:
      return ["item:", "message:"];
  }
}

function isIgnorable(data: MockItemData, uri: string): boolean {
  const lower = uri.toLowerCase();
  return !READ_ONLY.has(lower) && prefixesOf(data).some((p) => lower.startsWith(p));
}
