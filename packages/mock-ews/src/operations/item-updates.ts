// One UpdateItem change (SetItemField / AppendToItemField / DeleteItemField) applied to an
// item's data, whatever the path names: a first-class field (FieldURI), one entry of a contact's
// indexed collections (IndexedFieldURI) or an extended MAPI property (ExtendedFieldURI).
import { EwsResponseError } from "../errors.js";
import type { MockItemData, MockMailAddress } from "../model.js";
import { attr, child, children, text, type XmlNode } from "../xml.js";
import {
  parseExtendedProperty,
  parseExtendedUri,
  sameProperty,
  writeExtended,
} from "./extended-properties.js";
import { isIndexedUri, updateIndexed } from "./indexed-properties.js";
import { addresses, applyFieldUpdate, attendees, ITEM_ELEMENTS, normalizeDate } from "./parse-item.js";

function sourceOf(update: XmlNode): XmlNode {
  const source = ITEM_ELEMENTS.map((e) => child(update, e)).find((n) => n !== undefined);
  if (source === undefined)
    throw new EwsResponseError(
      "ErrorIncorrectUpdatePropertyCount",
      "An object within a change description must contain one and only one property to modify.",
    );
  return source;
}

/** Element of the recipient / attendee lists, by lower-cased FieldURI. */
const LISTS: Record<string, string> = {
  "message:torecipients": "ToRecipients",
  "message:ccrecipients": "CcRecipients",
  "message:bccrecipients": "BccRecipients",
  "calendar:requiredattendees": "RequiredAttendees",
  "calendar:optionalattendees": "OptionalAttendees",
};

/** The model's list a LISTS URI names, and how to put it back. */
function listOf(
  data: MockItemData,
  uri: string,
): { list: readonly MockMailAddress[]; put: (list: MockMailAddress[]) => MockItemData } | undefined {
  switch (uri) {
    case "message:torecipients":
      return { list: data.toRecipients, put: (l) => ({ ...data, toRecipients: l }) };
    case "message:ccrecipients":
      return { list: data.ccRecipients, put: (l) => ({ ...data, ccRecipients: l }) };
    case "message:bccrecipients":
      return { list: data.bccRecipients, put: (l) => ({ ...data, bccRecipients: l }) };
    case "calendar:requiredattendees":
    case "calendar:optionalattendees": {
      const cal = data.calendar;
      if (cal === undefined) return undefined;
      const key = uri === "calendar:requiredattendees" ? "requiredAttendees" : "optionalAttendees";
      return { list: cal[key], put: (l) => ({ ...data, calendar: { ...cal, [key]: l } }) };
    }
    default:
      return undefined;
  }
}

/**
 * AppendToItemField: Exchange appends to the body and to recipient and attendee lists only;
 * anything else is ErrorInvalidPropertyAppend.
 */
function append(data: MockItemData, uri: string, source: XmlNode): MockItemData {
  if (uri === "item:body") {
    const added = text(child(source, "Body")) ?? "";
    return { ...data, body: { ...data.body, content: data.body.content + added } };
  }
  const target = listOf(data, uri);
  if (target === undefined)
    throw new EwsResponseError("ErrorInvalidPropertyAppend", `The property ${uri} cannot be appended to.`);
  const element = child(source, LISTS[uri]!);
  const added = uri.startsWith("calendar:") ? attendees(element) : addresses(element);
  return target.put([...target.list, ...added]);
}

/** SetItemField / DeleteItemField of the fields applyFieldUpdate leaves out; undefined when not one. */
function setOther(data: MockItemData, uri: string, source: XmlNode | undefined): MockItemData | undefined {
  const target = listOf(data, uri);
  if (target !== undefined && uri.startsWith("calendar:")) {
    return target.put(source === undefined ? [] : attendees(child(source, LISTS[uri]!)));
  }
  if ((uri === "task:duedate" || uri === "task:startdate") && data.task !== undefined) {
    const key = uri === "task:duedate" ? "dueDate" : "startDate";
    const { [key]: _old, ...rest } = data.task;
    const raw = source === undefined ? undefined : text(source, key === "dueDate" ? "DueDate" : "StartDate");
    if (raw === undefined) return { ...data, task: rest };
    return { ...data, task: { ...rest, [key]: normalizeDate(raw, raw) } };
  }
  return undefined;
}

/** MUST throw an EwsResponseError (ErrorInvalidPropertySet, ...) for a change it cannot make. */
export function applyUpdate(
  data: MockItemData,
  update: XmlNode,
  kind: "SetItemField" | "AppendToItemField" | "DeleteItemField",
): MockItemData {
  const isDelete = kind === "DeleteItemField";
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
    // contacts:ImAddress (ImAddresses) is writable in Exchange but not kept by the model.
    if (uri.toLowerCase() === "contacts:imaddress" && data.contact !== undefined) return data;
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
  const lower = uri.toLowerCase();
  if (kind === "AppendToItemField") return append(data, lower, source!);
  const other = setOther(data, lower, source);
  if (other !== undefined) return other;
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
